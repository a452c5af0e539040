"""Campaigns: one questionnaire issued to many vendors at once (chosen by id or by a filter),
followed on one progress view."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import RATINGS, Assessment, Campaign, Vendor
from ..validation import LINE_MESSAGE, has_control_chars
from . import audit
from .access import require_role
from .assessments import STATUS_LABELS, issue_assessment, open_of_questionnaire
from .errors import InvalidValues, NotFound, ServiceError
from .library import latest_questionnaire
from .queries import name_contains
from .values import parse_date

MAX_VENDORS = 500
DONE = ("submitted", "under_review", "completed")


def _chosen(vendor_ids, filters) -> list[Vendor]:
    stmt = select(Vendor).where(Vendor.status == "active").order_by(Vendor.name, Vendor.id)
    if vendor_ids is not None:
        ids = sorted(set(vendor_ids))
        stmt = stmt.where(Vendor.id.in_(ids))
        found = list(db.session.scalars(stmt))
        missing = sorted(set(ids) - {v.id for v in found})
        if missing:
            raise InvalidValues(
                f"Vendor(s) {', '.join(map(str, missing))} do not exist or are inactive.",
                {"vendor_ids": "Unknown or inactive vendors."},
            )
        return found
    filters = filters or {}
    unknown = sorted(set(filters) - {"tier", "q"})
    if unknown:
        raise InvalidValues(f"Unknown filter(s): {', '.join(unknown)}.", {"filter": "tier or q."})
    tiers = filters.get("tier") or []
    tiers = [tiers] if isinstance(tiers, str) else list(tiers)
    if any(t not in RATINGS for t in tiers):
        raise InvalidValues(
            "filter.tier must list low, medium, high or critical.", {"filter": "Bad tier."}
        )
    if tiers:
        stmt = stmt.where(Vendor.inherent_tier.in_(tiers))
    if (filters.get("q") or "").strip():
        stmt = stmt.where(name_contains(Vendor.name, filters["q"]))
    return list(db.session.scalars(stmt.limit(MAX_VENDORS + 1)))


def create_campaign(actor, questionnaire_key: str, due_date, vendor_ids=None, filters=None,
                    title: str | None = None) -> tuple[Campaign, list[dict]]:  # fmt: skip
    """Issue the latest version of a questionnaire to every chosen vendor; vendors with an open
    assessment of it are skipped (and listed). Return the campaign and the skipped vendors."""
    require_role(actor, "procurement", "admin")
    if vendor_ids is None and filters is None:
        raise InvalidValues("Choose vendors by id or by a filter.", {"vendor_ids": "Required."})
    due = parse_date(due_date, "due_date")
    if due is None:
        raise InvalidValues("due_date is required.", {"due_date": "Required."})
    if due < date.today():
        raise InvalidValues("The due date is in the past.", {"due_date": "Must be today or later."})
    try:
        qn = latest_questionnaire(questionnaire_key)
    except NotFound as exc:
        raise InvalidValues(exc.message, {"questionnaire": "Unknown questionnaire."}) from None
    title = " ".join((title or f"{qn.title}, due {due:%d %b %Y}").split())[:200]
    if has_control_chars(title, multiline=False):
        raise InvalidValues(LINE_MESSAGE, {"title": LINE_MESSAGE})
    vendors = _chosen(vendor_ids, filters)
    if not vendors:
        raise InvalidValues("No active vendor matches.", {"vendor_ids": "None chosen."})
    if len(vendors) > MAX_VENDORS:
        raise InvalidValues(
            f"At most {MAX_VENDORS} vendors per campaign; narrow the filter.",
            {"vendor_ids": "Too many."},
        )
    campaign = Campaign(title=title, questionnaire_key=qn.key, due_date=due, created_by_id=actor.id,
                        filter={"vendor_ids": vendor_ids} if vendor_ids is not None else dict(filters))  # fmt: skip
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.created", campaign,
                 details={"questionnaire": qn.key, "vendors": len(vendors), "due_date": due.isoformat()})  # fmt: skip
    db.session.commit()
    busy = open_of_questionnaire([v.id for v in vendors], qn.key)
    skipped = []
    for vendor in vendors:
        if vendor.id in busy:
            skipped.append({"vendor_id": vendor.id, "vendor": vendor.name,
                            "reason": f"assessment #{busy[vendor.id].id} of it is still open"})  # fmt: skip
            continue
        try:  # each vendor's assessment is its own use case (issued, audited, mailed)
            issue_assessment(
                actor, vendor, qn.key, due, allow_duplicate=True, campaign_id=campaign.id
            )
        except ServiceError as exc:
            db.session.rollback()
            skipped.append({"vendor_id": vendor.id, "vendor": vendor.name, "reason": exc.message})
    return campaign, skipped


def campaign_list():
    """The select of all campaigns."""
    return select(Campaign)


def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) if isinstance(campaign_id, int) else None
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} does not exist.")
    return campaign


def progress(campaign: Campaign) -> dict:
    """Counts by status (one query) and how far the campaign is: submitted or further."""
    return progress_of([campaign.id])[campaign.id]


def progress_of(campaign_ids: list[int]) -> dict[int, dict]:
    """{campaign id: progress} for a page of campaigns, in one grouped query."""
    counts: dict[int, dict[str, int]] = {cid: {} for cid in campaign_ids}
    if campaign_ids:
        for cid, status, n in db.session.execute(
            select(Assessment.campaign_id, Assessment.status, func.count())
            .where(Assessment.campaign_id.in_(campaign_ids))
            .group_by(Assessment.campaign_id, Assessment.status)
        ):
            counts[cid][status] = n
    out = {}
    for cid, by in counts.items():
        total = sum(by.values())
        done = sum(by.get(s, 0) for s in DONE)
        out[cid] = {
            "total": total,
            "submitted": done,
            "percent": round(100 * done / total) if total else 0,
            "by_status": {s: by.get(s, 0) for s in STATUS_LABELS},
        }
    return out


def rows(campaign: Campaign) -> list[tuple[Assessment, str]]:
    """The campaign's assessments with their vendor names (one query)."""
    return list(
        db.session.execute(
            select(Assessment, Vendor.name)
            .join(Vendor, Vendor.id == Assessment.vendor_id)
            .where(Assessment.campaign_id == campaign.id)
            .order_by(Vendor.name)
        ).all()
    )
