"""Rows of CPA专题培训 for the isolation matrix: a class (public catalogue: everyone's own),
enrollments of firm B, of firm A's other person and of the member itself, and waiting-list
entries of firm B, of firm A and of the member (markers: names the pages would show)."""
from app.extensions import db
from app.models import Enrollment, TrainingClass, WaitlistEntry
from app.roles import FIRM_ADMIN, MEMBER
from tests.helpers import NOW
from tests.training.common import CLASS, user


def rows(world, app):
    with app.app_context():
        if not db.session.query(TrainingClass).count():
            from app.workflows.training import classes, enrollment

            item = classes.save_class(user("staff1"), NOW, {**CLASS, "name": "隔离测试培训班"})
            enrollment.enroll(user(world.b.admin), NOW, item.id, {
                "person_kind": "其他", "name": "乙所报名人", "phone": "13911112222"})
            enrollment.enroll(user(world.a.admin), NOW, item.id, {
                "person_kind": "其他", "name": "甲所报名人", "phone": "13811112222"})
            enrollment.enroll_self(user(world.member), NOW, item.id)
            for firm_id, person_id in ((world.b.id, None), (world.a.id, None),
                                       (world.a.id, world.a_people[0])):
                db.session.add(WaitlistEntry(class_id=item.id, firm_id=firm_id,
                                             person_id=person_id, joined_at=NOW))
            db.session.commit()
        class_id = db.session.query(TrainingClass).filter_by(name="隔离测试培训班").one().id
        found = {e.name: e.id for e in db.session.query(Enrollment)}
        entries = {(w.firm_id, w.person_id): w.id for w in db.session.query(WaitlistEntry)}
    enrolled = lambda *names: [(found[n], n) for n in names]  # noqa: E731
    b_entry = (entries[world.b.id, None], world.b.name)
    a_entry = (entries[world.a.id, None], world.a.name)
    m_entry = (entries[world.a.id, world.a_people[0]], "张一")
    return {
        TrainingClass: {FIRM_ADMIN: {"foreign": [], "own": [(class_id, "隔离测试培训班")]},
                        MEMBER: {"foreign": [], "own": [(class_id, "隔离测试培训班")]}},
        Enrollment: {FIRM_ADMIN: {"foreign": enrolled("乙所报名人"),
                                  "own": enrolled("甲所报名人", "张一")},
                     MEMBER: {"foreign": enrolled("乙所报名人", "甲所报名人"),
                              "own": enrolled("张一")}},
        WaitlistEntry: {FIRM_ADMIN: {"foreign": [b_entry], "own": [a_entry, m_entry]},
                        MEMBER: {"foreign": [b_entry, a_entry], "own": [m_entry]}},
    }
