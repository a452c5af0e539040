"""The assessment report a committee or an auditor files: a PDF (WeasyPrint) with a cover
(vendor, tier, rating, reviewer, date), the explanation, red flags and contradictions, the
objective and A.10 tables, findings with owners and dates, evidence with its verification and
the trail summary, every page numbered."""

from __future__ import annotations

from flask import render_template

from ..labels import label
from ..models._base import utcnow
from ..queries import trail
from ..queries.review import load_review_page, objective_groups
from ..services.scoring import explained_score
from ..settings_defaults import setting

PDF_MIMETYPE = "application/pdf"
TRAIL_LINES = 80


def _no_fetch(url, *args, **kwargs):
    """The report is self-contained: WeasyPrint may fetch nothing (no file, no network)."""
    raise ValueError(f"The report does not load external resources ({url[:60]}).")


def build_pdf(html: str) -> bytes:
    """Turn the report's HTML into PDF bytes (pure: HTML in, bytes out)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def report_html(assessment) -> str:
    """The report's HTML from the stored record (the same read-side data as the review page)."""
    page = load_review_page(assessment)
    a = page.assessment
    values = {k: ans.value for k, ans in page.answers.items() if not ans.na}
    details = (explained_score(a, page.view, values) if page.view else None) or {}
    texts = {q.key: q.text for q in page.questions}
    groups = objective_groups(page, details)
    sections = {q.key: g["title"] or g["ref"] for g in groups for q in g["questions"]}
    staff = {u.id: u.display_name for u in page.staff}
    return render_template(
        "reports/assessment_report.html",
        a=a,
        details=details,
        organisation=setting("ORGANISATION_NAME"),
        reviewer=a.reviewer.display_name if a.reviewer else None,
        findings=[f for f in page.findings if f.status != "withdrawn"],
        withdrawn=sum(1 for f in page.findings if f.status == "withdrawn"),
        evidence=[e for e, _ in page.evidence],
        ev_questions={e.id: texts.get(page.question_keys.get(q)) for e, q in page.evidence if q},
        staff=staff,
        trail=trail.group_events(page.events, texts, sections)[:TRAIL_LINES],
        events=len(page.events),
        answered=len(page.answers),
        questions=len(page.questions),
        generated=utcnow(),
        label=label,
    )


def build_assessment_report(assessment) -> bytes:
    """The filed assessment report as PDF bytes."""
    return build_pdf(report_html(assessment))
