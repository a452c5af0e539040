"""Route x role matrix built from app.url_map: every route must have an entry here, so a new
route without a decision about who may use it fails the suite."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from tests.helpers import PDF

STAFF = ("admin", "procurement", "risk")
BUYER = ("admin", "procurement")
RISK = ("admin", "risk")
ALL = ("admin", "procurement", "risk", "vendor")
PUBLIC = "public"

# endpoint -> roles that may use it (PUBLIC: no sign-in needed).
WEB = {
    "static": PUBLIC,
    "main.index": PUBLIC,
    "auth.login": PUBLIC,
    "auth.invitation_accept": PUBLIC,
    "auth.login_mfa": PUBLIC,
    "auth.login_mfa_setup": PUBLIC,
    "auth.password_forgot": PUBLIC,
    "auth.password_reset": PUBLIC,
    "auth.sso_start": PUBLIC,
    "auth.sso_callback": PUBLIC,
    "auth.logout": ALL,
    "account.profile": ALL,
    "account.password_change": ALL,
    "account.mfa_setup": ALL,
    "account.mfa_disable": ALL,
    "account.recovery_codes_renew": ALL,
    "account.token_list": ALL,
    "account.token_revoke": ALL,
    "admin.user_edit": ("admin",),
    "admin.user_deactivate": ("admin",),
    "admin.user_reactivate": ("admin",),
    "admin.user_invitation_resend": ("admin",),
    "admin.user_mfa_reset": ("admin",),
    "main.dashboard": STAFF,
    "admin.index": ("admin",),
    "admin.library_index": ("admin",),
    "admin.questionnaire_upload": ("admin",),
    "admin.questionnaire_preview": ("admin",),
    "admin.questionnaire_coverage": ("admin",),
    "admin.questionnaire_export": ("admin",),
    "admin.import_review": ("admin",),
    "admin.import_question_decide": ("admin",),
    "admin.import_accept": ("admin",),
    "admin.import_publish": ("admin",),
    "admin.import_discard": ("admin",),
    "admin.control_list": STAFF,
    "procurement.vendor_list": STAFF,
    "procurement.vendor_detail": STAFF,
    "procurement.vendor_create": BUYER,
    "procurement.vendor_edit": BUYER,
    "procurement.assessment_issue": BUYER,
    "procurement.contact_create": BUYER,
    "procurement.assessment_cancel": BUYER,
    "procurement.contact_resend": BUYER,
    "procurement.contact_revoke": BUYER,
    "portal.answers_confirm": ("vendor",),
    "portal.comment_create": ("vendor",),
    "portal.evidence_attach": ("vendor",),
    "portal.evidence_replace": ("vendor",),
    "portal.library": ("vendor",),
    "portal.index": ("vendor",),
    "portal.assessment_answer": ("vendor",),
    "portal.answer_autosave": ("vendor",),
    "portal.evidence_upload": ("vendor",),
    "portal.evidence_delete": ("vendor",),
    "portal.evidence_detach": ("vendor",),
    "portal.evidence_download": ("vendor",),
    "portal.assessment_submit": ("vendor",),
    "portal.workbook_download": (*BUYER, "vendor"),
    "portal.workbook_upload": (*BUYER, "vendor"),
    "portal.workbook_confirm": (*BUYER, "vendor"),
    "review.queue": STAFF,
    "review.assessment_review": STAFF,
    "review.review_start": RISK,
    "review.review_decision": RISK,
    "review.evidence_verify": RISK,
    "review.evidence_download": STAFF,
    "review.finding_list": STAFF,
    "review.finding_edit": STAFF,
    "review.assessment_export": STAFF,
    "review.assessment_assign": RISK,
    "review.answer_flag": RISK,
    "review.clarification_request": RISK,
    "review.findings_propose": RISK,
    "review.findings_bulk": RISK,
    "inbox.inbox_list": ALL,
    "inbox.notification_read": ALL,
    "inbox.notifications_read_all": ALL,
    "inbox.notification_preferences": ALL,
    "procurement.campaign_list": STAFF,
    "procurement.campaign_detail": STAFF,
    "review.assessment_report": STAFF,
    "review.finding_create": RISK,
    "review.finding_update": RISK,
    "main.vendor_register": STAFF,
    "main.vendor_sample": STAFF,
    "main.vendor_overview": STAFF,
    "main.portfolio_export": STAFF,
    "main.evidence_pack_export": STAFF,
    "main.export_list": STAFF,
    "main.export_status": STAFF,
    "main.export_download": STAFF,
    "admin.job_list": ("admin",),
    "admin.job_retry": ("admin",),
    "admin.rescore_request": ("admin",),
    "ops.healthz": PUBLIC,
    "ops.readyz": PUBLIC,
    "ops.metrics_text": PUBLIC,
    "chain.vendor_chain": STAFF,
    "chain.link_create": BUYER,
    "chain.link_delete": BUYER,
    "chain.concentration": STAFF,
    "chain.vendor_changes": STAFF,
    "chain.change_reassessment": BUYER,
    "chain.portal_changes": ("vendor",),
    "chain.webhook_list": ("admin",),
    "chain.webhook_detail": ("admin",),
    "chain.webhook_toggle": ("admin",),
    "chain.webhook_delete": ("admin",),
    "chain.webhook_replay": ("admin",),
    "chain.portal_packages": ("vendor",),
    "chain.portal_package_download": ("vendor",),
    "chain.package_list": STAFF,
    "chain.package_import": BUYER,
    "chain.package_decide": RISK,
    "chain.ai_act_record": STAFF,
    "chain.ai_act_record_pdf": STAFF,
    "chain.ai_act_record_xlsx": STAFF,
    "chain.dora_register": STAFF,
    "chain.dora_register_xlsx": STAFF,
    "chain.dora_register_csv": STAFF,
    "main.vendor_findings": ("vendor",),
    "main.vendor_finding_plan": ("vendor",),
}

API = {
    "api.openapi_json": PUBLIC,
    "api.token_create": PUBLIC,
    "api.invitation_accept": PUBLIC,
    "api.password_reset_request": PUBLIC,
    "api.password_reset_confirm": PUBLIC,
    "api.me_password": ALL,
    "api.me_tokens_list": ALL,
    "api.me_tokens_create": ALL,
    "api.me_token_revoke": ALL,
    "api.users_list": ("admin",),
    "api.user_get": ("admin",),
    "api.user_patch": ("admin",),
    "api.me_get": ALL,
    "api.intake_get": ALL,
    "api.vendors_list": STAFF,
    "api.vendors_create": BUYER,
    "api.vendor_get": ALL,
    "api.vendor_patch": BUYER,
    "api.vendor_contact_create": BUYER,
    "api.questionnaires_list": STAFF,
    "api.questionnaire_get": STAFF,
    "api.controls_list": STAFF,
    "api.questionnaire_export": STAFF,
    "api.questionnaire_import": ("admin",),
    "api.questionnaire_import_get": ("admin",),
    "api.questionnaire_import_decide": ("admin",),
    "api.questionnaire_import_accept": ("admin",),
    "api.questionnaire_import_publish": ("admin",),
    "api.questionnaire_import_discard": ("admin",),
    "api.assessments_list": ALL,
    "api.assessments_create": BUYER,
    "api.assessment_get": ALL,
    "api.assessment_questions": ALL,
    "api.assessment_answers": ALL,
    "api.answer_put": ("vendor",),
    "api.assessment_submit": ("vendor",),
    "api.assessment_review": RISK,
    "api.assessment_cancel": BUYER,
    "api.assessment_assign": RISK,
    "api.assessment_score": STAFF,
    "api.assessment_evidence_list": ALL,
    "api.assessment_evidence_upload": ("vendor",),
    "api.evidence_get": ALL,
    "api.evidence_delete": ("vendor",),
    "api.evidence_download": ALL,
    "api.evidence_verify": RISK,
    "api.findings_list": (*RISK, "vendor"),
    "api.finding_get": (*RISK, "vendor"),
    "api.finding_respond": ("vendor",),
    "api.findings_propose": RISK,
    "api.findings_bulk": RISK,
    "api.audit_events_list": RISK,
    "api.assessment_review_get": STAFF,
    "api.notifications_list": ALL,
    "api.notification_read": ALL,
    "api.notification_preferences_get": ALL,
    "api.notification_preferences_put": ALL,
    "api.campaigns_create": BUYER,
    "api.campaigns_list": STAFF,
    "api.campaign_get": STAFF,
    "api.assessment_report": STAFF,
    "api.answer_flag": RISK,
    "api.clarification_create": RISK,
    "api.assessment_export": STAFF,
    "api.portfolio_export": STAFF,
    "api.evidence_pack_export": STAFF,
    "api.findings_create": RISK,
    "api.finding_patch": RISK,
    "api.portfolio_summary": STAFF,
    "api.vendor_contacts_list": STAFF,
    "api.contact_invitation_resend": BUYER,
    "api.contact_invitation_revoke": BUYER,
    "api.answers_confirm": ("vendor",),
    "api.comments_list": ALL,
    "api.comments_create": ("vendor", "risk", "admin"),
    "api.library_list": ALL,
    "api.library_upload": ("vendor",),
    "api.evidence_attach": ("vendor",),
    "api.evidence_replace": ("vendor",),
    "api.export_create": STAFF,
    "api.export_get": STAFF,
    "api.export_download": STAFF,
    "api.rescore_create": ("admin",),
    "api.jobs_list": ("admin",),
    "api.job_get": ("admin",),
    "api.job_retry": ("admin",),
    "api.vendor_supply_chain": STAFF,
    "api.vendor_supply_chain_link": BUYER,
    "api.supply_link_delete": BUYER,
    "api.portfolio_concentration": STAFF,
    "api.change_event_create": ALL,
    "api.change_events_list": ALL,
    "api.change_event_get": ALL,
    "api.change_event_reassessment": BUYER,
    "api.webhooks_list": ("admin",),
    "api.webhooks_create": ("admin",),
    "api.webhook_patch": ("admin",),
    "api.webhook_delete": ("admin",),
    "api.webhook_deliveries": ("admin",),
    "api.webhook_delivery_replay": ("admin",),
    "api.assessment_package": ("vendor",),
    "api.package_import": BUYER,
    "api.package_import_get": STAFF,
    "api.package_import_decide": RISK,
    "api.ai_act_record_pdf": STAFF,
    "api.ai_act_record_xlsx": STAFF,
    "api.dora_register_xlsx": STAFF,
    "api.dora_register_csv": STAFF,
}


def _rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_a_permission_entry(app):
    missing = sorted({r.endpoint for r, _ in _rules(app)} - set(WEB) - set(API))
    assert not missing, f"Add these endpoints to the permission matrix: {missing}"
    stale = sorted((set(WEB) | set(API)) - {r.endpoint for r, _ in _rules(app)})
    assert not stale, f"Entries without a route: {stale}"


@pytest.fixture
def world(make, db):
    """One vendor with an issued assessment, a contact and a piece of evidence."""
    from vendorassure.models import Evidence
    from vendorassure.services import evidence as evidence_service
    from vendorassure.services import findings

    vendor = make.vendor(level="low")
    assessment = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    first = assessment.questionnaire.questions[0]
    evidence_service.upload_evidence(contact, assessment, "policy.pdf", PDF, "policy")
    ev = db.session.scalar(db.select(Evidence))
    finding = findings.create_finding(
        make.user("risk"), assessment, {"title": "Gap", "severity": "low"}
    )
    return {
        "vendor_id": vendor.id,
        "assessment_id": assessment.id,
        "evidence_id": ev.id,
        "finding_id": finding.id,
        "question_key": first.key,
        "key": "iso42001-ai-vendor-lite",
        "token": "not-a-token",
        "version": 1,
        "filename": "css/app.css",
        "contact": contact,
        "vendor": vendor,
        "user_id": contact.id,
        "token_id": 999999,
        "import_id": 999999,
        "job_id": 999999,
        "campaign_id": 999999,
        "notification_id": 999999,
        "link_id": 999999,
        "event_id": 999999,
        "webhook_id": 999999,
        "delivery_id": 999999,
    }


def _url(rule, world) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(world[m.group(1)]), rule.rule)


def _user_for(role, make, world):
    if role == "vendor":
        return world["contact"]
    return make.user(role)


@pytest.mark.parametrize("role", ["admin", "procurement", "risk", "vendor"])
def test_web_routes_refuse_roles_that_may_not_use_them(app, make, world, role):
    user = _user_for(role, make, world)
    checked = 0
    for rule, method in _rules(app):
        allowed = WEB.get(rule.endpoint)
        if allowed is None or allowed == PUBLIC or rule.endpoint == "auth.logout":
            continue
        client = app.test_client()
        login(client, user)
        response = client.open(_url(rule, world), method=method, data={})
        if role in allowed:
            assert response.status_code != 403, (method, rule.rule, role)
        else:
            assert response.status_code == 403, (method, rule.rule, role, response.status_code)
        checked += 1
    assert checked > 20


def test_web_routes_send_anonymous_users_to_sign_in(app, world):
    client = app.test_client()
    for rule, method in _rules(app):
        if WEB.get(rule.endpoint, PUBLIC) == PUBLIC:
            continue
        response = client.open(_url(rule, world), method=method, data={})
        assert response.status_code == 302, (method, rule.rule)
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["admin", "procurement", "risk", "vendor"])
def test_api_routes_refuse_roles_that_may_not_use_them(app, make, world, api, role):
    client = api(_user_for(role, make, world))
    for rule, method in _rules(app):
        allowed = API.get(rule.endpoint)
        if allowed is None or allowed == PUBLIC:
            continue
        response = client.client.open(
            _url(rule, world),
            method=method,
            json={},
            headers={"Authorization": f"Bearer {client.token}"},
        )
        if role in allowed:
            assert response.status_code != 403, (method, rule.rule, role, response.get_json())
        else:
            assert response.status_code == 403, (method, rule.rule, role, response.status_code)
            assert response.get_json()["error"]["code"] == "forbidden"


def test_api_routes_need_a_token(app, world):
    client = app.test_client()
    for rule, method in _rules(app):
        if API.get(rule.endpoint, PUBLIC) == PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
            response = client.open(_url(rule, world), method=method, json={}, headers=headers)
            assert response.status_code == 401, (method, rule.rule, headers)
            assert response.get_json()["error"]["code"] == "unauthorized"
