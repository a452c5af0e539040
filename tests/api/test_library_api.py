"""Questionnaire import and export through the API (the same services as the admin UI)."""

from __future__ import annotations

import io

import yaml

from vendorassure.services.library import library_root


def _upload(client, data: bytes, name: str, **form):
    return client.client.post(
        "/api/v1/questionnaires/import",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name), **form},
        headers={"Authorization": f"Bearer {client.token}"},
    )


def test_export_then_import_unchanged_is_a_no_op(make, api):
    admin = api(make.user("admin"))
    r = admin.get("/questionnaires/iso42001-ai-vendor-lite/export?format=xlsx")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    back = _upload(admin, r.data, "lite.xlsx")
    assert back.status_code == 200, back.get_json()
    assert back.get_json()["created"] is False and back.get_json()["version"] == 2


def test_changed_yaml_becomes_a_new_version_and_a_broken_one_stores_nothing(make, api):
    admin = api(make.user("admin"))
    data = yaml.safe_load((library_root() / "iso42001-ai-vendor-lite.yaml").read_text())
    data["title"] = data["title"] + " (2027)"
    r = _upload(admin, yaml.safe_dump(data).encode(), "lite.yaml")
    assert r.status_code == 201 and r.get_json()["version"] == 3
    data["sections"][0]["questions"][0]["controls"] = [{"ref": "A.99.9", "weight": 1}]
    bad = _upload(admin, yaml.safe_dump(data).encode(), "lite.yaml")
    assert bad.status_code == 422
    assert any("A.99.9" in p for p in bad.get_json()["error"]["fields"]["problems"])
    listing = admin.get("/questionnaires").get_json()["items"]
    assert [q["version"] for q in listing if q["key"] == "iso42001-ai-vendor-lite"] == [3]
    assert (
        api(make.user("risk"))
        .get("/questionnaires/iso42001-ai-vendor-lite/export?version=2")
        .status_code
        == 200
    )
    assert _upload(api(make.user("risk")), b"x", "x.yaml").status_code == 403
