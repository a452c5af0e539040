"""The regulator's records: the EU AI Act deployer due-diligence record (Art. 26) per AI system
bought, prefilled from the intake and the latest assessment, and the DORA register of
information for ICT third-party providers with the fields the platform holds."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import yaml
from flask import render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import Answer, Assessment, Question, SupplyLink, Vendor
from ..queries.portfolio import final_rating_expr
from ..reports.regulator import build_art26_workbook, build_dora_csv, build_dora_workbook
from ..scoring.vocabulary import load_vocabulary
from .errors import InvalidValues
from .library import _cache, intake_definition, library_root
from .scoring import question_defs

SUPPORTED, PARTIAL = 0.7, 0.5
STATUS_LABELS = {
    "supported": "Supported by the vendor's answers",
    "partial": "Partly supported",
    "gap": "Gap in the vendor's support",
    "unanswered": "Not answered by the vendor",
    "ours": "Ours to do (nothing to ask the vendor)",
}


def art26_content() -> dict[str, Any]:
    cache = _cache()
    if "art26" not in cache:
        with open(library_root() / "chain" / "eu-ai-act-art26.yaml", encoding="utf-8") as handle:
            cache["art26"] = yaml.safe_load(handle)
    return cache["art26"]


def _intake_words() -> dict[str, tuple[str, dict[str, str]]]:
    return {
        q["key"]: (q["text"], {str(o["value"]): o["label"] for o in q.get("options", [])})
        for q in intake_definition().get("questions", [])
    }


def _latest_answered(vendor_id: int) -> Assessment | None:
    """The vendor's latest assessment that the vendor finished (completed first)."""
    for states in (("completed",), ("submitted", "under_review")):
        a = db.session.scalar(
            select(Assessment)
            .where(Assessment.vendor_id == vendor_id, Assessment.status.in_(states))
            .order_by(Assessment.id.desc())
            .limit(1)
        )
        if a is not None:
            return a
    return None


def art26_record(vendor: Vendor, today: date | None = None) -> dict[str, Any]:
    """The Art. 26 record of one AI system (the vendor's), prefilled (three queries)."""
    today = today or date.today()
    content = art26_content()
    words = _intake_words()
    intake = dict(vendor.intake or {})
    vocab = load_vocabulary()
    a = _latest_answered(vendor.id)
    answers: dict[str, Any] = {}
    defs = {}
    if a is not None:
        answers = dict(
            db.session.execute(
                select(Question.key, Answer.value)
                .join(Answer, Answer.question_id == Question.id)
                .where(Answer.assessment_id == a.id, Answer.na.is_(False),
                       Answer.carried_forward.is_(False))
            ).all()
        )  # fmt: skip
        defs = {q.key: q for q in question_defs(a.questionnaire)}

    def intake_label(key: str) -> str:
        text, labels = words.get(key, (key, {}))
        value = intake.get(key)
        return labels.get(str(value), str(value).replace("_", " ")) if value else "not answered"

    duties = []
    for d in content["duties"]:
        cond = d.get("applies_when") or {}
        applies = all(str(intake.get(k)) in [str(v) for v in vals] for k, vals in cond.items())
        evidence, scores = [], []
        for key in d.get("questions") or []:
            q = defs.get(key)
            if q is None:
                continue
            value = answers.get(key)
            values = value if isinstance(value, list) else ([value] if value is not None else [])
            label = "; ".join(q.labels.get(str(v), str(v)) for v in values) or "not answered"
            score = None
            if q.scored and values:
                got = [q.score_map.get(str(v)) for v in values if str(v) in q.score_map]
                score = round(sum(got) / len(got), 2) if got else None
            if score is not None:
                scores.append(score)
            evidence.append({"key": key, "question": q.text.strip(), "answer": label,
                             "score": score})  # fmt: skip
        if not d.get("questions"):
            status = "ours"
        elif not scores:
            status = "unanswered"
        elif min(scores) >= SUPPORTED:
            status = "supported"
        elif min(scores) < PARTIAL:
            status = "gap"
        else:
            status = "partial"
        duties.append({
            "key": d["key"], "article": d["article"], "title": d["title"],
            "duty": " ".join(d["duty"].split()), "deployer_action": d["deployer_action"],
            "applies": applies, "status": status, "status_label": STATUS_LABELS[status],
            "applies_label": "Yes" if applies else "Not on the intake's answers ("
            + ", ".join(f"{words.get(k, (k,))[0]}: {intake_label(k)}" for k in cond) + ")",
            "evidence": evidence,
        })  # fmt: skip
    klass = intake.get("eu_ai_act_class")
    high = klass == "high_risk"
    system_fields = [
        ("AI system (vendor)", vendor.name),
        ("What we buy", vendor.services or "—"),
        ("Vendor website", vendor.website or "—"),
        ("Vendor's role under the Act", intake_label("eu_ai_act_role")),
        ("Risk class (intake)", intake_label("eu_ai_act_class")),
        ("Personal data", intake_label("personal_data")),
        ("Who is affected by its outputs", intake_label("audience")),
        ("Autonomy", intake_label("autonomy")),
        ("Inherent tier", vocab.rating(vendor.inherent_tier)),
        ("Assessment used", f"#{a.id} {a.questionnaire.title} v{a.questionnaire.version} "
         f"({a.status.replace('_', ' ')})" if a else "none yet"),
        ("Residual rating", vocab.rating(a.final_rating) if a and a.final_rating else "not rated"),
        ("Record prepared on", today.isoformat()),
    ]  # fmt: skip
    scope_note = (
        "The intake classifies this system as high-risk: the deployer duties of Art. 26 apply."
        if high
        else "The intake does not classify this system as high-risk; Art. 26 binds deployers of "
        "high-risk systems, so this record is kept as good practice and for reclassification."
    )
    return {
        "title": content.get("title", "EU AI Act deployer due-diligence record"),
        "vendor_id": vendor.id,
        "vendor": vendor.name,
        "high_risk": high,
        "scope_note": scope_note,
        "assessment_id": a.id if a else None,
        "system_fields": system_fields,
        "duties": duties,
        "prepared_on": today.isoformat(),
    }


def art26_pdf(record: dict[str, Any]) -> bytes:
    """The record as a PDF (WeasyPrint, from an HTML template)."""
    from weasyprint import HTML

    html = render_template("chain/art26_record_pdf.html", record=record)
    return HTML(string=html).write_pdf()


def art26_xlsx(record: dict[str, Any]) -> bytes:
    return build_art26_workbook(record)


# ---- DORA register of information ---------------------------------------------------------------

NOT_HELD = (
    "LEI, type of person, country of headquarters, currency and annual expense, contractual "
    "arrangement references and dates, the financial entity's own identifiers and functions, "
    "substitutability and reintegration are not held by the platform: add them in the register "
    "tool that files the templates."
)


def dora_frames(today: date | None = None) -> dict[str, pd.DataFrame]:
    """The templates' rows from the platform's data: providers (B_05.01), the ICT service
    supply chain with ranks from the supply-chain links (B_05.02) and the assessment of each
    provider (B_07.01). Four queries whatever the portfolio size."""
    vocab = load_vocabulary()
    words = _intake_words()
    vendors = db.session.execute(
        select(Vendor.id, Vendor.name, Vendor.website, Vendor.services, Vendor.intake,
               Vendor.inherent_tier).where(Vendor.status == "active").order_by(Vendor.name)
    ).all()  # fmt: skip
    code = {v.id: f"VA-{v.id}" for v in vendors}
    providers = pd.DataFrame(
        [{"Identification code of the ICT third-party service provider": code[v.id],
          "Type of code": "Other (VendorAssure vendor id)",
          "Name of the ICT third-party service provider": v.name,
          "Website": v.website or "",
          "ICT services provided": v.services or ""} for v in vendors],
        columns=["Identification code of the ICT third-party service provider", "Type of code",
                 "Name of the ICT third-party service provider", "Website",
                 "ICT services provided"],
    )  # fmt: skip
    links = db.session.execute(
        select(SupplyLink.vendor_id, SupplyLink.upstream_id, SupplyLink.kind).order_by(
            SupplyLink.vendor_id, SupplyLink.upstream_id
        )
    ).all()
    chain_rows = [
        {"Identification code of the ICT third-party service provider": code[v.id],
         "Type of ICT services": (v.services or "").strip()[:200] or "AI service",
         "Rank": 1, "Identification code of the recipient of sub-contracted ICT services": ""}
        for v in vendors
    ]  # fmt: skip
    for vid, uid, kind in links:
        if vid in code and uid in code:
            chain_rows.append({
                "Identification code of the ICT third-party service provider": code[uid],
                "Type of ICT services": vocab.label("link_kinds", kind),
                "Rank": 2,
                "Identification code of the recipient of sub-contracted ICT services": code[vid],
            })  # fmt: skip
    supply = pd.DataFrame(chain_rows, columns=list(chain_rows[0]) if chain_rows else [
        "Identification code of the ICT third-party service provider", "Type of ICT services",
        "Rank", "Identification code of the recipient of sub-contracted ICT services"])  # fmt: skip
    latest = (
        select(Assessment.vendor_id, func.max(Assessment.id).label("aid"))
        .where(Assessment.status == "completed")
        .group_by(Assessment.vendor_id)
        .subquery()
    )
    done = {
        r.vendor_id: r
        for r in db.session.execute(
            select(latest.c.vendor_id, Assessment.id, Assessment.completed_at,
                   final_rating_expr().label("rating"))
            .join(Assessment, Assessment.id == latest.c.aid)
        ).all()
    }  # fmt: skip
    exit_keys = ("exit_portability", "third_party_contingency")
    exits: dict[int, list[str]] = {}
    if done:
        for aid, value, options in db.session.execute(
            select(Answer.assessment_id, Answer.value, Question.options)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.assessment_id.in_([r.id for r in done.values()]),
                   Question.key.in_(exit_keys))
            .order_by(Question.order)
        ).all():  # fmt: skip
            labels = {str(o.get("value")): o.get("label", "") for o in options or []}
            exits.setdefault(aid, []).append(labels.get(str(value), str(value)))
    crit_text, crit_labels = words.get("business_criticality", ("", {}))
    assessed = pd.DataFrame(
        [{"Identification code of the ICT third-party service provider": code[v.id],
          "Importance of the supported function (intake)":
              crit_labels.get(str((v.intake or {}).get("business_criticality")), ""),
          "Inherent tier": vocab.rating(v.inherent_tier),
          "Date of the last assessment": (done[v.id].completed_at.date().isoformat()
                                          if v.id in done and done[v.id].completed_at else ""),
          "Residual risk rating": vocab.rating(done[v.id].rating) if v.id in done else "",
          "Exit plan (vendor's answers)": "; ".join(exits.get(done[v.id].id, []))
              if v.id in done else ""} for v in vendors],
        columns=["Identification code of the ICT third-party service provider",
                 "Importance of the supported function (intake)", "Inherent tier",
                 "Date of the last assessment", "Residual risk rating",
                 "Exit plan (vendor's answers)"],
    )  # fmt: skip
    return {"B_05.01": providers, "B_05.02": supply, "B_07.01": assessed}


def dora_about(today: date | None = None) -> list[tuple]:
    today = today or date.today()
    return [
        ("Prepared on", today.isoformat()),
        ("Templates", "B_05.01 ICT third-party service providers; B_05.02 ICT service supply "
                      "chains; B_07.01 assessment of the ICT services (Commission Implementing "
                      "Regulation (EU) 2024/2956)"),
        ("Provider codes", "VA-<id>: the platform's vendor id, until the LEI is added"),
        ("Fields not held", NOT_HELD),
    ]  # fmt: skip


def dora_xlsx(today: date | None = None) -> bytes:
    return build_dora_workbook(dora_frames(today), dora_about(today))


def dora_csv(template: str, today: date | None = None) -> bytes:
    frames = dora_frames(today)
    if template not in frames:
        raise InvalidValues(
            f"template must be one of {', '.join(frames)}.", {"template": "Unknown template."}
        )
    return build_dora_csv(frames, template)
