"""Rows of the hour ledger for the isolation matrix: hours of a person of firm B, of another
person of firm A and of the member themselves; a requirement row (institute only); a 学时证明
of each of the three persons (marker: the person's name, which the list shows)."""
import datetime as dt

from app.extensions import db
from app.models import CpeRequirement, HourCertificate, HourRecord, PersonType
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows import hours
from app.workflows.core.scoping import SystemActor
from app.workflows.hours import certificates
from tests.helpers import NOW


def rows(world, app):
    with app.app_context():
        if not db.session.query(HourRecord).count():
            for person_id, title in ((world.b_people[0], "乙所李一的学时"),
                                     (world.a_people[1], "甲所张二的学时"),
                                     (world.a_people[0], "甲所张一本人的学时")):
                hours.credit(None, NOW, source_kind="import", source_id=f"iso:{person_id}",
                             person_id=person_id, year=2026, title=title, category="专业课",
                             delivery="面授", hours="8", obtained_at=dt.date(2026, 5, 1))
            db.session.add(CpeRequirement(year=2031, person_type=PersonType.CPA, min_total=41,
                                          min_face_to_face=16, min_input=0, min_ethics=4,
                                          min_sizheng=0, cap_online=24, cap_output=24))
            db.session.commit()
            for person_id in (world.b_people[0], world.a_people[1], world.a_people[0]):
                certificates.issue_certificate(SystemActor("测试"), NOW, person_id, [2026])
        found = {r.title: r.id for r in db.session.query(HourRecord)}
        issued = {c.person_name: c.id for c in db.session.query(HourCertificate)}
        requirement = db.session.query(CpeRequirement).filter_by(year=2031).one().id
    rows_ = lambda *titles: [(found[t], t) for t in titles]  # noqa: E731
    certs = lambda *names: [(issued[n], n) for n in names]  # noqa: E731
    return {
        HourRecord: {FIRM_ADMIN: {"foreign": rows_("乙所李一的学时"),
                                  "own": rows_("甲所张二的学时", "甲所张一本人的学时")},
                     MEMBER: {"foreign": rows_("乙所李一的学时", "甲所张二的学时"),
                              "own": rows_("甲所张一本人的学时")}},
        HourCertificate: {FIRM_ADMIN: {"foreign": certs("李一"), "own": certs("张二", "张一")},
                          MEMBER: {"foreign": certs("李一", "张二"), "own": certs("张一")}},
        CpeRequirement: {FIRM_ADMIN: {"foreign": [(requirement, "2031")], "own": []},
                         MEMBER: {"foreign": [(requirement, "2031")], "own": []}},
    }
