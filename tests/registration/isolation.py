"""Rows of 注册业务 for the isolation matrix: cases (and their documents) of firm A about 张一
(the member itself) and about 张二, of firm B about 李一, and of an institute-managed CPA;
an appointment of each firm. Markers: the case's 姓名-based name, the document's file name,
the appointment's names."""
import datetime as dt

from app.extensions import db
from app.models import (Appointment, CalendarDay, CaseDocument, DocRequirement,
                        RegistrationCase, SlotTemplate)
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.core import files
from app.workflows.registration import booking, cases
from tests.helpers import id_number
from tests.registration.common import NOW, PDF, managed_cpa, setup_tables, user

DAY = dt.date(2026, 12, 4)


def _file(actor, person_id, name, serial, staff):
    case = cases.save_case(actor, NOW, case_type="证书补办", pledged_at=NOW, person_id=person_id,
                           data={"name": name, "id_number": id_number(serial),
                                 "mobile": f"1370001{serial:04d}"},
                           uploads={"reissue_request": files.Upload.from_bytes(f"{name}补办.pdf", PDF),
                                    "loss_notice": files.Upload.from_bytes(f"{name}挂失.pdf", PDF)})
    cases.submit(actor, NOW, case.id)
    cases.approve(staff, NOW, case.id)
    return case


def rows(world, app):
    with app.app_context():
        if not db.session.query(RegistrationCase).count():
            setup_tables(db.session)
            a_admin, b_admin = user(db.session, world.a.admin), user(db.session, world.b.admin)
            staff = user(db.session, world.staff)
            own = _file(a_admin, world.a_people[0], "甲所张一补证", 1, staff)
            other = _file(a_admin, world.a_people[1], "甲所张二补证", 2, staff)
            foreign = _file(b_admin, world.b_people[0], "乙所李一补证", 11, staff)
            person = managed_cpa(db.session, name="代管赵补证")
            managed = _file(user(db.session, person.cert_number), None, "代管赵补证", 901, staff)
            booking.book(a_admin, NOW, [other.id], DAY, "09:00")
            booking.book(a_admin, NOW, [own.id], DAY, "10:00")
            booking.book(b_admin, NOW, [foreign.id], DAY, "09:00")
            booking.book(user(db.session, person.cert_number), NOW, [managed.id], DAY, "10:00")
        by_name = {c.name: c.id for c in db.session.query(RegistrationCase)}
        docs = {d.file.original_name: d.id for d in db.session.query(CaseDocument)}
        appointments = {a.names: a.id for a in db.session.query(Appointment)}
        if not db.session.query(CalendarDay).count():
            db.session.add(CalendarDay(day=dt.date(2026, 12, 31), open=False, note="年终临时闭馆"))
            db.session.commit()
        settings = {
            DocRequirement: db.session.query(DocRequirement).filter_by(doc_key="loss_notice")
            .one().id,
            SlotTemplate: db.session.query(SlotTemplate).filter_by(start="15:30").one().id,
            CalendarDay: db.session.query(CalendarDay).one().id}
    case = lambda *names: [(by_name[n], n) for n in names]  # noqa: E731
    doc = lambda *names: [(docs[f"{n}补办.pdf"], f"{n}补办.pdf") for n in names]  # noqa: E731
    appt = lambda *names: [(appointments[n], n) for n in names]  # noqa: E731
    # the settings are the institute's: firm admins and members have no page for them
    markers = {DocRequirement: "登报挂失声明", SlotTemplate: "15:30", CalendarDay: "年终临时闭馆"}
    found = {model: {role: {"foreign": [(pk, markers[model])], "own": []}
                     for role in (FIRM_ADMIN, MEMBER)} for model, pk in settings.items()}
    return {
        **found,
        RegistrationCase: {
            FIRM_ADMIN: {"foreign": case("乙所李一补证", "代管赵补证"),
                         "own": case("甲所张一补证", "甲所张二补证")},
            MEMBER: {"foreign": case("乙所李一补证", "代管赵补证", "甲所张二补证"),
                     "own": case("甲所张一补证")}},
        CaseDocument: {
            FIRM_ADMIN: {"foreign": doc("乙所李一补证", "代管赵补证"),
                         "own": doc("甲所张一补证", "甲所张二补证")},
            MEMBER: {"foreign": doc("乙所李一补证", "代管赵补证", "甲所张二补证"),
                     "own": doc("甲所张一补证")}},
        Appointment: {
            FIRM_ADMIN: {"foreign": appt("乙所李一补证", "代管赵补证"),
                         "own": appt("甲所张一补证", "甲所张二补证")},
            MEMBER: {"foreign": appt("乙所李一补证", "代管赵补证", "甲所张二补证"),
                     "own": []}},
    }
