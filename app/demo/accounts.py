"""Demo data of the accounts' side of the admin's home page (issue 26): one firm's 从业人员
account has had its password typed wrong six times in a row, so 已停用或登录失败多次的账号
shows what an administrator will meet (the count clears at its next right password)."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User

from app.extensions import db

FAILED_TIMES = 6


def seed(now: dt.datetime):
    user = db.session.query(User).filter(User.username.like("kj%")) \
        .order_by(User.id.desc()).first()
    if user is not None:
        user.fail_login_count = FAILED_TIMES
    return []
