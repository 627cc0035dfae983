"""Builders shared by the training tests: a class through the workflow, users by login."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.workflows.training import classes
from tests.helpers import NOW

# NOW is 2026-11-23 10:00 in Beijing: the window is open, the class starts four days later
CLASS = {"kind": "北京注协面授班", "name": "2026年第二期新批注册会计师诚信教育培训班",
         "teacher": "王老师", "hours": "16", "category": "职业道德", "start_date": "2026-11-27",
         "end_date": "2026-11-28", "enroll_start": "2026-11-20 00:00",
         "enroll_end": "2026-11-25 23:59", "location": "北京国家会计学院", "capacity": "10",
         "audience": "从业人员和注册会计师", "intro": "诚信教育"}
AFTER = NOW + dt.timedelta(days=6)  # 2026-11-29: the class is over


def user(login):
    return db.session.query(User).filter_by(username=login).one()


def make_class(**changes):
    """A class created by staff1 (inside the caller's app context); returns its id."""
    return classes.save_class(user("staff1"), NOW - dt.timedelta(days=10),
                              {**CLASS, **changes}).id


def form(**changes):
    data = {"person_kind": "其他", "name": "孙助理", "phone": "18827250001", "position": "助理",
            "gender": "男"}
    data.update(changes)
    return data
