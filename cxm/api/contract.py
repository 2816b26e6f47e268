"""JSON request bodies are held to the OpenAPI document before a view reads them.

DRF's fields are lenient where the document is not: a CharField takes 5 and stores "5", a
BooleanField takes 0, a FloatField takes false. Clients written from the document must be able to
rely on it both ways, so every JSON body is validated against its operation's request schema (the
same document /api/schema/ serves) and refused with 400 and the failing fields when it does not
conform. Multipart uploads are left to their serializers.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError as SchemaError
from rest_framework.exceptions import ValidationError
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


# How deep a JSON body may nest (objects and lists inside each other). Nothing the API takes
# needs more than a handful of levels; a deeper body is refused before any view reads it.
MAX_JSON_DEPTH = 32
# PostgreSQL's bigint: an id or number filter beyond it can match nothing and is a mistake.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
BOOLEAN_VALUES = {"true", "false", "True", "False", "1", "0"}
SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Operation:
    path: re.Pattern
    method: str
    validator: Draft4Validator | None
    # The query parameters the document names, with their schemas.
    query: dict[str, dict]


class ContractJSONParser(JSONParser):
    """JSONParser that also checks the body against the operation's documented request schema,
    and refuses U+0000 and lone UTF-16 surrogates, which JSON strings may hold and PostgreSQL's
    text and jsonb may not, and bodies nested deeper than MAX_JSON_DEPTH."""

    refuse_nul = True

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Python's decoder gives up long before any sensible body would.
            raise ValidationError({"non_field_errors": [_depth_message()]}) from None
        if self.refuse_nul:
            where = _depth_path(data, [])
            if where is not None:
                raise ValidationError({_field(where): [_depth_message()]})
            where = _nul_path(data, [])
            if where is not None:
                raise ValidationError({_field(where): [_("Null characters (U+0000) are not allowed.")]})
            where = _number_path(data, [])
            if where is not None:
                raise ValidationError({_field(where): [_("Send a number within range.")]})
            where = _surrogate_path(data, [])
            if where is not None:
                raise ValidationError({_field(where): [_("Lone surrogate characters are not allowed.")]})
        request = (parser_context or {}).get("request")
        if request is not None:
            errors = request_body_errors(path=request.path, method=request.method, body=data)
            if errors:
                raise ValidationError(errors)
        return data


class BatchJSONParser(ContractJSONParser):
    """For batches whose items are judged one by one: a bad item is reported by its index."""

    # Python's JSON reader gives up near 1,000 levels of nesting: such a body has no items to
    # judge one by one, so it is refused whole like any other (items nested less deep are judged
    # alone).
    refuse_nul = False


def _depth_message() -> str:
    return _("Nested deeper than %(limit)d levels.") % {"limit": MAX_JSON_DEPTH}


def json_too_deep(value: Any) -> bool:
    """Whether a decoded JSON value nests deeper than MAX_JSON_DEPTH."""
    return _depth_path(value, []) is not None


def _depth_path(value: Any, path: list) -> list | None:
    """Where a value first nests deeper than MAX_JSON_DEPTH (None when it does not)."""
    if not isinstance(value, dict | list):
        return None
    if len(path) >= MAX_JSON_DEPTH:
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found = _depth_path(item, [*path, key])
        if found is not None:
            return found
    return None


def _string_path(value: Any, path: list, bad) -> list | None:
    """Where the first string (key or value) for which `bad` holds is."""
    if isinstance(value, str):
        return path if bad(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = [*path, key] if bad(key) else _string_path(item, [*path, key], bad)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _string_path(item, [*path, index], bad)
            if found is not None:
                return found
    return None


def _number_path(value: Any, path: list) -> list | None:
    """Where the first number no JSON column can hold is: 1e400 decodes as infinity, which jsonb
    refuses. (Integer fields are bounded by the document, which the validator below checks.)"""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _number_path(item, [*path, key])
        if found is not None:
            return found
    return None


def _nul_path(value: Any, path: list) -> list | None:
    return _string_path(value, path, lambda text: "\x00" in text)


def _surrogate_path(value: Any, path: list) -> list | None:
    return _string_path(value, path, lambda text: SURROGATES.search(text) is not None)


def query_errors(*, path: str, method: str, params) -> dict[str, list[str]]:
    """Errors of a query string against the document: a parameter the operation does not name,
    or a value its schema cannot read (a word for a number, an id beyond bigint, a date that
    is not one, a choice not offered). {} when it conforms or the operation is undocumented.
    Only reads are held to it: their parameters are filters, which a typo must not widen."""
    if method.upper() not in {"GET", "HEAD"}:
        return {}
    operation = _operation(path, "GET")
    if operation is None or not operation.query:
        # An operation without parameters (one object) has no filter a typo could widen.
        return {}
    errors: dict[str, list[str]] = {}
    for name in params:
        schema = operation.query.get(name)
        if schema is None:
            known = ", ".join(sorted(operation.query)) or _("none")
            errors[name] = [_("Unknown parameter; this operation takes: %(known)s.") % {"known": known}]
            continue
        for value in params.getlist(name):
            message = _query_value_error(value, schema)
            if message:
                errors[name] = [message]
                break
    return errors


def _query_value_error(value: str, schema: dict) -> str | None:
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        messages = [_query_value_error(value, alternative) for alternative in alternatives]
        return None if None in messages else messages[0]
    kind = schema.get("type", "string")
    if kind in {"integer", "number"}:
        if not re.fullmatch(r"-?[0-9]+", value):
            return _("Give a whole number.")
        number = int(value)
        if not BIGINT_MIN <= number <= BIGINT_MAX:
            return _("Give a whole number from %(low)d to %(high)d.") % {
                "low": BIGINT_MIN,
                "high": BIGINT_MAX,
            }
        if "minimum" in schema and number < schema["minimum"]:
            return _("Give a whole number from %(low)d.") % {"low": schema["minimum"]}
        if "maximum" in schema and number > schema["maximum"]:
            return _("Give a whole number up to %(high)d.") % {"high": schema["maximum"]}
        return None
    if kind == "boolean":
        return None if value in BOOLEAN_VALUES else _("Give true or false.")
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(str(choice) for choice in schema["enum"] if choice != "")
        return _("Choose one of %(choices)s.") % {"choices": choices}
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return _("Not in the documented form.")
    if schema.get("format") in {"date", "date-time"} and not _is_date_or_moment(value):
        # The wording the mention search has always used for the same mistake.
        return _("expected a date or ISO 8601 date-time")
    return None


def _is_date_or_moment(value: str) -> bool:
    from django.utils.dateparse import parse_date, parse_datetime

    try:
        return parse_datetime(value) is not None or parse_date(value) is not None
    except ValueError:  # well formed, but month 13 or hour 25
        return False


def request_body_errors(*, path: str, method: str, body: Any) -> dict[str, list[str]]:
    """Field errors of a JSON body against the document; {} when it conforms or is undocumented."""
    operation = _operation(path, method.upper())
    if operation is None or operation.validator is None:
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
            if not isinstance(operation, dict):
                continue
            schema = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            validator = None
            if schema is not None:
                validator = Draft4Validator({**_openapi_to_json_schema(schema), "components": components})
            query = {
                parameter["name"]: parameter.get("schema", {})
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "query"
            }
            operations.append(Operation(pattern, method.upper(), validator, query))
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
