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
