"""Languages per contact or browser, and questionnaires with translated text per question that
falls back to English."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from tests.conftest import login
from vendorassure import catalog
from vendorassure.extensions import db
from vendorassure.models import User
from vendorassure.services import library

FIXTURE = Path(__file__).parents[1] / "fixtures/i18n/translated.yaml"


def _control_refs() -> set[str]:
    from vendorassure.models import Control

    return set(db.session.scalars(select(Control.ref)))


def _validate(data):
    return catalog.validate_questionnaire(data, _control_refs(), "translated.yaml")


@pytest.fixture
def translated(app):
    """The fixture questionnaire, loaded for one test (conftest removes it afterwards)."""
    normalized, problems = _validate(yaml.safe_load(FIXTURE.read_text()))
    assert problems == []
    qn, _ = library.import_questionnaire(normalized, "translated.yaml")
    db.session.commit()
    return qn


def _outbox(app):
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    newest = max(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return message_from_bytes(newest.read_bytes(), policy=default_policy)


def test_a_contact_added_in_german_gets_a_german_invitation_and_portal(app, make, client):
    buyer = make.user("procurement")
    vendor = make.vendor(name="Helix Hiring AI", actor=buyer)
    a = make.assessment(vendor, "iso42001-ai-vendor-lite", actor=buyer)
    login(client, buyer)
    r = client.post(
        f"/procurement/vendors/{vendor.id}/contacts",
        data={
            "contact-email": "dana@helix.example",
            "contact-name": "Dana",
            "contact-language": "de",
        },
    )
    assert r.status_code == 302
    msg = _outbox(app)
    text = msg.get_body(("plain",)).get_content()
    assert "bittet Helix Hiring AI" in msg["Subject"]
    assert "Hallo Dana," in text and "Passwort festlegen und beginnen:" in text
    user = db.session.scalar(select(User).filter_by(email="dana@helix.example"))
    assert user.language == "de"
    login(client, user)
    page = client.get(f"/portal/assessments/{a.id}", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in page.get_data(as_text=True)  # the contact's choice wins


def test_the_api_takes_a_contacts_language_and_refuses_an_unknown_one(make, api):
    buyer = api(make.user("procurement"))
    vendor = make.vendor()
    r = buyer.post(f"/vendors/{vendor.id}/contacts", {"email": "x@v.example", "language": "xx"})
    assert r.status_code == 400 and "language" in r.get_json()["error"]["fields"]
    r = buyer.post(f"/vendors/{vendor.id}/contacts", {"email": "y@v.example", "language": "fr"})
    assert r.status_code == 201 and r.get_json()["language"] == "fr"


def test_a_vendor_chooses_the_language_on_the_profile(app, make, client):
    vendor = make.vendor()
    user = make.user("vendor", vendor=vendor)
    login(client, user)
    r = client.post("/account/", data={"name": "Lee", "language": "fr"})
    assert r.status_code == 302
    assert "Vos évaluations" in client.get("/portal/").get_data(as_text=True)
    assert client.post("/account/", data={"name": "Lee", "language": "xx"}).status_code == 200
    db.session.refresh(user)
    assert user.language == "fr"


def test_translated_questions_show_in_the_readers_language_with_english_fallback(
    app, make, client, translated
):
    vendor = make.vendor()
    a = make.assessment(vendor, translated.key)
    login(client, make.user("vendor", vendor=vendor))
    de = client.get(f"/portal/assessments/{a.id}", headers={"Accept-Language": "de"})
    page = de.get_data(as_text=True)
    assert (
        "Haben Sie eine genehmigte KI-Richtlinie?" in page
        and "Laden Sie die Richtlinie hoch." in page
    )
    assert "> Ja</label>" in page and "> Nein</label>" in page
    assert "<h2>KI-Governance</h2>" in page
    assert "Is a named senior role accountable for AI risk?" in page  # not translated: English
    fr = client.get(f"/portal/assessments/{a.id}", headers={"Accept-Language": "fr"})
    page = fr.get_data(as_text=True)
    assert "Avez-vous une politique d’IA approuvée ?" in page and "> Yes</label>" in page
    assert "<h2>Gouvernance de l’IA</h2>" in page


@pytest.mark.parametrize(
    "change,field",
    [
        (lambda q: q["translations"].update({"es": {"text": "¿Hola?"}}), "translations.es"),
        (lambda q: q["translations"]["de"]["options"].update({"maybe": "Vielleicht"}),
         "translations.de.options.maybe"),
        (lambda q: q["translations"]["de"].update({"text": ""}), "translations.de.text"),
        (lambda q: q["translations"]["de"].update({"colour": "blau"}), "translations.de.colour"),
    ],
)  # fmt: skip
def test_bad_translations_are_refused_by_the_validator(app, change, field):
    data = yaml.safe_load(FIXTURE.read_text())
    change(data["sections"][0]["questions"][0])
    normalized, problems = _validate(data)
    assert normalized is None and any(p.field == field for p in problems), problems


def test_a_file_without_translations_keeps_its_content_hash(app):
    data = yaml.safe_load(FIXTURE.read_text())
    plain = yaml.safe_load(FIXTURE.read_text())
    for section in plain["sections"]:
        section.pop("translations", None)
        for q in section["questions"]:
            q.pop("translations", None)
    with_tr, _ = _validate(data)
    without, _ = _validate(plain)
    assert (
        "translations" not in without["questions"][0]
        and "translations" not in without["sections"][0]
    )
    assert catalog.content_hash(with_tr) != catalog.content_hash(without)


def _signed_in_contact(make, client, db, language):
    """A vendor contact who reads the portal in LANGUAGE, signed in."""
    contact = make.user("vendor", vendor=make.vendor(name="Helix Hiring AI"))
    contact.language = language
    db.session.commit()
    login(client, contact)


def test_a_german_contact_reports_a_change_in_german(make, client, db):
    from datetime import date, timedelta

    _signed_in_contact(make, client, db, "de")
    page = client.get("/chain/portal/changes").get_data(as_text=True)
    assert "Änderung melden" in page and "Was hat sich geändert" in page
    assert ">Modell geändert</option>" in page and "Report a change" not in page
    future = (date.today() + timedelta(days=2)).isoformat()
    r = client.post("/chain/portal/changes", data={"kind": "incident", "description": "Ausfall",
                                                    "occurred_on": future})  # fmt: skip
    assert "nicht in der Zukunft" in r.get_data(as_text=True)
    r = client.post("/chain/portal/changes", data={"kind": "model_changed",
                    "description": "Neues Basismodell"}, follow_redirects=True)  # fmt: skip
    page = r.get_data(as_text=True)
    assert "Änderung erfasst: Modell geändert." in page and "vom Anbieter" in page


def test_a_french_contact_reads_the_answer_package_page_in_french(make, client, db):
    _signed_in_contact(make, client, db, "fr")
    page = client.get("/chain/portal/packages").get_data(as_text=True)
    assert "Partager vos réponses" in page and "Aucune évaluation soumise" in page


def test_a_german_contact_reads_refusals_and_findings_in_german_and_the_api_stays_english(
    app, make, client, api
):
    import io
    from datetime import date, timedelta

    from vendorassure.services import findings

    vendor = make.vendor()
    a = make.assessment(vendor, "iso42001-ai-vendor")
    user = make.user("vendor", vendor=vendor)
    user.language = "de"
    db.session.commit()
    login(client, user)
    choice = next(q for q in a.questionnaire.questions if q.type in ("single_choice", "yes_no"))
    na_q = next(q for q in a.questionnaire.questions if q.allows_na)

    r = client.post(f"/portal/assessments/{a.id}/answers/{choice.key}", json={"value": "nope"})
    assert r.status_code == 422
    assert r.get_json()["error"]["message"].startswith("Die Antwort muss eine dieser Optionen")
    r = client.post(
        f"/portal/assessments/{a.id}",
        data={f"present__{na_q.key}": "1", f"na__{na_q.key}": "1", f"na_reason__{na_q.key}": ""},
    )
    assert r.status_code == 422
    assert "„Nicht zutreffend“ braucht eine Begründung." in r.get_data(as_text=True)

    disguised = b"MZ\x90\x00\x03" + b"\x00" * 60
    r = client.post(
        f"/portal/assessments/{a.id}/evidence",
        data={
            "ev-kind": "policy",
            "ev-file": (io.BytesIO(disguised), "policy.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 415
    page = r.get_data(as_text=True)
    assert "Nur PDF-, PNG-, JPEG-, DOCX- und XLSX-Dateien werden angenommen" in page
    assert "are accepted" not in page

    risk = make.user("risk")
    f = findings.create_finding(
        risk,
        a,
        {
            "title": "Kein Vorfallprozess",
            "shared_with_vendor": True,
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    page = client.get("/findings/mine").get_data(as_text=True)
    assert "Zu behebende Feststellungen" in page and "Behebungsplan" in page
    assert "Findings to remediate" not in page and ">Offen<" in page
    r = client.post(f"/findings/{f.id}/plan", data={f"p{f.id}-plan": ""}, follow_redirects=True)
    assert "Beschreiben Sie den Behebungsplan." in r.get_data(as_text=True)
    r = client.post(
        f"/findings/{f.id}/plan", data={f"p{f.id}-plan": "Bis Q3."}, follow_redirects=True
    )
    assert "Ihr Behebungsplan wurde an das Risikoteam gesendet" in r.get_data(as_text=True)

    # The API answers in English, whatever the contact chose or the client's Accept-Language.
    r = api(user).put(
        f"/assessments/{a.id}/answers/{choice.key}",
        {"value": "nope"},
        headers={"Accept-Language": "de"},
    )
    assert r.status_code == 422
    assert r.get_json()["error"]["message"].startswith("Answer must be one of:")
