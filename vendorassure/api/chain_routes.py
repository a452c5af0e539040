"""Supply chain, change events, webhooks, answer packages and the regulator's records (API)."""

from __future__ import annotations

from pydantic import Field

from ..services import access, supply_chain
from .core import Id, Paging, Schema, current_user, endpoint, line

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
)
def portfolio_concentration(query: ConcentrationQuery):
    if query.upstream_vendor_id is not None:
        access.get_vendor(current_user(), query.upstream_vendor_id)
        return supply_chain.dependants_of(query.upstream_vendor_id, query.page, query.per_page)
    return supply_chain.concentration(query.kind, query.page, query.per_page)
