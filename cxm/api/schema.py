"""The OpenAPI document says what every operation can answer besides success: the one error shape
of cxm.api.errors, on every status the API and its middleware give."""

from __future__ import annotations

import copy

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["status", "code", "detail"],
}
ERROR_STATUSES = {
    "400": "The request is invalid; `fields` names what to fix. Or (`code`: `workspace_required`) "
    "the caller belongs to several workspaces, has no default and sent no `X-Workspace` header.",
    "413": "The request body is larger than the limit (see the API guide).",
    "401": "No valid credentials were sent.",
    "403": "The member's role does not allow this.",
    "404": "No such object in this workspace (or the workspace is not one of the caller's).",
    "405": "The method is not allowed here.",
    "406": "The requested representation cannot be produced.",
    "409": "The object's state does not allow this now; or (`write_conflict`) another request was "
    "changing the same records at the same moment, nothing was kept: send it again after `Retry-After`.",
    "415": "The request body's media type is not supported.",
    "429": "Too many requests; retry after `Retry-After` seconds.",
    "503": "The database or Redis is unreachable; retry after `Retry-After` seconds.",
}
DUPLICATE = "409"
DUPLICATE_DESCRIPTION = (
    "(`duplicate`) another request saved the same name at the same moment; `fields.name` says so and "
    "nothing of this request was kept (a name already in use before answers 400). Or: "
    + ERROR_STATUSES["409"]
)
PLATFORM_REFUSED = "502"
PLATFORM_REFUSED_DESCRIPTION = (
    "The connected platform refused the change or could not be reached; nothing was recorded here. "
    "`detail` quotes the platform."
)


def _blank_allowed(schema: dict, also: tuple[str, ...]) -> dict:
    if schema.get("type") == "array":
        return {key: value for key, value in schema.items() if key != "minItems"}
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema):
        return {key: value for key, value in schema.items() if key != "minLength"}
    return {"anyOf": [schema, {"type": "string", "enum": ["", *also]}]}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus 502 on the actions that call a platform while the client
    waits (a view lists them in `platform_actions`), 409 `duplicate` on the creates of a unique
    name (`duplicate_actions`), and, in responses, blank values for the fields a serializer reads
    from a platform.

    A platform leaves optional values out, so a serializer of synced data names those fields in
    `read_from_platform = {"link": (), "status": ("ARCHIVED",)}`: their response schema also allows
    the blank value (an empty text, list or choice) and the platform's own values listed (an ad
    archived there), while requests stay held to the field's own rules."""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            properties = schema.get("properties", {})
            for name, also in getattr(serializer, "read_from_platform", {}).items():
                if name in properties:
                    properties[name] = _blank_allowed(properties[name], tuple(also))
        return schema

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if getattr(self.view, "action", None) in getattr(self.view, "duplicate_actions", ()):
            bodies.setdefault(
                DUPLICATE,
                {
                    "description": DUPLICATE_DESCRIPTION,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
                    },
                },
            )
        if getattr(self.view, "action", None) in getattr(self.view, "platform_actions", ()):
            bodies.setdefault(
                PLATFORM_REFUSED,
                {
                    "description": PLATFORM_REFUSED_DESCRIPTION,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
                    },
                },
            )
        return bodies


# PostgreSQL's bigint, the widest integer column: every integer the API takes or gives is within it.
BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)
# Optional date and choice filters: an empty value means "no bound" or "any", as a browser form
# sends it.
DATE_FORMATS = {"date", "date-time"}


def error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: add the error responses to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = copy.deepcopy(
        ERROR_SCHEMA
    )
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status_code, description in ERROR_STATUSES.items():
                operation["responses"].setdefault(
                    status_code,
                    {"description": description, "content": {"application/json": {"schema": reference}}},
                )
            body = operation.get("requestBody")
            if body and any(_requires_fields(m.get("schema", {}), result) for m in body["content"].values()):
                # No body at all is as invalid as one that leaves out a required field.
                body["required"] = True
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                # Every number filter of this API is an id (cxm.api.filters refuses 0.5).
                if parameter.get("in") == "query" and schema.get("type") == "number":
                    schema = parameter["schema"] = {**schema, "type": "integer"}
                if (
                    parameter.get("in") == "query"
                    and not parameter.get("required")
                    and schema.get("format") in DATE_FORMATS
                ):
                    parameter["schema"] = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
                elif (
                    parameter.get("in") == "query"
                    and not parameter.get("required")
                    and "" not in schema.get("enum", [""])
                ):
                    parameter["schema"] = {**schema, "enum": [*schema["enum"], ""]}
    _bound_integers(result)
    return result


def _bound_integers(node) -> None:
    """An integer without bounds is one a column must hold: say so, so that a larger one is refused
    as invalid (cxm.api.contract) rather than overflowing the database."""
    if isinstance(node, list):
        for item in node:
            _bound_integers(item)
    elif isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("maximum", BIGINT_MAX)
            node.setdefault("minimum", BIGINT_MIN)
        for value in node.values():
            _bound_integers(value)


def _requires_fields(schema: dict, document: dict) -> bool:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document.get("components", {}).get("schemas", {}).get(name, {})
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        return all(_requires_fields(alternative, document) for alternative in alternatives)
    return bool(schema.get("required"))
