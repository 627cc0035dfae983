"""Mail: every e-mail is queued in the outbox in the same transaction as its cause.

`queue_mail` only adds a row to the session; the caller's commit makes it durable
together with the event. The delivery job (deliver_outbox) sends it over SMTP.
"""
import datetime as dt

from app.extensions import db
from app.models import OutboxMail, OutboxStatus


def queue_mail(to_addr: str, subject: str, body: str, now: dt.datetime) -> OutboxMail:
    mail = OutboxMail(to_addr=to_addr, subject=subject, body=body, status=OutboxStatus.PENDING,
                      attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(mail)
    return mail
