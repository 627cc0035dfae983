"""Demo data of issue 27's channels: the CPA of 北京华信 (110100010001) has bound WeChat and
chosen 短信 for 进度提醒; the WeChat and SMS outboxes hold rows in every state — sent with
WeChat's msgid or Tencent's serial number, waiting, being sent (stuck), failed with the
provider's error — so 微信发送记录 and 短信发送记录 show what staff will meet."""
import datetime as dt
import json

from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import MessageKind, NotifyPreference, OutboxSms, OutboxStatus, OutboxWechat
from app.workflows.core import outbox
from app.workflows.core.wechat import template_data

S = OutboxStatus
MEMBER = "110100010001"


def _as_delivered(row, at, run, wait):
    """The stamps a delivery run leaves on a row in its state: claimed by `run` once taken
    (发送中, 已发送), sent at `at` when 已发送, due again after `wait` when a failed attempt
    put it back to 待发送."""
    machine = outbox.MACHINE_OF[type(row)]
    sent = machine.reached(row, "sent")
    claimed = sent or machine.reached(row, "claim")
    row.claimed_by, row.claimed_at = (run, at) if claimed else (None, None)
    row.sent_at = at if sent else None
    row.next_attempt_at = at + (wait if row.last_error and machine.reached(row, "retry")
                                else dt.timedelta())
    return row


def seed(now: dt.datetime):
    user = db.session.query(User).filter_by(username=MEMBER).one_or_none()
    if user is None or user.account is None:
        return []
    openid = "oDEMO-7Hq2cZr9XbM1k4sJv0GnLwPy"
    user.account.wechat_openid = openid
    user.account.wechat_bound_at = now - dt.timedelta(days=12)
    db.session.add(NotifyPreference(user_id=user.id, kind=MessageKind.SYSTEM,
                                    channels="mail,sms,wechat"))
    name = user.first_name or "会员"
    wechat = [
        (S.SENT, "【进度提醒】预约成功", f"{name}您好，您办理的(北京华信会计师事务所（特殊普通合伙）)执业注册会计师"
         "注册业务已预约成功，预约时间为(2026-12-08 星期二 10:00)，请您本人携带(1份注册会计师注册申请表)"
         "按时前往北京注协会员服务部602办理。", 1, None, "3147483640112"),
        (S.SENT, "【协会通知】关于2026年度注册会计师任职资格检查的通知", "请于12月31日前完成任职资格检查。",
         1, None, "3147483640113"),
        (S.PENDING, "【进度提醒】材料已审核通过", "您提交的注册会计师注册申请业务申请材料已审核通过，请在30天内预约。",
         0, None, None),
        (S.PENDING, "【咨询回复】继续教育学时如何补录", "协会已回复您的咨询，请登录服务系统查看。",
         2, "接口调用次数已达今日上限（错误码 45009）", None),
        (S.SENDING, "【进度提醒】证书已制作完成", "请到北京注协会员服务部领取注册会计师证书。", 0, None, None),
        (S.FAILED, "【协会通知】2026年第二期诚信教育培训班报名通知", "报名截止时间为12月20日。",
         1, "接收人未关注公众号或已取消关注（错误码 43004）", None),
    ]
    for index, (status, title, body, attempts, error, msgid) in enumerate(wechat):
        at = now - dt.timedelta(hours=6 - index)
        kind = MessageKind.NOTICE if "协会通知" in title else (
            MessageKind.CONSULTATION if "咨询" in title else MessageKind.SYSTEM)
        db.session.add(_as_delivered(OutboxWechat(
            user_id=user.id, openid=openid, kind=kind, template_id=f"tpl{index:02d}Xk9Qz",
            title=title, data=json.dumps(template_data(kind, title, body, at), ensure_ascii=False),
            url=None, status=status, attempts=attempts, last_error=error, msgid=msgid,
            created_at=at), at, "web-1:4242:9f8e7d6c5b4a", dt.timedelta(hours=1)))
    sms = [
        (S.SENT, "13911110001", "验证码", ["480213", "10"], 1, None, "2640:110000000001"),
        (S.SENDING, "13911110002", "预约成功", ["李四"], 1, None, None),
        (S.FAILED, "13911110003", "通知", ["【北京注协】您的转入申请已确认"], 1,
         "手机号格式错误（错误码 InvalidParameterValue.IncorrectPhoneNumber）", None),
        (S.FAILED, "13911110004", "验证码", ["771904", "10"], 1,
         "该号码今日已发送10条短信，达到每日上限，未发送", None),
        (S.PENDING, "13911110005", "通知", ["【北京注协】您的学时申请已提交"], 2,
         "短信服务请求超时（错误码 InternalError.Timeout）", None),
    ]
    for index, (status, mobile, kind, params, attempts, error, serial) in enumerate(sms):
        at = now - dt.timedelta(hours=5 - index)
        db.session.add(_as_delivered(OutboxSms(
            to_mobile=mobile, body="【北京注协】" + "，".join(params), kind=kind,
            params=json.dumps(params, ensure_ascii=False), status=status, attempts=attempts,
            last_error=error, provider_ref=serial, created_at=at),
            at, "worker-2:5151:1a2b3c4d5e6f", dt.timedelta(minutes=2)))
    db.session.flush()
    return []
