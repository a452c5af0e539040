"""Query helpers shared by the web lists and the API: one page of rows, name search."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db


def count(stmt) -> int:
    """Count the rows a select would return (ordering dropped)."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def paginate(stmt, page: int, per_page: int, order_by, *, rows: bool = False) -> tuple[list, int]:
    """Run a select for one page; return (items, total). rows=True keeps multi-column rows."""
    page_stmt = stmt.order_by(*order_by).limit(per_page).offset((max(page, 1) - 1) * per_page)
    result = db.session.execute(page_stmt).all() if rows else db.session.scalars(page_stmt).all()
    return result, count(stmt)


def name_contains(column, text: str | None):
    """A case-insensitive substring match on a name column (LIKE wildcards escaped)."""
    return func.lower(column).contains((text or "").strip().lower(), autoescape=True)


def page_arg(args) -> int:
    """The ?page= of a web list, at least 1."""
    return max(args.get("page", 1, type=int) or 1, 1)
