"""Rows of 事务所内部培训 for the isolation matrix: firm B's qualification, class, roster entry
and year-end report are foreign to firm A's admin and to A's member; A's are its own. The
member sees only its own roster entry (person scope)."""
import datetime as dt

from app.extensions import db
from app.models import (EntryStatus, InhouseClass, InhouseQualification, InhouseRosterEntry,
                        InhouseYearReport, Person, ReviewStatus)
from app.roles import FIRM_ADMIN, MEMBER
from tests.helpers import NOW


def _entry(class_id, person_id):
    person = db.session.get(Person, person_id)
    entry = InhouseRosterEntry(class_id=class_id, is_cpa=bool(person.cert_number),
                               cert_number=person.cert_number, name=person.name,
                               id_number=person.id_number, level="审计员",
                               acquisition="执业机构内培", hours="8.0", person_id=person.id,
                               person_key=f"P{person.id}", status=EntryStatus.ENROLLED,
                               created_at=NOW)
    db.session.add(entry)
    db.session.flush()
    return entry.id


def rows(world, app):
    with app.app_context():
        ids = {}
        for firm, tag in ((world.a, "甲"), (world.b, "乙")):
            ids[f"q{tag}"] = _add(InhouseQualification(
                firm_id=firm.id, year=2031 if tag == "甲" else 2032,
                status=ReviewStatus.PENDING, submitted_at=NOW, remark=f"{tag}所资格备注"))
            ids[f"c{tag}"] = _add(InhouseClass(
                firm_id=firm.id, year=2026, name=f"{tag}所内训班", category="专业课", hours="8.0",
                start_date=dt.date(2026, 12, 20), end_date=dt.date(2026, 12, 20),
                address="会议室", leader="负责人", contact="13800000000",
                status=ReviewStatus.PENDING, created_at=NOW))
            ids[f"r{tag}"] = _add(InhouseYearReport(firm_id=firm.id,
                                                    year=2033 if tag == "甲" else 2034,
                                                    uploaded_at=NOW))
        ids["e乙"] = _entry(ids["c乙"], world.b_people[0])
        ids["e甲二"] = _entry(ids["c甲"], world.a_people[1])
        ids["e甲一"] = _entry(ids["c甲"], world.a_people[0])
        db.session.commit()
    return {
        InhouseQualification: {FIRM_ADMIN: {"foreign": [(ids["q乙"], "乙所资格备注")],
                                            "own": [(ids["q甲"], "甲所资格备注")]},
                               MEMBER: {"foreign": [(ids["q乙"], "乙所资格备注"), (ids["q甲"], "甲所资格备注")],
                                        "own": []}},
        InhouseClass: {FIRM_ADMIN: {"foreign": [(ids["c乙"], "乙所内训班")],
                                    "own": [(ids["c甲"], "甲所内训班")]},
                       MEMBER: {"foreign": [(ids["c乙"], "乙所内训班"), (ids["c甲"], "甲所内训班")],
                                "own": []}},
        InhouseRosterEntry: {FIRM_ADMIN: {"foreign": [(ids["e乙"], "李一")],
                                          "own": [(ids["e甲二"], "张二"), (ids["e甲一"], "张一")]},
                             MEMBER: {"foreign": [(ids["e乙"], "李一"), (ids["e甲二"], "张二")],
                                      "own": [(ids["e甲一"], "张一")]}},
        InhouseYearReport: {FIRM_ADMIN: {"foreign": [(ids["r乙"], "2034")],
                                         "own": [(ids["r甲"], "2033")]},
                            MEMBER: {"foreign": [(ids["r乙"], "2034"), (ids["r甲"], "2033")],
                                     "own": []}},
    }


def _add(row):
    db.session.add(row)
    db.session.flush()
    return row.id
