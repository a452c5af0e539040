"""one score record: objective scores table, band, certificate suspension

Revision ID: 5b1e7c2a9d40
Revises: f861c366ed9e
Create Date: 2026-12-01 09:00:00.000000

The objective scores of already scored assessments are copied out of their stored explanation
so that the dashboard can aggregate them in SQL at once; `flask --app app scoring rescore`
then brings every record to the scoring model in force.
"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e7c2a9d40'
down_revision = 'f861c366ed9e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('objective_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('coverage', sa.Float(), nullable=False),
    sa.Column('band', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_objective_scores_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['objective_id'], ['objectives.id'], name=op.f('fk_objective_scores_objective_id_objectives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objective_scores')),
    sa.UniqueConstraint('assessment_id', 'objective_id', name=op.f('uq_objective_scores_assessment_id'))
    )
    with op.batch_alter_table('objective_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objective_scores_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objective_scores_objective_id'), ['objective_id'], unique=False)

    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('band', sa.String(length=20), nullable=True))

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_on', sa.Date(), nullable=True))

    # copy the objective scores and band out of the explanations already stored
    conn = op.get_bind()
    objectives = dict(conn.execute(sa.text("SELECT ref, id FROM objectives")).all())
    rows = conn.execute(
        sa.text("SELECT id, score_details FROM assessments WHERE score_details IS NOT NULL")
    ).all()
    inserts, bands = [], []
    for aid, details in rows:
        d = json.loads(details) if isinstance(details, str) else details
        if not isinstance(d, dict):
            continue
        for o in d.get("objectives") or []:
            if o.get("ref") in objectives:
                inserts.append({"a": aid, "o": objectives[o["ref"]], "s": float(o.get("score") or 0),
                                "c": float(o.get("coverage") or 0)})
        if d.get("band"):
            bands.append({"a": aid, "b": str(d["band"])})
    if inserts:
        conn.execute(
            sa.text("INSERT INTO objective_scores (assessment_id, objective_id, score, coverage) "
                    "VALUES (:a, :o, :s, :c)"),
            inserts,
        )
    if bands:
        conn.execute(sa.text("UPDATE assessments SET band = :b WHERE id = :a"), bands)


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('suspended_on')

    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('band')

    with op.batch_alter_table('objective_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objective_scores_objective_id'))
        batch_op.drop_index(batch_op.f('ix_objective_scores_assessment_id'))

    op.drop_table('objective_scores')
