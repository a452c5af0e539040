"""A real OpenID provider (oidc-provider on Node) on loopback, and a helper that walks its flow.

The provider is installed from tests/oidc/package-lock.json (npm ci, once) and started once per
test session on a free port; tests/oidc/provider.js documents the crafted-token modes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

FOLDER = Path(__file__).parent / "oidc"
CLIENT_ID = "vendorassure-test"
ACCOUNT_PASSWORD = "idp-password-for-tests"
ACCOUNTS = {
    "alice": {
        "sub": "alice-0001",
        "email": "alice@corp.example",
        "email_verified": True,
        "name": "Alice Admin",
        "groups": ["va-admins", "everyone"],
    },
    "rita": {
        "sub": "rita-0002",
        "email": "rita@corp.example",
        "email_verified": True,
        "name": "Rita Risk",
        "groups": ["va-risk"],
    },
    "nobody": {
        "sub": "nobody-0003",
        "email": "nobody@corp.example",
        "email_verified": True,
        "name": "No Group",
        "groups": ["everyone"],
    },
    "unverified": {
        "sub": "unverified-0004",
        "email": "unverified@corp.example",
        "email_verified": False,
        "name": "Not Verified",
        "groups": ["va-admins"],
    },
    "bob": {
        "sub": "bob-0005",
        "email": "bob@corp.example",
        "email_verified": True,
        "name": "Bob Buyer",
        "groups": ["va-buyers"],
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _install() -> None:
    if (FOLDER / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed for the OpenID provider tests (apt-get install nodejs npm)"
        )
    subprocess.run(  # noqa: S603  (fixed arguments, our own tool)
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=FOLDER,
        check=True,
        timeout=300,
    )


@dataclass
class Provider:
    issuer: str
    client_secret: str
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def settings(self, **extra) -> dict:
        """App settings that point single sign-on at this provider."""
        return {
            "OIDC_DISCOVERY_URL": self.discovery_url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_SCOPES": "openid email profile groups",
            "OIDC_ROLE_MAP": (
                ("va-admins", "admin"),
                ("va-risk", "risk"),
                ("va-buyers", "procurement"),
            ),
            **extra,
        }

    def next_token(self, mode: str | None) -> None:
        """Make the provider's next token response carry a crafted ID token (see provider.js)."""
        r = requests.post(f"{self.issuer}/__test__/mode", data={"mode": mode or ""}, timeout=5)
        r.raise_for_status()


def start_provider(redirect_uris: list[str]) -> Provider:
    _install()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed for the OpenID provider tests")
    port = free_port()
    secret = secrets.token_urlsafe(24)
    config = {
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": secret,
                "redirect_uris": redirect_uris,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ],
        "accounts": {k: {**v, "password": ACCOUNT_PASSWORD} for k, v in ACCOUNTS.items()},
    }
    env = {**os.environ, "PORT": str(port), "CONFIG": json.dumps(config), "NODE_ENV": "test"}
    process = subprocess.Popen(  # noqa: S603  (fixed arguments, our own tool)
        [node, "provider.js"],
        cwd=FOLDER,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    log = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        log.append(line)
        if line.startswith("ready "):
            # Drain the rest of the output in the background so the pipe never fills.
            import threading

            threading.Thread(
                target=lambda: [log.append(x) for x in process.stdout], daemon=True
            ).start()
            return Provider(line.split()[1], secret, process, log)
    process.kill()
    raise RuntimeError("the OpenID provider did not start:\n" + "".join(log))


def stop_provider(provider: Provider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        provider.process.kill()


def _follow(session: requests.Session, response, stop_prefix: str):
    """Follow redirects inside the provider until one points back at our app (or a page)."""
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response, None
        target = urljoin(response.url, response.headers["Location"])
        if target.startswith(stop_prefix):
            return response, target
        response = session.get(target, allow_redirects=False, timeout=10)
    raise AssertionError("too many redirects at the provider")


def walk_to_callback(client, login: str = "alice", password: str = ACCOUNT_PASSWORD) -> str:
    """Start SSO on our app, sign in at the provider, and return our callback path with ?code."""
    base = client.application.config["BASE_URL"]
    start = client.get("/login/sso")
    assert start.status_code == 302, start.get_data(as_text=True)
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    session = requests.Session()
    session.trust_env = False
    response = session.get(authorize, allow_redirects=False, timeout=10)
    response, target = _follow(session, response, base)
    assert target is None and 'name="login"' in response.text, response.text[:500]
    action = urljoin(response.url, re.search(r'action="([^"]+)"', response.text).group(1))
    response = session.post(
        action, data={"login": login, "password": password}, allow_redirects=False, timeout=10
    )
    _response, target = _follow(session, response, base)
    assert target is not None, f"the provider did not send the browser back: {_response.url}"
    return target[len(base) :]
