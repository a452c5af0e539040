"""Evidence rules in the service: names, types, metadata, duplicates, library, replace."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers import PDF, PNG
from vendorassure.extensions import db
from vendorassure.models import Evidence
from vendorassure.queries.evidence import link_for
from vendorassure.services import evidence
from vendorassure.services.errors import Conflict, InvalidValues, NotFound, UnsupportedMedia

CERT = {
    "standard": "ISO/IEC 27001",
    "edition": "2022",
    "certification_body": "Cert Co",
    "accreditation_body": "",
    "not_accredited": True,
    "issued_on": "2024-05-01",
    "expires_on": "2027-04-30",
}


@pytest.fixture(autouse=True)
def _own_evidence_dir(app, tmp_path):
    before = app.config["EVIDENCE_DIR"]
    app.config["EVIDENCE_DIR"] = str(tmp_path / "ev")
    yield tmp_path / "ev"
    app.config["EVIDENCE_DIR"] = before


def _count():
    return db.session.scalar(select(func.count()).select_from(Evidence))


@pytest.mark.parametrize(
    "name", ["a/b.pdf", "a\\b.pdf", "..", "x\x00.pdf", "x\n.pdf", "\u202e.pdf", "é" * 201, ""]
)
def test_bad_names_are_refused(app, name):
    with pytest.raises(InvalidValues):
        evidence.clean_filename(name)


def test_unicode_names_within_limits_are_kept(app):
    assert evidence.clean_filename("Zertifikat Größe 2025 – 証明書.pdf").endswith("証明書.pdf")


def test_disguised_executable_and_fake_office_file_are_refused(app, make, _own_evidence_dir):
    vendor = make.vendor()
    a = make.assessment(vendor)
    user = make.user("vendor", vendor=vendor)
    for data in (b"MZ\x90\x00" + b"\x00" * 100, b"PK\x03\x04not really a zip", b"\x7fELF\x02"):
        with pytest.raises(UnsupportedMedia):
            evidence.upload_evidence(user, a, "cert.pdf", data, "policy")
    assert _count() == 0 and not _own_evidence_dir.exists()


def test_metadata_rules(app):
    meta = evidence.check_metadata("iso27001_certificate", CERT, require_full=True)
    assert meta["not_accredited"] is True and meta["issued_on"] == date(2024, 5, 1)
    assert (
        evidence.check_metadata("iso42001_certificate", {**CERT, "standard": ""})["standard"]
        == "ISO/IEC 42001"
    )
    for bad, field in (
        ({"not_accredited": False}, "accreditation_body"),
        ({"edition": ""}, "edition"),
        ({"accreditation_body": "UKAS"}, "accreditation_body"),
        ({"expires_on": "2024-05-01"}, "expires_on"),
        ({"issued_on": "01/05/2024"}, "issued_on"),
        ({"not_accredited": "maybe"}, "not_accredited"),
        ({"scope": "x" * 5001}, "scope"),
        ({"certificate_number": 12345}, "certificate_number"),
    ):
        with pytest.raises(InvalidValues) as exc:
            evidence.check_metadata("iso27001_certificate", {**CERT, **bad}, require_full=True)
        assert field in exc.value.fields, bad


def test_library_duplicate_attach_and_isolation(app, make):
    vendor, other = make.vendor(), make.vendor()
    user = make.user("vendor", vendor=vendor)
    outsider = make.user("vendor", vendor=other)
    lib = evidence.upload_library_evidence(
        user, vendor, "c.pdf", PDF, "iso27001_certificate", **CERT
    )
    with pytest.raises(Conflict):
        evidence.upload_library_evidence(
            user, vendor, "c2.pdf", PDF, "iso27001_certificate", **CERT
        )
    a = make.assessment(vendor)
    used = evidence.attach_from_library(user, a, lib)
    # One record: the assessment links to the library document, no copy is made.
    assert used.id == lib.id and used.assessment_id is None and used.not_accredited is True
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1
    assert link_for(lib.id, a.id) is not None
    with pytest.raises(Conflict):
        evidence.attach_from_library(user, a, lib)
    theirs = make.assessment(other)
    with pytest.raises(NotFound):
        evidence.attach_from_library(outsider, theirs, lib)
    own = evidence.upload_evidence(user, a, "p.png", PNG, "policy")
    with pytest.raises(NotFound):
        evidence.attach_from_library(user, a, own)  # not a library item


def test_replace_refuses_a_duplicate_and_keeps_the_old_file(app, make, _own_evidence_dir):
    vendor = make.vendor()
    a = make.assessment(vendor)
    user = make.user("vendor", vendor=vendor)
    one = evidence.upload_evidence(user, a, "one.pdf", PDF, "policy")
    evidence.upload_evidence(user, a, "two.png", PNG, "policy")
    with pytest.raises(Conflict):
        evidence.replace_evidence(user, one, "again.png", PNG)
    db.session.refresh(one)
    assert one.original_name == "one.pdf"
    assert len([p for p in _own_evidence_dir.rglob("*") if p.is_file()]) == 2


def test_warnings_for_expired_and_soon_expiring(app):
    ev = Evidence(original_name="c.pdf", expires_on=date.today() - timedelta(days=1))
    assert "expired" in evidence.certificate_warnings(ev)[0]
    ev.expires_on = date.today() + timedelta(days=30)
    assert "expires in 30 days" in evidence.certificate_warnings(ev)[0]
    ev.expires_on = date.today() + timedelta(days=365)
    assert evidence.certificate_warnings(ev) == []
