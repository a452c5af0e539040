"""Views of the supply chain: a vendor's map, portfolio concentration."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Vendor
from ...services import access, supply_chain
from ...services.errors import ServiceError
from ...services.queries import page_arg
from ..forms import Form
from ..helpers import roles_required
from . import bp
from .forms import LinkForm, kind_choices

STAFF = ("admin", "procurement", "risk")
BUYER = ("admin", "procurement")
PER_PAGE = 25


def _link_form(vendor, formdata=None) -> LinkForm:
    form = LinkForm(formdata=formdata)
    form.kind.choices = kind_choices()
    # a bounded select: the portfolio's active vendors by name (other than this one)
    others = db.session.execute(
        select(Vendor.id, Vendor.name)
        .where(Vendor.id != vendor.id, Vendor.status == "active")
        .order_by(Vendor.name)
        .limit(1000)
    ).all()
    form.upstream_vendor_id.choices = [(vid, name) for vid, name in others]
    return form


@bp.get("/vendors/<int:vendor_id>")
@roles_required(*STAFF)
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
        try:
            link = supply_chain.add_link(
                current_user,
                vendor,
                form.upstream_vendor_id.data,
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
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
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
