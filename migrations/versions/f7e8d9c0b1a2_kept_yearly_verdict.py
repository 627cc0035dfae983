"""the yearly verdict kept beside each person's sums (hour_year_total: exempt, required,
passed, counted, gap, missing_*)

Revision ID: f7e8d9c0b1a2
Revises: e5f6a7b8c9d0
Create Date: 2026-12-07 19:30:00

The institute-wide pages (学员年度学时, 事务所培训概况, the staff home page) count and order the
kept verdict instead of judging every person at each request; the app keeps it from now on
(app/workflows/hours/verdicts.py). A populated database gets it here: a row (zero sums) for
every exempted person-year without one, then every row's verdict from its sums, the year's
requirement (the defaults of this revision where the year has none) and the exemptions —
the rules as they stand at this revision, written out in SQL (a migration never imports the
app's rules, which move on).
"""
from alembic import op
import sqlalchemy as sa

revision = 'f7e8d9c0b1a2'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None

CPA, NON_PRACTICING, OTHER = '注册会计师', '非执业会员', '其他从业人员'
FIELDS = ('min_total', 'min_face_to_face', 'min_input', 'min_ethics', 'min_sizheng',
          'cap_online', 'cap_output')
MINIMA = FIELDS[:5]
# in tenths of an hour (rules.DEFAULTS at this revision)
DEFAULTS = {CPA: (400, 160, 0, 40, 0, 240, 240),
            NON_PRACTICING: (400, 0, 160, 0, 0, 240, 240),
            OTHER: (0, 0, 0, 0, 0, 240, 240)}
MISSING = ('missing_counted', 'missing_face_to_face', 'missing_input', 'missing_ethics',
           'missing_sizheng')
FLAGS = ('exempt', 'required', 'passed')
NUMBERS = ('counted', 'gap', *MISSING)


def _effective(values: dict, person_type: str, exempt: bool) -> dict:
    """An exempted CPA (or other) has no minimum; an exempted 非执业会员 half of each
    (rounded half up to a tenth of an hour)."""
    if not exempt:
        return values
    if person_type == NON_PRACTICING:
        return {k: (v + 1) // 2 if k in MINIMA else v for k, v in values.items()}
    return {k: 0 if k in MINIMA else v for k, v in values.items()}


def upgrade():
    for name in FLAGS:
        op.add_column('hour_year_total', sa.Column(name, sa.Boolean(), nullable=False,
                                                   server_default=sa.false()))
    for name in NUMBERS:
        op.add_column('hour_year_total', sa.Column(name, sa.Integer(), nullable=False,
                                                   server_default='0'))
    bind = op.get_bind()
    # an exempted person-year always has a row
    bind.execute(sa.text("""
        INSERT INTO hour_year_total
            (person_id, year, records, total, online, output, face_to_face, ethics, sizheng)
        SELECT DISTINCT e.person_id, e.year, 0, 0, 0, 0, 0, 0, 0 FROM cpe_exemption e
        WHERE NOT EXISTS (SELECT 1 FROM hour_year_total t
                          WHERE t.person_id = e.person_id AND t.year = e.year)"""))
    stored = {(row.year, row.person_type): {f: int(round(float(getattr(row, f)) * 10))
                                           for f in FIELDS}
              for row in bind.execute(sa.text(
                  f"SELECT year, person_type, {', '.join(FIELDS)} FROM cpe_requirement"))}
    years = [row[0] for row in bind.execute(sa.text(
        "SELECT DISTINCT year FROM hour_year_total ORDER BY year"))]
    greatest = 'GREATEST' if bind.dialect.name == 'postgresql' else 'MAX'
    for year in years:
        for person_type, defaults in DEFAULTS.items():
            base = stored.get((year, person_type)) or dict(zip(FIELDS, defaults))
            for exempt in (False, True):
                r = _effective(base, person_type, exempt)
                required = any(r[k] > 0 for k in MINIMA)
                counted = (f"(total - online - output"
                           f" + CASE WHEN online > {r['cap_online']} THEN {r['cap_online']}"
                           f" ELSE online END"
                           f" + CASE WHEN output > {r['cap_output']} THEN {r['cap_output']}"
                           f" ELSE output END)")
                values = (counted, 'face_to_face', '(total - output)', 'ethics', 'sizheng')
                shorts = [f"CASE WHEN {r[m]} > {v} THEN {r[m]} - {v} ELSE 0 END"
                          for m, v in zip(MINIMA, values)]
                # passed: nothing missing; gap: the most missing toward any one minimum
                passed = ' AND '.join(f"{r[m]} <= {v}" for m, v in zip(MINIMA, values))
                bind.execute(sa.text(f"""
                    UPDATE hour_year_total SET
                        exempt = {'TRUE' if exempt else 'FALSE'},
                        required = {'TRUE' if required else 'FALSE'},
                        passed = CASE WHEN {passed} THEN TRUE ELSE FALSE END,
                        counted = {counted},
                        gap = {greatest}({', '.join(shorts)}),
                        {', '.join(f'{m} = {s}' for m, s in zip(MISSING, shorts))}
                    WHERE year = {int(year)}
                      AND person_id IN (SELECT id FROM person WHERE person_type = :t)
                      AND {'' if exempt else 'NOT '}EXISTS (
                          SELECT 1 FROM cpe_exemption e
                          WHERE e.person_id = hour_year_total.person_id AND e.year = {int(year)})
                """), {"t": person_type})
    # 事务所培训概况 and the home page read the year's rows from the index alone (PostgreSQL)
    op.drop_index('ix_hour_year_total_year_person', table_name='hour_year_total')
    op.create_index('ix_hour_year_total_year_person', 'hour_year_total', ['year', 'person_id'],
                    postgresql_include=['total', 'passed', 'required'])


def downgrade():
    op.drop_index('ix_hour_year_total_year_person', table_name='hour_year_total')
    op.create_index('ix_hour_year_total_year_person', 'hour_year_total', ['year', 'person_id'])
    with op.batch_alter_table('hour_year_total') as batch:
        for name in (*FLAGS, *NUMBERS):
            batch.drop_column(name)
    # the zero rows of exempted person-years without hours go with the kept verdict
    op.execute("DELETE FROM hour_year_total WHERE records = 0 AND total = 0")
