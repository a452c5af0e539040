"""Demo data: users for every role and vendors in different states, made through the services."""

from __future__ import annotations

import os
import random
import secrets
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from .extensions import db
from .models import Evidence, User, Vendor
from .scoring import AnswerIn, visible_questions
from .services import assessments, evidence, supply_chain, vendors
from .services.auth import create_user
from .services.library import intake_definition, scoring_model
from .services.scoring import question_defs

MARKER = "admin@vendorassure.demo"

# name, target intake risk (0..1), final state, answer quality (0..1), services
VENDORS = [
    ("Lumen Translate", 0.05, "sent", 0.0, "Machine translation of internal documents"),
    (
        "Northwind Vision AI",
        0.45,
        "in_progress",
        0.7,
        "Image recognition for warehouse quality checks",
    ),
    (
        "Cortex Health Labs",
        0.8,
        "submitted",
        0.75,
        "Clinical note summarisation with a large language model",
    ),
    ("Atlas Agents", 0.95, "completed", 0.2, "Autonomous procurement agent that places orders"),
    ("Quill Writing Assistant", 0.2, "completed", 0.95, "Drafting assistant for marketing copy"),
    (
        "Orbital Foundation Models",
        0.9,
        "completed",
        0.3,
        "Foundation-model API behind other vendors",
    ),
]
# The AI supply chain of the demo portfolio: (dependant, provider, kind).
SUPPLY_LINKS = [
    ("Cortex Health Labs", "Orbital Foundation Models", "foundation_model"),
    ("Quill Writing Assistant", "Orbital Foundation Models", "foundation_model"),
    ("Atlas Agents", "Orbital Foundation Models", "foundation_model"),
    ("Northwind Vision AI", "Atlas Agents", "sub_processor"),
]

DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _intake_for(target: float) -> dict:
    answers = {}
    for q in intake_definition()["questions"]:
        best = min(q["options"], key=lambda o: (abs(o["risk"] - target), o["risk"]))
        answers[q["key"]] = best["value"]
    return answers


def _value_for(q, rng: random.Random, quality: float):
    if q.options:
        ranked = sorted(q.options, key=lambda o: o.score)
        jitter = rng.uniform(-0.15, 0.15)
        pick = min(ranked, key=lambda o: abs(o.score - (quality + jitter)))
        if q.type == "multi_choice":
            return [pick.value]
        return pick.value
    if q.type == "number":
        return rng.randint(1, 40)
    if q.type == "date":
        return (date.today() - timedelta(days=rng.randint(30, 300))).isoformat()
    return "Described in our attached policy pack; happy to walk you through it."


def _answer_all(user, assessment, quality: float, rng: random.Random, fraction: float = 1.0):
    defs = question_defs(assessment.questionnaire)
    given: dict[str, AnswerIn] = {}
    for q in defs:
        if q.key not in visible_questions(defs, given):
            continue
        if fraction < 1.0 and rng.random() > fraction:
            continue
        value = _value_for(q, rng, quality)
        assessments.save_answer(user, assessment, q.key, value)
        given[q.key] = AnswerIn(question=q.key, value=value)


def seed() -> tuple[bool, list[str]]:
    """Create the demo data once; return (created, lines to print)."""
    if db.session.scalar(select(User.id).filter_by(email=MARKER)) is not None:
        path = Path(current_app.instance_path) / "demo-credentials.txt"
        return False, [f"Demo data is already present (see {path} for the demo sign-ins)."]
    rng = random.Random(42)  # noqa: S311  (demo content, not security)
    creds = []

    def make(email, role, vendor_id=None, name=""):
        password = secrets.token_urlsafe(9)
        user = create_user(email, role, password, name=name, vendor_id=vendor_id)
        creds.append((role, email, password))
        return user

    make(MARKER, "admin", name="Ada Admin")
    buyer = make("procurement@vendorassure.demo", "procurement", name="Paul Procurement")
    risk = make("risk@vendorassure.demo", "risk", name="Rita Risk")
    model = scoring_model()
    for index, (name, target, state, quality, services) in enumerate(VENDORS, start=1):
        vendor = vendors.create_vendor(
            buyer, name, f"https://{name.split()[0].lower()}.example", services, _intake_for(target)
        )
        contact = make(
            f"vendor{index}@vendorassure.demo", "vendor", vendor.id, name=f"{name} contact"
        )
        key = model.questionnaire_for_tier(vendor.inherent_tier)
        a = assessments.issue_assessment(
            buyer, vendor, key, date.today() + timedelta(days=10 + 7 * index)
        )
        if state == "sent":
            continue
        _answer_all(contact, a, quality, rng, 1.0 if state != "in_progress" else 0.6)
        if state == "in_progress":
            continue
        evidence.upload_evidence(
            contact,
            a,
            "iso42001-certificate.pdf",
            DEMO_PDF + name.encode(),
            "iso42001_certificate",
            certification_body="Example Certification Ltd",
            certificate_number=f"AIMS-{1000 + index}",
            scope=f"Design, development and operation of {services.lower()}",
            issued_on=date.today() - timedelta(days=400),
            expires_on=date.today() + timedelta(days=700 - 300 * (index % 2)),
        )
        assessments.submit_assessment(contact, a)
        if state == "completed":
            for ev in db.session.scalars(select(Evidence).filter_by(assessment_id=a.id)).all():
                evidence.verify_evidence(
                    risk,
                    ev,
                    "accepted",
                    "Checked against the CB register.",
                    scope_covers_service=True,
                    accredited=True,
                )
            assessments.review_assessment(
                risk, a, "complete", "Reviewed in the quarterly supplier round."
            )
    by_name = {v.name: v for v in db.session.scalars(select(Vendor))}
    for dependant, provider, kind in SUPPLY_LINKS:
        supply_chain.add_link(buyer, by_name[dependant], by_name[provider].id, kind)
    path = Path(current_app.instance_path) / "demo-credentials.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{role:12} {email:36} {password}\n" for role, email, password in creds)
    lines = [
        f"Demo data created. Sign in at {current_app.config['BASE_URL']} with (shown once; also in {path}):"
    ]
    lines += [f"  {role:12} {email:36} {password}" for role, email, password in creds]
    return True, lines
