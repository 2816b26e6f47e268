"""JSON request bodies are held to the OpenAPI document before a view reads them.

DRF's fields are lenient where the document is not: a CharField takes 5 and stores "5", a
BooleanField takes 0, a FloatField takes false. Clients written from the document must be able to
rely on it both ways, so every JSON body is validated against its operation's request schema (the
same document /api/schema/ serves) and refused with 400 and the failing fields when it does not
conform. Multipart uploads are left to their serializers.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError as SchemaError
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

JSON_TYPES = {
    "string": "text (a JSON string)",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


@dataclass(frozen=True)
class Operation:
    path: re.Pattern
    method: str
    validator: Draft4Validator


class ContractJSONParser(JSONParser):
    """JSONParser that also checks the body against the operation's documented request schema,
    and refuses U+0000, which JSON strings may hold and PostgreSQL's text and jsonb may not."""

    refuse_nul = True

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if self.refuse_nul:
            where = _nul_path(data, [])
            if where is not None:
                raise ValidationError({_field(where): [_("Null characters (U+0000) are not allowed.")]})
        request = (parser_context or {}).get("request")
        if request is not None:
            errors = request_body_errors(path=request.path, method=request.method, body=data)
            if errors:
                raise ValidationError(errors)
        return data


class BatchJSONParser(ContractJSONParser):
    """For batches whose items are judged one by one: a bad item is reported by its index."""

    refuse_nul = False

    def parse(self, stream, media_type=None, parser_context=None):
        # Python's JSON reader gives up near 1,000 levels of nesting: such a body has no items
        # to judge one by one, so it is refused whole (items nested less deep are judged alone).
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON nested too deeply to read (about 1,000 levels or more).")) from exc


def _nul_path(value: Any, path: list) -> list | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = [*path, key] if "\x00" in key else _nul_path(item, [*path, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, [*path, index])
            if found is not None:
                return found
    return None


def request_body_errors(*, path: str, method: str, body: Any) -> dict[str, list[str]]:
    """Field errors of a JSON body against the document; {} when it conforms or is undocumented."""
    operation = _operation(path, method.upper())
    if operation is None:
        return {}
    errors: dict[str, list[str]] = {}
    for error in _leaf_errors(operation.validator.iter_errors(body)):
        field, message = _describe(error)
        errors.setdefault(field, [])
        if message not in errors[field]:
            errors[field].append(message)
    return errors


def _operation(path: str, method: str) -> Operation | None:
    for operation in _operations():
        if operation.method == method and operation.path.match(path):
            return operation
    return None


# drf-spectacular's generator is not safe to run from two threads at once (gunicorn runs
# several per worker): the first requests after a start would build the document together.
_operations_lock = threading.Lock()


def _operations() -> tuple[Operation, ...]:
    with _operations_lock:
        return _build_operations()


@lru_cache(maxsize=1)
def _build_operations() -> tuple[Operation, ...]:
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    components = _openapi_to_json_schema(document.get("components", {}))
    operations = []
    # Literal paths before templated ones: /mentions/export/ is not /mentions/{id}/.
    for template in sorted(document.get("paths", {}), key=lambda p: p.count("{")):
        pattern = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in document["paths"][template].items():
            schema = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                if isinstance(operation, dict)
                else None
            )
            if schema is None:
                continue
            root = {**_openapi_to_json_schema(schema), "components": components}
            operations.append(Operation(pattern, method.upper(), Draft4Validator(root)))
    return tuple(operations)


def _openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 marks optional nulls with `nullable`; JSON Schema spells it as a type."""
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _openapi_to_json_schema(value) for key, value in node.items() if key != "nullable"}
    # Formats are not asserted here (the serializers check them), so "" would match both sides of
    # drf-spectacular's `oneOf: [{maxLength: 0}, {format: uri}]`; either side is what it means.
    if "oneOf" in converted:
        converted["anyOf"] = converted.pop("oneOf")
    if node.get("nullable") is True:
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _leaf_errors(errors: Iterable[SchemaError]) -> Iterable[SchemaError]:
    """For anyOf/oneOf, the reasons of the closest alternative rather than 'is not valid under any'."""
    for error in errors:
        if error.context:
            yield from _leaf_errors([min(error.context, key=lambda e: (-len(e.absolute_path), e.message))])
        else:
            yield error


def _field(path: Iterable[Any]) -> str:
    """benefits[0].annual, as the serializers name nested fields."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "non_field_errors"


def _describe(error: SchemaError) -> tuple[str, str]:
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return _field([*error.absolute_path, missing]), _("This field is required.")
    field = _field(error.absolute_path)
    if error.validator == "type":
        expected = error.validator_value
        names = [JSON_TYPES.get(t, t) for t in (expected if isinstance(expected, list) else [expected])]
        return field, _("Send %(expected)s.") % {"expected": " or ".join(names)}
    if error.validator == "enum":
        choices = ", ".join("null" if c is None else str(c) for c in error.validator_value)
        return field, _("Choose one of %(choices)s.") % {"choices": choices}
    return field, error.message
