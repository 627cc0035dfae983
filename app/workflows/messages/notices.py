"""协会通知 (seed 004 §7, seed 000 §4.4): notices staff publish to an audience, now or at a
time set in advance, with attachments and read counts."""
import dataclasses
import datetime as dt

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import func, or_, select

from app import clock
from app.workflows.core.bulk import upsert_insert
from app.extensions import db
from app.models import (Account, Audience, Firm, Message, MessageKind, Notice, Person,
                        PersonStatus, PersonType)
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.core import files
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, NotFoundError, Problems, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.scoping import get_scoped, is_institute
from app.workflows.messages.notify import mail_if_bound, message_row, plain_text, sanitize_html

OWNER_NOTICE = "notice"
ATTACHMENT = files.doc_type(
    "message_attachment", "附件",
    ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "jpg", "png", "txt", "zip", "rar"),
    max_mb=20)


def _notice_recipient(actor, notice_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.notice_id == notice_id, Message.user_id == actor.id)) > 0


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER_NOTICE: _notice_recipient}


@dataclasses.dataclass
class NoticeInput:
    title: str
    body: str
    audience: str
    # a moment, or the form's text (Beijing time; empty: now)
    publish_at: dt.datetime | str | None
    firm_ids: list[int] = dataclasses.field(default_factory=list)
    person_types: list[str] = dataclasses.field(default_factory=list)


def parse_local(value: str | None) -> dt.datetime | None:
    """A datetime-local input (Asia/Shanghai) as aware UTC; empty means None."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            moment = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return moment.replace(tzinfo=clock.LOCAL_TZ).astimezone(dt.timezone.utc)
    raise ValidationError("发布时间格式不正确（例如 2026-01-31 09:00）", "publish_at")


def _check_notice(data: NoticeInput, now: dt.datetime) -> None:
    """Every mistake of the notice form at once (FieldErrors); `publish_at` becomes a
    moment (the form's empty text: now)."""
    problems = Problems()
    if not (data.title or "").strip():
        problems.add("title", "请填写通知标题")
    elif len(data.title.strip()) > 200:
        problems.add("title", "通知标题不能超过200个字")
    if not plain_text(sanitize_html(data.body)):
        problems.add("body", "请填写通知内容")
    if data.audience not in Audience.ALL:
        problems.add("audience", "请选择发送对象")
    if data.audience == Audience.FIRMS and not data.firm_ids:
        problems.add("firms", "发送对象为指定事务所时，请选择至少一个事务所")
    if data.audience == Audience.PERSON_TYPES:
        unknown = [t for t in data.person_types if t not in PersonType.ALL]
        if not data.person_types:
            problems.add("person_types", "发送对象为指定人员类型时，请选择至少一种人员类型")
        elif unknown:
            problems.add("person_types", f"人员类型“{unknown[0]}”不存在")
    if isinstance(data.publish_at, str):
        with problems.field("publish_at"):
            data.publish_at = parse_local(data.publish_at) or now
    if data.publish_at is None:
        problems.add("publish_at", "请填写发布时间")
    problems.raise_any()


def _require_institute(actor) -> None:
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以发布通知")


def get_notice(actor, notice_id) -> Notice:
    _require_institute(actor)
    return get_scoped(db.session, Notice, notice_id, actor, "通知不存在")


@command
def save_notice(actor, now: dt.datetime, data: NoticeInput, uploads=(),
                notice_id: int | None = None) -> Notice:
    """Create or edit a notice; publish it at once when its time has come.

    Once published, the audience is fixed (recipients already have their copy);
    title, body and attachments may still be corrected.
    """
    _require_institute(actor)
    _check_notice(data, now)
    for upload in uploads:
        files.check(ATTACHMENT, upload)
    notice = get_notice(actor, notice_id) if notice_id is not None else None
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
    for upload in uploads:
        files.store(actor, now, ATTACHMENT, upload, OWNER_NOTICE, notice.id)
    if not creating:
        # recipients see the corrected title in their list
        db.session.execute(Message.__table__.update().where(Message.notice_id == notice.id)
                           .values(title=notice.title))
    if notice.published_at is None and notice.publish_at <= now:
        publish_notice(notice, now)
    return notice


@command
def delete_notice(actor, now: dt.datetime, notice_id) -> None:
    notice = get_notice(actor, notice_id)
    for attachment in files.of_owner(OWNER_NOTICE, [notice.id])[notice.id]:
        files.remove(attachment)
    db.session.execute(Message.__table__.delete().where(Message.notice_id == notice.id))
    db.session.delete(notice)


def notice_files(notice_ids) -> dict:
    return files.of_owner(OWNER_NOTICE, notice_ids)


def _active_users():
    return select(User).where(User.active.is_(True))


def with_role(query, role_name: str):
    return query.where(User.roles.any(Role.name == role_name))


def recipients_query(notice: Notice):
    """The users a notice goes to, by its audience."""
    query = _active_users()
    if notice.audience == Audience.EVERYONE:
        return query
    if notice.audience == Audience.ALL_FIRMS:
        # every firm, and every 协会代管注册会计师 (a CPA under the institute's care is its
        # own firm: what goes to all firms concerns it too)
        firm_admins = with_role(select(User.id), FIRM_ADMIN).join(
            Account, Account.user_id == User.id).where(Account.firm_id.is_not(None))
        managed = with_role(select(User.id), MEMBER).join(
            Account, Account.user_id == User.id).join(Person, Person.id == Account.person_id) \
            .where(Person.firm_id.is_(None), Person.person_type == PersonType.CPA,
                   Person.status == PersonStatus.ACTIVE)
        return query.where(or_(User.id.in_(firm_admins), User.id.in_(managed)))
    if notice.audience == Audience.FIRMS:
        firm_ids = [f.id for f in notice.firms]
        return with_role(query, FIRM_ADMIN).join(Account, Account.user_id == User.id) \
            .where(Account.firm_id.in_(firm_ids))
    types = [t for t in (notice.person_types or "").split(",") if t]
    return with_role(query, MEMBER).join(Account, Account.user_id == User.id) \
        .join(Person, Person.id == Account.person_id) \
        .where(Person.person_type.in_(types), Person.status == PersonStatus.ACTIVE)


def _insert_ignoring_duplicates(rows: list[dict]) -> int:
    if not rows:
        return 0
    # RETURNING counts what went in on both databases (psycopg may report rowcount -1)
    statement = upsert_insert(Message.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["notice_id", "user_id"]).returning(Message.__table__.c.id)
    return len(db.session.execute(statement).all())


def publish_notice(notice: Notice, now: dt.datetime) -> int:
    """Fan a due notice out to its recipients, once: (notice, user) is unique."""
    users = db.session.scalars(recipients_query(notice)).unique().all()
    rows = [message_row(u, MessageKind.NOTICE, notice.title, "", now, notice_id=notice.id)
            for u in users]
    created = 0
    for start in range(0, len(rows), 500):
        created += _insert_ignoring_duplicates(rows[start:start + 500])
    already_mailed = notice.published_at is not None
    notice.published_at = notice.published_at or now
    if not already_mailed:
        for user in users:
            mail_if_bound(user, f"【协会通知】{notice.title}", notice.body, now,
                          kind=MessageKind.NOTICE, link=f"/messages/?tab={MessageKind.NOTICE}")
    db.session.flush()
    return created


@job("publish_notices", schedule="interval:60", description="发布到期的协会通知",
     labels={"notices": "发布通知", "messages": "系统消息"})
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


def notice_for_reader(user, notice_id) -> Notice:
    """A notice its reader may open: staff, or one of its recipients."""
    notice = db.session.get(Notice, int(notice_id)) if str(notice_id).isdigit() else None
    if notice is None or not (is_institute(user) or _notice_recipient(user, notice.id)):
        raise NotFoundError("通知不存在")
    return notice
