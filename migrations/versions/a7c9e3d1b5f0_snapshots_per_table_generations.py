"""Snapshots valid per table: one generation per table instead of one for the portfolio.

Revision ID: a7c9e3d1b5f0
Revises: f2b3c4d5e6f7

The snapshot table is a cache: it is recreated empty (every figure is recomputed on its next
view).
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c9e3d1b5f0"
down_revision = "f2b3c4d5e6f7"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_portfolio_snapshots_generation", table_name="portfolio_snapshots")
    op.drop_table("portfolio_snapshots")
    op.drop_table("portfolio_generation")
    op.create_table(
        "table_generations",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_table_generations")),
    )
    op.create_table(
        "portfolio_snapshots",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("deps", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_portfolio_snapshots")),
    )
    op.create_index(
        op.f("ix_portfolio_snapshots_computed_at"), "portfolio_snapshots", ["computed_at"]
    )


def downgrade():
    op.drop_index(op.f("ix_portfolio_snapshots_computed_at"), table_name="portfolio_snapshots")
    op.drop_table("portfolio_snapshots")
    op.drop_table("table_generations")
    op.create_table(
        "portfolio_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_generation")),
    )
    op.execute("INSERT INTO portfolio_generation (id, generation) VALUES (1, 1)")
    op.create_table(
        "portfolio_snapshots",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_portfolio_snapshots")),
    )
    op.create_index(
        "ix_portfolio_snapshots_generation", "portfolio_snapshots", ["generation"], unique=False
    )
