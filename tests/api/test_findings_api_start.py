"""Starting a review through the API proposes findings, as opening it in the UI does."""

from __future__ import annotations


def test_start_review_proposes_findings_once(make, api):
    assessment, _contact = make.submitted(level="high", best=False)
    risk = api(make.user("risk"))
    r = risk.post(f"/assessments/{assessment.id}/review", {"decision": "start"})
    assert r.status_code == 200 and r.get_json()["status"] == "under_review"
    proposed = r.get_json()["proposed_findings"]
    assert proposed >= 1, "worst answers hit knockouts and weak controls"
    listed = risk.get(f"/findings?assessment_id={assessment.id}").get_json()
    assert listed["total"] == proposed
    assert {f["status"] for f in listed["items"]} == {"proposed"}
    again = risk.post(f"/assessments/{assessment.id}/review", {"decision": "start"})
    assert again.status_code == 200 and again.get_json()["proposed_findings"] == 0
