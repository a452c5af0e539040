"""Merge the review-record and portfolio-at-scale branches of the schema.

Revision ID: e1a2b3c4d5e6
Revises: a11e0c1d5e7f, b13a5ca1e000
"""

revision = "e1a2b3c4d5e6"
down_revision = ("a11e0c1d5e7f", "b13a5ca1e000")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
