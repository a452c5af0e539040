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
    op.create_table('portfolio_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_generation'))
    )
    op.execute("INSERT INTO portfolio_generation (id, generation) VALUES (1, 1)")
    op.create_table('portfolio_snapshots',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_portfolio_snapshots'))
    )
    op.create_index(op.f('ix_portfolio_snapshots_generation'), 'portfolio_snapshots', ['generation'], unique=False)
    op.create_index('ix_assessments_status_due_date', 'assessments', ['status', 'due_date'], unique=False)
    op.create_index('ix_assessments_vendor_id_status', 'assessments', ['vendor_id', 'status'], unique=False)
    op.create_index('ix_assessments_due_date_id', 'assessments', ['due_date', 'id'], unique=False)
    op.create_index('ix_assessments_risk_score_id', 'assessments', ['risk_score', 'id'], unique=False)
    op.create_index('ix_assessments_submitted_at_id', 'assessments', ['submitted_at', 'id'], unique=False)
    op.create_index('ix_evidence_kind_expires_on', 'evidence', ['kind', 'expires_on'], unique=False)
    op.create_index('ix_findings_status_due_date', 'findings', ['status', 'due_date'], unique=False)
    op.create_index('ix_findings_vendor_id_status', 'findings', ['vendor_id', 'status'], unique=False)
    op.create_index('ix_users_role_email', 'users', ['role', 'email'], unique=False)
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_scored_assessment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_vendors_latest_scored_assessment_id'), ['latest_scored_assessment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_vendors_latest_scored_assessment_id_assessments'), 'assessments', ['latest_scored_assessment_id'], ['id'])
    # existing portfolios: point every vendor at its latest scored, non-cancelled assessment
    op.execute(
        "UPDATE vendors SET latest_scored_assessment_id = (SELECT max(a.id) FROM assessments a "
        "WHERE a.vendor_id = vendors.id AND a.scored_at IS NOT NULL AND a.status != 'cancelled')"
    )


def downgrade():
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vendors_latest_scored_assessment_id_assessments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_vendors_latest_scored_assessment_id'))
        batch_op.drop_column('latest_scored_assessment_id')
    op.drop_index('ix_users_role_email', table_name='users')
    op.drop_index('ix_findings_vendor_id_status', table_name='findings')
    op.drop_index('ix_findings_status_due_date', table_name='findings')
    op.drop_index('ix_evidence_kind_expires_on', table_name='evidence')
    op.drop_index('ix_assessments_submitted_at_id', table_name='assessments')
    op.drop_index('ix_assessments_risk_score_id', table_name='assessments')
    op.drop_index('ix_assessments_due_date_id', table_name='assessments')
    op.drop_index('ix_assessments_vendor_id_status', table_name='assessments')
    op.drop_index('ix_assessments_status_due_date', table_name='assessments')
    op.drop_index(op.f('ix_portfolio_snapshots_generation'), table_name='portfolio_snapshots')
    op.drop_table('portfolio_snapshots')
    op.drop_table('portfolio_generation')
