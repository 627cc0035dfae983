"""微信 (issue 27; seed 004 §10): binding an account to the official account's openid and
sending template messages, through WeChat's official HTTP API with `requests`.

    configured()                       # app id, secret, push token and the template ids set
    create_bind_ticket(actor, now)     # 绑定新账号: a one-time QR (scene = a random token)
    handle_push(args, body, now)       # /wechat/push: signature checked, scan → bind
    unbind(actor, now)                 # 解绑
    queue_template(user, kind, title, body, now, link)   # in the caller's transaction
    deliver_wechat (job)               # sends each queued row exactly once (core/outbox.py)

The access token is shared by every process through the wechat_token table and fetched
again shortly before it expires, or at once when WeChat answers 40001/40014/42001 (the
call is then retried once). 45009 (daily quota) and busy answers wait and retry; an
unsubscribed or unknown openid fails the row for good, shown in 微信发送记录.
"""
import datetime as dt
import hashlib
import hmac
import json
import secrets
import xml.etree.ElementTree as ET

import requests
from flask import current_app, has_app_context
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Account, MessageKind, OutboxStatus, OutboxWechat, WechatBindTicket, \
    WechatToken
from app.workflows.core import outbox
from app.workflows.core.commands import command
from app.workflows.core.errors import NotFoundError, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.scoping import scoped_select

DEFAULT_API = "https://api.weixin.qq.com"
TICKET_TTL = dt.timedelta(minutes=10)
TOKEN_MARGIN = dt.timedelta(minutes=5)  # fetch a new token this long before expiry
PUSH_WINDOW = dt.timedelta(minutes=5)  # a push older (or newer) than this is a replay
MAX_ATTEMPTS = 5
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / expired access_token: fetch anew, retry
LATER_ERRORS = {-1, 45009, 45047}  # busy, daily quota reached: try again later
QUOTA_WAIT = dt.timedelta(hours=1)
# message kind → config key of its template id (进度提醒, 协会通知, 咨询消息)
TEMPLATE_KEYS = {MessageKind.SYSTEM: "WECHAT_TEMPLATE_PROGRESS",
                 MessageKind.NOTICE: "WECHAT_TEMPLATE_NOTICE",
                 MessageKind.CONSULTATION: "WECHAT_TEMPLATE_CONSULTATION"}
KIND_LABELS = {MessageKind.SYSTEM: "业务进度提醒", MessageKind.NOTICE: "协会通知",
               MessageKind.CONSULTATION: "咨询消息"}


# what staff read in 微信发送记录 (the code stays in the text for a support ticket)
ERROR_LABELS = {-1: "微信系统繁忙", 40001: "调用凭证无效或已过期", 40003: "接收人标识无效",
                40013: "公众号AppID无效", 40014: "调用凭证无效", 40037: "模板ID无效",
                40125: "公众号AppSecret无效", 42001: "调用凭证已过期",
                43004: "接收人未关注公众号或已取消关注", 45009: "接口调用次数已达今日上限",
                45047: "客服消息下行条数超过上限", 47003: "模板参数不正确"}


class WechatError(Exception):
    def __init__(self, errcode, errmsg=""):
        label = ERROR_LABELS.get(errcode) if isinstance(errcode, int) else None
        text = label or f"微信接口返回错误：{errmsg}"
        super().__init__(f"{text}（错误码 {errcode}）")
        self.errcode = errcode


def _config(key, default=""):
    return (current_app.config.get(key) or default) if has_app_context() else default


def configured() -> bool:
    """Without the app id, secret, push token and every template id the entry is hidden."""
    keys = ["WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN", *TEMPLATE_KEYS.values()]
    return all(_config(k) for k in keys)


def _api(path: str) -> str:
    return _config("WECHAT_API_BASE", DEFAULT_API).rstrip("/") + path


def _timeout() -> float:
    return float(_config("WECHAT_TIMEOUT", 10))


def _answer(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise WechatError(f"HTTP {response.status_code}", response.text[:200]) from None
    if data.get("errcode"):
        raise WechatError(data["errcode"], data.get("errmsg", ""))
    return data


def access_token(now: dt.datetime, fresh: bool = False) -> str:
    """The cached token while it has more than TOKEN_MARGIN to live; else a new one."""
    app_id = _config("WECHAT_APP_ID")
    row = db.session.get(WechatToken, app_id)
    if row is not None and not fresh and row.expires_at > now + TOKEN_MARGIN:
        return row.access_token
    data = _answer(requests.get(_api("/cgi-bin/token"), timeout=_timeout(), params={
        "grant_type": "client_credential", "appid": app_id,
        "secret": _config("WECHAT_APP_SECRET")}))
    expires = now + dt.timedelta(seconds=int(data.get("expires_in", 7200)))
    if row is None:
        row = WechatToken(app_id=app_id, access_token=data["access_token"], expires_at=expires)
        db.session.add(row)
    else:
        row.access_token, row.expires_at = data["access_token"], expires
    db.session.flush()
    return row.access_token


def call(path: str, payload: dict, now: dt.datetime) -> dict:
    """POST to the API with the token; an invalid/expired token is refreshed and retried once."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")  # WeChat shows \\u escapes
    for fresh in (False, True):
        token = access_token(now, fresh=fresh)
        response = requests.post(_api(path), params={"access_token": token}, data=body,
                                 headers={"Content-Type": "application/json; charset=utf-8"},
                                 timeout=_timeout())
        try:
            return _answer(response)
        except WechatError as error:
            if error.errcode in TOKEN_ERRORS and not fresh:
                continue
            raise
    raise AssertionError("unreachable")


# --- binding ----------------------------------------------------------------------------------

def _account(actor) -> Account:
    account = getattr(actor, "account", None)
    if account is None:
        raise NotFoundError("账号不存在")
    return account


@command
def create_bind_ticket(actor, now: dt.datetime) -> WechatBindTicket:
    """绑定新账号: a QR (WeChat's temporary QR with a string scene) valid TICKET_TTL."""
    if not configured():
        raise NotFoundError("未开通微信绑定")
    _account(actor)
    token = secrets.token_urlsafe(24)
    try:
        data = call("/cgi-bin/qrcode/create", {
            "expire_seconds": int(TICKET_TTL.total_seconds()), "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": "bind:" + token}}}, now)
    except (WechatError, requests.RequestException) as error:
        raise ValidationError(f"暂时无法生成微信绑定二维码，请稍后再试（{error}）") from None
    ticket = WechatBindTicket(token=token, user_id=actor.id, qr_url=data["url"][:500],
                              created_at=now, expires_at=now + TICKET_TTL)
    db.session.add(ticket)
    return ticket


def open_ticket(actor, now: dt.datetime) -> WechatBindTicket | None:
    """The user's latest unused, unexpired QR, if any (shown again on reload)."""
    return db.session.scalar(
        scoped_select(WechatBindTicket, actor)
        .where(WechatBindTicket.user_id == actor.id, WechatBindTicket.used_at.is_(None),
               WechatBindTicket.expires_at > now)
        .order_by(WechatBindTicket.id.desc()).limit(1))


@command
def unbind(actor, now: dt.datetime) -> None:
    """解绑: no more WeChat messages; rows still queued for the old openid are dropped."""
    account = _account(actor)
    if not account.wechat_openid:
        raise ValidationError("还没有绑定微信")
    account.wechat_openid, account.wechat_bound_at = None, None
    for row in db.session.scalars(select(OutboxWechat).where(
            OutboxWechat.user_id == actor.id, OutboxWechat.status == OutboxStatus.PENDING)):
        row.status, row.last_error = OutboxStatus.FAILED, "用户已解除微信绑定，未发送"


def signature_ok(args, token: str) -> bool:
    """WeChat signs each push: sha1 of the sorted (token, timestamp, nonce)."""
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return bool(token) and hmac.compare_digest(expected, args.get("signature", ""))


def fresh_push(args, now: dt.datetime) -> bool:
    try:
        sent = dt.datetime.fromtimestamp(int(args.get("timestamp", "")), dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(sent - now) <= PUSH_WINDOW


def _reply(event: dict, text: str) -> str:
    """A passive text reply (shown in the user's chat with the official account)."""
    root = ET.Element("xml")
    for key, value in (("ToUserName", event.get("FromUserName", "")),
                       ("FromUserName", event.get("ToUserName", "")),
                       ("CreateTime", event.get("CreateTime", "0")),
                       ("MsgType", "text"), ("Content", text)):
        ET.SubElement(root, key).text = value
    return ET.tostring(root, encoding="unicode")


@command
def handle_push(actor, now: dt.datetime, body: bytes) -> str:
    """An event WeChat pushed (its signature already checked by the caller): a scan of a
    binding QR binds the scanner's openid; returns the reply body ("success" or XML)."""
    try:
        event = {child.tag: (child.text or "") for child in ET.fromstring(body or b"<xml/>")}
    except ET.ParseError:
        raise ValidationError("无法解析的推送消息") from None
    openid = event.get("FromUserName", "")[:64]
    kind = event.get("Event", "").lower()
    if event.get("MsgType") != "event" or not openid:
        return "success"
    if kind == "unsubscribe":  # 取消关注: nothing can reach it any more
        account = db.session.scalar(select(Account).where(Account.wechat_openid == openid))
        if account is not None:
            account.wechat_openid, account.wechat_bound_at = None, None
        return "success"
    scene = event.get("EventKey", "").removeprefix("qrscene_")
    if kind not in ("subscribe", "scan") or not scene.startswith("bind:"):
        return "success"
    ticket = db.session.scalar(select(WechatBindTicket).where(
        WechatBindTicket.token == scene.removeprefix("bind:")))
    if ticket is None or ticket.used_at is not None or ticket.expires_at <= now:
        return _reply(event, "绑定二维码已失效，请在服务系统“设置 › 微信绑定”中重新生成。")
    other = db.session.scalar(select(Account).where(Account.wechat_openid == openid))
    if other is not None and other.user_id != ticket.user_id:
        return _reply(event, "该微信已绑定其他账号，请先在该账号的“设置”中解绑。")
    account = db.session.get(Account, ticket.user_id)
    if account is None:
        return "success"
    account.wechat_openid, account.wechat_bound_at = openid, now
    ticket.used_at = now
    user = db.session.get(User, ticket.user_id)
    return _reply(event, f"绑定成功：{user.username if user else ''}。您将在微信上收到业务进度提醒、"
                         "协会通知、咨询消息等。")


# --- template messages ------------------------------------------------------------------------

def template_data(kind: str, title: str, body: str, now: dt.datetime) -> dict:
    """The template's fields: first (title), keyword1 (kind), keyword2 (time), remark (text)."""
    return {"first": {"value": title[:200]}, "keyword1": {"value": KIND_LABELS.get(kind, kind)},
            "keyword2": {"value": clock.display(now)}, "remark": {"value": body[:1000]}}


def _tap_url(link: str | None) -> str | None:
    """Where a tap on the message leads: PUBLIC_URL + the link (none without PUBLIC_URL)."""
    base = _config("PUBLIC_URL").rstrip("/")
    return f"{base}/{(link or '/messages/').lstrip('/')}"[:500] if base else None


def queue_template(user, kind: str, title: str, body: str, now: dt.datetime,
                   link: str | None = None) -> OutboxWechat | None:
    """Queue one template message to the user's bound WeChat (the caller commits)."""
    account = getattr(user, "account", None)
    if not configured() or account is None or not account.wechat_openid:
        return None
    row = OutboxWechat(
        user_id=user.id, openid=account.wechat_openid, kind=kind,
        template_id=_config(TEMPLATE_KEYS.get(kind, TEMPLATE_KEYS[MessageKind.SYSTEM])),
        title=title[:200], url=_tap_url(link),
        data=json.dumps(template_data(kind, title, body, now), ensure_ascii=False),
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(row)
    return row


def deliver(now: dt.datetime, token: str | None = None) -> dict:
    """Send every due template message once; counts for the run log."""
    token = token or outbox.run_token()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    batch = [(r.id, r.attempts, {"touser": r.openid, "template_id": r.template_id,
                                 **({"url": r.url} if r.url else {}), "data": json.loads(r.data)})
             for r in outbox.claim_due(OutboxWechat, now, token)]
    max_attempts = int(_config("WECHAT_MAX_ATTEMPTS", MAX_ATTEMPTS))
    for row_id, attempts, payload in batch:
        try:
            answer = call("/cgi-bin/message/template/send", payload, now)
        except WechatError as error:
            db.session.commit()  # a token fetched on the way is kept
            later = error.errcode in LATER_ERRORS or error.errcode in TOKEN_ERRORS
            outbox.count(counts, outbox.mark_failed(
                OutboxWechat, row_id, attempts, token, now, str(error), max_attempts,
                final=not later, retry_at=now + QUOTA_WAIT if error.errcode == 45009 else None))
            continue
        except requests.RequestException as error:
            db.session.rollback()
            outbox.count(counts, outbox.mark_failed(
                OutboxWechat, row_id, attempts, token, now, outbox.error_text(error),
                max_attempts))
            continue
        outbox.mark_sent(OutboxWechat, row_id, token, now, msgid=str(answer.get("msgid", ""))[:32])
        counts["sent"] += 1
    counts["stuck"] = outbox.stuck_count(OutboxWechat, now)
    return counts


@command
def requeue(actor, now: dt.datetime, row_ids) -> int:
    """重新发送 from 微信发送记录."""
    return outbox.requeue_rows(db.session.scalars(scoped_select(OutboxWechat, actor).where(
        OutboxWechat.id.in_(list(row_ids)))), actor, now)


@job("deliver_wechat", schedule="interval:30", description="发送微信模板消息",
     labels={"sent": "已发送", "retry": "待重试", "failed": "发送失败", "stuck": "发送中未确认"})
def deliver_wechat(now: dt.datetime) -> dict:
    if not configured():
        return {}
    return deliver(now)
