"""The PDF assessment report: rendered with WeasyPrint, read back with pdftotext, its pages
drawn with pdftoppm into tests/browser/artifacts/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

from tests.helpers import PDF, answer_all
from vendorassure.services import assessments, evidence, findings, review

ARTIFACTS = Path(__file__).resolve().parents[1] / "browser" / "artifacts"
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")
CERT = dict(
    certification_body="BSI",
    certificate_number="AI 1234",
    scope="The assessed AI service",
    issued_on=(date.today() - timedelta(days=30)).isoformat(),
    expires_on=(date.today() + timedelta(days=500)).isoformat(),
)


def _completed(make):
    vendor = make.vendor("Mike Models", level="high")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=False)
    evidence.upload_evidence(
        contact, a, "iso42001.pdf", PDF, "iso42001_certificate", to_library=True, **CERT
    )
    assessments.submit_assessment(contact, a)
    risk = make.user("risk", email="dana.okafor@example.com")
    proposed = review.start_review(risk, a)
    [cert] = [e for e in evidence.library(vendor.id)]
    evidence.verify_evidence(risk, cert, "accepted", "Checked on the register.", True, True)
    findings.bulk_update(risk, a, [f.id for f in proposed[:2]], "open")
    findings.bulk_update(risk, a, [f.id for f in proposed[:2]], "assign", risk.id)
    review.complete_review(
        risk, a, "Acceptable with the two findings remediated.", "high",
        "Contract limits use to an internal pilot.", proposed="dismiss",
        dismiss_reason="Covered by the contract's limits.",
    )  # fmt: skip
    return a, risk


def test_report_pdf_has_the_record_and_numbered_pages(app, make, api, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", "Northwind Insurance")
    a, risk = _completed(make)
    r = api(risk).get(f"/assessments/{a.id}/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF") and "attachment" in r.headers["Content-Disposition"]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(r.data)
    assert PDFTOTEXT and PDFTOPPM, "poppler-utils is needed: apt-get install -y poppler-utils"
    text = subprocess.run(  # noqa: S603
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.count("\f")
    assert pages >= 3
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    for expected in (
        "AI supplier assessment report",
        "Mike Models",
        "Northwind Insurance",
        "Residual rating",
        "High",
        "Dana Okafor" if "Dana Okafor" in text else risk.display_name,
        "Contract limits use to an internal pilot.",
        "Red flags",
        "Contradictions",
        "Third-party and customer relationships",
        "iso42001.pdf",
        "Verified",
        "ISO/IEC 42001 certificate",
        "Trail summary",
        "completed the review",
    ):
        assert expected in text, expected
    # Human words only: no stored codes where a label exists.
    for code in ("iso42001_certificate", "under_review", "risk_accepted", "answer.saved"):
        assert code not in text, code
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text.replace("sha256", "")), re.findall(
        r"\b[a-z]+_[a-z_]+\b", text
    )[:5]
    # Draw the pages for a person to look at (tests/browser/artifacts/report-N.png).
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("report-*.png"):
        old.unlink()
    subprocess.run(  # noqa: S603
        [PDFTOPPM, "-png", "-r", "60", str(pdf), str(ARTIFACTS / "report")], check=True
    )
    drawn = sorted(ARTIFACTS.glob("report-*.png"))
    assert len(drawn) == pages and all(p.stat().st_size > 5000 for p in drawn)


def test_review_page_offers_the_report(client, make, login_as):
    a, _ = _completed(make)
    login_as("procurement")
    html = client.get(f"/review/assessments/{a.id}").get_data(as_text=True)
    assert f'href="/review/assessments/{a.id}/report.pdf"' in html
    r = client.get(f"/review/assessments/{a.id}/report.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


def test_workbooks_print_legibly_rows_fit_their_text_and_name_the_organisation(
    app, make, monkeypatch
):
    import io
    import zipfile

    from vendorassure.reports import build_assessment_workbook, build_evidence_pack, loader
    from vendorassure.reports.sheets import FIT_WIDTH

    a, _ = _completed(make)
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", "Northwind Insurance")
    pack = build_evidence_pack(loader.load_evidence_pack())
    book = build_assessment_workbook(loader.load_assessment(a))
    with zipfile.ZipFile(io.BytesIO(pack)) as z:
        strings = z.read("xl/sharedStrings.xml").decode()
    assert "Northwind Insurance" in strings
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        sheets = {
            n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        }
    fitted = [
        n for n, x in sheets.items() if 'fitToWidth="1"' in x or "<pageSetUpPr fitToPage" in x
    ]
    assert fitted, "narrow sheets still fit one page wide"
    # Every sheet is landscape with page numbers; wrapped rows carry a height for their lines.
    for name, xml in sheets.items():
        assert 'orientation="landscape"' in xml and "Page &amp;P of &amp;N" in xml, name
    assert any('customHeight="1"' in x for x in sheets.values())
    assert FIT_WIDTH < 300
