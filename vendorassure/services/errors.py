"""Domain errors raised by services; both the web UI and the API translate them."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: a use case refused, with a message meant for the user."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class BadInput(ServiceError):
    status = 400
    code = "bad_request"


class NotAuthenticated(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class StaleAnswer(Conflict):
    code = "stale_lock_version"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"


class UnsupportedMedia(ServiceError):
    status = 415
    code = "unsupported_media_type"


class InvalidValues(ServiceError):
    status = 422
    code = "invalid"


class MissingAnswers(InvalidValues):
    code = "missing_answers"


class Unavailable(ServiceError):
    """A service the use case needs (the evidence store, the job queue) cannot be reached."""

    status = 503
    code = "unavailable"
