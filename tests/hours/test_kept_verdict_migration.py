"""The migration that adds the kept yearly verdict (f7e8d9c0b1a2) fills it on a populated
database exactly as the app's rules compute it — with a staff-set requirement, exemptions
(one of a person without any hours that year) and persons without hours — and its
downgrade takes it away again."""
import pytest
from sqlalchemy import func, or_, select, text

from app.extensions import db
from app.models import HourYearTotal
from app.workflows.hours.rules import KEPT, verdict_select
from tests.conftest import app_on
from tests.core.test_schema_and_demo import _base, populated_url  # noqa: F401

REVISION, PARENT = "f7e8d9c0b1a2", "e5f6a7b8c9d0"


@pytest.mark.slow("copies the demo database and migrates it down and up (seconds)")
def test_the_migration_fills_the_kept_verdict_as_the_rules_compute_it(test_config,
                                                                      populated_url,  # noqa: F811
                                                                      tmp_path):
    import flask_migrate

    from tests.conftest import clone_database

    url = clone_database(test_config, populated_url, f"{_base(test_config)}_kept", tmp_path)
    migrated = app_on(url, tmp_path)
    with migrated.app_context():
        flask_migrate.downgrade(revision=PARENT)
        columns = {row[1] if db.engine.dialect.name == "sqlite" else row[0]
                   for row in db.session.execute(text(
                       "PRAGMA table_info(hour_year_total)" if db.engine.dialect.name == "sqlite"
                       else "SELECT column_name FROM information_schema.columns "
                            "WHERE table_name = 'hour_year_total'"))}
        assert not columns & set(KEPT)
        years = [y for (y,) in db.session.execute(text(
            "SELECT DISTINCT year FROM hour_year_total ORDER BY year"))]
        assert years, "the demo data have hours"
        year = years[-1]
        with_hours = [p for (p,) in db.session.execute(text(
            f"SELECT person_id FROM hour_year_total WHERE year = {year} ORDER BY person_id"))]
        without = db.session.execute(text(
            f"SELECT id FROM person WHERE id NOT IN (SELECT person_id FROM hour_year_total "
            f"WHERE year = {year}) AND person_type = '注册会计师' ORDER BY id")).scalar()
        assert without is not None and len(with_hours) >= 3
        db.session.execute(text(
            "INSERT INTO cpe_exemption (person_id, year, condition, source_kind, source_id, "
            "created_at) VALUES (:p, :y, '产假', 'manual', :s, '2026-01-05 00:00:00')"),
            [{"p": p, "y": year, "s": f"m{p}"} for p in (with_hours[0], with_hours[1], without)])
        db.session.execute(text(
            "DELETE FROM cpe_requirement WHERE year = :y AND person_type = '非执业会员'"),
            {"y": year})
        db.session.execute(text(
            "INSERT INTO cpe_requirement (year, person_type, min_total, min_face_to_face, "
            "min_input, min_ethics, min_sizheng, cap_online, cap_output) "
            "VALUES (:y, '非执业会员', 30.5, 3, 11, 1.5, 0.5, 12, 20)"), {"y": year})
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade(revision=REVISION)
        for each in years:
            scratch = verdict_select(db.session, each).subquery()
            t = HourYearTotal.__table__
            differing = db.session.scalar(
                select(func.count()).select_from(t).join(
                    scratch, scratch.c.person_id == t.c.person_id)
                .where(t.c.year == each, or_(*(t.c[k] != scratch.c[k] for k in KEPT))))
            assert differing == 0, each
        kept = db.session.execute(select(HourYearTotal).where(
            HourYearTotal.person_id == without, HourYearTotal.year == year)).scalar_one()
        assert kept.exempt and not kept.required and kept.records == 0
        assert db.session.scalar(select(func.count()).select_from(HourYearTotal).where(
            HourYearTotal.year == year, HourYearTotal.passed.is_(True))) > 0
        db.session.remove()
        flask_migrate.downgrade(revision=PARENT)
        assert db.session.execute(text(
            f"SELECT count(*) FROM hour_year_total WHERE person_id = {without} "
            f"AND year = {year}")).scalar() == 0
        db.session.remove()
        db.engine.dispose()
