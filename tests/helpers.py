"""Helpers shared by tests: answering a questionnaire, tiny valid files of each type."""

from __future__ import annotations

import io
import zipfile

from vendorassure.scoring import AnswerIn, visible_questions
from vendorassure.services import assessments
from vendorassure.services.scoring import question_defs

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def choose(q, best: bool):
    """The best or worst value for a question (free types get a plain value)."""
    if q.options:
        pick = (
            max(q.options, key=lambda o: o.score) if best else min(q.options, key=lambda o: o.score)
        )
        return [pick.value] if q.type == "multi_choice" else pick.value
    return {"number": 5, "date": "2026-01-15"}.get(q.type, "Documented in our policy set.")


def answer_all(vendor_user, assessment, best: bool = True, skip: set[str] = frozenset()):
    """Answer every visible question in order through the service, like a vendor would."""
    defs = question_defs(assessment.questionnaire)
    given: dict[str, AnswerIn] = {}
    for q in defs:
        if q.key in skip or q.key not in visible_questions(defs, given):
            continue
        value = choose(q, best)
        assessments.save_answer(vendor_user, assessment, q.key, value)
        given[q.key] = AnswerIn(question=q.key, value=value)
    return given


def answers_payloads(assessment, best: bool = True):
    """(key, value) pairs in questionnaire order that answer every visible question."""
    defs = question_defs(assessment.questionnaire)
    given: dict[str, AnswerIn] = {}
    out = []
    for q in defs:
        if q.key not in visible_questions(defs, given):
            continue
        value = choose(q, best)
        given[q.key] = AnswerIn(question=q.key, value=value)
        out.append((q.key, value))
    return out


def portal_pages(client, assessment) -> str:
    """The HTML of every section page of an assessment in the vendor portal, joined."""
    sections = list(dict.fromkeys(q.section for q in assessment.questionnaire.questions))
    return "".join(
        client.get(f"/portal/assessments/{assessment.id}?s={s}").get_data(as_text=True)
        for s in sections
    )


def upload_certificate(contact, assessment, name="iso42001.pdf", data=PDF, **meta):
    """Attach a complete, in-date ISO/IEC 42001 certificate to the certification question."""
    from datetime import date, timedelta

    from vendorassure.services import evidence

    details = {
        "certification_body": "Cert Body", "certificate_number": "AI-1", "scope": "The product",
        "standard": "ISO/IEC 42001", "edition": "2023", "accreditation_body": "UKAS",
        "issued_on": (date.today() - timedelta(days=100)).isoformat(),
        "expires_on": (date.today() + timedelta(days=900)).isoformat(),
    }  # fmt: skip
    return evidence.upload_evidence(
        contact, assessment, name, data, "iso42001_certificate", "iso42001_certified",
        **(details | meta),
    )  # fmt: skip
