"""Query helpers shared by the web lists and the API: one page of rows, name search."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..validation import MAX_INT, bounded_int
from .errors import BadInput


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


def int_arg(args, name: str) -> int | None:
    """An optional whole-number query parameter of a web list; 400 when it is not one that a
    database id can hold (e.g. above 2^31-1), rather than a database error."""
    raw = args.get(name, "")
    if raw.strip() == "":
        return None
    value = bounded_int(raw)
    if value is None:
        raise BadInput(
            f"?{name}= must be a whole number from 0 to {MAX_INT}.", {name: "Out of range."}
        )
    return value


def page_arg(args) -> int:
    """The ?page= of a web list, at least 1 (400 when it is not a number in range)."""
    return max(int_arg(args, "page") or 1, 1)
