"""The staff control catalog page and the reusable crosswalk partial."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from markupsafe import escape
from sqlalchemy import select

from vendorassure.models import Control, Crosswalk, Objective


def _rows(page: str) -> dict[str, str]:
    return {
        m.group(1): m.group(0) for m in re.finditer(r'<tr id="c-([A-Z0-9.]+)">.*?</tr>', page, re.S)
    }


@pytest.mark.parametrize("role", ["admin", "procurement", "risk"])
def test_staff_see_all_38_controls_by_objective_with_crosswalks(client, login_as, db, role):
    login_as(role)
    response = client.get("/admin/controls")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = _rows(page)
    controls = db.session.scalars(select(Control).order_by(Control.position)).all()
    assert len(controls) == 38
    assert list(rows) == [c.ref for c in controls]
    # every control sits in its objective's section, with its summary
    for obj in db.session.scalars(select(Objective)):
        section = re.search(
            rf'<section class="card" id="o-{re.escape(obj.ref)}">.*?</section>', page, re.S
        )
        assert section, obj.ref
        members = [c.ref for c in controls if c.objective == obj.ref]
        assert re.findall(r'<tr id="c-([A-Z0-9.]+)">', section.group(0)) == members
    for c in controls:
        assert str(escape(c.summary)) in rows[c.ref]
    # every crosswalk ref stored for a control appears beside it
    for cw in db.session.scalars(select(Crosswalk)):
        assert f">{cw.ref}</span>" in rows[cw.control.ref], (cw.control.ref, cw.ref)
    assert "NIST AI RMF" in page and "EU AI Act" in page


def test_a_control_without_an_eu_ai_act_entry_says_not_placed(client, login_as, db):
    login_as("risk")
    placed = set(db.session.scalars(select(Crosswalk.control_id).filter_by(framework="eu-ai-act")))
    missing = [c.ref for c in db.session.scalars(select(Control)) if c.id not in placed]
    assert missing, "the shipped EU AI Act crosswalk leaves some controls out"
    rows = _rows(client.get("/admin/controls").get_data(as_text=True))
    for ref in missing:
        eu = re.search(r'data-framework="eu-ai-act".*?</div>', rows[ref], re.S).group(0)
        assert "not placed" in eu


def test_vendor_may_not_open_the_control_catalog(client, login_as, make):
    login_as("vendor", vendor=make.vendor())
    assert client.get("/admin/controls").status_code == 403


def test_control_catalog_needs_sign_in(client):
    response = client.get("/admin/controls")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_crosswalk_partial_renders_chips_per_framework(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "_crosswalks.html" import crosswalk_chips %}'
            "{{ crosswalk_chips(ref, xw, names) }}",
            ref="A.10.3",
            xw={"nist-ai-rmf": ["GOVERN 6.1", "MAP 4.1"], "eu-ai-act": []},
            names={"nist-ai-rmf": "NIST AI RMF 1.0", "eu-ai-act": "EU AI Act"},
        )
    assert 'data-control="A.10.3"' in html
    nist = re.search(r'data-framework="nist-ai-rmf".*?</div>', html, re.S).group(0)
    assert "NIST AI RMF 1.0" in nist
    assert re.findall(r'<span class="chip"[^>]*>([^<]+)</span>', nist) == ["GOVERN 6.1", "MAP 4.1"]
    eu = re.search(r'data-framework="eu-ai-act".*?</div>', html, re.S).group(0)
    assert "not placed" in eu and "chip" not in eu


def test_crosswalk_partial_without_names_shows_only_given_frameworks(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "_crosswalks.html" import crosswalk_chips %}{{ crosswalk_chips("A.2.2", xw) }}',
            xw={"nist-ai-rmf": ["GOVERN 1.1"]},
        )
    assert "GOVERN 1.1" in html and "eu-ai-act" not in html
    with app.test_request_context():
        empty = render_template_string(
            '{% from "_crosswalks.html" import crosswalk_chips %}{{ crosswalk_chips("A.2.2", {}) }}'
        )
    assert "no crosswalk" in empty
