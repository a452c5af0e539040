"""Realistic vendor profiles rated as an experienced risk officer expects (docs/SCORING.md §9).

Each expectation was written down before the engine was run on the profile. The first seven
are the cases of the issue "Ratings a risk officer signs", where averaging used to hide a
severe answer.
"""

import pytest
from scoring_profiles import Profile

LLM = {"model_provenance": "third_party_foundation"}


def adequate(tier, **kw):
    """A vendor whose practices are adequate (band adequate), its evidence reviewed."""
    return Profile(tier=tier, kind="adequate", evidence="verified", **kw)


def weak(tier, **kw):
    """A vendor whose practices are weak (band weak), its evidence reviewed."""
    return Profile(tier=tier, kind="weak", evidence="verified", **kw)


SCENARIOS = {
    # --- the issue's table: averaging used to hide these ---------------------------------
    "best-effort incident notification, medium tier": (
        lambda: Profile(tier="medium").set("incident_notification", "best_effort"),
        "medium", "incident_notification_best_effort",
    ),
    "no event logging, high tier": (
        lambda: Profile(tier="high").set("event_logging", "none"),
        "high", "no_event_logging_high_tier",
    ),
    "trains on customer data unless opted out, medium tier": (
        lambda: Profile(tier="medium").set("training_on_customer_data", "opt_out"),
        "medium", "training_unless_opt_out",
    ),
    "LLM product without evaluation, red-teaming or injection defences, high tier": (
        lambda: Profile(tier="high", intake=Profile().intake | LLM)
        .set("pre_release_evaluation", "no")
        .set("red_teaming", "no")
        .set("prompt_injection_defences", "none"),
        "high", "no_adversarial_testing_llm_high_tier",
    ),
    "life cycle (A.6) and data (A.7) failing, good paperwork elsewhere, medium tier": (
        lambda: Profile(tier="medium").set_objectives(("A.6", "A.7"), "worst"),
        "high", "objectives_failing",
    ),
    "critical tier, only adequate controls": (
        lambda: adequate("critical"), "high", None,
    ),
    "upstream provider's retention unknown, medium tier": (
        lambda: Profile(tier="medium").set("supplier_data_retention", "unknown"),
        "medium", "upstream_retention_unknown",
    ),
    # --- corners and strong vendors --------------------------------------------------------
    "best answers, verified, ISO/IEC 42001 certificate verified, low tier": (
        lambda: Profile(tier="low").with_certificate("iso42001_certificate"), "low", None,
    ),
    "best answers, verified, no certificates, low tier": (
        lambda: Profile(tier="low"), "low", None,
    ),
    "best answers, self-attested (nothing attached), low tier": (
        lambda: Profile(tier="low", evidence="none"), "low", None,
    ),
    # Questionnaire v2 asks evidence on nearly every scored question: claims alone reach 0.7
    # (adequate), and a critical supplier on unverified claims alone is high (was medium on v1).
    "best answers, self-attested, critical tier": (
        lambda: Profile(tier="critical", evidence="none"), "high", None,
    ),
    "best answers, verified, high tier": (
        lambda: Profile(tier="high"), "medium", None,
    ),
    "strong vendor with verified certificates, critical tier": (
        lambda: Profile(tier="critical")
        .with_certificate("iso42001_certificate")
        .with_certificate("iso27001_certificate"),
        "medium", None,
    ),
    # --- knockouts and hiding ------------------------------------------------------------------
    "worst answers everywhere, low tier": (
        lambda: Profile(tier="low", kind="worst"), "critical", "knockout.prohibited_practices",
    ),
    "good vendor that admits a prohibited practice, low tier": (
        lambda: Profile(tier="low").set("prohibited_practices", "yes"),
        "critical", "knockout.prohibited_practices",
    ),
    "autonomous high-stakes actions without human override, medium tier": (
        lambda: Profile(tier="medium")
        .set("autonomous_actions", "autonomous_high_stakes")
        .set("human_override", "no"),
        "high", "knockout.human_override",
    ),
    "intake says autonomous, vendor claims advisory only (hides the override question)": (
        lambda: Profile(tier="medium", intake=Profile().intake | {"autonomy": "autonomous_high"})
        .set("autonomous_actions", "advisory_only"),
        "high", "knockout.human_override",
    ),
    "intake says third-party model, vendor says none (hides the supplier questions)": (
        lambda: Profile(tier="medium").set("uses_third_party_models", "no"),
        "medium", None,
    ),
    "nothing answered, low tier": (
        lambda: Profile(tier="low").unanswered(),
        "critical", "knockout.prohibited_practices",
    ),
    # --- data handling -----------------------------------------------------------------------
    "no deletion on request, personal data, medium tier": (
        lambda: Profile(tier="medium").set("customer_data_deletion", "no"),
        "high", "no_deletion_on_request_personal_data",
    ),
    "no deletion on request, no personal data, low tier": (
        lambda: Profile(tier="low", intake=Profile().intake | {"personal_data": "none"})
        .set("customer_data_deletion", "no"),
        "medium", "no_deletion_on_request",
    ),
    "shared tenancy with personal data, high tier": (
        lambda: Profile(tier="high").set("tenant_isolation", "shared"),
        "high", "shared_tenancy_personal_data",
    ),
    # --- regulation and certificates -----------------------------------------------------------
    "ISO/IEC 42001 claimed, certificate on file expired, medium tier": (
        lambda: Profile(tier="medium")
        .set("iso42001_certified", "certified_accredited")
        .with_certificate("iso42001_certificate", "expired"),
        "medium", "expired_certificate_claimed",
    ),
    "EU AI Act not assessed for a high-risk use, high tier": (
        lambda: Profile(tier="high", intake=Profile().intake | {"eu_ai_act_class": "high_risk"})
        .set("eu_ai_act_classification", "not_assessed"),
        "high", "ai_act_not_assessed_high_risk_use",
    ),
    "SOC 2 report claimed, none on file, low tier": (
        lambda: Profile(tier="low").set("soc2_type2", "current_in_scope"), "low", None,
    ),
    # --- everyday vendors across the tiers -----------------------------------------------------
    "adequate vendor, low tier": (lambda: adequate("low"), "low", None),
    "adequate vendor, medium tier": (lambda: adequate("medium"), "medium", None),
    "adequate vendor, high tier": (lambda: adequate("high"), "medium", None),
    "weak vendor, low tier": (lambda: weak("low"), "medium", None),
    "weak vendor, medium tier": (lambda: weak("medium"), "medium", None),
    "weak vendor, critical tier": (lambda: weak("critical"), "critical", None),
    "good vendor with weak supplier management (A.10), medium tier": (
        lambda: Profile(tier="medium").set_objectives(("A.10",), "weak"),
        "medium", "suppliers_weak",
    ),
    "good vendor with weak supplier management (A.10), high tier": (
        lambda: Profile(tier="high").set_objectives(("A.10",), "weak"), "medium", None,
    ),
    "good vendor whose AI policy was rejected as evidence, medium tier": (
        lambda: Profile(tier="medium").set("ai_policy", "yes", "rejected"), "low", None,
    ),
    "incident notification within 7 days, low tier": (
        lambda: Profile(tier="low").set("incident_notification", "within_7d"), "low", None,
    ),
    "incident notification within 7 days, high tier": (
        lambda: Profile(tier="high").set("incident_notification", "within_7d"),
        "high", "incident_notification_best_effort_high_tier",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_rates_as_a_risk_officer_expects(name):
    build, expected, because = SCENARIOS[name]
    result = build().score()
    assert result.rating == expected, (name, result.rating, result.effectiveness,
                                       [f.key for f in result.red_flags],
                                       [c.key for c in result.caps])  # fmt: skip
    if because:
        keys = {f.key for f in result.red_flags} | {c.key for c in result.caps}
        assert because in keys
        assert because in result.explanation.held_by or result.explanation.matrix_rating == (
            expected
        )


def test_there_are_at_least_twenty_more_scenarios_than_the_issue_table_across_all_tiers():
    tiers = {build().tier for build, _, _ in SCENARIOS.values()}
    assert len(SCENARIOS) >= 7 + 20 and tiers == {"low", "medium", "high", "critical"}


def test_hiding_the_supplier_questions_never_beats_answering_them():
    honest = Profile(tier="medium").score()
    hiding = Profile(tier="medium").set("uses_third_party_models", "no").score()
    assert hiding.risk_score >= honest.risk_score
    assert hiding.effectiveness < honest.effectiveness
    (c,) = [c for c in hiding.contradictions if c.key == "third_party_model_denied"]
    assert c.treated_as == {"uses_third_party_models": "yes"}
    # a worse honest answer to every supplier question still beats hiding them
    for kind in ("weak", "worst"):
        p = Profile(tier="medium")
        suppliers = [q.key for q in p.questions
                     if any(s.question == "uses_third_party_models" for s in q.show_if)]  # fmt: skip
        for key in suppliers:
            q = next(x for x in p.questions if x.key == key)
            if q.scored:
                opts = sorted(q.options, key=lambda o: o.score)
                p.set(key, opts[0].value if kind == "worst" else opts[len(opts) // 2].value)
        honest_bad = p.score()
        assert hiding.risk_score >= honest_bad.risk_score or hiding.rating >= honest_bad.rating


def test_held_at_a_floor_says_by_what():
    r = Profile(tier="high").set("event_logging", "none").score()
    assert r.explanation.matrix_rating == "medium" and r.rating == "high"
    assert r.explanation.held_by == ("no_event_logging_high_tier",)
    flag = next(f for f in r.red_flags if f.key == "no_event_logging_high_tier")
    assert "logs" in flag.reason and flag.action
    plan = r.plan
    assert plan.target_rating == "medium" and plan.possible
    assert plan.steps[0].action == "change" and plan.steps[0].question == "event_logging"


def test_expired_certificate_claim_is_a_contradiction_and_a_plan_step():
    r = (
        Profile(tier="medium")
        .set("iso42001_certified", "certified_accredited")
        .with_certificate("iso42001_certificate", "expired")
        .score()
    )
    assert any(c.key == "iso42001_claimed_not_on_file" for c in r.contradictions)
    assert any(s.action == "renew" and s.certificate == "iso42001_certificate"
               for s in r.plan.steps)  # fmt: skip
