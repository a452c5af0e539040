"""The AI supply chain: upstream links between vendors, suggestions from provenance answers, the
per-vendor map, portfolio concentration, and the upstream providers fed to the scoring."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import yaml
from sqlalchemy import case, distinct, func, select

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    LINK_KINDS,
    Answer,
    Assessment,
    Evidence,
    Question,
    SupplyLink,
    Vendor,
)
from ..queries.portfolio import final_rating_expr, latest_scored_subquery
from ..scoring.upstream import UpstreamIn, apply_upstream
from ..scoring.vocabulary import load_vocabulary
from . import audit
from .access import require_role
from .errors import Conflict, InvalidValues, NotFound
from .library import _cache, library_root, scoring_model

WRITERS = ("procurement", "admin")
STAFF = ("procurement", "risk", "admin")


def content() -> dict[str, Any]:
    """The supply-chain content file (questionnaires/chain/supply-chain.yaml), cached."""
    cache = _cache()
    if "supply_chain" not in cache:
        with open(library_root() / "chain" / "supply-chain.yaml", encoding="utf-8") as handle:
            cache["supply_chain"] = yaml.safe_load(handle) or {}
    return cache["supply_chain"]


def kind_label(kind: str) -> str:
    return load_vocabulary().label("link_kinds", kind)


def _check_kind(kind: str) -> str:
    if kind not in LINK_KINDS:
        labels = ", ".join(f"{k} ({kind_label(k)})" for k in LINK_KINDS)
        raise InvalidValues(f"kind must be one of {labels}.", {"kind": "Unknown kind."})
    return kind


# ---- writing ------------------------------------------------------------------------------------


def add_link(
    actor, vendor: Vendor, upstream_id: int, kind: str, note: str = "", source_question: str = ""
) -> SupplyLink:
    """Record that ``upstream`` provides ``kind`` to ``vendor``; rescore the vendor."""
    require_role(actor, *WRITERS)
    _check_kind(kind)
    upstream = db.session.get(Vendor, upstream_id) if isinstance(upstream_id, int) else None
    if upstream is None:
        raise InvalidValues(
            f"Vendor {upstream_id} does not exist.", {"upstream_vendor_id": "Unknown vendor."}
        )
    if upstream.id == vendor.id:
        raise InvalidValues(
            "A vendor cannot be its own upstream provider.",
            {"upstream_vendor_id": "Choose another vendor."},
        )
    if len(note) > 500:
        raise InvalidValues("The note is longer than 500 characters.", {"note": "Too long."})
    exists = db.session.scalar(
        select(SupplyLink.id).filter_by(vendor_id=vendor.id, upstream_id=upstream.id, kind=kind)
    )
    if exists:
        raise Conflict(
            f"{upstream.name} is already linked as {kind_label(kind).lower()} of {vendor.name}."
        )
    link = SupplyLink(
        vendor_id=vendor.id,
        upstream_id=upstream.id,
        kind=kind,
        source="suggested" if source_question else "staff",
        source_question=source_question,
        note=note,
        created_by_id=actor.id,
    )
    db.session.add(link)
    audit.record(
        actor,
        "supply_chain.linked",
        link,
        vendor_id=vendor.id,
        details={"upstream": upstream.name, "kind": kind, "source": link.source},
    )
    rescore_latest([vendor.id])
    db.session.commit()
    return link


def remove_link(actor, link: SupplyLink) -> None:
    """Remove an upstream link; rescore the dependant."""
    require_role(actor, *WRITERS)
    vendor_id = link.vendor_id
    audit.record(
        actor,
        "supply_chain.unlinked",
        link,
        vendor_id=vendor_id,
        details={"upstream": link.upstream.name, "kind": link.kind},
    )
    db.session.delete(link)
    db.session.flush()
    rescore_latest([vendor_id])
    db.session.commit()


def get_link(user, link_id: int) -> SupplyLink:
    """Load a link (staff only: vendors never see the buyer's map)."""
    require_role(user, *STAFF)
    link = db.session.get(SupplyLink, link_id)
    if link is None:
        raise NotFound(f"Link {link_id} does not exist.")
    return link


def rescore_latest(vendor_ids: Iterable[int]) -> int:
    """Rescore each vendor's latest scored assessment (its upstream changed); caller commits."""
    from .scoring import score_assessment_now

    latest = latest_scored_subquery()
    rows = db.session.scalars(
        select(Assessment)
        .join(latest, latest.c.assessment_id == Assessment.id)
        .where(latest.c.vendor_id.in_(list(vendor_ids)))
    ).all()
    for a in rows:
        score_assessment_now(a)
    return len(rows)


# ---- suggestions --------------------------------------------------------------------------------


def suggestions(vendor: Vendor) -> list[dict[str, Any]]:
    """Vendors of the portfolio named in this vendor's provenance answers and not yet linked."""
    rules = content().get("suggest_links") or []
    kinds_of = {}
    for r in rules:
        kinds_of.setdefault(r["question"], []).append(r["kind"])
    if not kinds_of:
        return []
    latest = (
        select(func.max(Assessment.id))
        .join(Answer, Answer.assessment_id == Assessment.id)
        .where(Assessment.vendor_id == vendor.id, Assessment.status != "cancelled")
        .scalar_subquery()
    )
    answers = db.session.execute(
        select(Question.key, Answer.value, Answer.comment)
        .join(Answer, Answer.question_id == Question.id)
        .where(Answer.assessment_id == latest, Question.key.in_(list(kinds_of)))
    ).all()
    if not answers:
        return []
    names = db.session.execute(
        select(Vendor.id, Vendor.name).where(Vendor.id != vendor.id, Vendor.status == "active")
    ).all()
    have = set(
        db.session.execute(
            select(SupplyLink.upstream_id, SupplyLink.kind).filter_by(vendor_id=vendor.id)
        ).all()
    )
    out, seen = [], set()
    for key, value, comment in answers:
        text = " ".join(str(v) for v in (value if isinstance(value, list) else [value]) if v)
        text = f"{text} {comment or ''}"
        for vid, name in names:
            if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
                continue
            for kind in kinds_of[key]:
                if (vid, kind) in have or (vid, kind) in seen:
                    continue
                seen.add((vid, kind))
                out.append(
                    {"upstream_vendor_id": vid, "name": name, "kind": kind,
                     "kind_label": kind_label(kind), "question": key}
                )  # fmt: skip
    return out


# ---- reading ------------------------------------------------------------------------------------


def certificate_states(vendor_ids: list[int], today: date | None = None) -> dict[int, list]:
    """Per vendor, each certificate kind on file with its state today (one query)."""
    today = today or date.today()
    if not vendor_ids:
        return {}
    rows = db.session.execute(
        select(
            Evidence.vendor_id, Evidence.kind, Evidence.verification, Evidence.expires_on,
            Evidence.suspended_on,
        ).where(Evidence.vendor_id.in_(vendor_ids), Evidence.kind.in_(CERTIFICATE_KINDS))
    ).all()  # fmt: skip
    order = ("current", "pending", "expired", "suspended", "rejected")
    best: dict[tuple[int, str], str] = {}
    for vid, kind, verification, expires, suspended in rows:
        if suspended is not None and suspended <= today:
            state = "suspended"
        elif verification == "rejected":
            state = "rejected"
        elif expires is not None and expires < today:
            state = "expired"
        elif verification == "accepted":
            state = "current"
        else:
            state = "pending"
        k = (vid, kind)
        if k not in best or order.index(state) < order.index(best[k]):
            best[k] = state
    vocab = load_vocabulary()
    out: dict[int, list] = {}
    for (vid, kind), state in sorted(best.items()):
        out.setdefault(vid, []).append(
            {"kind": kind, "label": vocab.kind(kind), "state": state,
             "state_label": vocab.label("certificate_states", state)}
        )  # fmt: skip
    return out


def _provider_facts(vendor_ids: list[int]) -> dict[int, tuple[str | None, int]]:
    """Per vendor, its latest final rating and how many red flags that score raised."""
    if not vendor_ids:
        return {}
    latest = latest_scored_subquery()
    rows = db.session.execute(
        select(latest.c.vendor_id, final_rating_expr(), Assessment.score_details)
        .join(Assessment, Assessment.id == latest.c.assessment_id)
        .where(latest.c.vendor_id.in_(vendor_ids))
    ).all()
    out = {}
    for vid, rating, details in rows:
        flags = [
            f for f in (details or {}).get("red_flags", [])
            if not str(f.get("key", "")).startswith("upstream.")
        ]  # fmt: skip
        out[vid] = (rating, len(flags))
    return out


BULK_IDS = 500  # beyond this many vendors, read all links rather than a list of ids
BULK_CHUNK = 5000  # ids per statement in a batch


def upstream_inputs(vendor_ids: Iterable[int]) -> dict[int, list[UpstreamIn]]:
    """The providers each vendor depends on, as the scoring sees them (two queries)."""
    ids = list(set(vendor_ids))
    if not ids:
        return {}
    stmt = (
        select(SupplyLink.vendor_id, SupplyLink.upstream_id, SupplyLink.kind, Vendor.name)
        .join(Vendor, Vendor.id == SupplyLink.upstream_id)
        .order_by(SupplyLink.vendor_id, SupplyLink.id)  # the same order on either path
    )
    if len(ids) <= BULK_IDS:
        links = db.session.execute(stmt.where(SupplyLink.vendor_id.in_(ids))).all()
    else:  # a batch over much of the portfolio: every link once, kept by id here (a list of
        # thousands of ids made SQLite probe each vendor's links one id at a time)
        wanted = set(ids)
        links = [r for r in db.session.execute(stmt) if r.vendor_id in wanted]
    if not links:
        return {}
    facts = _provider_facts(sorted({r.upstream_id for r in links}))
    out: dict[int, list[UpstreamIn]] = {}
    for vid, uid, kind, name in links:
        rating, flags = facts.get(uid, (None, 0))
        out.setdefault(vid, []).append(UpstreamIn(uid, name, kind, rating, flags))
    return out


def with_upstream(records: list, model=None) -> list:
    """Score records with their vendors' upstream providers applied (``scoring.upstream``);
    idempotent, so applying it to records that have it already changes nothing."""
    from dataclasses import replace

    model = model or scoring_model()
    if model.upstream is None or not records:
        return records
    ids = [r.assessment_id for r in records]
    vendor_of: dict[int, int] = {}
    for i in range(0, len(ids), BULK_CHUNK):  # a driver takes at most 65,535 parameters
        vendor_of.update(
            db.session.execute(
                select(Assessment.id, Assessment.vendor_id).where(
                    Assessment.id.in_(ids[i : i + BULK_CHUNK])
                )
            ).all()
        )
    ups = upstream_inputs(vendor_of.values())
    if not ups:
        return records
    labels = load_vocabulary().sections.get("link_kinds", {})
    out = []
    for r in records:
        providers = ups.get(vendor_of.get(r.assessment_id), [])
        if not providers:
            out.append(r)
            continue
        rating, risk, ex = apply_upstream(
            r.rating, r.risk_score, r.explanation, providers, model.upstream,
            model.rating_ranges, labels,
        )  # fmt: skip
        out.append(replace(r, rating=rating, risk_score=risk, explanation=ex))
    return out


def chain_view(vendor: Vendor, today: date | None = None) -> dict[str, Any]:
    """The vendor's map: its upstream links and its dependants, each with its own rating and
    certificate states, plus suggestions (a fixed number of queries)."""

    def links(mine, other):
        return db.session.execute(
            select(SupplyLink, Vendor)
            .join(Vendor, Vendor.id == other)
            .where(mine == vendor.id)
            .order_by(Vendor.name, SupplyLink.kind)
        ).all()

    ups = links(SupplyLink.vendor_id, SupplyLink.upstream_id)
    downs = links(SupplyLink.upstream_id, SupplyLink.vendor_id)
    ids = sorted({v.id for _, v in ups} | {v.id for _, v in downs} | {vendor.id})
    facts = _provider_facts(ids)
    certs = certificate_states(ids, today)
    rule = scoring_model().upstream

    def row(link: SupplyLink, other: Vendor) -> dict[str, Any]:
        rating, flags = facts.get(other.id, (None, 0))
        weak = bool(
            rule
            and link.kind in rule.kinds
            and (rating in rule.weak_ratings or (rule.red_flagged and flags > 0))
        )
        return {
            "link_id": link.id,
            "vendor_id": other.id,
            "name": other.name,
            "kind": link.kind,
            "kind_label": kind_label(link.kind),
            "source": link.source,
            "source_question": link.source_question or None,
            "note": link.note,
            "inherent_tier": other.inherent_tier,
            "rating": rating,
            "red_flags": flags,
            "weak": weak,
            "certificates": certs.get(other.id, []),
        }

    rating, flags = facts.get(vendor.id, (None, 0))
    return {
        "vendor": {"id": vendor.id, "name": vendor.name, "inherent_tier": vendor.inherent_tier,
                   "rating": rating, "red_flags": flags,
                   "certificates": certs.get(vendor.id, [])},
        "upstream": [row(link, v) for link, v in ups],
        "dependants": [row(link, v) for link, v in downs],
    }  # fmt: skip


def tier_weights() -> dict[str, float]:
    """Tier -> weight in concentration: the scoring model's inherent risk of the tier."""
    return dict(scoring_model().tier_inherent)


def concentration(kind: str | None = None, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """Upstream providers by the tier-weighted share of the portfolio that depends on them.

    share = sum of tier weights of the active vendors depending on the provider (each vendor
    once, whatever the number of links) / sum of tier weights of all active vendors."""
    if kind is not None:
        _check_kind(kind)
    weights = tier_weights()
    weight = case(*((Vendor.inherent_tier == t, w) for t, w in weights.items()), else_=0.0)
    total_weight = (
        db.session.scalar(
            select(func.coalesce(func.sum(weight), 0.0)).where(Vendor.status == "active")
        )
        or 0.0
    )
    total_vendors = db.session.scalar(
        select(func.count()).select_from(Vendor).where(Vendor.status == "active")
    )
    pairs = select(SupplyLink.upstream_id, SupplyLink.vendor_id).distinct()
    if kind is not None:
        pairs = pairs.where(SupplyLink.kind == kind)
    pairs = pairs.subquery()
    dep = Vendor.__table__.alias("dep")
    dep_weight = _weight_of(dep.c.inherent_tier, weights)
    grouped = (
        select(
            pairs.c.upstream_id.label("upstream_id"),
            func.count(distinct(pairs.c.vendor_id)).label("dependants"),
            func.sum(dep_weight).label("weight"),
        )
        .join(dep, dep.c.id == pairs.c.vendor_id)
        .where(dep.c.status == "active")
        .group_by(pairs.c.upstream_id)
        .subquery()
    )
    total = db.session.scalar(select(func.count()).select_from(grouped))
    rows = db.session.execute(
        select(grouped, Vendor.name, Vendor.inherent_tier)
        .join(Vendor, Vendor.id == grouped.c.upstream_id)
        .order_by(grouped.c.weight.desc(), Vendor.name)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    facts = _provider_facts([r.upstream_id for r in rows])
    kinds = dict(
        (uid, sorted(set(ks.split(",")))) for uid, ks in db.session.execute(
            select(SupplyLink.upstream_id, _agg(SupplyLink.kind))
            .where(SupplyLink.upstream_id.in_([r.upstream_id for r in rows]))
            .group_by(SupplyLink.upstream_id)
        ).all()
    ) if rows else {}  # fmt: skip
    items = []
    for r in rows:
        rating, flags = facts.get(r.upstream_id, (None, 0))
        items.append(
            {
                "vendor_id": r.upstream_id,
                "name": r.name,
                "inherent_tier": r.inherent_tier,
                "rating": rating,
                "red_flags": flags,
                "kinds": kinds.get(r.upstream_id, []),
                "kind_labels": [kind_label(k) for k in kinds.get(r.upstream_id, [])],
                "dependants": int(r.dependants),
                "tier_weight": round(float(r.weight or 0.0), 4),
                "share": round(float(r.weight or 0.0) / total_weight, 4) if total_weight else 0.0,
            }
        )
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": int(total or 0),
        "portfolio": {
            "vendors": int(total_vendors or 0),
            "tier_weight": round(float(total_weight), 4),
            "tier_weights": weights,
        },
    }


def _weight_of(tier_column, weights: dict[str, float]):
    """SQL for the tier weight of a vendor row."""
    return case(*((tier_column == t, w) for t, w in weights.items()), else_=0.0)


def _agg(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(column, ",")
    return func.group_concat(column, ",")


def dependants_of(upstream_id: int, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """Which of our vendors depend on provider X, with the kind of dependency."""
    stmt = (
        select(SupplyLink.kind, Vendor.id, Vendor.name, Vendor.inherent_tier)
        .join(Vendor, Vendor.id == SupplyLink.vendor_id)
        .where(SupplyLink.upstream_id == upstream_id)
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(
        stmt.order_by(Vendor.name, SupplyLink.kind).limit(per_page).offset((page - 1) * per_page)
    ).all()
    facts = _provider_facts([r.id for r in rows])
    return {
        "items": [
            {"vendor_id": r.id, "name": r.name, "kind": r.kind, "kind_label": kind_label(r.kind),
             "inherent_tier": r.inherent_tier, "rating": facts.get(r.id, (None, 0))[0]}
            for r in rows
        ],
        "page": page,
        "per_page": per_page,
        "total": int(total or 0),
    }  # fmt: skip
