"""A German-speaking vendor answers section by section: the browser asks for German, the portal,
its script's messages and the buttons answer in German, and the answers are saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.conftest import PASSWORD
from tests.helpers import choose
from vendorassure.extensions import db
from vendorassure.scoring import AnswerIn, visible_questions
from vendorassure.services import assessments
from vendorassure.services.scoring import question_defs

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "de-DE", "viewport": {"width": 1280, "height": 900}}


def test_a_german_vendor_walks_the_sections_and_submits(app, make, page):
    vendor = make.vendor(name="Helix Hiring AI")
    a = make.assessment(vendor, "iso42001-ai-vendor-lite")
    user = make.user("vendor", vendor=vendor)
    defs = question_defs(a.questionnaire)
    sign_in(page, user.email, PASSWORD)
    expect(page.locator("h1")).to_have_text("Ihre Bewertungen")
    page.click("text=Weiter beantworten")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    given: dict = {}
    sections = list(dict.fromkeys(q.section for q in a.questionnaire.questions))
    for number, section in enumerate(sections, start=1):
        expect(page.locator(".section-step")).to_have_text(
            f"Abschnitt {number} von {len(sections)}"
        )
        for q in defs:
            if q.section != section or q.key not in visible_questions(defs, given):
                continue
            value = choose(q, best=True)
            box = page.locator(f"#q-{q.key}")
            if q.options:
                for v in value if isinstance(value, list) else [value]:
                    box.locator(f"input[value='{v}']").check()
            else:
                box.locator(f"[name=q__{q.key}]").fill(str(value))
            expect(box.locator(".save-state")).to_contain_text("Gespeichert", timeout=10000)
            given[q.key] = AnswerIn(question=q.key, value=value)
        if number == 2:
            expect(page.locator(f'.toc .count[data-section="{section}"]')).to_have_text("2/2")
            page.evaluate("window.scrollTo(0, 0)")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "g01-german-section.png"))
        if number < len(sections):
            expect(page.locator("#missing-here")).to_have_text("0 auf dieser Seite")
        else:
            expect(page.locator("#missing-count")).to_have_text("Nichts fehlt")
        page.click("#next-section")
    expect(page.locator("#submit h2")).to_have_text("Prüfen und einreichen")
    page.click("#submit-btn")
    expect(page.locator(".flash-success")).to_contain_text("Vielen Dank")
    db.session.rollback()
    assert db.session.get(type(a), a.id).status == "submitted"
    assert len(assessments.answer_map(a)) == len(given)


def test_a_questionnaire_with_german_text_reads_in_german(app, make, page):
    from tests.web.test_languages import FIXTURE, _validate
    from vendorassure.services import library

    normalized, _ = _validate(__import__("yaml").safe_load(FIXTURE.read_text()))
    qn, _ = library.import_questionnaire(normalized, "translated.yaml")
    db.session.commit()
    vendor = make.vendor(name="Helix Hiring AI")
    a = make.assessment(vendor, qn.key)
    user = make.user("vendor", vendor=vendor)
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}")
    expect(page.locator("#s-governance h2")).to_have_text("KI-Governance")
    box = page.locator("#q-ai_policy")
    expect(box.locator("legend")).to_contain_text("Haben Sie eine genehmigte KI-Richtlinie?")
    box.locator("label:has-text('Ja')").click()
    expect(box.locator(".save-state")).to_contain_text("Gespeichert", timeout=10000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "g02-german-translated-questions.png"))
    db.session.rollback()
    assert assessments.answer_map(a)["ai_policy"].value == "yes"
