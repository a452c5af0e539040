"""The AI supply chain on a fixture portfolio: links, suggestions, the upstream driver in the
dependants' explanations, concentration figures and the API."""

from __future__ import annotations

import pytest

from tests.helpers import answer_all
from vendorassure.scoring.upstream import UpstreamIn, apply_upstream, parse_rule, validate_rule
from vendorassure.services import assessments, supply_chain
from vendorassure.services.scoring import score_view


@pytest.fixture
def portfolio(make, db):
    """Omega (a weak foundation-model provider), Cloudy (a host, no assessment), and three
    dependants: Alpha (low tier, best answers, names Omega in its answers), Beta (high tier)
    and Gamma (low tier, not linked to anything)."""
    omega, _ = make.submitted(level="high", best=False)
    omega.vendor.name = "Omega Models"
    cloudy = make.vendor("Cloudy Hosting", level="low")
    alpha = make.vendor("Alpha AI", level="low")
    a = make.assessment(alpha)
    contact = make.user("vendor", vendor=alpha)
    answer_all(contact, a, best=True, skip={"foundation_model_providers"})
    assessments.save_answer(
        contact, a, "foundation_model_providers", "Omega Models; omega-large 2026-05; via API"
    )
    assessments.submit_assessment(contact, a)
    beta = make.vendor("Beta Analytics", level="high")
    gamma = make.vendor("Gamma Tools", level="low")
    db.session.commit()
    return {"omega": omega.vendor, "cloudy": cloudy, "alpha": alpha, "alpha_a": a,
            "beta": beta, "gamma": gamma}  # fmt: skip


def test_a_weak_upstream_provider_is_a_red_flag_in_the_dependants_explanation(make, portfolio):
    buyer = make.user("procurement")
    alpha, omega, a = portfolio["alpha"], portfolio["omega"], portfolio["alpha_a"]
    assert score_view(a)["rating"] == "low"
    assert supply_chain.chain_view(omega)["vendor"]["rating"] in ("high", "critical")

    supply_chain.add_link(buyer, alpha, omega.id, "foundation_model")
    view = score_view(a)
    key = f"upstream.foundation_model.{omega.id}"
    flag = next(f for f in view["red_flags"] if f["key"] == key)
    assert flag["min_rating"] == "medium" and "Omega Models" in flag["reason"]
    assert flag["triggers"] == [
        {
            "source": "upstream",
            "key": "Omega Models",
            "value": supply_chain.chain_view(omega)["vendor"]["rating"],
        }
    ]
    assert view["rating"] == "medium" and key in view["held_by"]
    assert 25 <= view["risk_score"] <= 49.9
    assert view["upstream"][0]["weak"] is True

    # a strong provider, or one of a kind the model does not count, changes nothing
    link = supply_chain.chain_view(alpha)["upstream"][0]
    supply_chain.remove_link(buyer, supply_chain.get_link(buyer, link["link_id"]))
    view = score_view(a)
    assert view["rating"] == "low" and not [f for f in view["red_flags"] if "upstream" in f["key"]]


def test_the_upstream_rule_lives_in_the_scoring_model():
    rule = parse_rule({"kinds": ["hosting"], "weak_ratings": ["critical"], "red_flagged": False,
                       "min_rating": "high", "reason": "Because."})  # fmt: skip
    weak = UpstreamIn(1, "P", "hosting", "critical")
    other_kind = UpstreamIn(2, "Q", "foundation_model", "critical")
    flagged = UpstreamIn(3, "R", "hosting", "medium", red_flags=2)
    ranges = {"low": (0, 24.9), "medium": (25, 49.9), "high": (50, 74.9), "critical": (75, 100)}
    rating, risk, ex = apply_upstream("low", 10.0, {"red_flags": []}, [weak, other_kind, flagged],
                                      rule, ranges)  # fmt: skip
    assert (rating, risk) == ("high", 50.0)
    assert [f["key"] for f in ex["red_flags"]] == ["upstream.hosting.1"]
    # never lowers a rating
    assert apply_upstream("critical", 90.0, {}, [weak], rule, ranges)[:2] == ("critical", 90.0)
    assert validate_rule({"kinds": ["rocket"], "weak_ratings": ["medium"], "reason": ""}) == [
        "upstream.kinds: unknown kind(s) ['rocket']",
        "upstream.weak_ratings: must list a rating and every worse one",
        "upstream.reason: say why a weak provider matters",
    ]


def test_suggestions_come_from_provenance_answers(make, portfolio):
    alpha, omega = portfolio["alpha"], portfolio["omega"]
    got = supply_chain.suggestions(alpha)
    assert got == [{"upstream_vendor_id": omega.id, "name": "Omega Models",
                    "kind": "foundation_model", "kind_label": "Foundation model",
                    "question": "foundation_model_providers"}]  # fmt: skip
    supply_chain.add_link(
        make.user("procurement"), alpha, omega.id, "foundation_model",
        source_question="foundation_model_providers",
    )  # fmt: skip
    assert supply_chain.suggestions(alpha) == []
    assert supply_chain.chain_view(alpha)["upstream"][0]["source"] == "suggested"


def test_concentration_is_tier_weighted_over_the_portfolio(make, portfolio, api):
    buyer = make.user("procurement")
    p = portfolio
    supply_chain.add_link(buyer, p["alpha"], p["omega"].id, "foundation_model")
    supply_chain.add_link(buyer, p["beta"], p["omega"].id, "foundation_model")
    supply_chain.add_link(buyer, p["beta"], p["omega"].id, "hosting")  # same vendor: counted once
    supply_chain.add_link(buyer, p["alpha"], p["cloudy"].id, "hosting")
    w = supply_chain.tier_weights()
    tiers = {k: v.inherent_tier for k, v in p.items() if k != "alpha_a"}
    total = sum(w[t] for t in tiers.values())
    risk = make.user("risk")
    body = api(risk).get("/portfolio/concentration").get_json()
    assert body["total"] == 2 and body["portfolio"]["vendors"] == 5
    top, second = body["items"]
    assert (top["name"], top["dependants"]) == ("Omega Models", 2)
    assert top["tier_weight"] == pytest.approx(w[tiers["alpha"]] + w[tiers["beta"]])
    assert top["share"] == pytest.approx(round(top["tier_weight"] / total, 4))
    assert top["kinds"] == ["foundation_model", "hosting"]
    assert (second["name"], second["dependants"]) == ("Cloudy Hosting", 1)
    assert second["share"] == pytest.approx(round(w[tiers["alpha"]] / total, 4))
    hosting = api(risk).get("/portfolio/concentration?kind=hosting").get_json()
    assert [i["dependants"] for i in hosting["items"]] == [1, 1]
    who = api(risk).get(f"/portfolio/concentration?upstream_vendor_id={p['omega'].id}").get_json()
    assert [(i["name"], i["kind"]) for i in who["items"]] == [
        ("Alpha AI", "foundation_model"), ("Beta Analytics", "foundation_model"),
        ("Beta Analytics", "hosting"),
    ]  # fmt: skip
    assert api(risk).get("/portfolio/concentration?kind=rocket").status_code == 422


def test_supply_chain_api_links_and_refuses_bad_links(make, portfolio, api, db):
    p = portfolio
    buyer, risk = api(make.user("procurement")), api(make.user("risk"))
    url = f"/vendors/{p['alpha'].id}/supply-chain"
    r = buyer.post(url, json={"upstream_vendor_id": p["omega"].id, "kind": "foundation_model"})
    assert r.status_code == 201, r.get_json()
    assert buyer.post(url, json={"upstream_vendor_id": p["omega"].id,
                                 "kind": "foundation_model"}).status_code == 409  # fmt: skip
    assert buyer.post(url, json={"upstream_vendor_id": p["alpha"].id,
                                 "kind": "hosting"}).status_code == 422  # fmt: skip
    assert buyer.post(url, json={"upstream_vendor_id": 2**31 - 1,
                                 "kind": "hosting"}).status_code == 422  # fmt: skip
    assert buyer.post(url, json={"upstream_vendor_id": 2**31,
                                 "kind": "hosting"}).status_code == 400  # fmt: skip
    assert buyer.post(url, json={"upstream_vendor_id": p["cloudy"].id,
                                 "kind": "rocket"}).status_code == 422  # fmt: skip
    assert risk.post(url, json={"upstream_vendor_id": p["cloudy"].id,
                                "kind": "hosting"}).status_code == 403  # fmt: skip
    body = risk.get(url).get_json()
    up = body["upstream"][0]
    assert (up["name"], up["kind_label"], up["weak"]) == ("Omega Models", "Foundation model", True)
    assert up["rating"] in ("high", "critical") and isinstance(up["certificates"], list)
    assert (
        risk.get(f"/vendors/{p['omega'].id}/supply-chain").get_json()["dependants"][0]["name"]
        == "Alpha AI"
    )
    vendor_user = make.user("vendor", vendor=p["alpha"])
    assert api(vendor_user).get(url).status_code == 403
    assert risk.delete(f"/supply-links/{up['link_id']}").status_code == 403
    assert buyer.delete(f"/supply-links/{up['link_id']}").status_code == 204
    assert buyer.delete(f"/supply-links/{up['link_id']}").status_code == 404


def test_vendor_chain_page_shows_map_table_and_suggestions(make, portfolio, client):
    from tests.conftest import login

    p = portfolio
    buyer = make.user("procurement")
    supply_chain.add_link(buyer, p["alpha"], p["cloudy"].id, "hosting", note="EU region")
    login(client, buyer)
    html = client.get(f"/chain/vendors/{p['alpha'].id}").get_data(as_text=True)
    assert "<svg" in html and "Cloudy Hosting" in html and "Hosting" in html
    assert "EU region" in html and "Suggested from the vendor" in html and "Omega Models" in html
    r = client.post(
        f"/chain/vendors/{p['alpha'].id}/links",
        data={"upstream_vendor_id": p["omega"].id, "kind": "foundation_model",
              "source_question": "foundation_model_providers"},
    )  # fmt: skip
    assert r.status_code == 302
    html = client.get(f"/chain/vendors/{p['alpha'].id}").get_data(as_text=True)
    assert "Weak provider" in html and "From the answers" in html
    conc = client.get("/chain/concentration").get_data(as_text=True)
    assert "Omega Models" in conc and "Cloudy Hosting" in conc
    who = client.get(f"/chain/concentration?upstream={p['omega'].id}").get_data(as_text=True)
    assert "Which of our vendors depend on Omega Models" in who and "Alpha AI" in who
    bad = client.post(
        f"/chain/vendors/{p['alpha'].id}/links", data={"upstream_vendor_id": "x", "kind": "rocket"}
    )
    assert bad.status_code == 302  # refused with a message, nothing stored
    assert len(supply_chain.chain_view(p["alpha"])["upstream"]) == 2


def test_a_batch_rescore_keeps_the_upstream_driver_and_reports_no_change(make, portfolio):
    from vendorassure.services.library import scoring_model
    from vendorassure.services.rescore import rescore_all

    buyer = make.user("procurement")
    supply_chain.add_link(buyer, portfolio["alpha"], portfolio["omega"].id, "foundation_model")
    report = rescore_all(scoring_model())
    assert report.assessments == 2 and report.ratings_changed == 0
    view = score_view(portfolio["alpha_a"])
    assert view["rating"] == "medium"
    assert [f["key"] for f in view["red_flags"] if f["key"].startswith("upstream.")] == [
        f"upstream.foundation_model.{portfolio['omega'].id}"
    ]


def test_the_map_and_concentration_do_not_query_per_link(make, api, db):
    from sqlalchemy import event

    buyer, risk = make.user("procurement"), api(make.user("risk"))
    hub = make.vendor("Hub AI", level="low")
    counts = []
    for n in (2, 6):
        while len(supply_chain.chain_view(hub)["upstream"]) < n:
            provider = make.vendor(level="high")
            supply_chain.add_link(buyer, hub, provider.id, "hosting")
            supply_chain.add_link(buyer, make.vendor(), provider.id, "sub_processor")
        risk.get(f"/vendors/{hub.id}/supply-chain")  # caches warm (model, vocabulary, token)
        statements = []

        def track(*args, _s=statements):
            _s.append(1)

        event.listen(db.engine, "before_cursor_execute", track)
        try:
            risk.get(f"/vendors/{hub.id}/supply-chain")
            risk.get("/portfolio/concentration")
        finally:
            event.remove(db.engine, "before_cursor_execute", track)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_a_large_portfolio_links_a_provider_by_its_name(make, portfolio, client, monkeypatch):
    """Beyond the select's limit the form asks for the provider's name: every vendor can be
    linked however large the portfolio, and a bad name or id changes nothing."""
    from tests.conftest import login
    from vendorassure.web.chain import routes

    p = portfolio
    monkeypatch.setattr(routes, "SELECT_LIMIT", 1)
    login(client, make.user("procurement"))
    url = f"/chain/vendors/{p['alpha'].id}"
    html = client.get(url).get_data(as_text=True)
    assert 'name="upstream_name"' in html and '<select id="upstream_vendor_id"' not in html
    for data in (
        {"upstream_name": "Nobody Ltd", "kind": "hosting"},
        {"upstream_name": "", "kind": "hosting"},
        {"upstream_vendor_id": str(2**40), "kind": "hosting"},
        {"upstream_vendor_id": "0", "kind": "hosting"},
    ):
        r = client.post(url + "/links", data=data, follow_redirects=True)
        assert r.status_code == 200
        assert "flash-error" in r.get_data(as_text=True), data
    assert supply_chain.chain_view(p["alpha"])["upstream"] == []
    r = client.post(url + "/links", data={"upstream_name": "cloudy hosting", "kind": "hosting"})
    assert r.status_code == 302
    [link] = supply_chain.chain_view(p["alpha"])["upstream"]
    assert "Cloudy Hosting" in str(link)


def test_upstream_inputs_are_the_same_read_by_ids_or_in_bulk(make, portfolio, monkeypatch):
    p = portfolio
    buyer = make.user("procurement")
    supply_chain.add_link(buyer, p["alpha"], p["omega"].id, "foundation_model")
    supply_chain.add_link(buyer, p["alpha"], p["cloudy"].id, "hosting")
    ids = [p["alpha"].id, p["omega"].id]
    by_ids = supply_chain.upstream_inputs(ids)
    monkeypatch.setattr(supply_chain, "BULK_IDS", 0)  # the path a portfolio-wide rescore takes
    assert supply_chain.upstream_inputs(ids) == by_ids
    assert sorted(u.name for u in by_ids[p["alpha"].id]) == ["Cloudy Hosting", "Omega Models"]
    assert supply_chain.upstream_inputs([p["omega"].id]) == {}
