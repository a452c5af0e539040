"""portfolio at scale: latest scored assessment per vendor, list indexes, portfolio snapshots

Revision ID: b13a5ca1e000
Revises: 1b7eb9a6356c
Create Date: 2026-12-01 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b13a5ca1e000'
down_revision = '1b7eb9a6356c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_scored_assessment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_vendors_latest_scored_assessment_id'), ['latest_scored_assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendors_status'), ['status'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_vendors_latest_scored_assessment_id_assessments'), 'assessments', ['latest_scored_assessment_id'], ['id'])
    # existing portfolios: point every vendor at its latest scored, non-cancelled assessment
    op.execute(
        "UPDATE vendors SET latest_scored_assessment_id = (SELECT max(a.id) FROM assessments a "
        "WHERE a.vendor_id = vendors.id AND a.scored_at IS NOT NULL AND a.status != 'cancelled')"
    )


def downgrade():
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vendors_latest_scored_assessment_id_assessments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_vendors_status'))
        batch_op.drop_index(batch_op.f('ix_vendors_latest_scored_assessment_id'))
        batch_op.drop_column('latest_scored_assessment_id')
