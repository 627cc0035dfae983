"""Message centre (消息中心): system messages, notices, consultations and reminders.

The shared service other workflows call:

    notify(users, title, body, now)                        # 系统消息 (+ mail if bound)
    remind(user, kind, target, thresholds_due, now, title, body)   # idempotent reminders

Every function takes the actor and `now`; none reads the request or the session globals.
"""
import dataclasses
import datetime as dt
import functools
import hashlib
import os
import uuid
from pathlib import Path

import nh3
from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.workflows.core import audit
from app.extensions import db
from app.models import (
    Account,
    StoredFile,
    Audience,
    Consultation,
    ConsultationReply,
    ConsultationStatus,
    Firm,
    Message,
    MessageKind,
    Notice,
    Person,
    PersonType,
    ReminderLog,
)
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.mail import queue_mail
from app.workflows.core.scoping import (
    account_of,
    can_see,
    is_institute,
    role_names,
    scope_condition,
)

audit.register_audited(Notice)
audit.register_audited(Consultation)


def _as_actor(func):
    """Run a workflow with the audit log attributing every change (autoflushes too) to actor."""

    @functools.wraps(func)
    def wrapper(actor, *args, **kwargs):
        with audit.acting_as(actor):
            result = func(actor, *args, **kwargs)
            db.session.flush()
            return result

    return wrapper


# --- rich text ---------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "b", "strong", "i", "em", "u", "s", "sub", "sup", "h1", "h2", "h3", "h4",
    "ul", "ol", "li", "blockquote", "pre", "code", "a", "span", "div", "table", "thead",
    "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}}


def sanitize_html(html: str) -> str:
    """Rich text a notice may carry: formatting and links, never scripts or handlers."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"})


def plain_text(html: str) -> str:
    return nh3.clean(html or "", tags=set()).strip()


# --- system messages -----------------------------------------------------------

def _message_for(user: User, kind: str, title: str, body: str, now: dt.datetime,
                 link: str | None = None, notice_id: int | None = None) -> dict:
    account = getattr(user, "account", None)
    return {"user_id": user.id, "firm_id": account.firm_id if account else None,
            "person_id": account.person_id if account else None, "kind": kind,
            "title": title[:200], "body": body, "link": link, "notice_id": notice_id,
            "created_at": now, "read_at": None}


def _mail_if_bound(user: User, title: str, body: str, now: dt.datetime) -> None:
    account = getattr(user, "account", None)
    if account is not None and account.notify_email:
        queue_mail(account.notify_email, title, plain_text(body), now)


def notify(users, title: str, body: str, now: dt.datetime, kind: str = MessageKind.SYSTEM,
           link: str | None = None) -> list[Message]:
    """One Message per recipient, and a queued e-mail for those who bound an address.

    Only adds to the session: the caller's commit makes the messages (and mails)
    durable together with the event that caused them.
    """
    if kind not in MessageKind.ALL:
        raise ValueError(kind)
    messages = []
    for user in users:
        if user is None:
            continue
        message = Message(**_message_for(user, kind, title, body, now, link))
        db.session.add(message)
        messages.append(message)
        _mail_if_bound(user, title, body, now)
    return messages


def inbox_query(user, kind: str | None = None):
    """The user's own messages (newest first)."""
    query = select(Message).where(Message.user_id == user.id)
    if kind:
        query = query.where(Message.kind == kind)
    return query.order_by(Message.created_at.desc(), Message.id.desc())


def get_message(user, message_id: int) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or message.user_id != user.id:
        raise NotFoundError("消息不存在")
    return message


def mark_read(user, message: Message, now: dt.datetime) -> Message:
    """Opening a message marks it read (once: the first reading time stays)."""
    if message.user_id != user.id:
        raise NotFoundError("消息不存在")
    if message.read_at is None:
        message.read_at = now
    return message


def unread_counts(user) -> dict[str, int]:
    """Unread per kind; for consultations, the ones awaiting this user's side."""
    counts = {kind: 0 for kind in MessageKind.ALL}
    if user is None or not getattr(user, "is_authenticated", False):
        return counts
    rows = db.session.execute(
        select(Message.kind, func.count()).where(Message.user_id == user.id,
                                                 Message.read_at.is_(None))
        .group_by(Message.kind)).all()
    for kind, count in rows:
        if kind in counts and kind != MessageKind.CONSULTATION:
            counts[kind] = count
    counts[MessageKind.CONSULTATION] = db.session.scalar(
        select(func.count()).select_from(Consultation).where(awaiting_condition(user))) or 0
    return counts


# --- attachments ---------------------------------------------------------------

ATTACHMENT_EXTENSIONS = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".jpg",
                         ".jpeg", ".png", ".txt", ".zip", ".rar"}
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
OWNER_NOTICE = "notice"
OWNER_REPLY = "consultation_reply"


def attachments_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "messages"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_attachments(files) -> None:
    """files: [(filename, bytes)]. Refuse a type or size the centre does not take."""
    for name, data in files:
        ext = os.path.splitext(name or "")[1].lower()
        if ext not in ATTACHMENT_EXTENSIONS:
            raise ValidationError(
                f"附件“{name}”的类型不支持（可上传 {'、'.join(sorted(ATTACHMENT_EXTENSIONS))}）",
                "attachments")
        if len(data) > ATTACHMENT_MAX_BYTES:
            raise ValidationError(f"附件“{name}”超过 20 MB", "attachments")
        if not data:
            raise ValidationError(f"附件“{name}”是空文件", "attachments")


def _store_attachments(actor, owner_kind: str, owner_id: int, files, now) -> list[StoredFile]:
    stored = []
    for name, data in files:
        ext = os.path.splitext(name)[1].lower()
        stored_name = f"{uuid.uuid4().hex}{ext}"
        (attachments_dir() / stored_name).write_bytes(data)
        attachment = StoredFile(
            owner_kind=owner_kind, owner_id=owner_id, stored_name=stored_name,
            original_name=os.path.basename(name)[:255], size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=getattr(actor, "id", None),
            created_at=now)
        db.session.add(attachment)
        stored.append(attachment)
    return stored


def attachments_of(owner_kind: str, owner_ids) -> dict[int, list[StoredFile]]:
    owner_ids = list(owner_ids)
    result: dict[int, list[StoredFile]] = {i: [] for i in owner_ids}
    if not owner_ids:
        return result
    for attachment in db.session.scalars(
            select(StoredFile).where(StoredFile.owner_kind == owner_kind,
                                     StoredFile.owner_id.in_(owner_ids)).order_by(StoredFile.id)):
        result[attachment.owner_id].append(attachment)
    return result


def attachment_for(user, attachment_id: int) -> tuple[StoredFile, Path]:
    """An attachment the user may download: staff, a notice's recipients, a thread's sides."""
    attachment = db.session.get(StoredFile, attachment_id)
    if attachment is None:
        raise NotFoundError("附件不存在")
    allowed = False
    if is_institute(user):
        allowed = True
    elif attachment.owner_kind == OWNER_NOTICE:
        allowed = db.session.scalar(select(func.count()).select_from(Message).where(
            Message.notice_id == attachment.owner_id, Message.user_id == user.id)) > 0
    elif attachment.owner_kind == OWNER_REPLY:
        reply = db.session.get(ConsultationReply, attachment.owner_id)
        allowed = reply is not None and can_see(reply.consultation, user)
    if not allowed:
        raise NotFoundError("附件不存在")
    return attachment, attachments_dir() / attachment.stored_name


# --- notices -------------------------------------------------------------------

@dataclasses.dataclass
class NoticeInput:
    title: str
    body: str
    audience: str
    publish_at: dt.datetime
    firm_ids: list[int] = dataclasses.field(default_factory=list)
    person_types: list[str] = dataclasses.field(default_factory=list)


def _check_notice(data: NoticeInput) -> None:
    if not (data.title or "").strip():
        raise ValidationError("请填写通知标题", "title")
    if len(data.title.strip()) > 200:
        raise ValidationError("通知标题不能超过200个字", "title")
    if not plain_text(sanitize_html(data.body)):
        raise ValidationError("请填写通知内容", "body")
    if data.audience not in Audience.ALL:
        raise ValidationError("请选择发送对象", "audience")
    if data.audience == Audience.FIRMS and not data.firm_ids:
        raise ValidationError("发送对象为指定事务所时，请选择至少一个事务所", "firms")
    if data.audience == Audience.PERSON_TYPES:
        if not data.person_types:
            raise ValidationError("发送对象为指定人员类型时，请选择至少一种人员类型",
                                  "person_types")
        unknown = [t for t in data.person_types if t not in PersonType.ALL]
        if unknown:
            raise ValidationError(f"人员类型“{unknown[0]}”不存在", "person_types")
    if data.publish_at is None:
        raise ValidationError("请填写发布时间", "publish_at")


def _require_institute(actor) -> None:
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以发布通知")


@_as_actor
def save_notice(actor, now: dt.datetime, data: NoticeInput, files=(),
                notice: Notice | None = None) -> Notice:
    """Create or edit a notice; publish it at once when its time has come.

    Once published, the audience is fixed (recipients already have their copy);
    title, body and attachments may still be corrected.
    """
    _require_institute(actor)
    _check_notice(data)
    check_attachments(files)
    creating = notice is None
    if creating:
        notice = Notice(created_by_id=getattr(actor, "id", None), created_at=now)
        db.session.add(notice)
    notice.title = data.title.strip()
    notice.body = sanitize_html(data.body)
    if notice.published_at is None:
        notice.audience = data.audience
        notice.publish_at = data.publish_at
        notice.person_types = (",".join(data.person_types)
                               if data.audience == Audience.PERSON_TYPES else None)
        firm_ids = data.firm_ids if data.audience == Audience.FIRMS else []
        firms = db.session.scalars(select(Firm).where(Firm.id.in_(firm_ids))).all()
        if len(firms) != len(set(firm_ids)):
            raise ValidationError("所选事务所不存在", "firms")
        notice.firms = list(firms)
    elif not creating and data.audience != notice.audience:
        raise ValidationError("通知已发布，不能再修改发送对象", "audience")
    db.session.flush()
    _store_attachments(actor, OWNER_NOTICE, notice.id, files, now)
    if not creating:
        # recipients see the corrected title in their list
        db.session.execute(Message.__table__.update().where(Message.notice_id == notice.id)
                           .values(title=notice.title))
    if notice.published_at is None and notice.publish_at <= now:
        publish_notice(notice, now)
    return notice


@_as_actor
def delete_notice(actor, notice: Notice) -> None:
    _require_institute(actor)
    for attachment in attachments_of(OWNER_NOTICE, [notice.id])[notice.id]:
        (attachments_dir() / attachment.stored_name).unlink(missing_ok=True)
        db.session.delete(attachment)
    db.session.execute(Message.__table__.delete().where(Message.notice_id == notice.id))
    db.session.delete(notice)


def _active_users():
    return select(User).where(User.active.is_(True))


def _with_role(query, role_name: str):
    return query.where(User.roles.any(Role.name == role_name))


def recipients_query(notice: Notice):
    """The users a notice goes to, by its audience."""
    query = _active_users()
    if notice.audience == Audience.EVERYONE:
        return query
    if notice.audience in (Audience.ALL_FIRMS, Audience.FIRMS):
        query = _with_role(query, FIRM_ADMIN).join(Account, Account.user_id == User.id) \
            .where(Account.firm_id.is_not(None))
        if notice.audience == Audience.FIRMS:
            firm_ids = [f.id for f in notice.firms]
            query = query.where(Account.firm_id.in_(firm_ids))
        return query
    types = [t for t in (notice.person_types or "").split(",") if t]
    return _with_role(query, MEMBER).join(Account, Account.user_id == User.id) \
        .join(Person, Person.id == Account.person_id) \
        .where(Person.person_type.in_(types), Person.status == "正常")


def _insert_ignoring_duplicates(rows: list[dict]) -> int:
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING counts what went in on both databases (psycopg may report rowcount -1)
    statement = insert(Message.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["notice_id", "user_id"]).returning(Message.__table__.c.id)
    return len(db.session.execute(statement).all())


def publish_notice(notice: Notice, now: dt.datetime) -> int:
    """Fan a due notice out to its recipients, once: (notice, user) is unique."""
    users = db.session.scalars(recipients_query(notice)).unique().all()
    rows = [_message_for(u, MessageKind.NOTICE, notice.title, "", now, notice_id=notice.id)
            for u in users]
    created = 0
    for start in range(0, len(rows), 500):
        created += _insert_ignoring_duplicates(rows[start:start + 500])
    already_mailed = notice.published_at is not None
    notice.published_at = notice.published_at or now
    if not already_mailed:
        for user in users:
            _mail_if_bound(user, f"【协会通知】{notice.title}", notice.body, now)
    db.session.flush()
    return created


@job("publish_notices", schedule="interval:60", description="发布到期的协会通知")
def publish_notices(now: dt.datetime) -> dict:
    """Publish every notice whose time has come and that has not gone out yet."""
    due = db.session.scalars(select(Notice).where(Notice.published_at.is_(None),
                                                  Notice.publish_at <= now)
                             .order_by(Notice.publish_at)).all()
    messages = 0
    for notice in due:
        messages += publish_notice(notice, now)
    return {"notices": len(due), "messages": messages}


def notice_read_counts(notice_ids) -> dict[int, tuple[int, int]]:
    """notice id -> (read, recipients)."""
    notice_ids = list(notice_ids)
    counts = {i: (0, 0) for i in notice_ids}
    if not notice_ids:
        return counts
    rows = db.session.execute(
        select(Message.notice_id, func.count(Message.read_at), func.count())
        .where(Message.notice_id.in_(notice_ids)).group_by(Message.notice_id)).all()
    for notice_id, read, total in rows:
        counts[notice_id] = (read, total)
    return counts


def notice_for_reader(user, notice_id: int) -> Notice:
    """A notice its reader may open: staff, or one of its recipients."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFoundError("通知不存在")
    if not is_institute(user) and db.session.scalar(
            select(func.count()).select_from(Message).where(
                Message.notice_id == notice_id, Message.user_id == user.id)) == 0:
        raise NotFoundError("通知不存在")
    return notice


# --- consultations -------------------------------------------------------------

BUSINESS_TYPES = ("注册申请", "注销(撤销)", "关系转移", "信息变更", "其他变更", "信息补录",
                  "证书补办", "任职资格检查", "继续教育", "培训报名", "执业机构内培", "其他")
INSTITUTE = "institute"
USER = "user"


@dataclasses.dataclass(frozen=True)
class Transition:
    """One move of the consultation machine: who may make it, from where, to where."""

    sources: frozenset
    target: str
    side: str | None = None      # which side may fire it (None: either)
    guard: object = None         # predicate(consultation, actor) -> error message or None


def _only_the_starter(consultation: Consultation, actor) -> str | None:
    if consultation.started_by_id != getattr(actor, "id", None):
        return "只有发起人可以办结此咨询"
    return None


OPEN = frozenset({ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.AWAITING_USER})
START = {INSTITUTE: ConsultationStatus.AWAITING_USER, USER: ConsultationStatus.AWAITING_INSTITUTE}
TRANSITIONS = {
    "reply": {
        INSTITUTE: Transition(OPEN, ConsultationStatus.AWAITING_USER, INSTITUTE),
        USER: Transition(OPEN, ConsultationStatus.AWAITING_INSTITUTE, USER),
    },
    "close": {
        INSTITUTE: Transition(OPEN, ConsultationStatus.CLOSED, INSTITUTE, _only_the_starter),
        USER: Transition(OPEN, ConsultationStatus.CLOSED, USER, _only_the_starter),
    },
}


def side_of(actor, consultation: Consultation) -> str:
    """The side of the thread the actor speaks for; NotFound if neither."""
    if is_institute(actor):
        return INSTITUTE
    if can_see(consultation, actor):
        return USER
    raise NotFoundError("咨询不存在")


def _fire(consultation: Consultation, event: str, actor, now: dt.datetime) -> None:
    transition = TRANSITIONS[event][side_of(actor, consultation)]
    if consultation.status not in transition.sources:
        raise ValidationError("该咨询已办结，不能再操作", "status")
    if transition.guard is not None:
        error = transition.guard(consultation, actor)
        if error:
            raise ForbiddenError(error)
    consultation.status = transition.target
    consultation.updated_at = now
    if transition.target == ConsultationStatus.CLOSED:
        consultation.closed_at = now


def _author_name(actor) -> str:
    account = account_of(actor)
    if is_institute(actor):
        return f"{getattr(actor, 'first_name', '') or actor.username}（协会）"
    if account is not None and account.person is not None:
        return account.person.name
    if account is not None and account.firm is not None:
        return account.firm.name
    return getattr(actor, "username", "")


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写咨询内容", "body")
    if len(text) > 5000:
        raise ValidationError("咨询内容不能超过5000个字", "body")
    return text


def _firm_admin_user(firm_id: int) -> User | None:
    return db.session.scalars(
        _with_role(select(User), FIRM_ADMIN).join(Account, Account.user_id == User.id)
        .where(Account.firm_id == firm_id).order_by(User.id)).first()


@_as_actor
def start_consultation(actor, now: dt.datetime, business_type: str, text: str, files=(),
                       firm_id: int | None = None) -> Consultation:
    """A firm admin or member asks the institute; staff may open a thread with a firm."""
    if business_type not in BUSINESS_TYPES:
        raise ValidationError("请选择业务类型", "business_type")
    text = _check_text(text)
    check_attachments(files)
    roles = role_names(actor)
    account = account_of(actor)
    consultation = Consultation(business_type=business_type, subject=text.splitlines()[0][:200],
                                started_by_id=actor.id, created_at=now, updated_at=now)
    if is_institute(actor):
        firm = db.session.get(Firm, firm_id) if firm_id else None
        if firm is None:
            raise ValidationError("请选择事务所", "firm")
        user_side = _firm_admin_user(firm.id)
        consultation.firm_id = firm.id
        consultation.user_id = user_side.id if user_side else None
        consultation.started_by_institute = True
        side = INSTITUTE
    elif FIRM_ADMIN in roles and account is not None and account.firm_id is not None:
        consultation.firm_id = account.firm_id
        consultation.user_id = actor.id
        side = USER
    elif MEMBER in roles and account is not None and account.person_id is not None:
        # a member's own question: private between the member and the institute
        consultation.person_id = account.person_id
        consultation.user_id = actor.id
        side = USER
    else:
        raise ForbiddenError("当前账号不能发起咨询")
    consultation.status = START[side]
    db.session.add(consultation)
    _add_reply(consultation, actor, now, text, files, side)
    return consultation


def _add_reply(consultation, actor, now, text, files, side) -> ConsultationReply:
    reply = ConsultationReply(consultation=consultation, author_id=actor.id,
                              author_name=_author_name(actor)[:128],
                              from_institute=side == INSTITUTE, body=text, created_at=now)
    db.session.add(reply)
    db.session.flush()
    _store_attachments(actor, OWNER_REPLY, reply.id, files, now)
    return reply


@_as_actor
def reply_consultation(actor, now: dt.datetime, consultation: Consultation, text: str,
                       files=()) -> ConsultationReply:
    """A reply hands the thread to the other side (待协会回复 ⇄ 待用户回复)."""
    text = _check_text(text)
    check_attachments(files)
    side = side_of(actor, consultation)
    _fire(consultation, "reply", actor, now)
    reply = _add_reply(consultation, actor, now, text, files, side)
    if side == INSTITUTE and consultation.user_id:
        # the user side hears of the institute's answer by mail too, if it bound an address
        user_side = db.session.get(User, consultation.user_id)
        if user_side is not None:
            _mail_if_bound(user_side, f"【咨询回复】{consultation.subject}", text, now)
    return reply


@_as_actor
def close_consultation(actor, now: dt.datetime, consultation: Consultation) -> Consultation:
    """办结: only whoever started the thread closes it."""
    _fire(consultation, "close", actor, now)
    return consultation


def consultation_scope(user):
    """Consultations the user may see: staff all; a firm its own; a member its own."""
    return scope_condition(Consultation, user)


def get_consultation(user, consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFoundError("咨询不存在")
    side_of(user, consultation)
    return consultation


def consultations_query(user):
    return select(Consultation).where(consultation_scope(user)) \
        .order_by(Consultation.updated_at.desc(), Consultation.id.desc())


def awaiting_condition(user):
    """Consultations waiting for the user's side to answer (shown as 新消息)."""
    if is_institute(user):
        return Consultation.status == ConsultationStatus.AWAITING_INSTITUTE
    return and_(consultation_scope(user),
                Consultation.status == ConsultationStatus.AWAITING_USER)


def awaits(user, consultation: Consultation) -> bool:
    wanted = (ConsultationStatus.AWAITING_INSTITUTE if is_institute(user)
              else ConsultationStatus.AWAITING_USER)
    return consultation.status == wanted


# --- reminders -----------------------------------------------------------------

def _insert_log(row: dict) -> bool:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ReminderLog.__table__).values(**row).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "target", "threshold"]
    ).returning(ReminderLog.__table__.c.id)
    return db.session.execute(statement).first() is not None


def remind(user: User, kind: str, target, thresholds_due, now: dt.datetime, title: str,
           body: str, link: str | None = None) -> Message | None:
    """Send the latest due reminder once; record the earlier due ones as superseded.

    thresholds_due: the thresholds that have fallen due, in order (earliest first), e.g.
    ["30天", "7天"]. The log's unique key (user, kind, target, threshold) makes a second
    run, a concurrent run or a catch-up after downtime send nothing more: only the run
    whose insert of the latest threshold succeeds sends it. Returns the message sent, if any.
    """
    thresholds = [str(t) for t in thresholds_due]
    if not thresholds:
        return None
    target = str(target)
    latest = thresholds[-1]
    base = {"user_id": user.id, "kind": kind, "target": target, "sent_at": now}
    if not _insert_log({**base, "threshold": latest, "superseded": False}):
        return None
    for threshold in thresholds[:-1]:
        _insert_log({**base, "threshold": threshold, "superseded": True})
    return notify([user], title, body, now, kind=MessageKind.SYSTEM, link=link)[0]


