"""Mail: every e-mail is queued in the outbox in the same transaction as its cause.

`queue_mail` only adds a row to the session; the caller's commit makes it durable
together with the event. The delivery job (deliver_outbox) sends it over SMTP, through
the one outbox mechanism (app/workflows/core/outbox.py: claim with a token, mark each row
in its own commit, back-off, stuck rows shown to Admin, never sent twice).
"""
import dataclasses
import datetime as dt
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from flask import current_app

from app.clock import display
from app.extensions import db
from app.models import OutboxMail, OutboxStatus
from app.workflows.core import files, outbox
from app.workflows.core.errors import ValidationError
from app.workflows.core.commands import command
from app.workflows.core.jobs import job
from app.workflows.core.scoping import scoped_select

MAX_ATTEMPTS = 5
BACKOFF_BASE, BACKOFF_CAP, BATCH_SIZE, STUCK_AFTER = (
    outbox.BACKOFF_BASE, outbox.BACKOFF_CAP, outbox.BATCH_SIZE, outbox.STUCK_AFTER)
backoff = outbox.backoff


def claim_due(now: dt.datetime, token: str, limit: int = BATCH_SIZE) -> list[OutboxMail]:
    return outbox.claim_due(OutboxMail, now, token, limit)


def stuck_count(now: dt.datetime) -> int:
    return outbox.stuck_count(OutboxMail, now)


is_stuck = outbox.is_stuck


def _one_line(text: str) -> str:
    """Header values never carry line breaks (no header injection)."""
    return " ".join((text or "").split())


OWNER_MAIL = "outbox_mail"
ATTACHMENT = files.doc_type("mail_attachment", "邮件附件", ("ics",), 1)
# a mail's attachments are for its addressee only: nobody downloads them through /files/
# (staff, who read every file, may look at one when a mail is questioned)
# (the core's declaration, app/views/core, lists it)
FILE_OWNERS = {OWNER_MAIL: lambda actor, mail_id: False}


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A file a queued mail carries (a calendar invitation): kept in the file store, owned
    by the outbox row, until the delivery job attaches it."""

    filename: str
    data: bytes
    content_type: str = "text/calendar; charset=utf-8"


def queue_mail(to_addr: str, subject: str, body: str, now: dt.datetime,
               attachments=()) -> OutboxMail:
    """Add a mail to the outbox in the caller's transaction (the caller commits); its
    `attachments` go into the file store, owned by the mail."""
    address = (to_addr or "").strip()
    local, _at, domain = address.rpartition("@")
    if not local or "." not in domain or any(c.isspace() or c in "<>,;" for c in address):
        raise ValidationError("邮箱地址格式不正确", "email")
    mail = OutboxMail(to_addr=address, subject=_one_line(subject)[:300], body=body or "",
                      status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now,
                      created_at=now)
    db.session.add(mail)
    if attachments:
        db.session.flush()
        for item in attachments:
            row = files.store(None, now, ATTACHMENT, files.Upload.from_bytes(item.filename, item.data),
                              OWNER_MAIL, mail.id)
            row.content_type = item.content_type[:128]
    return mail


def _attach(message: EmailMessage, row) -> None:
    with files.store_backend().open(row.stored_name) as source:
        data = source.read()
    main, _slash, rest = (row.content_type or "application/octet-stream").partition("/")
    subtype, *options = [part.strip() for part in rest.split(";")]
    params = dict(option.partition("=")[::2] for option in options if "=" in option)
    charset = params.pop("charset", None)
    if main == "text":
        message.add_attachment(data.decode(charset or "utf-8"), subtype=subtype,
                               charset=charset or "utf-8", filename=row.original_name,
                               params=params)
    else:
        message.add_attachment(data, maintype=main, subtype=subtype, filename=row.original_name,
                               params=params)


def build_message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_addr
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}",
                                       domain=parseaddr(sender)[1].partition("@")[2] or None)
    message.set_content(mail.body)
    for row in files.of_owner(OWNER_MAIL, [mail.id])[mail.id]:
        _attach(message, row)
    return message


class SmtpSettings:
    """SMTP_* settings of the app, read when a delivery runs."""

    def __init__(self, config):
        self.host = config.get("SMTP_HOST", "localhost")
        self.port = int(config.get("SMTP_PORT", 25))
        self.user = config.get("SMTP_USER") or ""
        self.password = config.get("SMTP_PASSWORD") or ""
        self.tls = bool(config.get("SMTP_TLS"))
        self.sender = config.get("SMTP_FROM") or "noreply@example.org"
        self.sender_name = config.get("SMTP_FROM_NAME") or ""
        self.timeout = float(config.get("SMTP_TIMEOUT", 30))
        self.max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", MAX_ATTEMPTS))

    def connect(self) -> smtplib.SMTP:
        """An SMTP connection, TLS (implicit on port 465, else STARTTLS) and login as set."""
        if self.tls and self.port == 465:
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.tls:
                server.starttls()
        if self.user:
            server.login(self.user, self.password)
        return server

    @property
    def from_header(self) -> str:
        return formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender


# what failed, in words, from the technical text ("ConnectionRefusedError: [Errno 111] …")
_FAILURES = (
    (("ConnectionRefusedError", "Errno 111", "Connection refused"),
     "无法连接发信服务器：对方拒绝连接（发信服务器未启动，或地址、端口设置有误）"),
    (("timed out", "TimeoutError", "timeout"), "连接发信服务器超时（网络不通或服务器无响应）"),
    (("gaierror", "Name or service not known", "nodename nor servname"),
     "找不到发信服务器（服务器地址无法解析）"),
    (("SMTPAuthenticationError",), "发信服务器拒绝登录（发信账号或密码有误）"),
    (("SMTPRecipientsRefused",), "收件地址被发信服务器拒收（地址可能不存在）"),
    (("SMTPSenderRefused",), "发件地址被发信服务器拒收（请检查发件人设置）"),
    (("SMTPServerDisconnected",), "发信服务器中途断开了连接"),
    (("SSLError", "CERTIFICATE", "STARTTLS"), "与发信服务器建立加密连接失败（请检查加密设置）"),
    (("SMTPDataError", "SMTPResponseException", "SMTPException"), "发信服务器拒收了这封邮件"),
    (("OSError", "Errno"), "网络错误，邮件未能送到发信服务器"),
)
TECHNICAL = "技术信息："


def explain_error(raw: str | None) -> str:
    """What failed, in Chinese (the row keeps the technical text after it)."""
    raw = raw or ""
    if not raw:
        return ""
    if TECHNICAL in raw or not raw.isascii():  # already explained when it was recorded
        return raw.split(TECHNICAL, 1)[0].strip()
    for needles, words in _FAILURES:
        if any(needle.lower() in raw.lower() for needle in needles):
            return words
    return "发送出错"


def failure_text(raw: str, attempts: int, max_attempts: int, next_at: dt.datetime | None) -> str:
    """One failed attempt as staff read it: what failed, what happens next, then the
    technical text for whoever fixes the server."""
    if attempts >= max_attempts or next_at is None:
        then = (f"已尝试{attempts}次仍未成功，不再自动重试；排除问题后可选中此邮件“重新发送”。")
    else:
        then = f"将于{display(next_at)}自动重试（已尝试{attempts}次，最多{max_attempts}次）。"
    return f"{explain_error(raw)}。{then}{TECHNICAL}{raw}"[:2000]


def deliver(now: dt.datetime, settings: SmtpSettings, token: str | None = None) -> dict:
    """Send every due mail once; returns counts for the run log."""
    token = token or outbox.run_token()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    claimed = claim_due(now, token)
    # plain values: each row's commit below expires the ORM objects
    batch = [(m.id, m.attempts, build_message(m, settings.from_header), m.to_addr)
             for m in claimed]
    db.session.rollback()
    server = None
    try:
        for index, (mail_id, attempts, message, to_addr) in enumerate(batch):
            if server is None:
                try:
                    server = settings.connect()
                except (OSError, smtplib.SMTPException) as error:
                    # the server cannot be reached: this attempt fails for every mail left
                    for rest_id, rest_attempts, _message, _to in batch[index:]:
                        outbox.count(counts, outbox.mark_failed(
                            OutboxMail, rest_id, rest_attempts, token, now,
                            outbox.error_text(error), settings.max_attempts,
                            describe=failure_text))
                    break
            try:
                server.send_message(message, to_addrs=[to_addr])
            except (OSError, smtplib.SMTPException) as error:
                if isinstance(error, (OSError, smtplib.SMTPServerDisconnected)):
                    server = None  # the connection is gone: reconnect for the next mail
                outbox.count(counts, outbox.mark_failed(
                    OutboxMail, mail_id, attempts, token, now, outbox.error_text(error),
                    settings.max_attempts, describe=failure_text))
                continue
            outbox.mark_sent(OutboxMail, mail_id, token, now)
            counts["sent"] += 1
    finally:
        if server is not None:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                pass
    counts["stuck"] = stuck_count(now)
    return counts


@command
def requeue(actor, now: dt.datetime, mail_ids) -> int:
    """重新发送: 发送失败 rows (and 发送中 rows stuck for STUCK_AFTER, which an Admin has
    checked did not arrive) go back to 待发送 with a fresh count of attempts.
    Returns how many rows were requeued."""
    return outbox.requeue_rows(db.session.scalars(scoped_select(OutboxMail, actor).where(
        OutboxMail.id.in_(list(mail_ids)))), actor, now)


@job("deliver_outbox", schedule="interval:30", description="发送待发邮件",
     labels={"sent": "已发送", "retry": "待重试", "failed": "发送失败", "stuck": "发送中未确认"})
def deliver_outbox(now: dt.datetime) -> dict:
    return deliver(now, SmtpSettings(current_app.config))
