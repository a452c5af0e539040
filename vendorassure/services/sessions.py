"""End a user's sessions on the server side: the session version in every login id."""

from __future__ import annotations

from ..models import User


def end_sessions(user: User) -> None:
    """Invalidate every session cookie of the user (the version is in each login id); caller commits."""
    user.session_version = (user.session_version or 1) + 1
