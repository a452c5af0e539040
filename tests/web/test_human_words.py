"""Human words everywhere: crawl every page every role reaches in the demo data (and the
emails and workbooks it produces) and fail on an internal key or snake_case code shown where a
label exists. Code shown as code (<code>, <pre>) and form field names are not text."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import openpyxl
from sqlalchemy import select

from tests.conftest import login
from vendorassure import demo
from vendorassure.extensions import db
from vendorassure.models import Assessment, Finding, User
from vendorassure.services import campaigns, review

SNAKE = re.compile(r"(?<![\w./@:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")
DOTTED = re.compile(r"\b(?:assessment|answer|answers|evidence|finding|comment|scoring)\.[a-z_]+\b")
MAX_PAGES = 400
SKIP_PREFIXES = ("/static/", "/api/", "/logout", "/healthz", "/readyz", "/metrics")
DOWNLOAD = re.compile(r"(\.xlsx|\.pdf|\.csv|/download|format=csv)")


class Text(HTMLParser):
    """Visible text and links of a page (text in code, pre, script and style is left out)."""

    QUIET = {"script", "style", "code", "pre", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.QUIET:
            self.depth += 1
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "aria-label", "placeholder", "alt"):
            if attrs.get(name):
                self.parts.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in self.QUIET and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def codes_in(text: str) -> list[str]:
    """The internal codes in a piece of human text."""
    return sorted(set(SNAKE.findall(text)) | set(DOTTED.findall(text)))


def _around(text: str, code: str) -> str:
    i = text.find(code)
    return " ".join(text[max(0, i - 50) : i + len(code) + 30].split())


def _enrich():
    """Add what the demo lacks for a full walk: a review with findings, flags, a clarification,
    a shared finding with a plan, a campaign and notifications."""
    risk = db.session.scalar(select(User).filter_by(role="risk"))
    buyer = db.session.scalar(select(User).filter_by(role="procurement"))
    submitted = db.session.scalars(select(Assessment).filter_by(status="submitted")).first()
    proposed = review.start_review(risk, submitted)
    q = submitted.questionnaire.questions[0]
    review.flag_answer(risk, submitted, q.key, "flagged", "Which regions?")
    review.request_clarification(risk, submitted, "Please say which regions.", q.key)
    from vendorassure.services import comments, findings

    contact = next(c for c in submitted.vendor.contacts)
    comments.add_comment(contact, submitted, q.key, "EU only.")
    f = findings.update_finding(risk, proposed[0], {"status": "open", "shared_with_vendor": True})
    findings.respond_to_finding(contact, f, "We will fix it.")
    campaigns.create_campaign(buyer, "iso42001-ai-vendor-lite", submitted.due_date, None,
                              {"tier": ["low"]})  # fmt: skip


def _crawl(client, start: list[str]) -> dict[str, list[str]]:
    seen, queue, problems = set(), list(start), {}
    while queue and len(seen) < MAX_PAGES:
        url = urldefrag(queue.pop(0))[0]
        if url in seen or not url.startswith("/") or url.startswith(SKIP_PREFIXES):
            continue
        if DOWNLOAD.search(url):
            continue
        seen.add(url)
        r = client.get(url)
        if r.status_code != 200 or r.mimetype != "text/html":
            continue
        parser = Text()
        parser.feed(r.get_data(as_text=True))
        text = " ".join(parser.parts)
        found = codes_in(text)
        if found:  # each code with where it stands, to find it quickly
            problems[url] = [f"{c} «{_around(text, c)}»" for c in found]
        for link in parser.links:
            parts = urlsplit(link)
            if not parts.netloc:
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return problems


def test_every_page_of_every_role_speaks_in_labels(app, client):
    created, _ = demo.seed()
    assert created
    _enrich()
    problems = {}
    for role, start in (
        ("admin", ["/dashboard", "/admin/", "/inbox/"]),
        (
            "procurement",
            ["/dashboard", "/procurement/vendors", "/procurement/campaigns", "/inbox/"],
        ),
        ("risk", ["/dashboard", "/review/", "/review/findings", "/inbox/"]),
        ("vendor", ["/portal/", "/findings/mine"]),
    ):
        users = db.session.scalars(select(User).filter_by(role=role).order_by(User.id)).all()
        for user in users[:2]:
            client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
            login(client, user)
            for url, found in _crawl(client, start).items():
                problems[f"{role} {url}"] = found
    assert not problems, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))


def test_emails_speak_in_labels(app):
    demo.seed()
    _enrich()
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    problems = {}
    for path in outbox.glob("*.eml"):
        body = path.read_text().split("\n\n", 1)[-1]
        body = re.sub(r"https?://\S+", "", body)
        if found := codes_in(body):
            problems[path.name] = found
    assert not problems, problems


def test_workbooks_speak_in_labels(app, client):
    demo.seed()
    _enrich()
    risk = db.session.scalar(select(User).filter_by(role="risk"))
    login(client, risk)
    a = db.session.scalar(select(Finding.assessment_id).limit(1))
    problems = {}
    for url in ("/reports/portfolio.xlsx", "/reports/evidence-pack.xlsx",
                f"/review/assessments/{a}/export.xlsx"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 200, url
        book = openpyxl.load_workbook(io.BytesIO(r.data), read_only=True)
        for ws in book.worksheets:
            keys: set[int] = set()  # columns headed "... key" hold identifiers on purpose
            for row in ws.iter_rows(values_only=True):
                for j, cell in enumerate(row):
                    if not isinstance(cell, str):
                        continue
                    if cell.lower().endswith(" key") or cell == "SHA-256":
                        keys.add(j)
                    elif j not in keys:
                        for code in codes_in(re.sub(r"https?://\S+", "", cell)):
                            problems.setdefault(f"{url} {ws.title}", set()).add(code)
    assert not problems, problems
