"""A risk officer prepares the portfolio workbook in the background and downloads it from the
page that links it; an admin sees a failed mail job with its error and retries it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out
from tests.conftest import PASSWORD
from tests.processes import free_port

pytestmark = pytest.mark.browser


def test_background_export_and_failed_job_retry(app, make, page, shot):
    from vendorassure.services import vendors as vendor_service

    make.submitted()
    make.user("risk", email="rosa@example.com")
    sign_in(page, "rosa@example.com", PASSWORD)
    page.goto("/dashboard")
    page.click("#exports")
    page.select_option("#kind", "portfolio")
    page.click("#export-request")
    expect(page.locator("#export-state")).to_contain_text("Ready.")
    shot("export-ready")
    with page.expect_download() as download:
        page.click("#export-download")
    assert download.value.suggested_filename.startswith("portfolio-")
    sign_out(page)

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # the mail server is down
    try:
        buyer = make.user("procurement")
        vendor_service.add_contact(buyer, make.vendor(actor=buyer), "lee@v.example")
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
    make.user("admin", email="ada@example.com")
    sign_in(page, "ada@example.com", PASSWORD)
    page.goto("/admin/jobs?status=failed")
    expect(page.locator("#jobs")).to_contain_text("ConnectionRefusedError")
    shot("admin-jobs-failed")
    done_before = int(page.locator("#count-done").inner_text())
    page.click("#jobs button:has-text('Retry')")
    expect(page.locator("#count-failed")).to_have_text("0")
    expect(page.locator("#count-done")).to_have_text(str(done_before + 1))  # the retried mail
