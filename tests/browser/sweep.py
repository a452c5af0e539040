"""Visit every page a signed-in user of the demo data can reach by following links (GET only),
so a check can run on each: no horizontal overflow on a phone, no serious accessibility issue."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

# Links that download a file or leave the HTML pages: they have no layout to check.
SKIP = re.compile(
    r"(export|download|format=|\.xlsx|\.pdf|\.csv|\.eml|/api/|/logout|report|package|/static/)"
)
PER_PATTERN = 2  # pages like /vendors/7 and /vendors/9 share a template: two of each suffice


def demo_users(app) -> dict[str, list[str]]:
    """Seed the demo portfolio and give every demo user the test password; emails by role."""
    from sqlalchemy import select

    from vendorassure import demo
    from vendorassure.extensions import db
    from vendorassure.models import User
    from vendorassure.services.passwords import set_password

    demo.seed()
    by_role: dict[str, list[str]] = {}
    for user in db.session.scalars(select(User).order_by(User.id)):
        set_password(user, PASSWORD)
        by_role.setdefault(user.role, []).append(user.email)
    db.session.commit()
    return by_role


def _pattern(path_and_query: str) -> str:
    """Ids become N, other query values stay: every portal section (?s=KEY) is its own page."""
    parts = urlsplit(path_and_query)
    query = sorted(k for k in parts.query.split("&") if k and not k.startswith("page="))
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(re.sub(r"\d+", "N", q) for q in query)


def sweep(page, email: str, limit: int = 120) -> Iterator[str]:
    """Sign in as EMAIL and yield each reachable page's path once it has loaded."""
    sign_in(page, email, PASSWORD)
    page.wait_for_load_state()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    queue, seen, patterns = [urlsplit(page.url).path or "/"], set(), {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        yield path
        for href in page.eval_on_selector_all(
            # getAttribute, not .href: a link inside an SVG (the supply-chain map) has no string href
            "a[href]",
            "els => els.map(a => new URL(a.getAttribute('href'), document.baseURI).href)",
        ):
            if not href.startswith(origin):
                continue
            target = href[len(origin) :].split("#")[0] or "/"
            if target in seen or SKIP.search(target):
                continue
            key = _pattern(target)
            if patterns.get(key, 0) >= PER_PATTERN:
                continue
            patterns[key] = patterns.get(key, 0) + 1
            queue.append(target)


def sweep_all(app, page, check: Callable[[str, str], None]) -> dict[str, int]:
    """Run CHECK(email, path) on every page of every demo user; return pages seen per user."""
    seen = {}
    for _role, emails in demo_users(app).items():
        for email in emails:
            seen[email] = sum(1 for path in sweep(page, email) if check(email, path) is None)
            page.context.clear_cookies()
    return seen
