"""A realistic portfolio at scale, written with bulk inserts and scored by the project's engine.

``seed_portfolio(n)`` makes staff, n vendors (each with a contact), several assessments per
vendor over the last years (older ones completed, the latest in any state), full answers that
respect show_if for every submitted or later assessment, certificates in the vendors' libraries
(some expired, some rejected), policy evidence on answers, findings in every state, and scores
from ``scoring.score_frame`` stored through the one writer (``services.scoring.store_scores``).
The demo seed (``demo.py``) goes through the services one call at a time; this goes around them
for speed, so it keeps their rules itself (state timestamps, show_if, one score writer).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
from flask import current_app
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import (
    Answer,
    Assessment,
    Control,
    Evidence,
    Finding,
    Question,
    Questionnaire,
    User,
    Vendor,
)
from .models._base import utcnow
from .scoring import AnswerIn, inherent_tier, score_frame, visible_questions
from .scoring.batch import CERTIFICATE_COLUMNS
from .services import audit
from .services.library import intake_definition, scoring_model
from .services.rescore import _records
from .services.scoring import control_defs, question_defs, store_scores
from .settings_defaults import add_months, setting
from .storage import get_storage

DOMAIN = "portfolio.seed"
CHUNK = 20_000
SCORE_BATCH = 2_000

_FIRST = [
    "Acme",
    "Alder",
    "Amber",
    "Apex",
    "Arbor",
    "Argo",
    "Aster",
    "Atlas",
    "Aurora",
    "Azure",
    "Basalt",
    "Beacon",
    "Birch",
    "Blue",
    "Bright",
    "Cedar",
    "Cinder",
    "Cobalt",
    "Comet",
    "Coral",
    "Crest",
    "Delta",
    "Ember",
    "Falcon",
    "Fern",
    "Flint",
    "Garnet",
    "Glacier",
    "Granite",
    "Harbor",
    "Helix",
    "Indigo",
    "Iris",
    "Jade",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Meridian",
    "Nimbus",
    "Nova",
    "Onyx",
    "Orbit",
    "Pine",
    "Polar",
    "Quartz",
    "Raven",
    "Sable",
    "Sage",
    "Slate",
    "Solar",
    "Summit",
    "Tidal",
    "Vertex",
    "Willow",
    "Zenith",
]
_SECOND = [
    "Analytics",
    "Agents",
    "Cognition",
    "Data",
    "Dynamics",
    "Insight",
    "Intelligence",
    "Labs",
    "Learning",
    "Logic",
    "Machines",
    "Minds",
    "Models",
    "Neural",
    "Reasoning",
    "Robotics",
    "Signals",
    "Systems",
    "Vision",
    "Voice",
]
_SUFFIX = ("Ltd", "GmbH", "Inc", "AB", "BV", "SAS", "Oy", "plc")
_SERVICES = (
    "Machine translation of internal documents",
    "Image recognition for warehouse quality checks",
    "Clinical note summarisation with a large language model",
    "Autonomous procurement agent that places orders",
    "Drafting assistant for marketing copy",
    "Fraud scoring of card payments",
    "Speech-to-text for the contact centre",
    "CV screening for recruiters",
    "Demand forecasting for stores",
    "Code completion for developers",
)
# Share of each state among the vendors' latest assessments (older ones are completed).
LATEST_STATES = (
    ("completed", 0.34),
    ("sent", 0.10),
    ("in_progress", 0.15),
    ("submitted", 0.12),
    ("under_review", 0.12),
    ("changes_requested", 0.06),
    ("cancelled", 0.08),
    ("draft", 0.03),
)
ANSWERED = ("submitted", "under_review", "changes_requested", "completed")
REVIEWED = ("under_review", "changes_requested", "completed")
MIN_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass
class SeedReport:
    vendors: int = 0
    users: int = 0
    assessments: int = 0
    answers: int = 0
    evidence: int = 0
    findings: int = 0
    scored: int = 0
    password: str = ""
    by_status: dict = field(default_factory=dict)


def vendor_name(i: int) -> str:
    """A unique, company-like name for the i-th seeded vendor."""
    a, rest = i % len(_FIRST), i // len(_FIRST)
    b, rest = rest % len(_SECOND), rest // len(_SECOND)
    s, rest = rest % len(_SUFFIX), rest // len(_SUFFIX)
    name = f"{_FIRST[a]} {_SECOND[b]} {_SUFFIX[s]}"
    return name if rest == 0 else f"{name} {rest + 1}"


def _insert(model, rows: list[dict]) -> None:
    """Insert rows with executemany in chunks (Core, no ORM objects)."""
    for i in range(0, len(rows), CHUNK):
        db.session.execute(model.__table__.insert(), rows[i : i + CHUNK])


def _advance_sequences(models) -> None:
    """On PostgreSQL, move each table's id sequence past the ids inserted explicitly above, so
    the app's next insert (a new vendor, a finding proposed at review) gets a free id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite takes max(id) + 1 by itself
    for model in models:
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (names)
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


class SeedLookups:
    """``findings.ReconcileLookups`` plus the control titles the proposals' texts name."""

    def __init__(self):
        from .services.findings import ReconcileLookups

        self._base = ReconcileLookups()
        self.controls, self.questions = self._base.controls, self._base.questions
        self._titles: dict[str, str] | None = None

    def control_titles(self) -> dict[str, str]:
        if self._titles is None:
            self._titles = dict(db.session.execute(select(Control.ref, Control.title)).all())
        return self._titles


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _value_for(q, rng: random.Random, quality: float):
    """An answer value for a question, better options more likely the higher the quality."""
    if q.options:
        ranked = sorted(q.options, key=lambda o: o.score)
        target = min(1.0, max(0.0, quality + rng.uniform(-0.3, 0.3)))
        pick = min(ranked, key=lambda o: abs(o.score - target))
        if q.type == "multi_choice":
            extra = rng.choice(ranked)
            return sorted({pick.value, extra.value}) if rng.random() < 0.3 else [pick.value]
        return pick.value
    if q.type == "number":
        return rng.randint(1, 40)
    if q.type == "date":
        return (date.today() - timedelta(days=rng.randint(30, 600))).isoformat()
    return "Described in our policy pack (section 4); we can walk you through it."


def _answers_for(defs, rng: random.Random, quality: float, fraction: float) -> dict[str, AnswerIn]:
    """Answers to the visible questions (show_if evaluated as the vendor fills in)."""
    given: dict[str, AnswerIn] = {}
    for q in defs:
        if fraction < 1.0 and rng.random() > fraction:
            continue
        if q.allows_na and rng.random() < 0.03:
            given[q.key] = AnswerIn(q.key, None, True)
            continue
        given[q.key] = AnswerIn(q.key, _value_for(q, rng, quality))
    # keep only what is visible on the final answers (a hidden question is never stored)
    while True:
        visible = visible_questions(defs, given)
        kept = {k: v for k, v in given.items() if k in visible}
        if len(kept) == len(given):
            return kept
        given = kept


def _intake(rng: random.Random, target: float) -> dict:
    out = {}
    for q in intake_definition()["questions"]:
        jitter = rng.uniform(-0.35, 0.35)
        best = min(q["options"], key=lambda o: (abs(o["risk"] - (target + jitter)), o["risk"]))
        out[q["key"]] = best["value"]
    return out


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 18), rng.randint(0, 59)))


def seed_portfolio(
    vendors: int,
    per_vendor: float = 4.0,
    seed: int = 13,
    today: date | None = None,
    password: str | None = None,
    progress=lambda _msg: None,
    domain: str = DOMAIN,
) -> SeedReport:
    """Create a scored portfolio of `vendors` vendors with about `per_vendor` assessments each."""
    today = today or date.today()
    rng = random.Random(seed)  # noqa: S311  (synthetic content, not security)
    model = scoring_model()
    report = SeedReport(password=password or secrets.token_urlsafe(12))
    if db.session.scalar(select(User.id).where(User.email.like(f"%@{domain}")).limit(1)):
        raise ValueError(f"A seeded portfolio is already present (users @{domain}).")
    pw_hash = generate_password_hash(
        report.password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    now = utcnow()

    # --- staff ------------------------------------------------------------------------------
    uid = _next_id(User)
    staff = [("admin", 1), ("procurement", 3), ("risk", 6)]
    users, by_role = [], {}
    for role, n in staff:
        for k in range(1, n + 1):
            users.append(
                {"id": uid, "email": f"{role}{k}@{domain}", "name": f"{role.title()} {k}",
                 "role": role, "password_hash": pw_hash, "active": True, "created_at": now,
                 "failed_logins": 0, "session_version": 1, "password_changed_at": now}
            )  # fmt: skip
            by_role.setdefault(role, []).append(uid)
            uid += 1
    owners = by_role["procurement"] + by_role["risk"]
    reviewers = by_role["risk"]

    # --- vendors, with intake tiered by the engine -------------------------------------------
    questions = intake_definition()["questions"]
    vid0 = _next_id(Vendor)
    vendor_rows, contacts, tiers = [], [], {}
    for i in range(vendors):
        vid = vid0 + i
        intake = _intake(rng, rng.random())
        tier = inherent_tier(questions, intake, model)
        tiers[vid] = tier.tier
        created = now - timedelta(days=rng.randint(400, 1500))
        vendor_rows.append(
            {"id": vid, "name": vendor_name(vid0 - 1 + i), "website": f"https://v{vid}.example",
             "services": rng.choice(_SERVICES), "intake": intake, "inherent_tier": tier.tier,
             "inherent_score": tier.score, "tier_reasons": list(tier.reasons),
             "owner_id": rng.choice(owners),
             "status": "inactive" if rng.random() < 0.02 else "active",
             "created_at": created, "updated_at": created}
        )  # fmt: skip
        contacts.append(
            {"id": uid, "email": f"contact@v{vid}.{domain}", "name": f"Contact {vid}",
             "role": "vendor", "vendor_id": vid, "password_hash": pw_hash, "active": True,
             "created_at": created, "failed_logins": 0, "session_version": 1,
             "password_changed_at": created}
        )  # fmt: skip
        uid += 1
    _insert(User, users)
    _insert(Vendor, vendor_rows)
    _insert(User, contacts)
    contact_of = {c["vendor_id"]: c["id"] for c in contacts}
    report.vendors, report.users = len(vendor_rows), len(users) + len(contacts)
    progress(f"{report.vendors} vendors, {report.users} users")

    # --- questionnaires: the tier's key, version 1 for older assessments ----------------------
    versions: dict[str, list] = {}
    for qn in db.session.scalars(select(Questionnaire).order_by(Questionnaire.version)):
        versions.setdefault(qn.key, []).append(qn)
    qids = {
        qn.id: dict(db.session.execute(select(Question.key, Question.id).filter_by(
            questionnaire_id=qn.id)).all())
        for qns in versions.values() for qn in qns
    }  # fmt: skip
    defs_of = {qn.id: question_defs(qn) for qns in versions.values() for qn in qns}
    evidence_q = {
        qid: [q.key for q in defs if "policy" in q.evidence_kinds or q.evidence_kinds]
        for qid, defs in defs_of.items()
    }
    months = setting("REASSESSMENT_MONTHS")
    states, weights = zip(*LATEST_STATES, strict=True)

    # --- assessments over time -----------------------------------------------------------------
    aid = _next_id(Assessment)
    assessment_rows, answer_rows, evidence_rows, store = [], [], [], get_storage()
    scored: dict[int, list] = {}  # questionnaire id -> [(assessment id, vendor id)]
    ev_states: dict[tuple[int, str], str] = {}
    meta: dict[int, dict] = {}
    answer_id = _next_id(Answer)
    quality_of = {v["id"]: rng.betavariate(2.2, 1.6) for v in vendor_rows}
    for v in vendor_rows:
        vid, tier = v["id"], v["inherent_tier"]
        key = model.questionnaire_for_tier(tier)
        n = max(1, min(8, round(rng.gauss(per_vendor, 1.0))))
        step = months.get(tier, 12)
        latest_start = today - timedelta(days=rng.randint(5, 80))
        for k in range(n):
            start = add_months(latest_start, -step * (n - 1 - k)) if k < n - 1 else latest_start
            is_latest = k == n - 1
            state = rng.choices(states, weights)[0] if is_latest else (
                "cancelled" if rng.random() < 0.04 else "completed")  # fmt: skip
            qn = versions[key][-1] if (today - start).days < 365 else versions[key][0]
            created = _at(start, rng)
            due = start + timedelta(days=30)
            row = {
                "id": aid, "vendor_id": vid, "questionnaire_id": qn.id, "status": state,
                "due_date": due, "issued_by_id": rng.choice(by_role["procurement"]),
                "created_at": created, "updated_at": created, "lock_version": 1,
            }  # fmt: skip
            fraction = 1.0 if state in ANSWERED else (0.6 if state == "in_progress" else 0.0)
            if state == "cancelled" and rng.random() < 0.5:
                fraction = 0.3
            if fraction:
                answers = _answers_for(defs_of[qn.id], rng, quality_of[vid], fraction)
                answered_at = created + timedelta(days=rng.randint(1, 20))
                for q_key, ans in answers.items():
                    answer_rows.append(
                        {"id": answer_id, "assessment_id": aid, "question_id": qids[qn.id][q_key],
                         "value": ans.value, "na": ans.na,
                         "na_reason": "Not applicable to this service." if ans.na else "",
                         "comment": "", "answered_by_id": contact_of[vid],
                         "updated_at": answered_at, "lock_version": 1, "review_state": "none",
                         "review_note": "", "carried_forward": False}
                    )  # fmt: skip
                    answer_id += 1
                # policy evidence on one or two evidence questions
                candidates = [q for q in evidence_q[qn.id] if q in answers and not answers[q].na]
                for q_key in rng.sample(candidates, min(len(candidates), rng.choice((0, 1, 2)))):
                    verification = (
                        rng.choices(("accepted", "pending", "rejected"), (0.8, 0.1, 0.1))[0]
                        if state in REVIEWED else "pending"
                    )  # fmt: skip
                    evidence_rows.append(
                        _evidence(store, vid, aid, qids[qn.id][q_key], "policy", verification,
                                  contact_of[vid], answered_at, rng, reviewers)
                    )  # fmt: skip
                    ev_states[(aid, q_key)] = verification
            if state in ANSWERED:
                submitted = created + timedelta(days=rng.randint(5, 25))
                row["submitted_at"] = submitted
                if state in REVIEWED:
                    row["reviewer_id"] = rng.choice(reviewers)
                if state == "completed":
                    row["completed_at"] = submitted + timedelta(days=rng.randint(3, 20))
                    row["review_note"] = "Reviewed in the supplier round."
                elif state == "changes_requested":
                    row["review_note"] = "Please add evidence for the policy questions."
                row["updated_at"] = row.get("completed_at") or submitted
                scored.setdefault(qn.id, []).append((aid, vid))
            meta[aid] = {"state": state, "vendor": vid, "latest": is_latest, "questionnaire": qn.id}
            assessment_rows.append(row)
            report.by_status[state] = report.by_status.get(state, 0) + 1
            aid += 1
    # rows of one insert must share their keys
    cols = {k for r in assessment_rows for k in r}
    _insert(Assessment, [dict.fromkeys(cols) | r for r in assessment_rows])
    report.assessments = len(assessment_rows)
    progress(f"{report.assessments} assessments {report.by_status}")

    # --- certificates in each vendor's library (some expired, some rejected) -------------------
    for v in vendor_rows:
        for kind in ("iso42001_certificate", "iso27001_certificate"):
            if rng.random() > (0.45 if kind == "iso42001_certificate" else 0.55):
                continue
            evidence_rows.append(
                _evidence(store, v["id"], None, None, kind,
                          rng.choices(("accepted", "pending", "rejected"), (0.75, 0.15, 0.1))[0],
                          contact_of[v["id"]], v["created_at"], rng, reviewers, today)
            )  # fmt: skip
    _insert(Answer, answer_rows)
    report.answers = len(answer_rows)
    for i, e in enumerate(evidence_rows, start=_next_id(Evidence)):
        e["id"] = i
    ev_cols = {k for r in evidence_rows for k in r}
    _insert(Evidence, [dict.fromkeys(ev_cols) | r for r in evidence_rows])
    report.evidence = len(evidence_rows)
    progress(f"{report.answers} answers, {report.evidence} evidence files")
    # the planner's statistics of the tables just filled: without them PostgreSQL scans every
    # assessment per vendor when the scores re-point each vendor's latest rating (minutes at
    # 20,000 vendors)
    for table in ("vendors", "assessments", "answers", "evidence"):
        db.session.execute(text(f"ANALYZE {table}"))

    # --- scores from the engine, in batches, through the one writer -----------------------------
    certs_by_vendor: dict[int, list] = {}
    for e in evidence_rows:
        if e["assessment_id"] is None:
            certs_by_vendor.setdefault(e["vendor_id"], []).append(e)
    answers_by_assessment: dict[int, list] = {}
    for a in answer_rows:
        answers_by_assessment.setdefault(a["assessment_id"], []).append(a)
    key_of = {qn_id: {v: k for k, v in m.items()} for qn_id, m in qids.items()}
    controls = control_defs()
    control_ids = dict(db.session.execute(select(Control.ref, Control.id)).all())
    lookups = SeedLookups()
    findings: list[dict] = []
    for qn_id, pairs in scored.items():
        for i in range(0, len(pairs), SCORE_BATCH):
            batch = pairs[i : i + SCORE_BATCH]
            frame_rows, cert_rows = [], []
            for a_id, vid in batch:
                for a in answers_by_assessment.get(a_id, ()):
                    q_key = key_of[qn_id][a["question_id"]]
                    ev = ev_states.get((a_id, q_key))
                    state = {"accepted": "verified", "pending": "provided"}.get(ev, ev or "none")
                    frame_rows.append((a_id, q_key, a["value"], a["na"], state))
                for c in certs_by_vendor.get(vid, ()):
                    cert_rows.append(
                        (a_id, c["id"], c["kind"], c["verification"], c["issued_on"],
                         c["expires_on"], c.get("scope_covers_service"), c.get("accredited"), False)
                    )  # fmt: skip
            fs = score_frame(
                defs_of[qn_id],
                controls,
                pd.DataFrame(frame_rows, columns=["assessment_id", "question", "value", "na",
                                                  "evidence"]),
                pd.DataFrame(cert_rows, columns=CERTIFICATE_COLUMNS),
                {a_id: tiers[vid] for a_id, vid in batch},
                today,
                model,
                {a_id: vendor_rows[vid - vid0]["intake"] for a_id, vid in batch},
            )  # fmt: skip
            records = _records(fs, model.version)
            store_scores(records)
            report.scored += len(records)
            for r in records:
                if meta[r.assessment_id]["state"] == "under_review":
                    findings += _proposed_for(r, meta[r.assessment_id], lookups, rng,
                                              reviewers, today)  # fmt: skip
                elif meta[r.assessment_id]["state"] in REVIEWED:
                    findings += _findings_for(r, meta[r.assessment_id], control_ids, rng,
                                              reviewers, today)  # fmt: skip
        progress(f"scored {report.scored}")
    # a few reviewers overrode the computed rating, with a reason
    overrides = [
        {"_id": a["id"], "_r": rng.choice(("medium", "high")), "_by": rng.choice(reviewers)}
        for a in assessment_rows
        if a["status"] == "completed" and rng.random() < 0.05
    ]
    if overrides:
        from sqlalchemy import bindparam

        t = Assessment.__table__
        db.session.execute(
            t.update().where(t.c.id == bindparam("_id")).values(
                override_rating=bindparam("_r"), overridden_by_id=bindparam("_by"),
                override_reason="Compensating controls confirmed in a call with the vendor.",
            ),
            overrides,
        )  # fmt: skip
    fid = _next_id(Finding)
    for f in findings:
        f["id"] = fid
        fid += 1
    f_cols = {k for r in findings for k in r}
    _insert(Finding, [dict.fromkeys(f_cols) | r for r in findings])
    report.findings = len(findings)
    from .services.scoring import refresh_latest_scored

    refresh_latest_scored([v["id"] for v in vendor_rows])
    _advance_sequences((User, Vendor, Assessment, Answer, Evidence, Finding))
    audit.record(
        None,
        "portfolio.seeded",
        None,
        object_type="portfolio",
        details={"vendors": report.vendors, "assessments": report.assessments,
                 "answers": report.answers, "findings": report.findings},
    )  # fmt: skip
    db.session.commit()
    progress(f"{report.findings} findings; done")
    return report


def _evidence(store, vid, aid, qid, kind, verification, by, at, rng, reviewers, today=None):
    """One evidence row with a stored blob; certificates get dates (some expired)."""
    data = MIN_PDF + f"% {kind} {vid} {aid} {rng.random()}\n".encode()
    import hashlib

    row = {
        "vendor_id": vid, "assessment_id": aid, "question_id": qid, "kind": kind,
        "original_name": f"{kind.replace('_', '-')}.pdf", "storage_key": store.save(data),
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "media_type": "application/pdf", "verification": verification,
        "uploaded_by_id": by, "created_at": at, "certification_body": "", "certificate_number": "",
        "scope": "", "standard": "", "edition": "", "accreditation_body": "",
        "not_accredited": False, "verification_note": "",
    }  # fmt: skip
    if verification != "pending":
        row["verified_by_id"] = rng.choice(reviewers)
        row["verified_at"] = at + timedelta(days=3)
        row["verification_note"] = (
            "Checked against the register." if verification == "accepted" else "Out of scope."
        )
        row["scope_covers_service"] = verification == "accepted"
        row["accredited"] = verification == "accepted"
    if kind.endswith("_certificate"):
        today = today or date.today()
        issued = today - timedelta(days=rng.randint(100, 1300))
        row.update(
            issued_on=issued,
            expires_on=issued + timedelta(days=3 * 365),  # about a quarter already expired
            certification_body="Example Certification Ltd",
            certificate_number=f"CERT-{vid}-{kind[:4].upper()}",
            scope="Design, development and operation of the AI service",
            standard="ISO/IEC 42001" if kind.startswith("iso42001") else "ISO/IEC 27001",
            edition="2023" if kind.startswith("iso42001") else "2022",
            accreditation_body="UKAS",
        )
    return row


_OLD_STATUSES = (("closed", 0.8), ("risk_accepted", 0.2))
_LATEST_STATUSES = (
    ("proposed", 0.15), ("open", 0.35), ("remediating", 0.22), ("closed", 0.15),
    ("risk_accepted", 0.10), ("withdrawn", 0.03),
)  # fmt: skip


def _proposed_for(record, meta, lookups, rng, reviewers, today) -> list[dict]:
    """An assessment under review carries what the app proposed when its review started
    (``findings.proposals`` of its score: every weak control and knockout), some of them
    confirmed by the reviewer already."""
    from .services.findings import proposals

    controls = lookups.controls()
    titles = lookups.control_titles()
    view = {
        "controls": [
            {"ref": ref, "title": titles.get(ref, ""), "score": score, "coverage": cov}
            for ref, score, cov in record.controls
        ],
        "knockouts": (record.explanation or {}).get("knockouts", []),
    }
    rows = lookups.questions(meta["questionnaire"])
    texts = {key: text for key, _, text in rows}
    question_ids = {key: qid for key, qid, _ in rows}
    due_days = setting("FINDING_DUE_DAYS")
    out = []
    for p in proposals(None, view, texts):
        status = "open" if rng.random() < 0.3 else "proposed"
        out.append({
            "assessment_id": record.assessment_id, "vendor_id": meta["vendor"],
            "control_id": controls.get(p["control"]) if p["control"] else None,
            "question_id": question_ids.get(p["question"]) if p["question"] else None,
            "severity": p["severity"], "status": status, "title": p["title"],
            "origin": p["origin"], "description": p["description"],
            "owner_id": rng.choice(reviewers) if status == "open" else None,
            "due_date": today + timedelta(days=int(due_days.get(p["severity"], 90))),
            "remediation": "", "acceptance_reason": "", "closing_reason": "",
            "shared_with_vendor": status == "open", "vendor_response": "",
            "created_at": utcnow(), "updated_at": utcnow(), "accepted_until": None,
        })  # fmt: skip
    return out


def _findings_for(record, meta, control_ids, rng, reviewers, today) -> list[dict]:
    """Findings from the weak controls of a reviewed assessment, spread over every state."""
    threshold = float(setting("FINDING_CONTROL_THRESHOLD"))
    weak = [(ref, s) for ref, s, cov in record.controls if cov > 0 and s < threshold]
    out = []
    for ref, score in rng.sample(weak, min(len(weak), 12)):
        if meta["state"] == "under_review":
            roll = rng.random()
            status = "proposed" if roll < 0.6 else "open" if roll < 0.9 else "withdrawn"
        else:
            pool = _LATEST_STATUSES if meta["latest"] else _OLD_STATUSES
            status = rng.choices(*zip(*pool, strict=True))[0]
        severity = "high" if score < threshold / 2 else "medium"
        if rng.random() < 0.05:
            severity = rng.choice(("low", "critical"))
        due = today + timedelta(days=rng.randint(-120, 180))
        row = {
            "assessment_id": record.assessment_id, "vendor_id": meta["vendor"],
            "control_id": control_ids.get(ref), "severity": severity, "status": status,
            "title": f"{ref} scores {round(100 * score)}%", "origin": f"control:{ref}",
            "description": f"Control score {score:.2f} is below the threshold {threshold:.2f}.",
            "owner_id": rng.choice(reviewers), "due_date": due, "remediation": "",
            "acceptance_reason": "", "closing_reason": "", "shared_with_vendor": status in ("open", "remediating"),
            "vendor_response": "We will fix this next quarter." if status == "remediating" else "",
            "created_at": utcnow(), "updated_at": utcnow(), "accepted_until": None,
        }  # fmt: skip
        if status == "risk_accepted":
            row["accepted_until"] = today + timedelta(days=rng.randint(-60, 300))
            row["acceptance_reason"] = "Compensating control in place; revisit at renewal."
        if status == "closed":
            row["remediation"] = "Fixed and verified."
        if status == "withdrawn":
            row["closing_reason"] = "The score no longer shows this gap."
        out.append(row)
    return out
