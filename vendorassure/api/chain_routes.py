"""Supply chain, change events, webhooks, answer packages and the regulator's records (API)."""

from __future__ import annotations

from datetime import date

from flask import request
from pydantic import Field
from sqlalchemy import select

from ..models import WebhookEndpoint
from ..reports import XLSX_MIMETYPE
from ..services import access, change_events, packages, regulator, supply_chain, webhooks
from ..services.errors import BadInput
from ..services.queries import paginate
from ..services.values import parse_date
from ..validation import bounded_int
from ..web.page_cache import page_cache
from .core import Id, Paging, Query, Schema, current_user, endpoint, line, page_body
from .reports_routes import send_bytes

STAFF = ("procurement", "risk", "admin")
WRITERS = ("procurement", "admin")


class LinkCreate(Schema):
    upstream_vendor_id: Id
    kind: line(30)
    note: line(500) = ""


class ConcentrationQuery(Paging):
    kind: str | None = Field(None, max_length=30)
    upstream_vendor_id: int | None = Field(None, ge=1, le=2**31 - 1)


@endpoint(
    "/vendors/<int:vendor_id>/supply-chain",
    "GET",
    "A vendor's upstream providers and dependants, each with its rating and certificates",
    STAFF,
)
def vendor_supply_chain(vendor_id: int):
    vendor = access.get_vendor(current_user(), vendor_id)
    body = supply_chain.chain_view(vendor)
    body["suggestions"] = supply_chain.suggestions(vendor)
    return body


@endpoint(
    "/vendors/<int:vendor_id>/supply-chain",
    "POST",
    "Link an upstream provider (foundation_model, hosting, data_labelling, sub_processor)",
    WRITERS,
    body=LinkCreate,
    status=201,
)
def vendor_supply_chain_link(vendor_id: int, body: LinkCreate):
    vendor = access.get_vendor(current_user(), vendor_id)
    link = supply_chain.add_link(
        current_user(), vendor, body.upstream_vendor_id, body.kind, body.note
    )
    return {"id": link.id, "vendor_id": link.vendor_id, "upstream_vendor_id": link.upstream_id,
            "kind": link.kind, "source": link.source}  # fmt: skip


@endpoint(
    "/supply-links/<int:link_id>",
    "DELETE",
    "Remove an upstream link",
    WRITERS,
    status=204,
)
def supply_link_delete(link_id: int):
    supply_chain.remove_link(current_user(), supply_chain.get_link(current_user(), link_id))
    return "", 204


@endpoint(
    "/portfolio/concentration",
    "GET",
    "Upstream providers by the tier-weighted share of the portfolio that depends on them "
    "(?upstream_vendor_id= lists who depends on one provider)",
    STAFF,
    query=ConcentrationQuery,
    responses={404: "No such upstream vendor"},
)
@page_cache
def portfolio_concentration(query: ConcentrationQuery):
    if query.upstream_vendor_id is not None:
        access.get_vendor(current_user(), query.upstream_vendor_id)
        return supply_chain.dependants_of(query.upstream_vendor_id, query.page, query.per_page)
    return supply_chain.concentration(query.kind, query.page, query.per_page)


# ---- change events ------------------------------------------------------------------------------

ANY = (*STAFF, "vendor")


class ChangeEventCreate(Schema):
    kind: line(30)
    description: str = Field(max_length=5000)
    occurred_on: line(10) | None = None
    certificate_kind: line(40) | None = None


class ReassessmentCreate(Schema):
    due_date: line(10) | None = None


@endpoint(
    "/vendors/<int:vendor_id>/change-events",
    "POST",
    "Report a change (model changed, new sub-processor, incident, certificate suspended, "
    "other): affected controls, a provisional re-rating and the scoped reassessment's questions",
    ANY,
    body=ChangeEventCreate,
    status=201,
)
def change_event_create(vendor_id: int, body: ChangeEventCreate):
    user = current_user()
    vendor = access.get_vendor(user, vendor_id)
    event = change_events.report_change(
        user, vendor, body.kind, body.description, body.occurred_on, "api", body.certificate_kind
    )
    return change_events.event_json(event, user.role != "vendor")


@endpoint(
    "/vendors/<int:vendor_id>/change-events",
    "GET",
    "A vendor's change events, newest first",
    ANY,
    query=Paging,
)
def change_events_list(vendor_id: int, query: Paging):
    user = current_user()
    vendor = access.get_vendor(user, vendor_id)
    rows, total = change_events.vendor_events(vendor.id, query.page, query.per_page)
    staff = user.role != "vendor"
    return page_body(
        [change_events.event_json(e, staff) for e in rows], query.page, query.per_page, total
    )


@endpoint("/change-events/<int:event_id>", "GET", "One change event", ANY)
def change_event_get(event_id: int):
    user = current_user()
    return change_events.event_json(change_events.get_event(user, event_id), user.role != "vendor")


@endpoint(
    "/change-events/<int:event_id>/reassessment",
    "POST",
    "Issue the scoped reassessment of a change event (only the affected questions re-open)",
    WRITERS,
    body=ReassessmentCreate,
    status=201,
)
def change_event_reassessment(event_id: int, body: ReassessmentCreate):
    user = current_user()
    event = change_events.get_event(user, event_id)
    a = change_events.issue_reassessment(
        user, event, parse_date(body.due_date, "due_date") if body.due_date else None
    )
    return {"assessment_id": a.id, "status": a.status, "question_keys": event.question_keys}


# ---- webhooks -----------------------------------------------------------------------------------

ADMIN = ("admin",)


class WebhookCreate(Schema):
    url: str = Field(max_length=500)
    events: list[line(40)] = Field(max_length=20)
    description: line(200) = ""


class WebhookPatch(Schema):
    url: str | None = Field(None, max_length=500)
    events: list[line(40)] | None = Field(None, max_length=20)
    description: line(200) | None = None
    active: bool | None = None


@endpoint("/webhooks", "GET", "Outgoing webhook endpoints", ADMIN, query=Paging)
def webhooks_list(query: Paging):
    stmt = select(WebhookEndpoint)
    rows, total = paginate(stmt, query.page, query.per_page, (WebhookEndpoint.id,))
    return page_body([webhooks.endpoint_json(e) for e in rows], query.page, query.per_page, total)


@endpoint(
    "/webhooks",
    "POST",
    "Register an endpoint and its events; the answer carries the signing secret, once",
    ADMIN,
    body=WebhookCreate,
    status=201,
)
def webhooks_create(body: WebhookCreate):
    ep = webhooks.create_endpoint(current_user(), body.url, body.events, body.description)
    return webhooks.endpoint_json(ep, secret=True)


@endpoint("/webhooks/<int:webhook_id>", "PATCH", "Change or pause an endpoint", ADMIN,
          body=WebhookPatch)  # fmt: skip
def webhook_patch(webhook_id: int, body: WebhookPatch):
    ep = webhooks.get_endpoint(current_user(), webhook_id)
    changes = body.model_dump(exclude_unset=True)
    return webhooks.endpoint_json(webhooks.update_endpoint(current_user(), ep, changes))


@endpoint("/webhooks/<int:webhook_id>", "DELETE", "Remove an endpoint", ADMIN, status=204)
def webhook_delete(webhook_id: int):
    webhooks.delete_endpoint(current_user(), webhooks.get_endpoint(current_user(), webhook_id))
    return "", 204


@endpoint(
    "/webhooks/<int:webhook_id>/deliveries",
    "GET",
    "An endpoint's deliveries, newest first, with the receiver's last answer",
    ADMIN,
    query=Paging,
)
def webhook_deliveries(webhook_id: int, query: Paging):
    ep = webhooks.get_endpoint(current_user(), webhook_id)
    rows, total = webhooks.deliveries(ep.id, query.page, query.per_page)
    return page_body([webhooks.delivery_json(d) for d in rows], query.page, query.per_page, total)


@endpoint(
    "/webhook-deliveries/<int:delivery_id>/replay",
    "POST",
    "Send a delivery again (a new delivery with the same event id)",
    ADMIN,
    status=201,
)
def webhook_delivery_replay(delivery_id: int):
    d = webhooks.replay(current_user(), webhooks.get_delivery(current_user(), delivery_id))
    return webhooks.delivery_json(d)


# ---- signed answer packages ---------------------------------------------------------------------


class ImportDecision(Schema):
    decision: line(10)
    note: str = Field("", max_length=2000)


@endpoint(
    "/assessments/<int:assessment_id>/package",
    "GET",
    "The vendor's signed answer package of a submitted or completed assessment",
    ("vendor",),
    responses={409: "The assessment is not submitted yet: there are no answers to sign"},
)
def assessment_package(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    data, name = packages.export_package(current_user(), a)
    return send_bytes(data, name, "application/json")


@endpoint(
    "/packages/import",
    "POST",
    "Import a signed answer package into a new assessment of a vendor; the first package of a "
    "vendor answers 409 with the key's fingerprint until confirm_fingerprint repeats it",
    packages.IMPORTERS,
    status=201,
    multipart={"package": "binary", "vendor_id": "integer", "confirm_fingerprint": "string"},
    responses={404: "No such vendor"},
)
def package_import():
    user = current_user()
    upload = request.files.get("package")
    if upload is None:
        raise BadInput("Send the package as multipart form field 'package'.",
                       {"package": "Required."})  # fmt: skip
    vendor_id = bounded_int(request.form.get("vendor_id"))
    if vendor_id is None:
        raise BadInput("vendor_id must be a vendor's id.", {"vendor_id": "Required."})
    vendor = access.get_vendor(user, vendor_id)
    confirm = request.form.get("confirm_fingerprint")
    if confirm is not None and len(confirm) > 200:
        raise BadInput("confirm_fingerprint is too long.", {"confirm_fingerprint": "Too long."})
    imp = packages.import_package(user, vendor, upload.read(), confirm)
    return packages.import_json(imp)


@endpoint("/package-imports/<int:import_id>", "GET", "One package import", STAFF)
def package_import_get(import_id: int):
    return packages.import_json(packages.get_import(current_user(), import_id))


@endpoint(
    "/package-imports/<int:import_id>/decision",
    "POST",
    "Accept an imported package (its answers count; the assessment is submitted and scored) or "
    "reject it (the assessment is cancelled)",
    packages.DECIDERS,
    body=ImportDecision,
)
def package_import_decide(import_id: int, body: ImportDecision):
    imp = packages.get_import(current_user(), import_id)
    return packages.import_json(packages.decide_import(current_user(), imp, body.decision,
                                                       body.note))  # fmt: skip


# ---- the regulator's records --------------------------------------------------------------------

PDF_MIMETYPE = "application/pdf"
CSV_MIMETYPE = "text/csv"


class DoraCsvQuery(Query):
    template: str = Field("B_05.01", max_length=10)


@endpoint(
    "/vendors/<int:vendor_id>/ai-act-record.pdf",
    "GET",
    "The EU AI Act deployer due-diligence record (Art. 26) of a vendor's AI system, as PDF",
    STAFF,
    produces=(PDF_MIMETYPE,),
)
def ai_act_record_pdf(vendor_id: int):
    vendor = access.get_vendor(current_user(), vendor_id)
    data = regulator.art26_pdf(regulator.art26_record(vendor))
    return send_bytes(data, f"ai-act-art26-{vendor.id}.pdf", PDF_MIMETYPE)


@endpoint(
    "/vendors/<int:vendor_id>/ai-act-record.xlsx",
    "GET",
    "The EU AI Act deployer due-diligence record (Art. 26) of a vendor's AI system, as a workbook",
    STAFF,
    produces=(XLSX_MIMETYPE,),
)
def ai_act_record_xlsx(vendor_id: int):
    vendor = access.get_vendor(current_user(), vendor_id)
    data = regulator.art26_xlsx(regulator.art26_record(vendor))
    return send_bytes(data, f"ai-act-art26-{vendor.id}.xlsx")


@endpoint(
    "/portfolio/dora-register.xlsx",
    "GET",
    "DORA register of information (B_05.01, B_05.02, B_07.01) with the fields the platform holds",
    STAFF,
    produces=(XLSX_MIMETYPE,),
)
def dora_register_xlsx():
    return send_bytes(regulator.dora_xlsx(), f"dora-register-{date.today().isoformat()}.xlsx")


@endpoint(
    "/portfolio/dora-register.csv",
    "GET",
    "One template of the DORA register of information as CSV (?template=B_05.01|B_05.02|B_07.01)",
    STAFF,
    query=DoraCsvQuery,
    produces=(CSV_MIMETYPE,),
)
def dora_register_csv(query: DoraCsvQuery):
    data = regulator.dora_csv(query.template)
    return send_bytes(data, f"dora-{query.template}-{date.today().isoformat()}.csv", CSV_MIMETYPE)
