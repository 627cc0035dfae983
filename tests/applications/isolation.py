"""Rows of 学时申请 for the isolation matrix: an application of firm B's CPA is foreign to
firm A's admin and to A's member; A's member's own application is its own; another A
person's application is foreign to the member. Firm admins hold no 学时申请 view at all."""
from app.models import ApplicationStatus
from app.extensions import db
from app.models import HourApplication
from app.roles import FIRM_ADMIN, MEMBER
from tests.helpers import NOW


def _add(person_id, route):
    row = HourApplication(person_id=person_id, year=2026, kind="投入式", route="其他投入式学习",
                          organizer=route, hours="8.0", category="专业课", status=ApplicationStatus.PENDING,
                          submitted_at=NOW)
    db.session.add(row)
    db.session.flush()
    return row.id


def rows(world, app):
    with app.app_context():
        own = _add(world.a_people[0], "甲所本人主办单位")
        colleague = _add(world.a_people[1], "甲所同事主办单位")
        foreign = _add(world.b_people[0], "乙所主办单位")
        db.session.commit()
    return {
        HourApplication: {
            FIRM_ADMIN: {"foreign": [(foreign, "乙所主办单位")], "own": []},
            MEMBER: {"foreign": [(foreign, "乙所主办单位"), (colleague, "甲所同事主办单位")],
                     "own": [(own, "甲所本人主办单位")]}},
    }
