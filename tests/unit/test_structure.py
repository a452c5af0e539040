"""House rules checked on the source: routes never import the other door, and links in emails
come from the one link builder rather than paths typed in services."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "vendorassure"


def _sources(folder: str):
    return sorted((PACKAGE / folder).rglob("*.py"))


def test_no_web_module_imports_from_the_api():
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _sources("web")
        if re.search(r"from \.\.\.?api|vendorassure\.api", p.read_text())
    ]
    assert offenders == []


def test_services_build_links_only_through_the_link_builder():
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _sources("services")
        if p.name != "links.py" and "BASE_URL" in p.read_text()
    ]
    assert offenders == []


def test_link_builder_uses_the_route_table(app):
    from vendorassure.services import links

    with app.test_request_context():
        url = links.url("portal.assessment_answer", assessment_id=7)
    assert url == f"{app.config['BASE_URL']}/portal/assessments/7"
