"""Pages cost a fixed, small number of SQL statements whatever the portfolio's size."""

from __future__ import annotations

from flask import g
from sqlalchemy import event, select

from tests.conftest import PASSWORD, login
from vendorassure.extensions import db
from vendorassure.models import User
from vendorassure.queries import snapshot
from vendorassure.seeding import DOMAIN, seed_portfolio

LIMIT = 15
PAGES = (
    "/dashboard",
    "/dashboard?tier=high&rating=medium&due=90",
    "/vendors/register",
    "/vendors/register?page=2&tier=critical&rating=high",
    "/review/",
    "/review/?status=all&sort=risk",
    "/review/?status=completed&tier=high&rating=medium",
    "/admin/",
    "/api/v1/portfolio/summary",
    "/api/v1/vendors",
    "/api/v1/assessments",
    "/api/v1/findings",
    "/api/v1/assessments/{assessment}",
    "/procurement/vendors",
    "/procurement/vendors/{vendor}",
    "/vendors/{vendor}/overview",
    "/review/assessments/{assessment}",
    "/review/findings",
    "/review/findings?status=all&severity=high",
    "/review/findings/{finding}",
    "/admin/controls",
    "/api/v1/vendors/{vendor}",
    "/api/v1/assessments/{assessment}/score",
)


def statements(client, path: str, headers=None) -> list[str]:
    """The SQL statements one request runs."""
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args):
        seen.append(statement)

    g.pop("_login_user", None)
    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        r = client.get(path, headers=headers or {})
        assert r.status_code == 200, path
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return seen


def _counts(client, token: str) -> dict[str, tuple[int, int]]:
    """(first request, repeated request) statements per page."""
    out = {}
    from sqlalchemy import func

    from vendorassure.models import Assessment, Finding

    latest = db.session.get(
        Assessment,
        db.session.scalar(select(func.max(Assessment.id)).where(Assessment.status == "completed")),
    )
    finding = db.session.scalar(select(func.max(Finding.id)))
    ids = {"assessment": latest.id, "vendor": latest.vendor_id, "finding": finding}
    for p in (page.format(**ids) for page in PAGES):
        headers = {"Authorization": f"Bearer {token}"} if p.startswith("/api/") else None
        first = statements(client, p, headers)
        again = statements(client, p, headers)
        out[p] = (len(first), len(again))
        assert len(first) <= LIMIT, (
            p,
            len(first),
            "\n".join(" ".join(s.split())[:150] for s in first),
        )
        assert len(again) <= LIMIT, (p, len(again), again)
    return out


def test_pages_run_a_fixed_number_of_statements_as_the_portfolio_grows(client):
    from vendorassure.services.auth import issue_api_token

    seed_portfolio(15, seed=1, password=PASSWORD)
    admin = db.session.scalars(select(User).where(User.email == f"admin1@{DOMAIN}")).one()
    token, _ = issue_api_token(admin.email, PASSWORD)
    login(client, admin)
    small = _counts(client, token)
    seed_portfolio(60, seed=2, password=PASSWORD, domain="more.seed")
    snapshot.drop_all()  # every first request renders afresh (some read no table seeding wrote)
    db.session.commit()
    large = _counts(client, token)
    # (an API token's first use in a while also records last_used_at: compare repeated calls)
    for p in PAGES:
        if "{" in p:  # a detail page: another assessment at each size, compared by limit only
            continue
        assert large[p][1] == small[p][1], (p, small[p], large[p])
        if not p.startswith("/api/"):
            assert large[p][0] == small[p][0], (p, small[p], large[p])
