"""The OpenAPI document is public and generated from the same schemas that validate requests."""

from __future__ import annotations

from vendorassure.api.core import ROUTES


def test_openapi_lists_every_api_route_with_its_request_schema(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert len(ROUTES) > 25
    for route in ROUTES:
        path = route.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        assert route.method.lower() in doc["paths"][path], (route.method, path)
    create = doc["paths"]["/vendors"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) >= {"name", "intake"}
    assert doc["paths"]["/assessments/{assessment_id}/evidence"]["post"]["responses"].keys() >= {
        "413",
        "415",
    }


def test_me_and_pagination_shape(make, api):
    user = make.user("procurement")
    client = api(user)
    assert client.get("/me").get_json() == {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": "procurement",
        "vendor_id": None,
    }
    for i in range(3):
        make.vendor(name=f"Vendor {i:02d}")
    page = client.get("/vendors?per_page=2&page=2").get_json()
    assert set(page) == {"items", "page", "per_page", "total"}
    assert (
        page["page"] == 2
        and page["per_page"] == 2
        and page["total"] == 3
        and len(page["items"]) == 1
    )
    assert client.get("/vendors?q=vendor 01").get_json()["total"] == 1
    assert client.get("/vendors?per_page=0").status_code == 400
    assert client.get("/vendors?page=abc").status_code == 400


def test_assessment_list_filters_and_reviewer_assignment(make, api, db):
    from datetime import date, timedelta

    from vendorassure.models import Assessment

    risk_user = make.user("risk")
    risk = api(risk_user)
    low = make.assessment(make.vendor(level="low"))
    high = make.assessment(make.vendor(level="high"))
    late = db.session.get(Assessment, high.id)
    late.due_date = date.today() - timedelta(days=2)
    db.session.commit()
    high_tier = late.vendor.inherent_tier
    ids = lambda q: [a["id"] for a in risk.get(f"/assessments?{q}").get_json()["items"]]  # noqa: E731
    assert ids(f"tier={high_tier}") == [high.id]
    assert ids("overdue=true") == [high.id]
    assert ids(f"reviewer_id={risk_user.id}") == []
    r = risk.put(f"/assessments/{low.id}/reviewer", {"reviewer_id": risk_user.id})
    assert r.status_code == 200 and r.get_json()["reviewer_id"] == risk_user.id
    assert ids(f"reviewer_id={risk_user.id}") == [low.id]
    buyer = make.user("procurement")
    bad = risk.put(f"/assessments/{low.id}/reviewer", {"reviewer_id": buyer.id})
    assert bad.status_code == 422 and "reviewer_id" in bad.get_json()["error"]["fields"]
    assert risk.put(f"/assessments/{low.id}/reviewer", {"reviewer_id": 10**6}).status_code == 422
    assert (
        risk.put(f"/assessments/{low.id}/reviewer", {"reviewer_id": None}).get_json()["reviewer_id"]
        is None
    )
    assert (
        api(buyer).put(f"/assessments/{low.id}/reviewer", {"reviewer_id": None}).status_code == 403
    )


def test_lists_do_not_query_per_row(make, api, db):
    from sqlalchemy import event

    staff = api(make.user("risk"))
    counts = []
    for n in (2, 6):
        while len(staff.get("/assessments?per_page=200").get_json()["items"]) < n:
            make.assessment(make.vendor())
        statements = []

        def track(*args, _s=statements):
            _s.append(1)

        event.listen(db.engine, "before_cursor_execute", track)
        try:
            staff.get("/assessments?per_page=200")
            staff.get("/vendors?per_page=200")
        finally:
            event.remove(db.engine, "before_cursor_execute", track)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_openapi_lists_every_status_and_content_type_a_route_answers(client):
    from vendorassure.reports import XLSX_MIMETYPE

    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]

    def codes(path, method):
        return set(paths[path][method]["responses"])

    upload = codes("/assessments/{assessment_id}/evidence", "post")
    assert upload >= {"201", "400", "401", "403", "404", "409", "413", "415", "422", "503"}
    assert codes("/tokens", "post") >= {"201", "400", "401", "422", "429"}
    assert "403" not in codes("/tokens", "post")  # public: no role to refuse
    assert codes("/assessments/{assessment_id}/submit", "post") >= {"200", "409", "422"}
    assert codes("/assessments/{assessment_id}/review", "post") >= {"400", "409", "422"}
    assert codes("/vendors", "get") >= {"200", "400", "401", "403", "422"}
    assert codes("/evidence/{evidence_id}", "delete") >= {"204", "409"}
    assert "content" not in paths["/evidence/{evidence_id}"]["delete"]["responses"]["204"]
    assert set(paths["/questionnaires/import"]["post"]["responses"]) >= {"200", "201", "422"}
    content = lambda path, code="200": set(  # noqa: E731
        paths[path]["get"]["responses"][code].get("content", {})
    )
    assert content("/assessments/{assessment_id}/export.xlsx") == {XLSX_MIMETYPE}
    assert content("/portfolio/export.xlsx") == {XLSX_MIMETYPE}
    assert content("/questionnaires/{key}/export") == {XLSX_MIMETYPE, "text/csv"}
    assert {"application/pdf", "image/png", XLSX_MIMETYPE} <= content(
        "/evidence/{evidence_id}/download"
    )
    assert content("/vendors", "404" if "404" in codes("/vendors", "get") else "400") == {
        "application/json"
    }
    rate = paths["/tokens"]["post"]["responses"]["429"]
    assert "Retry-After" in rate["headers"]


def test_openapi_states_the_constraints_that_validation_enforces(client):
    import re

    from vendorassure.validation import MAX_INT

    doc = client.get("/api/v1/openapi.json").get_json()
    vendor_id = doc["paths"]["/vendors/{vendor_id}"]["get"]["parameters"][0]["schema"]
    assert vendor_id == {"type": "integer", "minimum": 1, "maximum": MAX_INT}
    params = {p["name"]: p["schema"] for p in doc["paths"]["/vendors"]["get"]["parameters"]}
    assert params["page"]["maximum"] == MAX_INT and params["per_page"]["maximum"] == 200
    assert "\\u0000" in params["q"]["pattern"]
    schemas = doc["components"]["schemas"]
    name = schemas["VendorCreate"]["properties"]["name"]
    assert name["maxLength"] == 500
    assert re.fullmatch(name["pattern"], "Acme AI") and not re.fullmatch(name["pattern"], "A\nB")
    services = schemas["VendorCreate"]["properties"]["services"]["pattern"]
    assert re.fullmatch(services, "line\nbreaks") and not re.fullmatch(services, "nul\x00")
    review = schemas["Review"]["properties"]["decision"]
    assert set(review["enum"]) == {"start", "complete", "request_changes"}
    create = schemas["AssessmentCreate"]["properties"]["vendor_id"]
    assert create["maximum"] == MAX_INT and create["minimum"] == 1
