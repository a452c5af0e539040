"""Offline answers in Excel: the workbook offers option lists, an upload shows a diff (new,
changed, invalid with the reason) and nothing is stored until it is confirmed; procurement may do
it on the vendor's behalf, audited as such."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import login
from tests.helpers import PDF
from vendorassure.extensions import db
from vendorassure.models import AuditEvent
from vendorassure.services import assessments

FULL = "iso42001-ai-vendor"


@pytest.fixture
def world(make, client):
    vendor = make.vendor(name="Helix Hiring AI")
    a = make.assessment(vendor, FULL)
    user = make.user("vendor", vendor=vendor)
    login(client, user)
    return a, user


def _download(client, a):
    r = client.get(f"/portal/assessments/{a.id}/workbook.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(r.data))


def _rows(book):
    sheet = book["Answers"]
    return {row[10].value: row for row in sheet.iter_rows(min_row=2) if row[10].value}


def _upload(client, a, book, name="answers.xlsx"):
    out = io.BytesIO()
    book.save(out)
    return client.post(
        f"/portal/assessments/{a.id}/workbook",
        data={"wb-file": (io.BytesIO(out.getvalue()), name)},
        content_type="multipart/form-data",
    )


def _token(page: str) -> str:
    return re.search(r'name="wbc-token" type="hidden" value="([^"]+)"', page).group(1)


def _pick(a):
    qs = a.questionnaire.questions
    single = next(q for q in qs if q.type == "single_choice" and not q.show_if)
    yes_no = next(q for q in qs if q.type in ("yes_no", "yes_no_partial") and not q.show_if)
    na_q = next(
        q for q in qs if q.allows_na and not q.show_if and q.key not in (single.key, yes_no.key)
    )
    return single, yes_no, na_q


def test_workbook_has_numbers_option_lists_and_a_hidden_key(app, world, client):
    a, _ = world
    book = _download(client, a)
    sheet = book["Answers"]
    assert [c.value for c in sheet[1]][:7] == [
        "No.", "Section", "Question", "How to answer", "When it applies", "Required", "Your answer",
    ]  # fmt: skip
    assert sheet.column_dimensions["K"].hidden
    rows = _rows(book)
    assert len(rows) == len(a.questionnaire.questions)
    single, _, _ = _pick(a)
    validations = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    row = rows[single.key][6].row
    dv = validations[f"G{row}"]
    assert dv.type == "list" and dv.formula1.startswith("Lists!")
    lists = book["Lists"]
    column = dv.formula1.split("$")[1]
    labels = [c.value for c in lists[column] if c.value]
    assert labels == [o["label"] for o in single.options]
    follow_up = next(q for q in a.questionnaire.questions if q.show_if)
    assert rows[follow_up.key][4].value.startswith("only if ")
    assert "." in rows[follow_up.key][0].value  # a follow-up's number, e.g. 1.1


def test_an_invalid_row_shows_its_reason_and_nothing_is_stored(app, world, client):
    a, _ = world
    single, yes_no, na_q = _pick(a)
    book = _download(client, a)
    rows = _rows(book)
    rows[single.key][6].value = single.options[0]["label"]
    rows[yes_no.key][6].value = "Perhaps"
    rows[na_q.key][7].value = "Yes"  # N/A without a reason
    r = _upload(client, a, book)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="confirm-import"' not in page
    assert "“Perhaps” is not one of the options" in page and "Say why it does not apply." in page
    assert "1 new" in page and "2 invalid" in page and "Nothing was saved" in page
    assert assessments.answer_map(a) == {}


def test_the_diff_is_confirmed_before_saving_and_the_import_is_audited(app, world, client):
    a, user = world
    single, yes_no, na_q = _pick(a)
    assessments.save_answer(user, a, yes_no.key, yes_no.options[-1]["value"])
    book = _download(client, a)
    rows = _rows(book)
    rows[single.key][6].value = single.options[1]["label"]
    rows[yes_no.key][6].value = yes_no.options[0]["label"]
    rows[na_q.key][7].value = "Yes"
    rows[na_q.key][8].value = "We run no such system."
    rows[single.key][9].value = "See our policy pack."
    r = _upload(client, a, book)
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page
    assert "2 new" in page and "1 changed" in page and "0 invalid" in page
    assert yes_no.options[-1]["label"] in page and yes_no.options[0]["label"] in page
    assert assessments.answer_map(a)[yes_no.key].value == yes_no.options[-1]["value"]  # not yet
    r = client.post(
        f"/portal/assessments/{a.id}/workbook/confirm", data={"wbc-token": _token(page)}
    )
    assert r.status_code == 302
    db.session.expire_all()
    stored = assessments.answer_map(a)
    assert stored[single.key].value == single.options[1]["value"]
    assert stored[single.key].comment == "See our policy pack."
    assert stored[yes_no.key].value == yes_no.options[0]["value"]
    assert stored[na_q.key].na and stored[na_q.key].na_reason == "We run no such system."
    event = db.session.scalar(select(AuditEvent).filter_by(action="answers.imported"))
    assert event.details["count"] == 3 and event.details["on_behalf_of_vendor"] is False


def test_procurement_answers_on_the_vendors_behalf_and_the_audit_says_so(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, FULL)
    buyer = make.user("procurement")
    login(client, buyer)
    single, _, _ = _pick(a)
    book = _download(client, a)
    _rows(book)[single.key][6].value = single.options[0]["label"]
    page = _upload(client, a, book).get_data(as_text=True)
    assert "on behalf of" in page
    r = client.post(
        f"/portal/assessments/{a.id}/workbook/confirm", data={"wbc-token": _token(page)}
    )
    assert r.headers["Location"].endswith(f"/procurement/vendors/{vendor.id}")
    db.session.expire_all()
    assert assessments.answer_map(a)[single.key].answered_by_id == buyer.id
    event = db.session.scalar(select(AuditEvent).filter_by(action="answers.imported"))
    assert event.details["on_behalf_of_vendor"] is True and event.actor_id == buyer.id
    login(client, make.user("risk"))  # risk never changes answers
    assert client.get(f"/portal/assessments/{a.id}/workbook").status_code == 403


def test_bad_files_and_tampered_confirmations_store_nothing(app, world, client, make):
    a, user = world
    r = client.post(
        f"/portal/assessments/{a.id}/workbook",
        data={"wb-file": (io.BytesIO(PDF), "answers.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 415 and "not an Excel workbook" in r.get_data(as_text=True)
    other = make.assessment(a.vendor, "iso42001-ai-vendor-lite")
    book = _download(client, other)
    r = _upload(client, a, book)
    assert r.status_code == 422 and "belongs to another assessment" in r.get_data(as_text=True)
    r = client.post(f"/portal/assessments/{a.id}/workbook/confirm", data={"wbc-token": "x.y.z"})
    assert r.status_code == 302 and assessments.answer_map(a) == {}
    # An answer changed between the preview and the confirmation: a clean refusal, nothing saved.
    single, yes_no, _ = _pick(a)
    book = _download(client, a)
    rows = _rows(book)
    rows[single.key][6].value = single.options[0]["label"]
    rows[yes_no.key][6].value = yes_no.options[0]["label"]
    token = _token(_upload(client, a, book).get_data(as_text=True))
    assessments.save_answer(user, a, yes_no.key, yes_no.options[-1]["value"])
    r = client.post(
        f"/portal/assessments/{a.id}/workbook/confirm",
        data={"wbc-token": token},
        follow_redirects=True,
    )
    assert "changed after you uploaded" in r.get_data(as_text=True)
    db.session.expire_all()
    assert single.key not in assessments.answer_map(a)
