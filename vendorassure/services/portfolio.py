"""Moved to ``vendorassure.queries.portfolio`` (the read side); this name stays for code written
against the old place while branches merge. New code imports ``queries.portfolio``."""

from ..queries.portfolio import (  # noqa: F401
    compute_summary,
    expiring_certificates,
    final_rating_expr,
    findings_summary,
    latest_scored_subquery,
    objective_score_subquery,
    overdue_assessments,
    overdue_findings,
    ratings_over_time,
    reassessment_summary,
    register_statement,
    string_agg,
    summary,
    third_party_rollup,
    vendor_history,
    vendor_register,
)
from ..queries.portfolio import string_agg as _string_agg  # noqa: F401
