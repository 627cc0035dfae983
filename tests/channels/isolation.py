"""Issue 27's rows: the SMS and WeChat outboxes are the institute's (短信发送记录,
微信发送记录): no firm admin or member reaches a row of either, their own included."""
import datetime as dt

from app.models import OutboxStatus
from app.extensions import db
from app.models import OutboxSms, OutboxWechat
from app.roles import FIRM_ADMIN, MEMBER

MOMENT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


def rows(world, app):
    with app.app_context():
        if db.session.query(OutboxWechat).filter_by(title="乙所机密微信").first() is None:
            db.session.add_all([
                OutboxSms(to_mobile="13900000001", body="乙所机密短信", kind="验证码",
                          status=OutboxStatus.FAILED, attempts=3, next_attempt_at=MOMENT,
                          last_error="1400 信息", created_at=MOMENT),
                OutboxWechat(openid="oSECRET", kind="系统消息", template_id="T",
                             title="乙所机密微信", data="{}", status=OutboxStatus.FAILED, attempts=5,
                             next_attempt_at=MOMENT, created_at=MOMENT)])
            db.session.commit()
        found = {
            OutboxSms: [(r.id, r.to_mobile) for r in db.session.query(OutboxSms).filter_by(
                body="乙所机密短信")],
            OutboxWechat: [(r.id, r.title) for r in db.session.query(OutboxWechat).filter_by(
                title="乙所机密微信")],
        }
    return {model: {role: {"foreign": pairs, "own": []} for role in (FIRM_ADMIN, MEMBER)}
            for model, pairs in found.items()}
