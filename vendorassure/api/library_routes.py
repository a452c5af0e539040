"""API doors onto the questionnaire library: import a new version, export a version."""

from __future__ import annotations

from flask import Response, request

from ..reports import XLSX_MIMETYPE
from ..services import library
from ..services.errors import BadInput
from .core import Id, Query, current_user, endpoint


class ExportQuery(Query):
    version: Id | None = None
    format: str = "xlsx"


@endpoint(
    "/questionnaires/<key>/export",
    "GET",
    "Download a questionnaire version (?format=xlsx|csv)",
    ("admin", "procurement", "risk"),
    query=ExportQuery,
    produces=(XLSX_MIMETYPE, "text/csv"),
)
def questionnaire_export(key: str, query: ExportQuery):
    data, filename = library.export_questionnaire(key, query.version, query.format)
    mimetype = "text/csv" if query.format == "csv" else XLSX_MIMETYPE
    response = Response(data, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


@endpoint(
    "/questionnaires/import",
    "POST",
    "Upload a questionnaire (.yaml, .xlsx, .csv) as a new version",
    ("admin",),
    status=201,
    multipart={"file": "binary", "key": "string", "title": "string"},
    responses={200: "Unchanged: the same content is already the latest version"},
)
def questionnaire_import():
    upload = request.files.get("file")
    if upload is None:
        raise BadInput("Send the file as multipart form field 'file'.", {"file": "Required."})
    result = library.import_upload(
        current_user(),
        upload.read(),
        upload.filename or "",
        request.form.get("key") or None,
        request.form.get("title") or None,
    )
    body = {
        "key": result.questionnaire.key,
        "version": result.questionnaire.version,
        "created": result.created,
        "notes": list(result.notes),
    }
    return body, 201 if result.created else 200
