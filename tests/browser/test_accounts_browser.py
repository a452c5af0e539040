"""Accounts in headless Chromium: forgotten password, password change, two-step sign-in set-up and
sign-in, and single sign-on against the loopback OpenID provider."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out
from tests.conftest import PASSWORD
from tests.sso_provider import ACCOUNT_PASSWORD

pytestmark = pytest.mark.browser
NEW = "a fresh browser passphrase"


def _latest_link(app, marker: str) -> str:
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    newest = max(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return marker + newest.read_text().split(marker)[1].split()[0]


def test_forgotten_password_then_change_password(app, make, page, shot):
    user = make.user("procurement", email="pat@buyer.example")
    page.goto("/login")
    page.click("text=Forgot your password?")
    page.fill("input[name=email]", user.email)
    shot("a01-forgot-password")
    page.click("button:has-text('Email me a link')")
    expect(page.locator(".flash-info")).to_contain_text("If an account exists for that address")
    page.goto(_latest_link(app, "/reset/"))
    page.fill("input[name=password]", "password123!")
    page.fill("input[name=confirm]", "password123!")
    page.click("button:has-text('Set the new password')")
    expect(page.locator(".error").first).to_contain_text("breached")
    shot("a02-reset-refuses-breached-password")
    page.fill("input[name=password]", NEW)
    page.fill("input[name=confirm]", NEW)
    page.click("button:has-text('Set the new password')")
    expect(page.locator(".flash-success")).to_contain_text("Sign in with the new one")
    sign_in(page, user.email, NEW)
    expect(page.locator("h1")).to_contain_text("Portfolio dashboard")

    # Change it again from the profile page.
    page.click(".who a[href='/account/']")  # the name in the top bar opens the profile
    expect(page.locator("h1")).to_contain_text("Your profile")
    page.click("nav[aria-label='Your account'] >> text=Password")
    page.fill("input[name=current_password]", NEW)
    page.fill("input[name=password]", NEW + " again")
    page.fill("input[name=confirm]", NEW + " again")
    shot("a03-change-password")
    page.click("button:has-text('Change password')")
    expect(page.locator(".flash-success")).to_contain_text(
        "Other browsers and devices are signed out"
    )
    shot("a04-profile-after-change")
    sign_out(page)
    sign_in(page, user.email, NEW + " again")
    expect(page.locator("h1")).to_contain_text("Portfolio dashboard")


def test_mfa_enrolment_and_sign_in(app, make, page, shot):
    app.config["MFA_REQUIRED_ROLES"] = ("admin",)
    admin = make.user("admin", email="ada@buyer.example")
    sign_in(page, admin.email, PASSWORD)
    expect(page.locator("h1")).to_contain_text("Set up two-step sign-in")
    expect(page.locator("#mfa-qr svg")).to_be_visible()
    shot("a05-mfa-enrol-qr")
    secret = page.locator("#mfa-secret").inner_text().strip()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("button:has-text('Turn on two-step sign-in')")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    codes = page.locator("#recovery-codes li").all_inner_texts()
    shot("a06-mfa-recovery-codes")
    page.click("text=I have saved them")
    expect(page.locator("h1")).to_contain_text("Portfolio dashboard")
    sign_out(page)

    # Next sign-in: password, then a code from the app.
    sign_in(page, admin.email, PASSWORD)
    expect(page.locator("h1")).to_contain_text("Two-step sign-in")
    page.fill("input[name=code]", "000000")
    page.click("button:has-text('Verify and sign in')")
    expect(page.locator(".flash-error")).to_contain_text("code is not correct")
    page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    shot("a07-mfa-code-step")
    page.click("button:has-text('Verify and sign in')")
    expect(page.locator("h1")).to_contain_text("Portfolio dashboard")
    sign_out(page)

    # And once with a recovery code.
    sign_in(page, admin.email, PASSWORD)
    page.fill("input[name=code]", codes[0])
    page.click("button:has-text('Verify and sign in')")
    expect(page.locator(".flash-info")).to_contain_text("9 left")
    page.goto("/account/")
    expect(page.locator("#mfa-state")).to_contain_text("9 recovery codes left")
    shot("a08-profile-mfa-on")


def test_single_sign_on_with_the_loopback_provider(app, make, page, shot, oidc_provider, db):
    app.config.update(oidc_provider.settings())
    app.extensions.pop("vendorassure_sso", None)
    page.goto("/login")
    shot("a09-login-with-sso")
    page.click("#sso-sign-in")
    expect(page.locator("h1")).to_contain_text("Example Corp sign-in")
    page.fill("input[name=login]", "rita")
    page.fill("input[name=password]", ACCOUNT_PASSWORD)
    shot("a10-identity-provider")
    page.click("button:has-text('Continue')")
    expect(page.locator("h1")).to_contain_text(re.compile("Review queue|Assessments"))
    expect(page.locator(".who")).to_contain_text("Rita Risk")
    shot("a11-signed-in-by-sso")
    page.goto("/account/")
    expect(page.locator(".kv")).to_contain_text("Single sign-on")

    # The admin sees the just-in-time user with the mapped role and last sign-in.
    sign_out(page)
    admin = make.user("admin", email="root@buyer.example")
    sign_in(page, admin.email, PASSWORD)
    page.goto("/admin/")
    row = page.locator("#users tr", has_text="rita@corp.example")
    expect(row).to_contain_text("Risk")
    row.locator("a").click()
    expect(page.locator(".kv")).to_contain_text("Linked")
    shot("a12-admin-user-page")
    app.extensions.pop("vendorassure_sso", None)
