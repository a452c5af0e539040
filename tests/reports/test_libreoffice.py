"""The three workbooks convert to PDF with LibreOffice headless (about 5 s for all three).

LibreOffice is required (Debian: `apt-get install -y libreoffice-calc`); .ci/run installs it.
"""

from __future__ import annotations

import shutil
import subprocess

from tests.reports.dataset import build
from vendorassure.reports import (
    build_assessment_workbook,
    build_evidence_pack,
    build_portfolio_workbook,
    loader,
)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def test_workbooks_convert_to_pdf_without_error(make, tmp_path):
    assert SOFFICE, "LibreOffice is needed for this test: apt-get install -y libreoffice-calc"
    data = build(make)
    books = {
        "assessment.xlsx": build_assessment_workbook(loader.load_assessment(data.a_bravo)),
        "portfolio.xlsx": build_portfolio_workbook(loader.load_portfolio()),
        "evidence-pack.xlsx": build_evidence_pack(loader.load_evidence_pack()),
    }
    for name, content in books.items():
        (tmp_path / name).write_bytes(content)
    out = tmp_path / "pdf"
    # A profile of our own: parallel runs (or a desktop LibreOffice) never share a lock.
    result = subprocess.run(  # noqa: S603
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *[str(tmp_path / n) for n in books],
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in books:
        pdf = out / name.replace(".xlsx", ".pdf")
        assert pdf.exists(), (name, result.stdout, result.stderr)
        head = pdf.read_bytes()[:5]
        assert head == b"%PDF-"
        assert pdf.stat().st_size > 2000
