"""Fixtures: one app and schema per test run (SQLite or a fresh PostgreSQL database), clean rows
between tests, users and objects made through the services, and an API client with a token."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from vendorassure import create_app
from vendorassure.config import account_settings, deployment_settings
from vendorassure.extensions import db as _db
from vendorassure.models import (
    Answer,
    ApiToken,
    Assessment,
    AuditEvent,
    Campaign,
    ChangeEvent,
    Comment,
    ControlScore,
    Evidence,
    EvidenceLink,
    Finding,
    ImportQuestion,
    Invitation,
    Job,
    Notification,
    NotificationPreference,
    ObjectiveScore,
    PackageImport,
    PackageKey,
    PasswordReset,
    Question,
    QuestionControl,
    Questionnaire,
    QuestionnaireImport,
    RateLimitCounter,
    RecoveryCode,
    Reminder,
    Snapshot,
    SupplyLink,
    User,
    Vendor,
    WebhookDelivery,
    WebhookEndpoint,
)
from vendorassure.services import assessments as assessment_service
from vendorassure.services import vendors as vendor_service
from vendorassure.services.auth import create_user, issue_api_token
from vendorassure.services.library import intake_definition, load_library

PASSWORD = "correct horse battery"
# The cluster test builds network namespaces as root and takes minutes: `make test-cluster`.
collect_ignore_glob = [] if os.environ.get("VA_CLUSTER") else ["cluster/*"]
PG_SERVER = os.environ.get(
    "VA_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Rows of these tables are removed after every test, children first.
TRANSIENT = (
    Snapshot,  # table_generations stay: they only ever rise
    WebhookDelivery,
    WebhookEndpoint,
    PackageImport,
    ChangeEvent,
    SupplyLink,
    PackageKey,
    Job,
    RateLimitCounter,
    Reminder,
    Comment,
    Finding,
    ControlScore,
    ObjectiveScore,
    Answer,
    EvidenceLink,
    Evidence,
    Notification,
    NotificationPreference,
    Invitation,
    ApiToken,
    PasswordReset,
    RecoveryCode,
    AuditEvent,
    ImportQuestion,
    QuestionnaireImport,
)
# Settings a test may change; they are put back after every test.
RESTORED = (
    "WTF_CSRF_ENABLED",
    "LOGIN_RATE_LIMIT",
    "PASSWORD_RESET_RATE_LIMIT",
    "PASSWORD_HASH_METHOD",
    *account_settings({}).keys(),
    *deployment_settings({}).keys(),
)


def _create_pg_database() -> tuple[str, str]:
    import psycopg

    name = f"va_test_{secrets.token_hex(6)}"
    server = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_SERVER.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(name: str) -> None:
    import psycopg

    server = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url():
    """SQLite by default; VA_TEST_DB=postgresql makes (and later drops) a database of our own."""
    if os.environ.get("VA_TEST_DB", "sqlite") == "postgresql":
        name, url = _create_pg_database()
        yield url
        _drop_pg_database(name)
    else:
        folder = tempfile.mkdtemp(prefix="va-db-")
        yield f"sqlite:///{folder}/test.db"
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["INSTANCE_PATH"] = str(instance)
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "PASSWORD_RESET_RATE_LIMIT": "10000 per minute",
            # Tests that are about two-step sign-in turn it on for the roles they need.
            "MFA_REQUIRED_ROLES": (),
            "MAIL_SERVER": None,
            "MAIL_OUTBOX_DIR": str(instance / "outbox"),
            "EVIDENCE_DIR": str(instance / "evidence"),
            "BASE_URL": "http://localhost",
        }
    )
    with application.app_context():
        _db.create_all()
        load_library()
        baseline = set(_db.session.scalars(select(Questionnaire.id)))
        application.config["TEST_BASELINE_QUESTIONNAIRES"] = baseline
        application.config["TEST_SETTINGS"] = {k: application.config[k] for k in RESTORED}
        _db.session.remove()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request):
    """Give every test empty transactional tables and the shipped questionnaire library."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    ctx = application.app_context()
    ctx.push()
    yield
    _db.session.rollback()
    _db.session.execute(Vendor.__table__.update().values(latest_scored_assessment_id=None))
    for model in TRANSIENT:
        _db.session.execute(delete(model))
    _db.session.execute(delete(Assessment))
    _db.session.execute(delete(Campaign))
    _db.session.execute(User.__table__.update().values(vendor_id=None))
    _db.session.execute(Vendor.__table__.update().values(owner_id=None))
    _db.session.execute(delete(Vendor))
    _db.session.execute(delete(User))
    baseline = application.config["TEST_BASELINE_QUESTIONNAIRES"]
    extra = [q for q in _db.session.scalars(select(Questionnaire.id)) if q not in baseline]
    if extra:
        qids = select(Question.id).where(Question.questionnaire_id.in_(extra))
        _db.session.execute(delete(QuestionControl).where(QuestionControl.question_id.in_(qids)))
        _db.session.execute(delete(Question).where(Question.questionnaire_id.in_(extra)))
        _db.session.execute(delete(Questionnaire).where(Questionnaire.id.in_(extra)))
    _db.session.commit()
    _db.session.remove()
    application.extensions.pop("vendorassure_cache", None)
    application.config.update(application.config["TEST_SETTINGS"])
    ctx.pop()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


def intake_at(level: str) -> dict:
    """Intake answers that pick, for every question, the lowest- or highest-risk option."""
    answers = {}
    for q in intake_definition()["questions"]:
        options = sorted(q["options"], key=lambda o: o["risk"])
        answers[q["key"]] = (options[0] if level == "low" else options[-1])["value"]
    return answers


class Factory:
    """Make users, vendors and assessments through the services (so audit and rules apply)."""

    def __init__(self, app):
        self.app = app
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def user(self, role: str = "procurement", vendor=None, email: str | None = None) -> User:
        email = email or f"{role}{self._next()}@example.com"
        return create_user(
            email,
            role,
            PASSWORD,
            name=f"{role.title()} {self.n}",
            vendor_id=vendor.id if vendor else None,
        )

    def vendor(self, name: str | None = None, level: str = "low", actor=None) -> Vendor:
        actor = actor or self.user("procurement")
        return vendor_service.create_vendor(
            actor,
            name or f"Vendor {self._next()}",
            "https://vendor.example",
            "AI service",
            intake_at(level),
        )

    def assessment(
        self, vendor=None, key: str = "iso42001-ai-vendor-lite", actor=None
    ) -> Assessment:
        vendor = vendor or self.vendor()
        actor = actor or self.user("procurement")
        # Tests issue freely; refusing a second open one has its own test.
        return assessment_service.issue_assessment(
            actor, vendor, key, date.today() + timedelta(days=30), allow_duplicate=True
        )

    def submitted(
        self, level: str = "low", best: bool = True, key: str = "iso42001-ai-vendor-lite"
    ):
        """A vendor, its contact and an assessment answered by that contact and submitted."""
        from tests.helpers import answer_all

        vendor = self.vendor(level=level)
        assessment = self.assessment(vendor, key)
        contact = self.user("vendor", vendor=vendor)
        answer_all(contact, assessment, best=best)
        assessment_service.submit_assessment(contact, assessment)
        return assessment, contact


@pytest.fixture
def make(app):
    return Factory(app)


def login(client, user, method: str = "password") -> None:
    """Sign a test client in as a user without going through the form."""
    import time

    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_va_auth"] = session["_va_seen"] = int(time.time())
        session["_va_method"] = method


@pytest.fixture
def login_as(client, make):
    """Sign the client in as a new user of a role (vendor users need vendor=...)."""

    def _login(role: str, vendor=None):
        user = make.user(role, vendor=vendor)
        login(client, user)
        return user

    return _login


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path, **kw):
        return self.client.get(
            f"/api/v1{path}", headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path, **kw):
        return self.client.delete(
            f"/api/v1{path}", headers=self._headers(kw.pop("headers", None)), **kw
        )

    def post(self, path, json=None, **kw):
        return self.client.post(
            f"/api/v1{path}", json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def put(self, path, json=None, **kw):
        return self.client.put(
            f"/api/v1{path}", json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path, json=None, **kw):
        return self.client.patch(
            f"/api/v1{path}", json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )


@pytest.fixture
def api(app, make):
    """api(user) -> ApiClient with a fresh token for that user; api(None) has no token."""

    def _api(user):
        if user is None:
            return ApiClient(app.test_client(), None)
        token, _ = issue_api_token(user.email, PASSWORD)
        return ApiClient(app.test_client(), token)

    return _api


@pytest.fixture(scope="session")
def live_port():
    """The browser tests' live server port, chosen early so the OpenID client can register it."""
    from tests.sso_provider import free_port

    return free_port()


@pytest.fixture(scope="session")
def oidc_provider(live_port):
    """A real OpenID provider (oidc-provider) on loopback, once per session."""
    from tests.sso_provider import start_provider, stop_provider

    provider = start_provider(
        [
            "http://localhost/login/sso/callback",
            f"http://127.0.0.1:{live_port}/login/sso/callback",
        ]
    )
    yield provider
    stop_provider(provider)


@pytest.fixture
def sso(app, oidc_provider):
    """Point the app's single sign-on at the loopback provider for one test."""
    app.config.update(oidc_provider.settings())
    app.extensions.pop("vendorassure_sso", None)
    yield oidc_provider
    oidc_provider.next_token(None)
    app.extensions.pop("vendorassure_sso", None)
