"""Pages served from a snapshot: never stale after a change through the app, per user, with
this request's CSRF token and inbox badge, and never kept when the request is not a plain read.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from tests.conftest import login
from vendorassure.extensions import db
from vendorassure.models import Snapshot, Vendor
from vendorassure.queries import snapshot
from vendorassure.services import findings as finding_service
from vendorassure.services import notifications
from vendorassure.services.vendors import update_vendor
from vendorassure.web.page_cache import hole


def _kept() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Snapshot).where(Snapshot.key.like("page:%"))
    )


def test_a_page_is_kept_and_then_served_without_its_queries(app, client, make):
    risk = make.user("risk")
    vendor = make.vendor("Kept Ltd")
    login(client, risk)
    first = client.get(f"/procurement/vendors/{vendor.id}")
    assert first.status_code == 200 and b"Kept Ltd" in first.data
    assert _kept() == 1
    # a change behind the app's back (no commit through it) is not seen: the page is the snapshot
    db.session.execute(
        update(Vendor).where(Vendor.id == vendor.id).values(name="Hidden"),
        execution_options={"portfolio_neutral": True},
    )
    db.session.commit()
    assert b"Kept Ltd" in client.get(f"/procurement/vendors/{vendor.id}").data


def test_a_change_through_the_app_is_on_the_next_view(app, client, make):
    risk = make.user("procurement")
    vendor = make.vendor("Before Ltd")
    login(client, risk)
    for path in (f"/procurement/vendors/{vendor.id}", "/procurement/vendors", "/api/v1/vendors"):
        assert b"Before Ltd" in client.get(path).data or path.startswith("/api/")
    update_vendor(risk, vendor, {"name": "After Ltd"})
    page = client.get(f"/procurement/vendors/{vendor.id}").data
    assert b"After Ltd" in page and b"Before Ltd" not in page
    assert b"After Ltd" in client.get("/procurement/vendors").data


def test_a_core_update_outside_the_orm_is_seen_too(app, client, make):
    risk = make.user("risk")
    vendor = make.vendor("Core Before")
    login(client, risk)
    assert b"Core Before" in client.get("/procurement/vendors").data
    db.session.execute(update(Vendor).where(Vendor.id == vendor.id).values(name="Core After"))
    db.session.commit()
    assert b"Core After" in client.get("/procurement/vendors").data


def test_a_finding_change_reaches_its_page_and_the_findings_list(app, client, make):
    a, _ = make.submitted(level="high", best=False)
    risk = make.user("risk")
    finding = finding_service.create_finding(
        risk, a, {"title": "Model cards missing", "severity": "medium"}
    )
    db.session.commit()
    login(client, risk)
    assert b"Model cards missing" in client.get("/review/findings?status=all").data
    assert b"Model cards missing" in client.get(f"/review/findings/{finding.id}").data
    finding_service.update_finding(risk, finding, {"title": "Model cards incomplete"})
    db.session.commit()
    assert b"Model cards incomplete" in client.get(f"/review/findings/{finding.id}").data
    assert b"Model cards incomplete" in client.get("/review/findings?status=all").data


def test_each_user_gets_the_page_rendered_for_them(app, make):
    vendor = make.vendor("Shared Ltd")
    one, two = make.user("risk"), make.user("procurement")
    first, second = app.test_client(), app.test_client()
    login(first, one)
    login(second, two)
    page_one = first.get(f"/procurement/vendors/{vendor.id}").data.decode()
    page_two = second.get(f"/procurement/vendors/{vendor.id}").data.decode()
    assert one.display_name in page_one and one.display_name not in page_two
    assert two.display_name in page_two
    assert _kept() == 2


def test_a_vendor_never_reaches_a_page_kept_for_staff(app, client, make, api):
    vendor, other = make.vendor("Mine Ltd"), make.vendor("Theirs Ltd")
    staff = make.user("risk")
    assert api(staff).get(f"/vendors/{other.id}").status_code == 200  # kept for staff
    contact = make.user("vendor", vendor=vendor)
    assert api(contact).get(f"/vendors/{other.id}").status_code == 404
    assert api(contact).get(f"/vendors/{vendor.id}").status_code == 200


def test_the_csrf_token_is_this_sessions_own(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    vendor = make.vendor("Token Ltd")
    risk = make.user("risk")
    pattern = re.compile(rb'name="csrf-token" content="([^"]+)"')
    browsers, tokens = [], []
    for _ in range(2):  # two browsers of the same user: the second is served the kept page
        browser = app.test_client()
        login(browser, risk)
        page = browser.get(f"/procurement/vendors/{vendor.id}").data
        assert hole("csrf").encode() not in page
        browsers.append(browser)
        tokens.append(pattern.search(page).group(1))
    assert _kept() == 1
    for browser, token in zip(browsers, tokens, strict=True):
        # the page's token signs this browser's form posts (sign-out is one)
        r = browser.post("/logout", data={"csrf_token": token.decode()})
        assert r.status_code == 302, r.data[:3000]
    # and not another browser's
    third = app.test_client()
    login(third, risk)
    third.get(f"/procurement/vendors/{vendor.id}")
    assert third.post("/logout", data={"csrf_token": tokens[0].decode()}).status_code == 400
    assert tokens[0] != tokens[1]


def test_the_inbox_badge_is_counted_per_request(app, client, make):
    vendor = make.vendor("Badge Ltd")
    risk = make.user("risk")
    login(client, risk)
    path = f"/procurement/vendors/{vendor.id}"
    assert b'id="inbox-unread"' not in client.get(path).data
    notifications.notify([risk], "assessment_submitted", "Submitted", "A vendor submitted.")
    db.session.commit()
    page = client.get(path).data
    assert re.search(rb'id="inbox-unread"[^>]*>1<', page)
    assert hole("inbox-badge").encode() not in page


def test_a_page_with_messages_to_show_is_not_kept(app, client, make):
    vendor = make.vendor("Flash Ltd")
    login(client, make.user("risk"))
    with client.session_transaction() as s:
        s["_flashes"] = [("success", "Saved the vendor.")]
    page = client.get(f"/procurement/vendors/{vendor.id}").data
    assert b"Saved the vendor." in page
    assert _kept() == 0
    assert b"Saved the vendor." not in client.get(f"/procurement/vendors/{vendor.id}").data


def test_only_plain_reads_are_kept(app, client, make):
    login(client, make.user("risk"))
    assert client.get("/procurement/vendors/999999999999").status_code == 404
    assert client.get("/review/?page=abc").status_code in (200, 400)
    before = _kept()
    assert client.get("/procurement/vendors/999999999999").status_code == 404
    assert _kept() == before <= 1
    assert client.get("/procurement/vendors?q=" + "x" * 300).status_code == 200
    assert _kept() == before  # a one-off search is rendered, not kept


def test_a_read_of_a_table_the_writer_changes_becomes_stale(app, make):
    """The generations: a snapshot is valid while the tables it read are unchanged."""
    vendor = make.vendor("Gen Ltd")
    calls = []

    def compute():
        calls.append(1)
        return {"names": list(db.session.scalars(select(Vendor.name)))}

    from datetime import date

    today = date.today()
    assert snapshot.cached("t", today, {}, compute)["names"] == ["Gen Ltd"]
    assert snapshot.cached("t", today, {}, compute)["names"] == ["Gen Ltd"]
    assert len(calls) == 1
    vendor.website = "https://gen.example"
    db.session.commit()
    snapshot.cached("t", today, {}, compute)
    assert len(calls) == 2
    # a write to a table the computation never read leaves it valid
    notifications.notify([make.user("risk")], "assessment_submitted", "x", "y")
    db.session.commit()
    snapshot.cached("t", today, {}, compute)
    assert len(calls) == 2


def test_old_snapshots_are_pruned_by_the_hourly_job(app, client, make):
    from datetime import timedelta

    from vendorassure.jobs import tasks  # noqa: F401  (registers the job)
    from vendorassure.models._base import utcnow

    login(client, make.user("risk"))
    client.get("/procurement/vendors")
    assert _kept() == 1
    db.session.execute(update(Snapshot).values(computed_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    assert snapshot.prune() == 1
    assert _kept() == 0
