"""SMS gateway interface (短信): every text goes through `send_sms`.

Every text is written to the `outbox_sms` table in the caller's transaction (as mail goes
to its outbox), with its kind (验证码, 预约成功 …) and the values of the provider's template.
SMS_PROVIDER chooses who sends it:
- unset (the default): nobody — the rows wait (待发送) for an operator;
- `tencent`: Tencent Cloud SMS through its SDK (tencentcloud-sdk-python-sms), the job
  deliver_sms, with the core outbox (claim, exactly once, back-off, stuck rows), a template
  id per kind (TENCENT_SMS_TEMPLATES), a per-number daily limit (SMS_DAILY_LIMIT) and the
  provider's serial number or error on each row (短信发送记录).
A deployment may still plug its own class in with SMS_GATEWAY (`send(mobile, text, now)`).
"""
import datetime as dt
import importlib
import json
import re

from flask import current_app, has_app_context

from app.extensions import db
from app.models import OutboxSms, OutboxStatus
from app.workflows.core import outbox
from app.workflows.core.commands import command
from app.workflows.core.errors import ValidationError
from app.workflows.core.scoping import scoped_select

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MAX_LENGTH = 500
GENERIC = "通知"  # the kind of a text sent without one: one template, the text its value


class OutboxGateway:
    """The default: the text waits in outbox_sms (status 待发送) for a provider."""

    def send(self, mobile: str, text: str, now: dt.datetime, kind: str | None = None,
             params: list | None = None) -> OutboxSms:
        row = OutboxSms(to_mobile=mobile, body=text, status=OutboxStatus.PENDING,
                        kind=(kind or GENERIC)[:16], attempts=0, next_attempt_at=now,
                        params=json.dumps([str(p) for p in (params or [text])],
                                          ensure_ascii=False),
                        created_at=now)
        db.session.add(row)
        return row


def gateway():
    path = current_app.config.get("SMS_GATEWAY") if has_app_context() else None
    if not path:
        return OutboxGateway()
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)()


def send_sms(mobile: str | None, text: str, now: dt.datetime, kind: str | None = None,
             params: list | None = None):
    """Queue one text to a mainland mobile number (the caller commits). `kind` picks the
    provider's template, `params` fill it (default: the generic template with the text)."""
    mobile = (mobile or "").strip()
    if not MOBILE_RE.match(mobile):
        raise ValidationError("手机号格式不正确，无法发送短信", "mobile")
    chosen = gateway()
    if isinstance(chosen, OutboxGateway):
        return chosen.send(mobile, (text or "")[:MAX_LENGTH], now, kind=kind, params=params)
    return chosen.send(mobile, (text or "")[:MAX_LENGTH], now)


def mask_mobile(mobile: str | None) -> str:
    """138****0001: enough for its owner to recognise, nothing for anyone else."""
    mobile = mobile or ""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) == 11 else "****"


@command
def requeue(actor, now: dt.datetime, row_ids) -> int:
    """重新发送 from 短信发送记录 (only meaningful with a provider configured)."""
    return outbox.requeue_rows(db.session.scalars(scoped_select(OutboxSms, actor).where(
        OutboxSms.id.in_(list(row_ids)))), actor, now)
