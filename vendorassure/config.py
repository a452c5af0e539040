"""Settings from the environment, with embedded defaults for a single-machine install."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

# Scripts only from this site and never inline; inline style attributes are allowed (progress
# bars and heatmap cells set widths and colours), which cannot run code.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
UNSAFE_SCRIPT_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")


def check_csp(policy: str) -> None:
    """Refuse a Content-Security-Policy that would let inline or foreign scripts run."""
    directives = {}
    for part in policy.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name.lower()] = [s.lower() for s in sources]
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        raise ValueError("CONTENT_SECURITY_POLICY needs a script-src (or default-src) directive.")
    unsafe = [s for s in scripts if s in UNSAFE_SCRIPT_SOURCES]
    if unsafe:
        raise ValueError(
            f"CONTENT_SECURITY_POLICY: script-src must stay strict; remove {', '.join(unsafe)}."
        )


def engine_options(config) -> dict:
    """Engine options for the final database URL: the lock timeout in the driver's terms."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    timeout_ms = int(config.get("DATABASE_LOCK_TIMEOUT_MS") or 5000)
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    connect_args = dict(options.get("connect_args") or {})
    if url.startswith("sqlite"):
        connect_args.setdefault("timeout", timeout_ms / 1000)  # SQLite's busy timeout
    elif url.startswith("postgresql"):
        connect_args.setdefault("options", f"-c lock_timeout={timeout_ms}")
    options["connect_args"] = connect_args
    return options


def hsts_header(config) -> str | None:
    """The Strict-Transport-Security value, or None when cookies are not secure (plain HTTP)."""
    if not config.get("SESSION_COOKIE_SECURE") or int(config.get("HSTS_MAX_AGE") or 0) <= 0:
        return None
    value = f"max-age={int(config['HSTS_MAX_AGE'])}"
    if config.get("HSTS_INCLUDE_SUBDOMAINS"):
        value += "; includeSubDomains"
    if config.get("HSTS_PRELOAD"):
        value += "; preload"
    return value


def served_url(env) -> str:
    """The address `make run` / `python app.py` serve on (BIND=host:port, else HOST and PORT),
    so links in emails point at the running app when BASE_URL is not set."""
    bind = (env.get("BIND") or "").strip()
    if bind and not bind.startswith(("unix:", "fd:")) and ":" in bind:
        host, port = bind.rsplit(":", 1)
    else:
        host, port = env.get("HOST") or "127.0.0.1", env.get("PORT") or "5000"
    host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104  (listening everywhere: loopback answers)
        host = "127.0.0.1"
    return f"http://{host}:{int(port)}"


def logo_url(value: str | None) -> str:
    """An organisation logo address for emails: empty, or an http(s) URL."""
    value = (value or "").strip()
    if value and not value.lower().startswith(("https://", "http://")):
        raise ValueError("ORGANISATION_LOGO_URL must be an http:// or https:// address.")
    return value


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(instance_path: str) -> str:
    """Return the secret key kept under instance/, creating it once on first start."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with owner-only permissions before writing the secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _tier_map(value: str | None, name: str) -> dict | None:
    """Parse "critical=6,high=12,medium=24,low=36" into a dict of ints."""
    if not value:
        return None
    pairs = {}
    for part in value.split(","):
        key, _, number = part.partition("=")
        if key.strip() not in {"low", "medium", "high", "critical"} or not number.strip().isdigit():
            raise ValueError(
                f"{name}: expected e.g. critical=6,high=12,medium=24,low=36, got {value!r}"
            )
        pairs[key.strip()] = int(number)
    return pairs


def review_settings(env) -> dict:
    """Review and portfolio settings that the environment overrides (defaults: settings_defaults)."""
    out = {}
    months = _tier_map(env.get("REASSESSMENT_MONTHS"), "REASSESSMENT_MONTHS")
    if months:
        out["REASSESSMENT_MONTHS"] = months
    due = _tier_map(env.get("FINDING_DUE_DAYS"), "FINDING_DUE_DAYS")
    if due:
        out["FINDING_DUE_DAYS"] = due
    if env.get("FINDING_CONTROL_THRESHOLD"):
        out["FINDING_CONTROL_THRESHOLD"] = float(env["FINDING_CONTROL_THRESHOLD"])
    if env.get("EXPIRY_WINDOWS"):
        out["EXPIRY_WINDOWS"] = tuple(int(x) for x in env["EXPIRY_WINDOWS"].split(","))
    if env.get("REASSESSMENT_NOTICE_DAYS"):
        out["REASSESSMENT_NOTICE_DAYS"] = int(env["REASSESSMENT_NOTICE_DAYS"])
    if env.get("ORGANISATION_NAME", "").strip():
        out["ORGANISATION_NAME"] = " ".join(env["ORGANISATION_NAME"].split())[:200]
    return out


def load_settings(instance_path: str) -> dict:
    """Read every setting from the environment; defaults keep data under instance/."""
    env = os.environ
    inst = Path(instance_path)
    if env.get("VA_ENV", "").strip().lower() == "production":
        check_production_env(env)
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{inst / 'vendorassure.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # The longest a request waits for another's lock before answering 503 (never forever).
        "DATABASE_LOCK_TIMEOUT_MS": int(env.get("DATABASE_LOCK_TIMEOUT_MS") or 5000),
        "EVIDENCE_DIR": env.get("EVIDENCE_DIR") or str(inst / "evidence"),
        "MAIL_OUTBOX_DIR": env.get("MAIL_OUTBOX_DIR") or str(inst / "outbox"),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_FROM": env.get("MAIL_FROM") or "VendorAssure <no-reply@vendorassure.local>",
        "BASE_URL": (env.get("BASE_URL") or served_url(env)).rstrip("/"),
        # The buyer's logo in emails (an http(s) image address); its name, ORGANISATION_NAME, is
        # read with the review settings below.
        "ORGANISATION_LOGO_URL": logo_url(env.get("ORGANISATION_LOGO_URL")),
        "MAX_UPLOAD_MB": int(env.get("MAX_UPLOAD_MB") or 25),
        "INVITATION_TTL_DAYS": int(env.get("INVITATION_TTL_DAYS") or 14),
        "REMINDER_DAYS_BEFORE": int(env.get("REMINDER_DAYS_BEFORE") or 3),
        "API_TOKEN_TTL_DAYS": int(env.get("API_TOKEN_TTL_DAYS") or 30),
        "QUESTIONNAIRE_DIR": env.get("QUESTIONNAIRE_DIR")
        or str(Path(__file__).resolve().parent.parent / "questionnaires"),
        "SCORING_MODEL": env.get("SCORING_MODEL") or None,
        # Shared by every worker: an explicit URI, else Redis when REDIS_URL is set, else the
        # database itself (vendorassure/ratelimit.py). create_app() resolves the default.
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or None,
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX") or "vendorassure",
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # How many worker processes serve the app (set by vendorassure/gunicorn_conf.py).
        "WORKERS": int(env.get("VA_WORKERS") or env.get("WEB_CONCURRENCY") or 1),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT") or "10 per minute",
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD") or "scrypt",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        # Sent only while cookies are secure (the site is served over HTTPS).
        "HSTS_MAX_AGE": int(env.get("HSTS_MAX_AGE") or 31536000),
        "HSTS_INCLUDE_SUBDOMAINS": _bool(env.get("HSTS_INCLUDE_SUBDOMAINS")),
        "HSTS_PRELOAD": _bool(env.get("HSTS_PRELOAD")),
        "CONTENT_SECURITY_POLICY": env.get("CONTENT_SECURITY_POLICY") or DEFAULT_CSP,
        "WTF_CSRF_TIME_LIMIT": None,
        "PER_PAGE_DEFAULT": 50,
        "PER_PAGE_MAX": 200,
        **review_settings(env),
        **account_settings(env),
        **deployment_settings(env),
    }


def _roles(value: str | None, name: str, default: str) -> tuple[str, ...]:
    """Parse "admin,risk" into a tuple of known roles."""
    raw = default if value is None else value
    roles = tuple(r.strip() for r in raw.split(",") if r.strip())
    unknown = [r for r in roles if r not in {"admin", "procurement", "risk", "vendor"}]
    if unknown:
        raise ValueError(f"{name}: unknown role(s) {', '.join(unknown)}")
    return roles


def _role_map(value: str | None) -> tuple[tuple[str, str], ...]:
    """Parse "VA-Admins=admin,VA-Risk=risk" into ordered (group, role) pairs; first match wins."""
    pairs = []
    for part in (value or "").split(","):
        if not part.strip():
            continue
        group, sep, role = part.rpartition("=")
        if not sep or not group.strip() or role.strip() not in {"admin", "procurement", "risk"}:
            raise ValueError(
                "OIDC_ROLE_MAP: expected e.g. VA-Admins=admin,VA-Risk=risk,VA-Buyers=procurement "
                f"(staff roles only), got {part!r}"
            )
        pairs.append((group.strip(), role.strip()))
    return tuple(pairs)


def account_settings(env) -> dict:
    """Passwords, sessions, sign-in throttling, MFA and single sign-on (docs/OPERATIONS.md)."""
    return {
        # Password rules and the forgotten-password link.
        "PASSWORD_MIN_LENGTH": int(env.get("PASSWORD_MIN_LENGTH") or 12),
        "PASSWORD_MAX_LENGTH": int(env.get("PASSWORD_MAX_LENGTH") or 200),
        "PASSWORD_CHECK_BREACHED": _bool(env.get("PASSWORD_CHECK_BREACHED"), True),
        "PASSWORD_BREACHED_LIST": env.get("PASSWORD_BREACHED_LIST")
        or str(Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"),
        "PASSWORD_RESET_TTL_MINUTES": int(env.get("PASSWORD_RESET_TTL_MINUTES") or 60),
        "PASSWORD_RESET_RATE_LIMIT": env.get("PASSWORD_RESET_RATE_LIMIT") or "5 per 15 minutes",
        # Sessions end after this long without a request, and this long after sign-in at most.
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES") or 60),
        "SESSION_ABSOLUTE_HOURS": int(env.get("SESSION_ABSOLUTE_HOURS") or 12),
        # Per-account backoff: after the free attempts, each failure doubles the wait up to the max.
        "LOGIN_BACKOFF_FREE_ATTEMPTS": int(env.get("LOGIN_BACKOFF_FREE_ATTEMPTS") or 3),
        "LOGIN_BACKOFF_BASE_SECONDS": int(env.get("LOGIN_BACKOFF_BASE_SECONDS") or 2),
        "LOGIN_BACKOFF_MAX_SECONDS": int(env.get("LOGIN_BACKOFF_MAX_SECONDS") or 60),
        # TOTP multi-factor sign-in, required for these roles (others may enrol on their profile).
        "MFA_ENABLED": _bool(env.get("MFA_ENABLED"), True),
        "MFA_REQUIRED_ROLES": _roles(env.get("MFA_REQUIRED_ROLES"), "MFA_REQUIRED_ROLES", "admin"),
        "MFA_ISSUER": env.get("MFA_ISSUER") or "VendorAssure",
        # OpenID Connect single sign-on for staff; off until a discovery URL and client are set.
        "OIDC_DISCOVERY_URL": env.get("OIDC_DISCOVERY_URL") or "",
        "OIDC_CLIENT_ID": env.get("OIDC_CLIENT_ID") or "",
        "OIDC_CLIENT_SECRET": env.get("OIDC_CLIENT_SECRET") or "",
        "OIDC_SCOPES": env.get("OIDC_SCOPES") or "openid email profile",
        "OIDC_LABEL": env.get("OIDC_LABEL") or "Sign in with single sign-on",
        "OIDC_ROLE_CLAIM": env.get("OIDC_ROLE_CLAIM") or "groups",
        "OIDC_ROLE_MAP": _role_map(env.get("OIDC_ROLE_MAP")),
        "OIDC_JIT_PROVISIONING": _bool(env.get("OIDC_JIT_PROVISIONING"), True),
        "OIDC_REQUIRE_VERIFIED_EMAIL": _bool(env.get("OIDC_REQUIRE_VERIFIED_EMAIL"), True),
        "OIDC_ALLOWED_DOMAINS": tuple(
            d.strip().lower()
            for d in (env.get("OIDC_ALLOWED_DOMAINS") or "").split(",")
            if d.strip()
        ),
        "OIDC_ALLOW_VENDOR_USERS": _bool(env.get("OIDC_ALLOW_VENDOR_USERS")),
        "OIDC_CLOCK_SKEW_SECONDS": int(env.get("OIDC_CLOCK_SKEW_SECONDS") or 60),
        "OIDC_TIMEOUT_SECONDS": int(env.get("OIDC_TIMEOUT_SECONDS") or 10),
        "SSO_ONLY_STAFF": _bool(env.get("SSO_ONLY_STAFF")),
    }


MIN_SECRET_LENGTH = 32


def check_production_env(env) -> None:
    """Refuse to start in production without a real SECRET_KEY from the environment.

    Every app host must sign cookies with the same key; one generated into a host's own
    instance/ folder would sign users out whenever the balancer picks another host."""
    key = env.get("SECRET_KEY") or ""
    if len(key) < MIN_SECRET_LENGTH:
        raise RuntimeError(
            "VA_ENV=production needs SECRET_KEY in the environment, the same on every host, "
            f"at least {MIN_SECRET_LENGTH} characters (e.g. python3 -c "
            "'import secrets; print(secrets.token_hex(32))')."
        )


def _choice(value: str | None, name: str, choices: tuple[str, ...]) -> str:
    value = (value or choices[0]).strip().lower()
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def _delays(value: str | None, name: str = "JOBS_RETRY_DELAYS") -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in (value or "10,60,300").split(",") if x.strip())
    except ValueError:
        raise ValueError(f"{name}: expected seconds like 10,60,300, got {value!r}") from None


def deployment_settings(env) -> dict:
    """Evidence store, background jobs, schedule, logs, metrics (docs/OPERATIONS.md)."""
    return {
        "ENV": _choice(env.get("VA_ENV"), "VA_ENV", ("development", "production")),
        # Evidence: unset keeps files under EVIDENCE_DIR; s3://bucket/prefix uses object storage.
        "EVIDENCE_STORE": env.get("EVIDENCE_STORE") or None,
        "EVIDENCE_S3_ENDPOINT_URL": env.get("EVIDENCE_S3_ENDPOINT_URL") or None,
        "EVIDENCE_S3_REGION": env.get("EVIDENCE_S3_REGION") or env.get("AWS_REGION") or None,
        # Server-side encryption of every object: AES256 (S3-managed keys), aws:kms, or none.
        "EVIDENCE_S3_SSE": {"none": "", "": "AES256"}.get(
            (env.get("EVIDENCE_S3_SSE") or "").strip().lower(), env.get("EVIDENCE_S3_SSE") or ""
        ),
        "EVIDENCE_S3_KMS_KEY_ID": env.get("EVIDENCE_S3_KMS_KEY_ID") or "",
        # stream: the app sends the bytes; presigned: a redirect to a short-lived store URL.
        "EVIDENCE_DOWNLOADS": _choice(
            env.get("EVIDENCE_DOWNLOADS"), "EVIDENCE_DOWNLOADS", ("stream", "presigned")
        ),
        "EVIDENCE_PRESIGN_SECONDS": int(env.get("EVIDENCE_PRESIGN_SECONDS") or 300),
        # Background jobs: inprocess runs each job at once in the calling process; rq queues it
        # in Redis (JOBS_REDIS_URL, else REDIS_URL) for `flask --app app worker`.
        "JOBS_BACKEND": _choice(env.get("JOBS_BACKEND"), "JOBS_BACKEND", ("inprocess", "rq")),
        "JOBS_REDIS_URL": env.get("JOBS_REDIS_URL") or None,
        "JOBS_QUEUE": env.get("JOBS_QUEUE") or "vendorassure",
        "JOBS_RETRY_DELAYS": _delays(env.get("JOBS_RETRY_DELAYS")),
        "JOBS_TIMEOUT_SECONDS": int(env.get("JOBS_TIMEOUT_SECONDS") or 900),
        # The worker's schedule: due-date reminders once a day at this UTC time.
        "REMINDERS_AT": env.get("REMINDERS_AT") or "07:15",
        "SCHEDULER_ENABLED": _bool(env.get("SCHEDULER_ENABLED"), True),
        "EXPORT_TTL_HOURS": int(env.get("EXPORT_TTL_HOURS") or 24),
        # Outgoing webhooks (docs/WEBHOOKS.md): the seconds between attempts (one more attempt
        # than delays), the receiver's time to answer, and whether private addresses are allowed.
        "WEBHOOK_RETRY_DELAYS": _delays(
            env.get("WEBHOOK_RETRY_DELAYS") or "60,300,1800,7200,43200"
        ),
        "WEBHOOK_TIMEOUT_SECONDS": float(env.get("WEBHOOK_TIMEOUT_SECONDS") or 5),
        "WEBHOOK_ALLOW_PRIVATE": _bool(env.get("WEBHOOK_ALLOW_PRIVATE")),
        # Behind a load balancer: how many proxies set X-Forwarded-For/-Proto/-Host (0: none).
        "PROXY_HOPS": int(env.get("PROXY_HOPS") or 0),
        "LOG_FORMAT": _choice(env.get("LOG_FORMAT"), "LOG_FORMAT", ("text", "json")),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").upper(),
        "METRICS_ENABLED": _bool(env.get("METRICS_ENABLED")),
        "HOST_NAME": env.get("HOST_NAME") or socket.gethostname(),
    }
