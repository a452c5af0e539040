"""Foreign questionnaire import through the API: suggestions, decisions, publish, issue refused."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from vendorassure.models import ImportQuestion, Questionnaire

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"


def _upload(client, name: str, **form):
    data = (FIXTURE / name).read_bytes()
    return client.client.post(
        "/api/v1/questionnaires/import",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name), **form},
        headers={"Authorization": f"Bearer {client.token}"},
    )


def test_import_review_and_publish_through_the_api(make, api, db):
    admin = api(make.user("admin"))
    r = _upload(admin, "crosswalk-sample.csv", key="xw", title="Crosswalk", map="suggest")
    assert r.status_code == 202, r.get_json()
    draft = r.get_json()["import"]
    assert draft["status"] == "review" and sum(draft["counts"].values()) == 44
    body = admin.get(f"/questionnaire-imports/{draft['id']}").get_json()
    by_key = {q["key"]: q for q in body["questions"]}
    xw21 = by_key["xw_21"]
    assert {s["ref"] for s in xw21["suggestions"]} >= {"A.6.2.6", "A.8.3", "A.10.4"}
    assert by_key["xw_40"]["unknown_refs"] == ["A.11.2"]
    pending = admin.get(f"/questionnaire-imports/{draft['id']}?decision=pending").get_json()
    assert all(q["decision"] == "pending" for q in pending["questions"])

    # all or nothing: one unknown control refuses the whole batch
    bad = admin.post(
        f"/questionnaire-imports/{draft['id']}/decisions",
        json={
            "decisions": [
                {"key": "xw_01", "action": "drop"},
                {"key": "xw_02", "action": "set", "controls": ["A.99.9"]},
            ]
        },
    )
    assert bad.status_code == 422 and "decisions.1.controls" in bad.get_json()["error"]["fields"]
    row = db.session.scalar(select(ImportQuestion).filter_by(key="xw_01"))
    assert row.decision == "pending"
    ok = admin.post(
        f"/questionnaire-imports/{draft['id']}/decisions",
        json={"decisions": [{"key": "xw_01", "action": "set", "controls": ["A.2.2", "A.2.4"]}]},
    )
    assert ok.status_code == 200 and ok.get_json()["applied"] == 1
    early = admin.post(f"/questionnaire-imports/{draft['id']}/publish", json={})
    assert early.status_code == 409 and early.get_json()["error"]["fields"]["pending"]
    assert (
        admin.post(
            f"/questionnaire-imports/{draft['id']}/accept", json={"threshold": 1.5}
        ).status_code
        == 400
    )
    acc = admin.post(f"/questionnaire-imports/{draft['id']}/accept", json={"threshold": 0.6})
    assert acc.status_code == 200 and acc.get_json()["accepted"] > 30
    # what is still undecided (suggestions below the threshold) the admin decides by hand
    left = admin.get(f"/questionnaire-imports/{draft['id']}?decision=pending").get_json()
    assert len(left["questions"]) <= 5
    if left["questions"]:
        decided = admin.post(
            f"/questionnaire-imports/{draft['id']}/decisions",
            json={"decisions": [{"key": q["key"], "action": "drop"} for q in left["questions"]]},
        )
        assert decided.status_code == 200
    pub = admin.post(f"/questionnaire-imports/{draft['id']}/publish", json={})
    assert pub.status_code == 201 and pub.get_json() == {"key": "xw", "version": 1, "created": True}
    again = admin.post(f"/questionnaire-imports/{draft['id']}/publish", json={})
    assert again.status_code == 409
    q = admin.get("/questionnaires/xw").get_json()["questions"]
    refs = {x["key"]: [c["ref"] for c in x["controls"]] for x in q}
    assert refs["xw_01"] == ["A.2.2", "A.2.4"]
    assert refs["xw_03"] == ["A.2.2", "A.2.3", "A.2.4"]
    assert refs["xw_37"] == []


def test_accept_above_publishes_at_once_and_issuing_it_needs_force(make, api, db):
    admin = api(make.user("admin"))
    r = _upload(
        admin, "ai-security-questionnaire.csv", key="ai-sec", map="accept-above", threshold="0.6"
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["version"] == 1 and r.get_json()["import_id"]
    proc = api(make.user("procurement"))
    vendor = make.vendor()
    due = (date.today() + timedelta(days=10)).isoformat()
    refused = proc.post(
        "/assessments", json={"vendor_id": vendor.id, "questionnaire": "ai-sec", "due_date": due}
    )
    assert refused.status_code == 422
    err = refused.get_json()["error"]
    assert "not mapped to any Annex A control" in err["message"]
    assert "hrs_01_1" in err["fields"]["unmapped"]
    forced = proc.post(
        "/assessments",
        json={"vendor_id": vendor.id, "questionnaire": "ai-sec", "due_date": due, "force": True},
    )
    assert forced.status_code == 201


def test_bad_map_mode_and_threshold_store_nothing(make, api, db):
    admin = api(make.user("admin"))
    before = db.session.scalar(select(func.count()).select_from(Questionnaire))
    assert _upload(admin, "crosswalk-sample.csv", key="xw", map="guess").status_code == 422
    r = _upload(admin, "crosswalk-sample.csv", key="xw", map="accept-above", threshold="2")
    assert r.status_code == 422 and "threshold" in r.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == before
    assert db.session.scalar(select(func.count()).select_from(ImportQuestion)) == 0
    assert admin.get("/questionnaire-imports/99999").status_code == 404
