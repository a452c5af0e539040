"""Build the OpenAPI 3 document from the route registry (api/core.py) and the same pydantic
schemas that validate requests: every status and content type a route can answer."""

from __future__ import annotations

import copy
import re

from ..validation import MAX_INT
from .core import JSON, LINE_PATTERN, ROUTES, RouteDoc

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
            },
        }
    },
}
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Bad input: malformed JSON, schema violations, control characters, out-of-range numbers",
    401: "Not signed in",
    403: "Role not allowed",
    404: "Not found (also another vendor's object)",
    409: "State conflict, stale lock_version or a concurrent change",
    413: "Too large",
    415: "File type refused",
    422: "Invalid values",
    429: "Rate limited (see Retry-After)",
    503: "Database busy; retry (see Retry-After)",
}
# Text everywhere refuses control characters other than tab and line breaks (validation.py).
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}


def _constrain_strings(schema):
    """Add the shared no-control-characters pattern to every plain string in a JSON schema."""
    if isinstance(schema, dict):
        plain = not {"pattern", "format", "enum", "const"} & set(schema)
        if schema.get("type") == "string" and plain:
            schema["pattern"] = TEXT_PATTERN
        for value in schema.values():
            _constrain_strings(value)
    elif isinstance(schema, list):
        for value in schema:
            _constrain_strings(value)
    return schema


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(match):
        conv, name = match.group(1), match.group(2)
        schema = (
            {"type": "integer", "minimum": 1, "maximum": MAX_INT}
            if conv == "int"
            else {"type": "string", "minLength": 1, "pattern": LINE_PATTERN}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def _query_params(model) -> list[dict]:
    schema = _constrain_strings(model.model_json_schema())
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
        if options:
            prop.update(options[0])
        params.append({"name": name, "in": "query", "required": False, "schema": prop})
    return params


def _multipart(fields: dict) -> dict:
    properties = {}
    for name, kind in fields.items():
        if kind in ("binary", "date"):
            properties[name] = {"type": "string", "format": kind}
        elif kind == "string":
            properties[name] = {"type": "string", "pattern": TEXT_PATTERN}
        else:
            properties[name] = {"type": kind}
    required = [k for k in ("file", "kind") if k in fields]
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": required, "properties": properties}
            }
        },
    }


def _success(route: RouteDoc) -> dict:
    out = {}
    for code in sorted({route.status, *(int(c) for c in route.responses if int(c) < 400)}):
        response: dict = {"description": route.responses.get(code, STATUS_TEXT.get(code, "OK"))}
        if code != 204 and route.produces:
            response["content"] = {media: {} for media in route.produces}
        out[str(code)] = response
    return out


def build_document() -> dict:
    """The whole document, rebuilt on each request (cheap; routes never change at run time)."""
    components: dict = {"Error": ERROR}
    paths: dict = {}

    def schema_ref(model) -> dict:
        schema = _constrain_strings(
            model.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        for name, sub in schema.pop("$defs", {}).items():
            components[name] = sub
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    for route in ROUTES:
        path, params = _path(route.rule)
        op: dict = {
            "summary": route.summary,
            "operationId": f"{route.method.lower()}_{path}",
            "parameters": list(params),
            "responses": _success(route),
        }
        if route.query is not None:
            op["parameters"] += _query_params(route.query)
        if route.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": schema_ref(route.body)}},
            }
        if route.multipart:
            op["requestBody"] = _multipart(route.multipart)
        if route.roles is not None:
            op["security"] = [{"bearer": []}]
            op["x-roles"] = list(route.roles)
        for code in route.error_statuses():
            response = {
                "description": route.responses.get(code, STATUS_TEXT[code]),
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            if code in (429, 503):
                response["headers"] = copy.deepcopy(RETRY_AFTER)
            op["responses"][str(code)] = response
        paths.setdefault(path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "VendorAssure API",
            "version": "1.0.0",
            "description": "Vendor assurance for AI suppliers (ISO/IEC 42001 Annex A).",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
