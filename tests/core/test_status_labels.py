"""Statuses are stored as stable codes and shown through the labels the machine declares
(issue 25 item 8): the machine's refusals, the 流程跟踪, pages, exports, filters and REST show
the words as before; a label given as a filter value still finds the rows."""
import pytest
from flask_appbuilder.security.sqla.models import User

from app import models
from app.extensions import db
from app.models import (CaseStatus, ConsultationStatus, Firm, FirmStatus, Person, PersonStatus,
                        PersonType, StatusHistory)
from app.workflows.core.errors import ValidationError
from app.workflows.core.labels import code_of, history_label, label, labels_for
from app.workflows.core.states import MACHINES, Machine, T, institute
from tests.helpers import NOW
from tests.registry.test_api import bearer

STATUS_CLASSES = [getattr(models, name) for name in dir(models)
                  if name.endswith("Status") and hasattr(getattr(models, name), "LABELS")]


def test_every_status_class_labels_each_of_its_codes_with_its_old_words():
    assert len(STATUS_CLASSES) == 14
    for status in STATUS_CLASSES:
        codes = {value for name, value in vars(status).items()
                 if name.isupper() and isinstance(value, str)}
        assert codes == set(status.LABELS), status
        for code in codes:  # a code is short, stable, ASCII; its label is Chinese
            assert code.isascii() and code.islower() and len(code) <= 16, code
            assert not status.LABELS[code].isascii(), code
    assert CaseStatus.LABELS[CaseStatus.SUBMITTED] == "已提交待北注协审核"


def test_every_machine_declares_a_label_for_each_of_its_states(app):
    assert MACHINES
    for machine in MACHINES.values():
        assert set(machine.states) <= set(machine.labels), machine.name


def test_a_machine_refuses_and_records_in_its_labels_and_stores_codes(ctx, world):
    S = ConsultationStatus
    machine = Machine("labels_test", models.Consultation, [
        T("close", S.AWAITING_INSTITUTE, S.CLOSED, "办结", who=institute),
    ], labels={S.AWAITING_INSTITUTE: "待协会回复", S.CLOSED: "已办结", S.AWAITING_USER: "待用户回复"})
    try:
        assert machine.label_of(S.CLOSED) == "已办结" and machine.label_of("unknown") == "unknown"
        thread = models.Consultation(business_type="其他", subject="问", status=S.AWAITING_USER,
                                     created_at=NOW, updated_at=NOW)
        ctx.add(thread)
        ctx.flush()
        staff = ctx.query(User).filter_by(username=world.staff).one()
        with pytest.raises(ValidationError, match="当前状态为“待用户回复”，不能办结"):
            machine.fire(thread, "close", staff, NOW)
        thread.status = S.AWAITING_INSTITUTE
        machine.fire(thread, "close", staff, NOW)
        assert thread.status == "closed"
        entry = ctx.query(StatusHistory).filter_by(entity="labels_test").one()
        assert (entry.from_state, entry.to_state) == ("to_institute", "closed")
        assert history_label(entry) == "已办结" and history_label(entry, "from_state") == "待协会回复"
    finally:
        MACHINES.pop("labels_test", None)


def test_a_machine_with_labels_must_label_every_state():
    S = ConsultationStatus
    with pytest.raises(ValueError, match="without a label"):
        Machine("labels_incomplete", models.Consultation, [
            T("close", S.AWAITING_INSTITUTE, S.CLOSED, "办结")], labels={S.CLOSED: "已办结"})
    MACHINES.pop("labels_incomplete", None)


def test_labels_and_codes_of_a_model_without_a_machine(ctx):
    assert labels_for(Firm) == FirmStatus.LABELS and labels_for(Person) == PersonStatus.LABELS
    person = Person(person_type=PersonType.OTHER, name="甲", status=PersonStatus.REVOKED)
    assert label(person) == "撤销"
    assert code_of(PersonStatus.LABELS, "撤销") == "revoked"
    assert code_of(PersonStatus.LABELS, "revoked") == "revoked"
    assert code_of(PersonStatus.LABELS, "别的") == "别的"


def _revoke_one(app, world):
    with app.app_context():
        person = db.session.get(Person, world.a_people[2])
        person.status = PersonStatus.REVOKED
        db.session.commit()
        return person.name


def test_list_filter_export_and_rest_show_the_words_and_accept_them(app, world, client):
    name = _revoke_one(app, world)
    client.login(world.staff)
    page = client.get("/personview/list/").get_data(as_text=True)
    assert "撤销" in page and ">revoked<" not in page and "正常" in page
    # a label typed into the list's filter (as users and old links did) finds the row
    for value in ("撤销", PersonStatus.REVOKED):
        found = client.get("/personview/list/", query_string={"_flt_0_status": value})
        text = found.get_data(as_text=True)
        assert name in text and "张一" not in text, value
    exported = client.get("/personview/export/csv/",
                          query_string={"_flt_0_status": "撤销"}).get_data(as_text=True)
    assert name in exported and "撤销" in exported and "revoked" not in exported
    rison = "(filters:!((col:status,opr:eq,value:'撤销')))"
    answer = client.get("/api/v1/person/", query_string={"q": rison},
                        headers=bearer(client, world.staff))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    rows = answer.get_json()["result"]
    assert [r["name"] for r in rows] == [name] and rows[0]["status"] == "撤销"
