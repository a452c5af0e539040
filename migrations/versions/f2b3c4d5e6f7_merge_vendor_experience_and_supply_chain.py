"""Merge the vendor-experience and supply-chain branches of the schema.

Revision ID: f2b3c4d5e6f7
Revises: e1a2b3c4d5e6, c15f0e1a2b3c, d16c4a1e9b2f
"""

revision = "f2b3c4d5e6f7"
down_revision = ("e1a2b3c4d5e6", "c15f0e1a2b3c", "d16c4a1e9b2f")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
