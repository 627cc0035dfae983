"""SMS gateway interface (短信): every text goes through `send_sms`.

No SMS provider is reachable from here, so the default gateway writes each text to the
`outbox_sms` table in the caller's transaction (as mail goes to its outbox); a
deployment plugs a provider in by setting SMS_GATEWAY to a class with the same `send`
signature (e.g. one that posts to the provider's HTTP API and records the result).
"""
import datetime as dt
import importlib
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


class OutboxGateway:
    """The default: the text waits in outbox_sms (status 待发送) for a provider."""

    def send(self, mobile: str, text: str, now: dt.datetime) -> OutboxSms:
        row = OutboxSms(to_mobile=mobile, body=text, status=OutboxStatus.PENDING,
                        attempts=0, next_attempt_at=now, created_at=now)
        db.session.add(row)
        return row


def gateway():
    path = current_app.config.get("SMS_GATEWAY") if has_app_context() else None
    if not path:
        return OutboxGateway()
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)()


def send_sms(mobile: str | None, text: str, now: dt.datetime):
    """Queue one text to a mainland mobile number (the caller commits)."""
    mobile = (mobile or "").strip()
    if not MOBILE_RE.match(mobile):
        raise ValidationError("手机号格式不正确，无法发送短信", "mobile")
    return gateway().send(mobile, (text or "")[:MAX_LENGTH], now)


def mask_mobile(mobile: str | None) -> str:
    """138****0001: enough for its owner to recognise, nothing for anyone else."""
    mobile = mobile or ""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) == 11 else "****"


@command
def requeue(actor, now: dt.datetime, row_ids) -> int:
    """重新发送 from 短信发送记录 (only meaningful with a provider configured)."""
    return outbox.requeue_rows(db.session.scalars(scoped_select(OutboxSms, actor).where(
        OutboxSms.id.in_(list(row_ids)))), now)
