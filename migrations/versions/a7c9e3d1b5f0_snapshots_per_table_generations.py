"""Snapshots valid per table: one generation per table instead of one for the portfolio.

Revision ID: a7c9e3d1b5f0
Revises: f2b3c4d5e6f7

New tables (``table_generations``, ``snapshots``); the previous release's
``portfolio_generation`` and ``portfolio_snapshots`` stay untouched so its hosts keep serving
during a rolling upgrade (docs/OPERATIONS.md), and are dropped by a later release.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c9e3d1b5f0"
down_revision = "f2b3c4d5e6f7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "table_generations",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_table_generations")),
    )
    op.create_table(
        "snapshots",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("deps", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_snapshots")),
    )
    op.create_index(op.f("ix_snapshots_computed_at"), "snapshots", ["computed_at"])


def downgrade():
    op.drop_index(op.f("ix_snapshots_computed_at"), table_name="snapshots")
    op.drop_table("snapshots")
    op.drop_table("table_generations")
