"""Build the OpenAPI 3 document from the same pydantic schemas that validate requests."""

from __future__ import annotations

import re

from .core import ROUTES

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
    400: "Bad input",
    401: "Not signed in",
    403: "Role not allowed",
    404: "Not found",
    409: "State conflict",
    413: "Too large",
    415: "Type refused",
    422: "Invalid values",
    429: "Rate limited",
}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(match):
        conv, name = match.group(1), match.group(2)
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if conv == "int" else "string"},
            }
        )
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def build_document() -> dict:
    components: dict = {"Error": ERROR}
    paths: dict = {}

    def schema_ref(model) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
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
            "responses": {},
        }
        if route.query is not None:
            for name, fld in route.query.model_fields.items():
                op["parameters"].append(
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer" if fld.annotation in (int, int | None) else "string"
                        },
                    }
                )
        if route.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema_ref(route.body)}},
            }
        if route.multipart:
            op["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file", "kind"],
                            "properties": {
                                k: (
                                    {"type": "string", "format": v}
                                    if v in ("binary", "date")
                                    else {"type": v}
                                )
                                for k, v in route.multipart.items()
                            },
                        }
                    }
                },
            }
        op["responses"]["200"] = {"description": "OK", "content": {"application/json": {}}}
        codes = [400, 404, 409, 422] if route.body or route.multipart else [404]
        if route.roles is not None:
            codes = [401, 403, *codes]
            op["security"] = [{"bearer": []}]
            op["x-roles"] = list(route.roles)
        if route.multipart:
            codes += [413, 415]
        if route.rule == "/tokens":
            codes.append(429)
        for code in sorted(set(codes)):
            op["responses"][str(code)] = {
                "description": STATUS_TEXT[code],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
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
