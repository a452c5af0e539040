"""The walk an auditor's record needs, in Chromium: the vendor submits with a certificate it
also keeps in its library; the reviewer, told in the inbox, sees the certificate once and
verifies it; the proposed findings follow; the reviewer decides them in bulk, completes, and
downloads the PDF report, whose pages are drawn and looked at."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, sign_in, sign_out
from tests.conftest import PASSWORD
from tests.helpers import PDF, answer_all

pytestmark = pytest.mark.browser
PDFTOPPM = shutil.which("pdftoppm")


def test_library_certificate_to_filed_report(app, make, page, shot, tmp_path, monkeypatch):
    from vendorassure.extensions import db
    from vendorassure.models import Evidence, Finding, Notification
    from vendorassure.services import assessments

    # A strict reviewer's threshold: unverified evidence (70 %) is proposed as findings.
    monkeypatch.setitem(app.config, "FINDING_CONTROL_THRESHOLD", 0.8)
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", "Northwind Insurance")
    risk = make.user("risk", email="dana.okafor@example.com")
    risk.name = "Dana Okafor"
    vendor = make.vendor("Sierra Speech", level="high")
    a = make.assessment(vendor)
    assessments.assign_reviewer(risk, a, risk)
    contact = make.user("vendor", vendor=vendor, email="sam@sierra.example")
    answer_all(contact, a, best=True)
    db.session.commit()

    # The vendor attaches its certificate, "also keep in our certificate library", and submits.
    sign_in(page, contact.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}?s=review")  # the last page: evidence and submit
    cert = tmp_path / "iso42001-certificate.pdf"
    cert.write_bytes(PDF)
    page.set_input_files("input[name=ev-file]", str(cert))
    page.select_option("select[name=ev-kind]", "iso42001_certificate")
    for name, value in (("standard", "ISO/IEC 42001"), ("edition", "2023"),
                        ("certification_body", "BSI"), ("accreditation_body", "UKAS"),
                        ("certificate_number", "AIMS 700123"), ("issued_on", "2025-03-01"),
                        ("expires_on", (date.today() + timedelta(days=400)).isoformat())):  # fmt: skip
        page.fill(f"input[name=ev-{name}]", value)
    page.fill("textarea[name=ev-scope]", "Design and operation of the Sierra speech service")
    page.check("input[name=ev-to_library]")
    page.click("#evidence-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Uploaded iso42001-certificate.pdf")
    page.click("#submit-btn")
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    sign_out(page)
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Evidence)) == 1

    # The reviewer was told: the inbox shows the submission, with the unread count.
    sign_in(page, risk.email, PASSWORD)
    expect(page.locator("#inbox-unread")).to_have_text("1")
    page.click("#inbox-link")
    expect(page.locator("#inbox")).to_contain_text("Sierra Speech submitted")
    shot("r1-inbox")
    page.click("#inbox button:has-text('Open')")
    expect(page.locator("h1")).to_contain_text("Sierra Speech")
    assert db.session.scalar(select(Notification.read_at).filter_by(user_id=risk.id)) is not None

    # Start the review: proposals from the score before anything is verified.
    page.click("#start-review")
    expect(page.locator(".flash-success")).to_contain_text("proposed from the score")
    db.session.expire_all()
    before = {f.origin for f in db.session.scalars(select(Finding).filter_by(status="proposed"))}
    # The library certificate shows once.
    expect(page.locator("#evidence tbody tr")).to_have_count(1)
    expect(page.locator("#evidence")).to_contain_text("in the vendor's library")
    form = page.locator(".verify-form").first
    form.locator("input[value=accepted]").check()
    form.locator("input[name$=scope_covers_service]").check()
    form.locator("input[name$=accredited]").check()
    form.locator("button").click()
    expect(form.locator(".inplace-status")).to_contain_text("Recorded")
    page.reload()
    expect(page.locator(".ev-status").first).to_contain_text("Verified")
    db.session.expire_all()
    after = {f.origin for f in db.session.scalars(select(Finding).filter_by(status="proposed"))}
    withdrawn = db.session.scalars(select(Finding).filter_by(status="withdrawn")).all()
    assert after != before and {f.origin for f in withdrawn} == before - after
    expect(page.locator("#findings-table")).to_contain_text("Withdrawn")
    page.locator("#findings").scroll_into_view_if_needed()
    shot("r2-review-page")

    # Bulk-decide: open two, dismiss the rest with a reason.
    boxes = page.locator("#findings-table input[data-proposed='1']")
    n = boxes.count()
    assert n >= 3
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("select[name=fb-action]", "open")
    page.click("#bulk-apply")
    expect(page.locator(".flash-success")).to_contain_text("2 finding(s) updated")
    boxes = page.locator("#findings-table input[data-proposed='1']")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.select_option("select[name=fb-action]", "dismiss")
    page.fill("input[name=fb-reason]", "Covered by the verified ISO/IEC 42001 certificate.")
    page.click("#bulk-apply")
    expect(page.locator(".flash-success")).to_contain_text(f"{n - 2} finding(s) updated")
    page.check("input[name=d-decision][value=complete]")
    page.fill("textarea[name=d-note]", "Acceptable; two findings to remediate.")
    page.click("#record-decision")
    expect(page.locator(".flash-success")).to_contain_text("Assessment completed")
    expect(page.locator("#timeline")).to_contain_text("completed the review")
    shot("r3-review-completed")

    # The PDF report, downloaded from the button, drawn page by page.
    with page.expect_download() as info:
        page.click("#report-pdf")
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert PDFTOPPM, "poppler-utils is needed: apt-get install -y poppler-utils"
    for old in ARTIFACTS.glob("r4-report-*.png"):
        old.unlink()
    subprocess.run([PDFTOPPM, "-png", "-r", "70", str(pdf), str(ARTIFACTS / "r4-report")],  # noqa: S603
                   check=True)  # fmt: skip
    assert len(list(ARTIFACTS.glob("r4-report-*.png"))) >= 3
