"""转入待确认: a person listed by another firm's whole-list roster moves only with consent.

The roster import's rule stays (seed 000 §3: 「若从业人员手机号已经存在，将保留原账号同时修改
其他信息，如姓名、所在执业机构等」 — people do change jobs), but listing a known mobile must
not hand that person's account to the listing firm (security issue: account takeover):

- the import records a PersonTransfer instead of moving the person; the preview counts it
  as 转入待确认 and shows nothing of the person beyond what the listing firm typed;
- the person accepts it after signing in with a password it chose itself *before* the
  request (a password the listing firm could have set — the derivable initial one, or one
  set since — does not count), or institute staff approve it;
- refusal, or 30 days without a decision, leaves the person where it was;
- the old firm gets a system message when the person leaves; the listing firm is told
  the outcome with the mobile masked.
"""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import (Account, Firm, Person, PersonStatus, PersonTransfer, TransferStatus)
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError
from app.workflows.core.jobs import job
from app.workflows.core.acting import acting_condition, acts_for
from app.workflows.core.institute import identity
from app.workflows.core.queues import Decision, Queue
from app.workflows.core.scoping import SystemActor, get_scoped, role_names, scoped_select
from app.workflows.core.states import Guard, Machine, P, T, Who, institute, system
from app.workflows.core.sms import mask_mobile, send_sms
from app.workflows.messages.notify import notify
from app.workflows.messages.recipients import firm_admin

TTL = dt.timedelta(days=30)
LINK = "/transfers/"


def effective_status(transfer: PersonTransfer, now: dt.datetime) -> str:
    """待确认 past its expiry is 已过期, whether or not a job has looked at it."""
    if MACHINE.permits(transfer, "lapse", None, now):
        return TransferStatus.EXPIRED
    return MACHINE.state(transfer, now)


def is_open(transfer: PersonTransfer, now: dt.datetime) -> bool:
    """待确认 and not past its expiry: someone may still decide it."""
    return MACHINE.permits(transfer, "decide", None, now)


def _person_user(person: Person) -> User | None:
    account = getattr(person, "account", None)
    return account.user if account is not None else None


def _notify(users, title, body, now, link=None):
    return notify([u for u in users if u is not None], title, body, now, link=link)


def request_many(actor, now: dt.datetime, firm: Firm, rows: list[dict]) -> int:
    """Record (or renew) one pending transfer per listed person; tell each person.

    rows: {"id": person id, "position": …, "person_type": …} as the roster plan holds them.
    """
    created = 0
    for row in rows:
        person = db.session.get(Person, row["id"])
        if person is None or person.firm_id == firm.id:
            continue
        open_request = db.session.scalars(
            select(PersonTransfer).where(PersonTransfer.person_id == person.id,
                                         PersonTransfer.to_firm_id == firm.id,
                                         PersonTransfer.status == TransferStatus.PENDING)
        ).first()
        if open_request is not None and is_open(open_request, now):
            open_request.position = row.get("position")
            open_request.person_type = row.get("person_type")
            continue
        if open_request is not None:  # expired: record it as such, start a new one
            MACHINE.fire(open_request, "expire", SystemActor("人员名单导入"), now)
        transfer = PersonTransfer(
            person_id=person.id, from_firm_id=person.firm_id, to_firm_id=firm.id,
            position=row.get("position"), person_type=row.get("person_type"),
            requested_by_id=getattr(actor, "id", None), requested_at=now,
            expires_at=now + TTL, status=TransferStatus.PENDING)
        db.session.add(transfer)
        MACHINE.start(transfer, actor, now, remark=f"{firm.name}的从业人员名单列入此人")
        created += 1
        text = (f"{firm.name}在其从业人员名单中列入了您，申请将您转入该所。"
                f"请登录系统，在“人员转入确认”中确认或拒绝（{TTL.days}天内有效）；"
                f"如非本人所知，请拒绝并联系协会。")
        _notify([_person_user(person)], "【人员转入确认】" + firm.name, text, now, link=LINK)
        if person.phone:
            send_sms(person.phone, identity().sms_prefix + text, now)
    return created


def load(actor, transfer_id) -> PersonTransfer:
    """The person's own request (staff: any), through the scoped lookup."""
    return get_scoped(db.session, PersonTransfer, transfer_id, actor, "转入申请不存在")


def can_confirm_itself(user: User, transfer: PersonTransfer) -> bool:
    """Only a password the person set before the request proves it is the person."""
    account = getattr(user, "account", None)
    return bool(getattr(user, "password", None) and account is not None
                and not account.must_change_password
                and account.password_changed_at is not None
                and account.password_changed_at < transfer.requested_at)


# the row's own actor (PersonTransfer.__actors__: the person itself), named as the page says
the_person = Who("本人", acts_for)
still_open = Guard("still_open", lambda t, actor, now: None if now < t.expires_at
                   else f"申请已过期（{TTL.days}天内未处理）")
lapsed = Guard("lapsed", lambda t, actor, now: None if now >= t.expires_at else "尚在有效期内")
OPEN = (TransferStatus.PENDING,)
MACHINE = Machine("person_transfer", PersonTransfer, [
    T("confirm", OPEN, TransferStatus.CONFIRMED, "确认转入", who=the_person, guards=[still_open]),
    T("refuse", OPEN, TransferStatus.REFUSED, "拒绝转入", who=the_person, guards=[still_open]),
    T("approve", OPEN, TransferStatus.APPROVED, "批准转入", who=institute, guards=[still_open]),
    T("decline", OPEN, TransferStatus.DECLINED, "不予批准", who=institute, guards=[still_open]),
    T("expire", OPEN, TransferStatus.EXPIRED, "过期", who=system),
], permits=[
    # still to be decided by someone (the person or staff), and past its 30 days
    P("decide", OPEN, "处理", guards=[still_open]),
    P("lapse", OPEN, "记为已过期", guards=[lapsed]),
], labels=TransferStatus.LABELS)


def _move(transfer: PersonTransfer, now: dt.datetime, how: str) -> None:
    person = transfer.person
    old_firm_id = person.firm_id
    person.firm_id = transfer.to_firm_id
    if transfer.position:
        person.position = transfer.position
    person.status = PersonStatus.ACTIVE
    person.imported_at = now  # on the new firm's roster from now on
    account = getattr(person, "account", None)
    if account is not None:
        account.firm_id = transfer.to_firm_id
        account.firm_since = now
        if account.user is not None:
            account.user.active = True
    _notify([firm_admin(old_firm_id)], "【人员转出】" + person.name,
            f"您所人员{person.name}已转入其他事务所（{how}），不再列于本所从业人员名单。", now)
    _notify([firm_admin(transfer.to_firm_id)], "【人员转入】转入已生效",
            f"您所名单中手机号为{mask_mobile(person.phone)}的人员已转入本所（{how}）。", now)


def _decide(actor, now, transfer_id, event, remark=None, expected_version=None
            ) -> PersonTransfer:
    transfer = load(actor, transfer_id)
    MACHINE.fire(transfer, event, actor, now, remark=remark, expected_version=expected_version)
    transfer.decided_at, transfer.decided_by_id = now, getattr(actor, "id", None)
    transfer.remark = (remark or "").strip()[:200] or None
    return transfer


@command
def confirm(actor, now: dt.datetime, transfer_id, remark: str | None = None,
            expected_version: int | None = None) -> PersonTransfer:
    """The person accepts the move (signed in with its own, earlier password)."""
    transfer = load(actor, transfer_id)
    if the_person(actor, transfer) and not can_confirm_itself(actor, transfer):
        raise ForbiddenError("您的密码是在转入申请之后设置的（或仍为初始密码），为保护您的账号，"
                             "本次转入须由协会审核，请联系协会工作人员")
    _decide(actor, now, transfer_id, "confirm", remark, expected_version)
    _move(transfer, now, "本人确认")
    return transfer


@command
def refuse(actor, now: dt.datetime, transfer_id, remark: str | None = None,
           expected_version: int | None = None) -> PersonTransfer:
    """The person refuses: it stays where it was."""
    transfer = _decide(actor, now, transfer_id, "refuse", remark, expected_version)
    _notify([firm_admin(transfer.to_firm_id)], "【人员转入】转入未被确认",
            f"您所名单中手机号为{mask_mobile(transfer.person.phone)}的人员未确认转入本所，"
            f"如有疑问请联系协会。", now)
    return transfer


@command
def approve(actor, now: dt.datetime, transfer_id, remark: str | None = None,
            expected_version: int | None = None) -> PersonTransfer:
    """Institute staff approve the move (e.g. the person asked them to)."""
    transfer = _decide(actor, now, transfer_id, "approve", remark, expected_version)
    _move(transfer, now, "协会批准")
    return transfer


@command
def decline(actor, now: dt.datetime, transfer_id, remark: str | None = None,
            expected_version: int | None = None) -> PersonTransfer:
    transfer = _decide(actor, now, transfer_id, "decline", remark, expected_version)
    _notify([firm_admin(transfer.to_firm_id)], "【人员转入】转入未获批准",
            f"您所名单中手机号为{mask_mobile(transfer.person.phone)}的人员转入未获协会批准。"
            + (f"说明：{transfer.remark}" if transfer.remark else ""), now)
    return transfer


# the REST verbs (POST /api/v1/person_transfer/<id>/<verb>) call these
COMMANDS = {"confirm": confirm, "refuse": refuse, "approve": approve, "decline": decline}


def pending_for(actor, now: dt.datetime) -> list[PersonTransfer]:
    """The signed-in person's open requests (newest first)."""
    rows = db.session.scalars(
        select(PersonTransfer).where(acting_condition(PersonTransfer, actor),
                                     PersonTransfer.status.in_(MACHINE.states_for("decide")))
        .order_by(PersonTransfer.requested_at.desc())).all()
    return [t for t in rows if is_open(t, now)]


def review_select(actor, now: dt.datetime, firm_id=None):
    """人员转入审核's open requests as the actor reads them (staff: every firm's), the
    review centre's queue: 待确认 and still inside their 30 days."""
    query = scoped_select(PersonTransfer, actor).where(
        PersonTransfer.status.in_(MACHINE.states_for("decide")), PersonTransfer.expires_at > now)
    if firm_id:
        query = query.where(PersonTransfer.to_firm_id == firm_id)
    return query


QUEUES = (Queue(
    name="person_transfer", label="人员转入", group="会员管理", model=PersonTransfer,
    select=review_select, since=PersonTransfer.requested_at,
    title=lambda row: f"{row.person.name}转入（原单位：{row.from_firm.name if row.from_firm else '协会代管'}）",
    firm=lambda row: row.to_firm, link=lambda row: f"/persontransferview/show/{row.id}",
    loads=("person", "from_firm", "to_firm"),
    decisions=(Decision("approve", "批准转入", approve),
               Decision("decline", "不予批准", decline, remark=True)),
    due_days=7, deadline=lambda row: row.expires_at, order=5),)


def recently_joined(account: Account | None, now: dt.datetime) -> bool:
    """Came to its current firm less than 30 days ago."""
    return bool(account is not None and account.firm_since is not None
                and now - account.firm_since < TTL)


__all__ = ["approve", "can_confirm_itself", "confirm", "decline", "effective_status",
           "pending_for", "recently_joined", "refuse", "request_many", "role_names"]



@job("expire_transfers", schedule="daily:01:10", description="将逾期未确认的人员转入申请记为已过期",
     labels={"expired": "已过期"})
def expire_transfers(now: dt.datetime) -> dict:
    """Record 已过期 on requests past 30 days (decisions already treat them as expired)."""
    rows = db.session.scalars(select(PersonTransfer).where(
        PersonTransfer.status == TransferStatus.PENDING, PersonTransfer.expires_at <= now)).all()
    for transfer in rows:
        MACHINE.fire(transfer, "expire", SystemActor("定时任务"), now)
    return {"expired": len(rows)}
