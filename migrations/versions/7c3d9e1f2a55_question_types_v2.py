"""questionnaire v2 fields: coverage, score_mode, scored; answers reused across questionnaires

Revision ID: 7c3d9e1f2a55
Revises: 9019ba65871d
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3d9e1f2a55'
down_revision = '9019ba65871d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coverage', sa.JSON(), nullable=True))
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_mode', sa.String(length=10), server_default='mean', nullable=False))
        batch_op.add_column(sa.Column('scored', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reused_from', sa.JSON(), nullable=True))
    # the shipped full questionnaire always required every control to be covered
    op.execute("UPDATE questionnaires SET coverage = '{\"controls\": \"all\"}' WHERE key = 'iso42001-ai-vendor'")
    op.execute("UPDATE questionnaires SET coverage = '{}' WHERE coverage IS NULL")
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.alter_column('coverage', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('reused_from')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('scored')
        batch_op.drop_column('score_mode')
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.drop_column('coverage')
