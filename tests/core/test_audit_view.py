"""审计日志 reads as a Chinese table (issue 14): object types, 新增/修改/删除, field names,
before → after, and the actor's display name."""
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import AuditLog, Person
from app.workflows.core import audit
from tests.helpers import make_user


def test_the_audit_log_reads_in_chinese(app, world, client):
    with app.app_context():
        person = db.session.get(Person, world.a_people[1])
        with audit.acting_as(db.session.query(User).filter_by(username=world.staff).one()):
            person.position = "项目经理"
            db.session.commit()
        row = (db.session.query(AuditLog).filter_by(entity="person", action="update")
               .order_by(AuditLog.id.desc()).first())
        row_id = row.id
    client.login(world.staff)
    listing = client.get("/auditlogview/list/").get_data(as_text=True)
    assert "修改" in listing and "人员" in listing and "新增" in listing
    assert ">update<" not in listing and ">create<" not in listing and ">person<" not in listing
    shown = client.get(f"/auditlogview/show/{row_id}").get_data(as_text=True)
    assert 'id="audit-changes"' in shown
    assert "职位" in shown and "审计员" in shown and "项目经理" in shown and "→" in shown
    assert '"position"' not in shown
    assert f"staff1（{world.staff}）" in shown  # the actor's display name, with its login


def test_seeding_and_system_actors_have_chinese_names(app, world, client):
    with app.app_context():
        with audit.acting_as("系统（演示数据）"):
            make_user(app, "demo1", "Staff")
    client.login(world.staff)
    listing = client.get("/auditlogview/list/").get_data(as_text=True)
    assert "系统（演示数据）" in listing


def test_fab_prettified_english_field_names_are_not_shown(app):
    from app.views.operations import _field_label

    with app.test_request_context():
        assert _field_label("ab_user", "changed_by_fk") == "修改人ID"
        assert _field_label("person", "position").startswith("职位")  # 人员信息's label


def test_every_audited_entity_is_named_in_chinese(app):
    """Each domain's audited models name themselves (`__label__`): the log never shows a
    table name such as hour_certificate."""
    import re

    from app.views.operations import _entity_label

    with app.app_context():
        assert len(audit.AUDITED) >= 12
        for model in audit.AUDITED:
            label = _entity_label(model.__tablename__)
            assert re.search(r"[\u4e00-\u9fff]", label), (model.__name__, label)
        assert _entity_label("hour_certificate") == "学时证明"


def test_an_audited_model_without_a_chinese_label_is_refused():
    import pytest
    from sqlalchemy import Integer
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Unnamed(Base):
        __tablename__ = "unnamed_thing"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    with pytest.raises(RuntimeError, match="Unnamed"):
        audit.register_audited(Unnamed)
    assert Unnamed not in audit.AUDITED
