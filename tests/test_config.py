"""Configuration: secrets are generated, never constants; the environment wins."""

from __future__ import annotations

import stat

from vendorassure.config import load_settings


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_settings(str(tmp_path))["SECRET_KEY"]
    second = load_settings(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert load_settings(str(tmp_path / "other"))["SECRET_KEY"] != first


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example")
    settings = load_settings(str(tmp_path))
    assert settings["SECRET_KEY"] == "from-env"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert settings["MAX_UPLOAD_MB"] == 7 and settings["MAIL_SERVER"] == "smtp.example"


def test_defaults_keep_data_under_instance(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "EVIDENCE_DIR", "MAIL_OUTBOX_DIR", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'vendorassure.db'}"
    assert settings["EVIDENCE_DIR"] == str(tmp_path / "evidence")
    assert settings["MAIL_OUTBOX_DIR"] == str(tmp_path / "outbox")
    assert settings["MAIL_SERVER"] is None


def test_review_settings_come_from_the_environment(tmp_path, monkeypatch):
    import pytest

    monkeypatch.setenv("REASSESSMENT_MONTHS", "critical=3,high=6,medium=12,low=24")
    monkeypatch.setenv("FINDING_CONTROL_THRESHOLD", "0.6")
    settings = load_settings(str(tmp_path))
    assert settings["REASSESSMENT_MONTHS"] == {"critical": 3, "high": 6, "medium": 12, "low": 24}
    assert settings["FINDING_CONTROL_THRESHOLD"] == 0.6
    monkeypatch.setenv("REASSESSMENT_MONTHS", "critical=soon")
    with pytest.raises(ValueError, match="REASSESSMENT_MONTHS"):
        load_settings(str(tmp_path))


def test_security_settings_come_from_the_environment_with_safe_defaults(tmp_path, monkeypatch):
    from vendorassure.config import DEFAULT_CSP, engine_options

    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "HSTS_MAX_AGE", "VA_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("CONTENT_SECURITY_POLICY", raising=False)
    settings = load_settings(str(tmp_path))
    assert settings["REDIS_URL"] is None and settings["RATELIMIT_STORAGE_URI"] is None
    assert settings["HSTS_MAX_AGE"] == 31536000 and settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CONTENT_SECURITY_POLICY"] == DEFAULT_CSP and settings["WORKERS"] == 1
    assert settings["DATABASE_LOCK_TIMEOUT_MS"] == 5000
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("HSTS_MAX_AGE", "600")
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.setenv("DATABASE_LOCK_TIMEOUT_MS", "250")
    settings = load_settings(str(tmp_path))
    assert settings["REDIS_URL"] == "redis://cache:6379/2" and settings["HSTS_MAX_AGE"] == 600
    assert settings["WORKERS"] == 4
    pg = engine_options({**settings, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db"})
    assert pg["connect_args"] == {"options": "-c lock_timeout=250"} and pg["pool_pre_ping"]
    lite = engine_options({**settings, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    assert lite["connect_args"] == {"timeout": 0.25}


def test_account_settings_come_from_the_environment_with_safe_defaults(tmp_path, monkeypatch):
    import pytest

    for name in ("MFA_REQUIRED_ROLES", "OIDC_ROLE_MAP", "SSO_ONLY_STAFF", "OIDC_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    defaults = load_settings(str(tmp_path))
    assert defaults["MFA_ENABLED"] and defaults["MFA_REQUIRED_ROLES"] == ("admin",)
    assert defaults["OIDC_CLIENT_SECRET"] == "" and defaults["SSO_ONLY_STAFF"] is False
    assert defaults["PASSWORD_HASH_METHOD"] == "scrypt" and defaults["PASSWORD_MIN_LENGTH"] == 12
    monkeypatch.setenv("MFA_REQUIRED_ROLES", "admin, risk")
    monkeypatch.setenv("OIDC_ROLE_MAP", "VA-Admins=admin,Risk Team=risk")
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "15")
    settings = load_settings(str(tmp_path))
    assert settings["MFA_REQUIRED_ROLES"] == ("admin", "risk")
    assert settings["OIDC_ROLE_MAP"] == (("VA-Admins", "admin"), ("Risk Team", "risk"))
    assert settings["SESSION_IDLE_MINUTES"] == 15
    monkeypatch.setenv("OIDC_ROLE_MAP", "VA-Admins=root")
    with pytest.raises(ValueError, match="OIDC_ROLE_MAP"):
        load_settings(str(tmp_path))
    monkeypatch.setenv("OIDC_ROLE_MAP", "")
    monkeypatch.setenv("MFA_REQUIRED_ROLES", "boss")
    with pytest.raises(ValueError, match="MFA_REQUIRED_ROLES"):
        load_settings(str(tmp_path))
