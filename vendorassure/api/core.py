"""The API's plumbing: bearer auth, request parsing with pydantic, errors, paging, OpenAPI."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Annotated

from flask import Blueprint, current_app, g, request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from ..extensions import limiter
from ..services.auth import user_for_token
from ..services.errors import BadInput, Forbidden, NotAuthenticated
from ..validation import (
    LINE_MESSAGE,
    MAX_INT,
    check_request_text,
    control_char_fields,
    one_line,
    refuse_control_chars,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _one_line(value: str) -> str:
    try:
        return one_line(value)
    except ValueError:
        raise PydanticCustomError("one_line", LINE_MESSAGE) from None


# Shared field types: ids and counters fit the database's 32-bit integers (larger is a 400, not
# a database error); names and titles are one line (they end up in mail subjects and headers).
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"  # documents the rule for clients


def line(max_length: int = 500):
    """A one-line text field of at most max_length characters (the column's size)."""
    return Annotated[
        str,
        Field(max_length=max_length, json_schema_extra={"pattern": LINE_PATTERN}),
        AfterValidator(_one_line),
    ]


Line = line()


class Schema(BaseModel):
    """Base for request bodies: unknown fields are refused, types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Base for query strings: values arrive as text and are converted."""

    model_config = ConfigDict(extra="ignore")


class Paging(Query):
    page: int = Field(1, ge=1, le=MAX_INT)
    per_page: int = Field(50, ge=1, le=200)


JSON = "application/json"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class RouteDoc:
    """What the OpenAPI document says about one route, all derived from its registration."""

    rule: str
    method: str
    summary: str
    roles: tuple[str, ...] | None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    multipart: dict | None = None
    responses: dict = field(default_factory=dict)
    status: int = 200
    produces: tuple[str, ...] = (JSON,)
    limit: str | None = None
    public: bool = False

    @property
    def path_params(self) -> bool:
        return "<" in self.rule

    def error_statuses(self) -> list[int]:
        """Every error status the route can answer, from what it takes and does."""
        codes = {400, 503}  # control characters in the URL; a database busy past its timeout
        if not self.public:
            codes |= {401, 403}
        if self.path_params:
            codes.add(404)  # unknown ids, and any object of another vendor
        takes_body = self.body is not None or self.multipart is not None
        if takes_body:
            codes |= {413, 422}  # MAX_CONTENT_LENGTH; valid JSON with invalid values
        if self.query is not None:
            codes.add(422)  # e.g. an unknown status filter or questionnaire version
        if self.method in WRITES and not self.public:
            codes.add(409)  # state conflicts, stale versions, concurrent changes
        if self.multipart is not None:
            codes.add(415)  # file bytes of a type that is not accepted
        if self.limit is not None:
            codes.add(429)
        codes |= {int(c) for c in self.responses if int(c) >= 400}
        return sorted(codes)


ROUTES: list[RouteDoc] = []


def current_user():
    return g.api_user


def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send an API token as 'Authorization: Bearer <token>'.")
    user = user_for_token(token.strip())
    if user is None:
        raise NotAuthenticated("The API token is invalid or has expired.")
    return user


def _field_errors(exc: ValidationError) -> dict:
    fields = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "Required."
        elif err["type"] == "extra_forbidden":
            msg = "Unknown field."
        fields.setdefault(loc, msg)
    return fields


def parse_json(schema: type[BaseModel]):
    """Parse the JSON body: malformed JSON and schema violations are 400s with field messages."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadInput("The request body is empty; send a JSON object.", {"body": "Required."})
    data = _decode_json(raw)
    if not isinstance(data, dict):
        raise BadInput("The request body must be a JSON object.", {"body": "Must be an object."})
    refuse_control_chars(control_char_fields(data))
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        fields = _field_errors(exc)
        raise BadInput(
            "Some fields are missing or of the wrong type: "
            + "; ".join(f"{k}: {v}" for k, v in fields.items()),
            fields,
        ) from None


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _decode_json(raw: bytes):
    """Decode strict JSON: NaN and Infinity (which no database column stores) are malformed."""
    try:
        return json.loads(raw, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise BadInput("The request body is not valid JSON.", {"body": "Malformed JSON."}) from None


def parse_query(schema: type[BaseModel]):
    try:
        return schema.model_validate(request.args.to_dict())
    except ValidationError as exc:
        fields = _field_errors(exc)
        raise BadInput(
            "Invalid query parameters: " + "; ".join(f"{k}: {v}" for k, v in fields.items()), fields
        ) from None


def endpoint(
    rule: str,
    method: str,
    summary: str,
    roles: tuple[str, ...] | None = None,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    public: bool = False,
    multipart: dict | None = None,
    status: int = 200,
    responses: dict | None = None,
    limit: str | None = None,
    produces: tuple[str, ...] = (JSON,),
):
    """Register an API route: authenticate, check the role (403), parse input, call the view.

    Its RouteDoc (schemas, success status and content types, the errors it can answer) feeds
    the OpenAPI document; `responses` adds statuses the metadata cannot tell, {code: text}."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(**kwargs):
            if not public:
                g.api_user = _authenticate()
                if roles is not None and g.api_user.role not in roles:
                    raise Forbidden(f"The {g.api_user.role} role may not use {method} {rule}.")
            check_request_text()
            if body is not None:
                kwargs["body"] = parse_json(body)
            if query is not None:
                kwargs["query"] = parse_query(query)
            result = view(**kwargs)
            if isinstance(result, tuple):
                return result
            return result, status

        view_func = wrapper
        if limit is not None:
            view_func = limiter.limit(lambda: current_app.config[limit])(wrapper)
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view_func, methods=[method])
        ROUTES.append(
            RouteDoc(
                rule,
                method,
                summary,
                roles if not public else None,
                body,
                query,
                multipart,
                responses or {},
                status,
                produces,
                limit,
                public,
            )
        )
        return wrapper

    return decorator


def page_body(items: list, page: int, per_page: int, total: int) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "total": total}
