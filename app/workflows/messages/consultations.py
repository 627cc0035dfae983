"""咨询消息 (seed 004 §7): threads between a firm or a member and the institute.

The thread's status moves on the core state machine: a reply hands it to the other side
(待协会回复 ⇄ 待用户回复); only whoever started it closes it (已办结). Every step is in
the history; replies carry attachments through the file store.
"""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import and_, select

from app.extensions import db
from app.models import (Account, Consultation, ConsultationReply, ConsultationStatus, Firm,
                        MessageKind, Person, PersonStatus, PersonType)
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.core import files
from app.workflows.core.audit import actor_name
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from app.workflows.core.queues import Decision, Queue
from app.workflows.core.scoping import (account_of, can_see, get_scoped, is_institute,
                                        role_names, scope_condition)
from app.workflows.core.states import Machine, P, T, Who, institute, not_institute
from app.workflows.messages.notices import ATTACHMENT, with_role
from app.workflows.messages.notify import mail_if_bound

BUSINESS_TYPES = ("注册申请", "注销(撤销)", "关系转移", "信息变更", "其他变更", "信息补录",
                  "证书补办", "任职资格检查", "继续教育", "培训报名", "执业机构内培", "其他")
OWNER_REPLY = "consultation_reply"
OPEN = (ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.AWAITING_USER)


def _reply_readable(actor, reply_id: int) -> bool:
    reply = db.session.get(ConsultationReply, reply_id)
    return reply is not None and can_see(reply.consultation, actor)


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER_REPLY: _reply_readable}

# not the row's `acts_for` (a firm's admin / the person): the account that started the
# thread closes it, a member of staff included
the_starter = Who("咨询发起人", lambda actor, c: c.started_by_id == getattr(actor, "id", None))

MACHINE = Machine("consultation", Consultation, [
    T("reply", OPEN, ConsultationStatus.AWAITING_USER, "回复", who=institute),
    T("reply", OPEN, ConsultationStatus.AWAITING_INSTITUTE, "回复", who=not_institute),
    T("close", OPEN, ConsultationStatus.CLOSED, "办结", who=the_starter),
], permits=[
    # the side the thread waits for (shown as 新消息): the institute, or the user side
    P("answer", ConsultationStatus.AWAITING_INSTITUTE, "回复", who=institute),
    P("answer", ConsultationStatus.AWAITING_USER, "回复", who=not_institute),
], labels=ConsultationStatus.LABELS)


def _author_name(actor) -> str:
    if is_institute(actor):
        return f"{getattr(actor, 'first_name', '') or actor.username}（协会）"
    return actor_name(actor)


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写咨询内容", "body")
    if len(text) > 5000:
        raise ValidationError("咨询内容不能超过5000个字", "body")
    return text


def _firm_admin_user(firm_id: int) -> User | None:
    return db.session.scalars(
        with_role(select(User), FIRM_ADMIN).join(Account, Account.user_id == User.id)
        .where(Account.firm_id == firm_id).order_by(User.id)).first()


def get_consultation(user, consultation_id) -> Consultation:
    """A thread the user may see (the institute sees all), else NotFoundError."""
    return get_scoped(db.session, Consultation, consultation_id, user, "咨询不存在")


def _add_reply(consultation, actor, now, text, uploads) -> ConsultationReply:
    reply = ConsultationReply(consultation=consultation, author_id=actor.id,
                              author_name=_author_name(actor)[:128],
                              from_institute=is_institute(actor), body=text, created_at=now)
    db.session.add(reply)
    db.session.flush()
    for upload in uploads:
        files.store(actor, now, ATTACHMENT, upload, OWNER_REPLY, reply.id)
    return reply


def managed_cpas_query():
    """协会代管注册会计师 with a sign-in: staff open a 咨询 with them as with a firm."""
    return select(Person).join(Account, Account.person_id == Person.id).join(
        User, User.id == Account.user_id).where(
        Person.firm_id.is_(None), Person.person_type == PersonType.CPA,
        Person.status == PersonStatus.ACTIVE, User.active.is_(True)).order_by(Person.cert_number, Person.id)


def _managed_cpa_user(person_id) -> User | None:
    return db.session.scalars(select(User).join(Account, Account.user_id == User.id).where(
        Account.person_id.in_(select(Person.id).where(
            managed_cpas_query().whereclause, Person.id == person_id)))).first()


@command
def start_consultation(actor, now: dt.datetime, business_type: str, text: str, uploads=(),
                       firm_id: int | None = None,
                       person_id: int | None = None) -> Consultation:
    """A firm admin or member asks the institute; staff may open a thread with a firm or with
    a 协会代管注册会计师 (its own firm: the thread is private to it, as its own questions)."""
    if business_type not in BUSINESS_TYPES:
        raise ValidationError("请选择业务类型", "business_type")
    text = _check_text(text)
    for upload in uploads:
        files.check(ATTACHMENT, upload)
    roles = role_names(actor)
    account = account_of(actor)
    consultation = Consultation(business_type=business_type, subject=text.splitlines()[0][:200],
                                started_by_id=actor.id, created_at=now, updated_at=now)
    if is_institute(actor) and person_id and not firm_id:
        user_side = _managed_cpa_user(person_id)
        if user_side is None:
            raise ValidationError("请选择事务所或协会代管注册会计师", "firm")
        consultation.person_id = user_side.account.person_id
        consultation.user_id = user_side.id
        consultation.started_by_institute = True
        consultation.status = ConsultationStatus.AWAITING_USER
    elif is_institute(actor):
        firm = db.session.get(Firm, firm_id) if firm_id else None
        if firm is None:
            raise ValidationError("请选择事务所或协会代管注册会计师", "firm")
        user_side = _firm_admin_user(firm.id)
        consultation.firm_id = firm.id
        consultation.user_id = user_side.id if user_side else None
        consultation.started_by_institute = True
        consultation.status = ConsultationStatus.AWAITING_USER
    elif FIRM_ADMIN in roles and account is not None and account.firm_id is not None:
        consultation.firm_id = account.firm_id
        consultation.user_id = actor.id
        consultation.status = ConsultationStatus.AWAITING_INSTITUTE
    elif MEMBER in roles and account is not None and account.person_id is not None:
        # a member's own question: private between the member and the institute
        consultation.person_id = account.person_id
        consultation.user_id = actor.id
        consultation.status = ConsultationStatus.AWAITING_INSTITUTE
    else:
        raise ForbiddenError("当前账号不能发起咨询")
    db.session.add(consultation)
    MACHINE.start(consultation, actor, now, remark="发起咨询")
    _add_reply(consultation, actor, now, text, uploads)
    return consultation


@command
def reply_consultation(actor, now: dt.datetime, consultation_id, text: str,
                       uploads=()) -> ConsultationReply:
    """A reply hands the thread to the other side (待协会回复 ⇄ 待用户回复)."""
    consultation = get_consultation(actor, consultation_id)
    text = _check_text(text)
    for upload in uploads:
        files.check(ATTACHMENT, upload)
    consultation.updated_at = now
    MACHINE.fire(consultation, "reply", actor, now)
    reply = _add_reply(consultation, actor, now, text, uploads)
    if is_institute(actor) and consultation.user_id:
        # the user side hears of the institute's answer by mail too, if it bound an address
        user_side = db.session.get(User, consultation.user_id)
        if user_side is not None:
            mail_if_bound(user_side, f"【咨询回复】{consultation.subject}", text, now,
                          kind=MessageKind.CONSULTATION,
                          link=f"/messages/consultation/{consultation.id}")
    return reply


@command
def close_consultation(actor, now: dt.datetime, consultation_id) -> Consultation:
    """办结: only whoever started the thread closes it."""
    consultation = get_consultation(actor, consultation_id)
    consultation.updated_at = consultation.closed_at = now
    MACHINE.fire(consultation, "close", actor, now)
    return consultation


def reply_files(consultation: Consultation) -> dict:
    return files.of_owner(OWNER_REPLY, [r.id for r in consultation.replies])


def consultations_query(user):
    return select(Consultation).where(scope_condition(Consultation, user)) \
        .order_by(Consultation.updated_at.desc(), Consultation.id.desc())


def awaiting_condition(user):
    """Consultations waiting for the user's side to answer (shown as 新消息)."""
    if is_institute(user):
        return Consultation.status == ConsultationStatus.AWAITING_INSTITUTE
    return and_(scope_condition(Consultation, user),
                Consultation.status == ConsultationStatus.AWAITING_USER)


def review_select(actor, now=None, firm_id=None):
    """Consultations waiting for the institute's reply, as staff read them (咨询管理's
    待协会回复; the review centre's queue)."""
    query = select(Consultation).where(scope_condition(Consultation, actor),
                                       Consultation.status == ConsultationStatus.AWAITING_INSTITUTE)
    if firm_id:
        query = query.where(Consultation.firm_id == firm_id)
    return query


def _reply_with(actor, now, pk, remark=None):
    return reply_consultation(actor, now, pk, remark or "")


QUEUES = (Queue(
    name="consultation", label="咨询消息", group="消息中心", model=Consultation,
    select=review_select, since=Consultation.updated_at,
    title=lambda row: f"【{row.business_type}】{row.subject}",
    firm=lambda row: row.firm, link=lambda row: f"/messages/consultation/{row.id}", loads=("firm",),
    decisions=(Decision("reply", "回复", _reply_with, remark=True),),
    due_days=2, order=70),)


def awaits(user, consultation: Consultation, now: dt.datetime | None = None) -> bool:
    """The thread waits for `user`'s side to answer (the machine's "answer" permit)."""
    return MACHINE.permits(consultation, "answer", user, now)


__all__ = ["BUSINESS_TYPES", "MACHINE", "NotFoundError", "QUEUES", "review_select", "awaiting_condition", "awaits",
           "close_consultation", "consultations_query", "get_consultation", "managed_cpas_query",
           "reply_consultation", "reply_files", "start_consultation"]
