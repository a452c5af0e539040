"""API doors onto the questionnaire library: import, review the Annex A mapping, export."""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Response, request
from pydantic import Field

from ..catalog import mapping
from ..reports import XLSX_MIMETYPE
from ..services import imports, library
from ..services.errors import BadInput
from .core import Id, Query, Schema, current_user, endpoint, line


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
    "Upload a questionnaire (.yaml, .xlsx, .csv) as a new version, or as an import to review",
    ("admin",),
    status=201,
    multipart={
        "file": "binary",
        "key": "string",
        "title": "string",
        "map": "string",
        "threshold": "string",
    },
    responses={
        200: "Unchanged: the same content is already the latest version",
        202: "map=suggest: an import awaiting mapping review (see /questionnaire-imports/{id})",
    },
)
def questionnaire_import():
    upload = request.files.get("file")
    if upload is None:
        raise BadInput("Send the file as multipart form field 'file'.", {"file": "Required."})
    outcome = imports.import_file(
        current_user(),
        upload.read(),
        upload.filename or "",
        request.form.get("key") or None,
        request.form.get("title") or None,
        map_mode=request.form.get("map") or "none",
        threshold=request.form.get("threshold") or mapping.DEFAULT_ACCEPT_ABOVE,
    )
    if outcome.questionnaire is None:
        return {"import": imports.import_json(outcome.draft), "notes": outcome.notes}, 202
    body = {
        "key": outcome.questionnaire.key,
        "version": outcome.questionnaire.version,
        "created": outcome.created,
        "notes": list(outcome.notes),
    }
    if outcome.draft is not None:
        body["import_id"] = outcome.draft.id
    return body, 201 if outcome.created else 200


class ImportQuery(Query):
    decision: Literal["pending", "accepted", "changed", "dropped", "unmapped"] | None = None


@endpoint(
    "/questionnaire-imports/<int:import_id>",
    "GET",
    "An import with every question, its suggested controls and the decision so far",
    ("admin",),
    query=ImportQuery,
)
def questionnaire_import_get(import_id: int, query: ImportQuery):
    draft = imports.get_import(current_user(), import_id)
    questions, _ = imports.import_questions(draft, query.decision, 1, len(draft.questions) or 1)
    return imports.import_json(draft, questions)


class Decision(Schema):
    key: line(100)
    action: Literal["accept", "set", "drop"]
    controls: Annotated[list[line(20)], Field(max_length=38)] = []


class DecisionsBody(Schema):
    decisions: Annotated[list[Decision], Field(min_length=1, max_length=2000)]


@endpoint(
    "/questionnaire-imports/<int:import_id>/decisions",
    "POST",
    "Accept, set or drop the controls of some questions (all or nothing)",
    ("admin",),
    body=DecisionsBody,
)
def questionnaire_import_decide(import_id: int, body: DecisionsBody):
    applied = imports.decide_questions(
        current_user(), import_id, [d.model_dump() for d in body.decisions]
    )
    return {
        "applied": applied,
        "import": imports.import_json(imports.get_import(current_user(), import_id)),
    }


class AcceptBody(Schema):
    threshold: Annotated[float, Field(gt=0, le=1)]


@endpoint(
    "/questionnaire-imports/<int:import_id>/accept",
    "POST",
    "Accept the suggestions at or above a confidence on every question still to review",
    ("admin",),
    body=AcceptBody,
)
def questionnaire_import_accept(import_id: int, body: AcceptBody):
    accepted = imports.accept_above(current_user(), import_id, body.threshold)
    return {
        "accepted": accepted,
        "import": imports.import_json(imports.get_import(current_user(), import_id)),
    }


class PublishBody(Schema):
    leave_rest_unmapped: bool = False


@endpoint(
    "/questionnaire-imports/<int:import_id>/publish",
    "POST",
    "Publish the reviewed import as the next version of its questionnaire",
    ("admin",),
    body=PublishBody,
    status=201,
    responses={200: "Unchanged: the same content is already the latest version"},
)
def questionnaire_import_publish(import_id: int, body: PublishBody):
    qn, created = imports.publish_import(current_user(), import_id, body.leave_rest_unmapped)
    return {"key": qn.key, "version": qn.version, "created": created}, 201 if created else 200


@endpoint(
    "/questionnaire-imports/<int:import_id>/discard",
    "POST",
    "Set an import aside without publishing it",
    ("admin",),
)
def questionnaire_import_discard(import_id: int):
    return imports.import_json(imports.discard_import(current_user(), import_id))
