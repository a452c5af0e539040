"""CLI: users create, demo seed (once), scoring rescore."""

from __future__ import annotations

from sqlalchemy import func, select

from vendorassure.models import Assessment, User, Vendor


def test_users_create_makes_a_user_who_can_sign_in(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Boss@Example.com",
            "--role",
            "admin",
            "--password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(email="boss@example.com"))
    assert user.role == "admin" and user.password_hash
    assert (
        app.test_client()
        .post("/login", data={"email": "boss@example.com", "password": "a long password"})
        .status_code
        == 302
    )


def test_users_create_refuses_bad_input_and_stores_nothing(app, db, make):
    runner = app.test_cli_runner()
    cases = [
        (
            [
                "users",
                "create",
                "x@example.com",
                "--role",
                "vendor",
                "--password",
                "a long password",
            ],
            "vendor",
        ),
        (
            ["users", "create", "not-an-email", "--role", "risk", "--password", "a long password"],
            "Email",
        ),
        (
            ["users", "create", "y@example.com", "--role", "risk", "--password", "short"],
            "at least 12 characters",
        ),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_seed_runs_once_and_prints_passwords_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "admin@vendorassure.demo" in first.output and "risk@vendorassure.demo" in first.output
    vendors = db.session.scalar(select(func.count()).select_from(Vendor))
    statuses = set(db.session.scalars(select(Assessment.status)))
    assert vendors >= 4 and {"sent", "in_progress", "submitted", "completed"} <= statuses
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0 and "already present" in second.output
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == vendors


def test_scoring_rescore_reports_counts(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "seed"])
    result = runner.invoke(args=["scoring", "rescore"])
    assert result.exit_code == 0, result.output
    scored = db.session.scalar(
        select(func.count()).select_from(Assessment).where(Assessment.scored_at.is_not(None))
    )
    assert (
        f"Rescored {scored} assessment(s)" in result.output
        and "0 rating(s) changed" in result.output
    )
    bad = runner.invoke(args=["scoring", "rescore", "--model", "/nonexistent.yaml"])
    assert bad.exit_code == 1
