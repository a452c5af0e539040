"""Error handlers: JSON for the API, pages for the web UI; the 500 handler rolls back."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .services.errors import ServiceError

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "busy",
}
# Database errors that mean "someone else is writing right now": lock waits that timed out,
# SQLite's "database is locked", PostgreSQL deadlocks and serialisation failures.
BUSY_SQLSTATES = {"40001", "40P01", "55P03", "57014"}


def _is_busy(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None)
    return state in BUSY_SQLSTATES or "database is locked" in str(exc.orig)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def register(app) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            return jsonify(error_body(exc.code, exc.message, exc.fields, **exc.extra)), exc.status
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = "The form expired or was not sent from this site. Reload the page and try again."
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 413:
            message = f"The upload is larger than {app.config['MAX_UPLOAD_MB']} MB."
        if status == 429:
            message = "Too many requests. Wait a moment and try again."
        if wants_json():
            response = jsonify(error_body(HTTP_CODES.get(status, "error"), message))
            response.status_code = status
            if status == 429 and exc.get_response().headers.get("Retry-After"):
                response.headers["Retry-After"] = exc.get_response().headers["Retry-After"]
            elif status == 429:
                response.headers["Retry-After"] = "60"
            if status == 405:
                response.headers["Allow"] = exc.get_response().headers.get("Allow", "")
            return response
        response = app.make_response(
            (render_template("error.html", status=status, message=message), status)
        )
        if status == 429:
            response.headers["Retry-After"] = exc.get_response().headers.get("Retry-After", "60")
        return response

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def concurrent_change(exc: Exception):
        """A row changed under us (a race the row locks did not cover): 409, nothing saved."""
        db.session.rollback()
        app.logger.warning("Concurrent change on %s: %s", request.path, exc)
        message = (
            "Someone else changed this at the same moment; nothing was saved. "
            "Reload to see the current state and try again."
        )
        return _respond(409, "conflict", message)

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError):
        """The database is busy (lock timeout, deadlock) or unreachable: 503, retry shortly."""
        db.session.rollback()
        if not _is_busy(exc):
            app.logger.exception("Database unavailable on %s", request.path)
        message = "The database is busy; nothing was saved. Try again in a moment."
        response = _respond(503, "busy", message)
        response.headers["Retry-After"] = "1"
        return response

    def _respond(status: int, code: str, message: str):
        if wants_json():
            response = jsonify(error_body(code, message))
        else:
            response = app.make_response(
                render_template("error.html", status=status, message=message)
            )
        response.status_code = status
        return response

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        message = "Something went wrong on our side; nothing was saved. Try again."
        if wants_json():
            return jsonify(error_body("server_error", message)), 500
        return render_template("error.html", status=500, message=message), 500
