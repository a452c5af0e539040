"""Views of the supply chain: a vendor's map, portfolio concentration."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ...downloads import send_bytes
from ...extensions import db
from ...models import Assessment, ChangeEvent, PackageImport, PackageKey, Vendor, WebhookEndpoint
from ...services import access, change_events, packages, regulator, supply_chain, webhooks
from ...services.errors import ServiceError
from ...services.queries import page_arg, paginate
from ..forms import Form
from ..helpers import apply_errors, roles_required
from ..page_cache import page_cache
from . import bp
from .forms import (
    ChangeEventForm,
    LinkForm,
    PackageImportForm,
    WebhookForm,
    change_kind_choices,
    kind_choices,
)

STAFF = ("admin", "procurement", "risk")
BUYER = ("admin", "procurement")
PER_PAGE = 25


def _flash_errors(form) -> None:
    for name, errors in form.errors.items():
        flash(f"{getattr(form, name).label.text}: {' '.join(map(str, errors))}", "error")


SELECT_LIMIT = 200


def _link_form(vendor, formdata=None) -> LinkForm:
    form = LinkForm(formdata=formdata)
    form.kind.choices = kind_choices()
    # a select of the portfolio's other active vendors while it is small; beyond SELECT_LIMIT
    # the form asks for the provider's name (a select of thousands is no help to anyone)
    others = db.session.execute(
        select(Vendor.id, Vendor.name)
        .where(Vendor.id != vendor.id, Vendor.status == "active")
        .order_by(Vendor.name)
        .limit(SELECT_LIMIT + 1)
    ).all()
    form.upstream_vendor_id.choices = (
        [(vid, name) for vid, name in others] if len(others) <= SELECT_LIMIT else []
    )
    return form


def _upstream_id(form: LinkForm) -> int | None:
    """The chosen provider: from the select (or a suggestion), else by its exact name."""
    if form.upstream_vendor_id.data:
        return form.upstream_vendor_id.data
    name = (form.upstream_name.data or "").strip()
    if not name:
        return None
    return db.session.scalar(
        select(Vendor.id)
        .where(func.lower(Vendor.name) == name.lower(), Vendor.status == "active")
        .order_by(Vendor.id)
        .limit(1)
    )


@bp.get("/vendors/<int:vendor_id>")
@roles_required(*STAFF)
@page_cache
def vendor_chain(vendor_id: int):
    """Show a vendor's supply chain: upstream providers, dependants, suggestions."""
    vendor = access.get_vendor(current_user, vendor_id)
    return render_template(
        "chain/vendor_chain.html",
        vendor=vendor,
        view=supply_chain.chain_view(vendor),
        suggestions=supply_chain.suggestions(vendor),
        form=_link_form(vendor),
    )


@bp.post("/vendors/<int:vendor_id>/links")
@roles_required(*BUYER)
def link_create(vendor_id: int):
    """Link an upstream provider to the vendor (by hand or from a suggestion)."""
    vendor = access.get_vendor(current_user, vendor_id)
    form = _link_form(vendor, request.form)
    if form.validate_on_submit():
        upstream_id = _upstream_id(form)
        if upstream_id is None:
            named = (form.upstream_name.data or "").strip()
            flash(
                f"No active vendor is named “{named}”; check its name in the register."
                if named
                else "Choose the upstream provider.",
                "error",
            )
            return redirect(url_for("chain.vendor_chain", vendor_id=vendor.id))
        try:
            link = supply_chain.add_link(
                current_user,
                vendor,
                upstream_id,
                form.kind.data,
                form.note.data or "",
                source_question=(form.source_question.data or "")[:100],
            )
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"{link.upstream.name} linked as {supply_chain.kind_label(link.kind)}.", "success"
            )
    else:
        _flash_errors(form)
    return redirect(url_for("chain.vendor_chain", vendor_id=vendor.id))


@bp.post("/links/<int:link_id>/delete")
@roles_required(*BUYER)
def link_delete(link_id: int):
    """Remove an upstream link."""
    link = supply_chain.get_link(current_user, link_id)
    vendor_id = link.vendor_id
    if not Form().validate_on_submit():
        flash("The form expired; try again.", "error")
    else:
        supply_chain.remove_link(current_user, link)
        flash("Link removed.", "success")
    return redirect(url_for("chain.vendor_chain", vendor_id=vendor_id))


@bp.get("/concentration")
@roles_required(*STAFF)
@page_cache
def concentration():
    """Which upstream providers the portfolio rests on, tier-weighted; who depends on one."""
    page = page_arg(request.args)
    kind = request.args.get("kind") or None
    upstream = request.args.get("upstream", type=int)
    try:
        data = supply_chain.concentration(kind, page, PER_PAGE)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("chain.concentration"))
    provider = dependants = None
    if upstream:
        provider = access.get_vendor(current_user, upstream)
        dependants = supply_chain.dependants_of(provider.id, 1, 200)
    return render_template(
        "chain/concentration.html",
        data=data,
        kind=kind,
        kinds=kind_choices(),
        provider=provider,
        dependants=dependants,
        per_page=PER_PAGE,
    )


# ---- change events ------------------------------------------------------------------------------


@bp.app_template_global()
def report_change_keys() -> set[str]:
    """Questions whose portal page links to "Report a change" (content file)."""
    return set(supply_chain.content().get("report_change_from") or [])


@bp.app_template_global()
def assessment_origin(assessment) -> dict:
    """A scoped reassessment's change event (and the questions it re-opens), or the package an
    assessment was imported from (one query each)."""
    event = db.session.scalar(select(ChangeEvent).filter_by(reassessment_id=assessment.id))
    if event is not None:
        return {"event": event, "kind_label": change_events.kind_label(event.kind),
                "reopened": list(event.question_keys or [])}  # fmt: skip
    return {"package": packages.pending_import(assessment)}


def _change_form(formdata=None) -> ChangeEventForm:
    form = ChangeEventForm(formdata=formdata)
    form.kind.choices = change_kind_choices()
    return form


def _report(vendor, form, source: str) -> bool:
    if not form.validate_on_submit():
        _flash_errors(form)
        return False
    try:
        event = change_events.report_change(
            current_user, vendor, form.kind.data, form.description.data, form.occurred_on.data,
            source,
        )  # fmt: skip
    except ServiceError as exc:
        flash(exc.message, "error")
        return False
    kind = _(change_events.kind_label(event.kind))
    flash(_("Change recorded: %(kind)s.", kind=kind), "success")
    return True


@bp.route("/vendors/<int:vendor_id>/changes", methods=["GET", "POST"])
@roles_required(*STAFF)
def vendor_changes(vendor_id: int):
    """A vendor's change events: record one, see the provisional rating, issue the scoped
    reassessment."""
    vendor = access.get_vendor(current_user, vendor_id)
    form = _change_form(request.form if request.method == "POST" else None)
    if request.method == "POST" and _report(vendor, form, "staff"):
        return redirect(url_for("chain.vendor_changes", vendor_id=vendor.id))
    events, total = change_events.vendor_events(vendor.id, page_arg(request.args), PER_PAGE)
    return render_template(
        "chain/vendor_changes.html", vendor=vendor, form=form, events=events, total=total,
        page=page_arg(request.args), per_page=PER_PAGE, kind_label=change_events.kind_label,
    )  # fmt: skip


@bp.post("/changes/<int:event_id>/reassessment")
@roles_required(*BUYER)
def change_reassessment(event_id: int):
    """Issue the scoped reassessment of a change event."""
    event = change_events.get_event(current_user, event_id)
    if not Form().validate_on_submit():
        flash("The form expired; try again.", "error")
    else:
        try:
            a = change_events.issue_reassessment(current_user, event)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"Scoped reassessment #{a.id} issued: {len(event.question_keys)} questions "
                "re-open, the other answers stand.",
                "success",
            )
    return redirect(url_for("chain.vendor_changes", vendor_id=event.vendor_id))


@bp.route("/portal/changes", methods=["GET", "POST"])
@roles_required("vendor")
def portal_changes():
    """The vendor reports a change (model, sub-processor, incident, certificate) to its buyer."""
    vendor = access.get_vendor(current_user, current_user.vendor_id)
    form = _change_form(request.form if request.method == "POST" else None)
    if request.method == "GET" and request.args.get("kind") in dict(change_kind_choices()):
        form.kind.data = request.args["kind"]
    if request.method == "POST" and _report(vendor, form, "portal"):
        return redirect(url_for("chain.portal_changes"))
    events, total = change_events.vendor_events(vendor.id, 1, PER_PAGE)
    return render_template(
        "chain/portal_changes.html", vendor=vendor, form=form, events=events, total=total,
        kind_label=change_events.kind_label,
    )  # fmt: skip


# ---- webhooks (admin) ---------------------------------------------------------------------------


def _webhook_form(formdata=None) -> WebhookForm:
    form = WebhookForm(formdata=formdata)
    form.events.choices = list(webhooks.EVENTS.items())
    return form


@bp.route("/webhooks", methods=["GET", "POST"])
@roles_required("admin")
def webhook_list():
    """Outgoing webhook endpoints: register one, see each one's last deliveries."""
    form = _webhook_form(request.form if request.method == "POST" else None)
    secret = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            ep = webhooks.create_endpoint(
                current_user, form.url.data, form.events.data, form.description.data or ""
            )
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            secret = ep.secret
            form = _webhook_form()
    rows, total = paginate(select(WebhookEndpoint), page_arg(request.args), PER_PAGE,
                           (WebhookEndpoint.id,))  # fmt: skip
    return render_template(
        "chain/webhooks.html", form=form, endpoints=rows, total=total, secret=secret,
        page=page_arg(request.args), per_page=PER_PAGE, events=webhooks.EVENTS,
    )  # fmt: skip


@bp.get("/webhooks/<int:webhook_id>")
@roles_required("admin")
def webhook_detail(webhook_id: int):
    """One endpoint's deliveries with the receiver's answers; replay, pause, remove."""
    ep = webhooks.get_endpoint(current_user, webhook_id)
    page = page_arg(request.args)
    rows, total = webhooks.deliveries(ep.id, page, PER_PAGE)
    return render_template(
        "chain/webhook_detail.html", ep=ep, deliveries=rows, total=total, page=page,
        per_page=PER_PAGE, events=webhooks.EVENTS,
    )  # fmt: skip


@bp.post("/webhooks/<int:webhook_id>/toggle")
@roles_required("admin")
def webhook_toggle(webhook_id: int):
    """Pause or resume an endpoint."""
    ep = webhooks.get_endpoint(current_user, webhook_id)
    if Form().validate_on_submit():
        webhooks.update_endpoint(current_user, ep, {"active": not ep.active})
        flash("Endpoint resumed." if ep.active else "Endpoint paused.", "success")
    return redirect(url_for("chain.webhook_detail", webhook_id=webhook_id))


@bp.post("/webhooks/<int:webhook_id>/delete")
@roles_required("admin")
def webhook_delete(webhook_id: int):
    """Remove an endpoint and its delivery history."""
    ep = webhooks.get_endpoint(current_user, webhook_id)
    if Form().validate_on_submit():
        webhooks.delete_endpoint(current_user, ep)
        flash("Endpoint removed.", "success")
        return redirect(url_for("chain.webhook_list"))
    return redirect(url_for("chain.webhook_detail", webhook_id=webhook_id))


@bp.post("/webhook-deliveries/<int:delivery_id>/replay")
@roles_required("admin")
def webhook_replay(delivery_id: int):
    """Send a delivery again, now."""
    d = webhooks.get_delivery(current_user, delivery_id)
    if Form().validate_on_submit():
        new = webhooks.replay(current_user, d)
        flash(f"Replayed as delivery #{new.id}: {new.status}.", "success")
    return redirect(url_for("chain.webhook_detail", webhook_id=d.endpoint_id))


# ---- signed answer packages ---------------------------------------------------------------------


@bp.get("/portal/packages")
@roles_required("vendor")
def portal_packages():
    """The vendor's finished assessments, each downloadable as a signed answer package."""
    rows = db.session.scalars(
        select(Assessment)
        .where(Assessment.vendor_id == current_user.vendor_id,
               Assessment.status.in_(packages.EXPORTABLE))
        .order_by(Assessment.id.desc())
        .limit(100)
    ).all()  # fmt: skip
    key = db.session.scalar(
        select(PackageKey).filter_by(vendor_id=current_user.vendor_id, purpose="signing")
    )
    return render_template("chain/portal_packages.html", assessments=rows, key=key)


@bp.get("/portal/assessments/<int:assessment_id>/package")
@roles_required("vendor")
def portal_package_download(assessment_id: int):
    """Download the signed answer package of one assessment."""
    a = access.get_assessment(current_user, assessment_id)
    data, name = packages.export_package(current_user, a)
    return send_bytes(data, name, "application/json")


def _import_form(post: bool = False) -> PackageImportForm:
    form = PackageImportForm() if post else PackageImportForm(formdata=None)
    form.vendor_id.choices = [
        (vid, name)
        for vid, name in db.session.execute(
            select(Vendor.id, Vendor.name)
            .where(Vendor.status == "active")
            .order_by(Vendor.name)
            .limit(1000)
        ).all()
    ]
    return form


def _packages_page(form, confirm=None):
    rows, total = paginate(select(PackageImport), page_arg(request.args), PER_PAGE,
                           (PackageImport.id.desc(),))  # fmt: skip
    return render_template("chain/packages.html", form=form, imports=rows, total=total,
                           confirm=confirm, page=page_arg(request.args), per_page=PER_PAGE)  # fmt: skip


@bp.get("/packages")
@roles_required(*STAFF)
def package_list():
    """Signed answer packages imported from vendors, and the form to import one."""
    return _packages_page(_import_form())


@bp.post("/packages")
@roles_required(*BUYER)
def package_import():
    """Check and import a package; the first one of a vendor asks to confirm its key."""
    form = _import_form(post=True)
    if not form.validate_on_submit():
        _flash_errors(form)
        return _packages_page(form), 400
    data = form.package.data.read()
    vendor = access.get_vendor(current_user, form.vendor_id.data)
    try:
        imp = packages.import_package(current_user, vendor, data,
                                      form.confirm_fingerprint.data or None)  # fmt: skip
    except ServiceError as exc:
        if exc.status == 409 and "fingerprint" in (exc.fields or {}):
            confirm = {"fingerprint": exc.fields["fingerprint"], "vendor": vendor,
                       "summary": packages.inspect_package(data)}  # fmt: skip
            form.confirm_fingerprint.data = confirm["fingerprint"]
            return _packages_page(form, confirm)
        flash(exc.message, "error")
        return _packages_page(form), exc.status
    flash(f"Package imported into assessment #{imp.assessment_id}; it counts once a reviewer "
          "accepts it.", "success")  # fmt: skip
    return redirect(url_for("chain.package_list"))


@bp.post("/package-imports/<int:import_id>/decision")
@roles_required("risk", "admin")
def package_decide(import_id: int):
    """Accept or reject an imported package."""
    imp = packages.get_import(current_user, import_id)
    decision = request.form.get("decision", "")
    if Form().validate_on_submit():
        try:
            packages.decide_import(current_user, imp, decision)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash("Import accepted: the assessment is submitted and scored."
                  if decision == "accept" else "Import rejected.", "success")  # fmt: skip
    return redirect(url_for("chain.package_list"))


# ---- the regulator's records --------------------------------------------------------------------


@bp.get("/vendors/<int:vendor_id>/ai-act-record")
@roles_required(*STAFF)
def ai_act_record(vendor_id: int):
    """The EU AI Act deployer due-diligence record of the vendor's AI system, with downloads."""
    vendor = access.get_vendor(current_user, vendor_id)
    return render_template(
        "chain/ai_act_record.html", vendor=vendor, record=regulator.art26_record(vendor)
    )


@bp.get("/vendors/<int:vendor_id>/ai-act-record.pdf")
@roles_required(*STAFF)
def ai_act_record_pdf(vendor_id: int):
    """Download the record as a PDF."""
    vendor = access.get_vendor(current_user, vendor_id)
    data = regulator.art26_pdf(regulator.art26_record(vendor))
    return send_bytes(data, f"ai-act-art26-{vendor.id}.pdf", "application/pdf")


@bp.get("/vendors/<int:vendor_id>/ai-act-record.xlsx")
@roles_required(*STAFF)
def ai_act_record_xlsx(vendor_id: int):
    """Download the record as a workbook."""
    vendor = access.get_vendor(current_user, vendor_id)
    data = regulator.art26_xlsx(regulator.art26_record(vendor))
    return send_bytes(data, f"ai-act-art26-{vendor.id}.xlsx")


@bp.get("/dora")
@roles_required(*STAFF)
@page_cache
def dora_register():
    """The DORA register of information extract: a preview of each template, downloads."""
    frames = regulator.dora_frames()
    return render_template(
        "chain/dora.html",
        frames={k: f.head(20) for k, f in frames.items()},
        counts={k: len(f) for k, f in frames.items()},
        about=regulator.dora_about(),
    )


@bp.get("/dora.xlsx")
@roles_required(*STAFF)
def dora_register_xlsx():
    """Download the register as a workbook."""
    return send_bytes(regulator.dora_xlsx(), f"dora-register-{date.today().isoformat()}.xlsx")


@bp.get("/dora.csv")
@roles_required(*STAFF)
def dora_register_csv():
    """Download one template of the register as CSV (?template=B_05.01, B_05.02 or B_07.01)."""
    template = request.args.get("template", "B_05.01")[:10]
    data = regulator.dora_csv(template)
    return send_bytes(data, f"dora-{template}-{date.today().isoformat()}.csv", "text/csv")
