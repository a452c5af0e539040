"""The regulator's records read back: the EU AI Act Art. 26 record (PDF and workbook) and the
DORA register of information (workbook and CSV)."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import intake_at
from tests.helpers import answer_all
from vendorassure.services import assessments, supply_chain
from vendorassure.services.vendors import create_vendor

FULL = "iso42001-ai-vendor"


@pytest.fixture
def portfolio(make, db):
    """A high-risk hiring tool with a completed full assessment (worst answers on logging), and
    its hosting provider; both in the register."""
    buyer = make.user("procurement")
    intake = intake_at("high") | {"eu_ai_act_class": "high_risk", "audience": "customer_assisted",
                                  "personal_data": "personal", "business_criticality": "high"}  # fmt: skip
    vendor = create_vendor(buyer, "Kappa Hiring", "https://kappa.example", "CV screening", intake)
    a = make.assessment(vendor, FULL)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True, skip={"event_logging"})
    assessments.save_answer(contact, a, "event_logging", "none")
    assessments.submit_assessment(contact, a)
    risk = make.user("risk")
    assessments.review_assessment(risk, a, "complete", "ok")
    host = make.vendor("Lambda Cloud", level="low")
    supply_chain.add_link(buyer, vendor, host.id, "hosting")
    db.session.commit()
    return {"vendor": vendor, "assessment": a, "host": host}


def test_the_art26_record_is_prefilled_and_reads_back_from_pdf_and_xlsx(portfolio, make, api):
    v = portfolio["vendor"]
    risk = api(make.user("risk"))
    pdf = risk.get(f"/vendors/{v.id}/ai-act-record.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pdf"
        path.write_bytes(pdf.data)
        text = subprocess.run(  # noqa: S603  (fixed arguments, Debian's poppler-utils)
            ["/usr/bin/pdftotext", "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    text = " ".join(text.split())
    for phrase in ("Kappa Hiring", "Art. 26(2)", "Human oversight assigned",
                   "Logs kept for at least six months", "Art. 27", "the deployer duties of "
                   "Art. 26 apply", "Gap in the vendor's support", "CV screening"):  # fmt: skip
        assert phrase in text, phrase
    book = pd.read_excel(io.BytesIO(risk.get(f"/vendors/{v.id}/ai-act-record.xlsx").data),
                         sheet_name=None)  # fmt: skip
    assert set(book) == {"System", "Duties", "Evidence"}
    duties = book["Duties"].set_index("Article")
    assert duties.loc["Art. 26(6)", "Vendor support on file"] == "Gap in the vendor's support"
    assert duties.loc["Art. 26(2)", "Vendor support on file"] == "Supported by the vendor's answers"
    assert duties.loc["Art. 27", "Applies"] == "Yes"
    assert duties.loc["Art. 26(7)", "Applies"].startswith("Not on the intake")  # customer use
    assert duties.loc["Art. 26(9)", "Applies"] == "Yes"  # personal data
    ev = book["Evidence"]
    logging = ev[ev["Article"] == "Art. 26(6)"]
    assert "none" not in set(logging["Vendor's answer"]) and logging["Score"].min() == 0
    assert "event_logging" not in " ".join(map(str, book["System"].fillna("").values.ravel()))


def test_the_dora_register_reads_back_with_the_supply_chain(portfolio, make, api):
    v, host = portfolio["vendor"], portfolio["host"]
    risk = api(make.user("risk"))
    r = risk.get("/portfolio/dora-register.xlsx")
    assert r.status_code == 200
    book = pd.read_excel(io.BytesIO(r.data), sheet_name=None)
    assert {"About", "B_05.01", "B_05.02", "B_07.01"} <= set(book)
    providers = book["B_05.01"]
    names = providers.set_index("Name of the ICT third-party service provider")
    assert (
        names.loc["Kappa Hiring", "Identification code of the ICT third-party service provider"]
        == f"VA-{v.id}"
    )
    chain = book["B_05.02"]
    rank2 = chain[chain["Rank"] == 2]
    assert rank2.to_dict("records") == [{
        "Identification code of the ICT third-party service provider": f"VA-{host.id}",
        "Type of ICT services": "Hosting", "Rank": 2,
        "Identification code of the recipient of sub-contracted ICT services": f"VA-{v.id}",
    }]  # fmt: skip
    assessed = book["B_07.01"].set_index(
        "Identification code of the ICT third-party service provider"
    )
    row = assessed.loc[f"VA-{v.id}"]
    assert row["Residual risk rating"] in ("Medium", "High", "Critical")
    assert row["Importance of the supported function (intake)"].startswith("High")
    assert str(row["Date of the last assessment"])[:4].isdigit()
    assert (
        isinstance(row["Exit plan (vendor's answers)"], str) and row["Exit plan (vendor's answers)"]
    )
    csv = risk.get("/portfolio/dora-register.csv?template=B_05.02")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    back = pd.read_csv(io.BytesIO(csv.data), encoding="utf-8-sig")
    assert len(back) == len(chain) and (back["Rank"] == 2).sum() == 1
    assert risk.get("/portfolio/dora-register.csv?template=B_99").status_code == 422
    assert (
        api(make.user("vendor", vendor=v)).get("/portfolio/dora-register.xlsx").status_code == 403
    )


def test_regulator_pages_render(portfolio, make, client):
    from tests.conftest import login

    login(client, make.user("risk"))
    v = portfolio["vendor"]
    html = client.get(f"/chain/vendors/{v.id}/ai-act-record").get_data(as_text=True)
    assert "Human oversight assigned" in html and "Gap in the vendor" in html
    assert client.get(f"/chain/vendors/{v.id}/ai-act-record.pdf").data.startswith(b"%PDF")
    html = client.get("/chain/dora").get_data(as_text=True)
    assert "B_05.02" in html and "Lambda Cloud" in html
    assert client.get("/chain/dora.csv?template=B_07.01").status_code == 200
    assert client.get("/chain/dora.csv?template=nope").status_code == 422
