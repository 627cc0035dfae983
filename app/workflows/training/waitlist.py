"""候补名单 (beyond the manuals): when a class is full, firms and members join its waiting
list, first come first served. When a seat frees (a deletion, a rejection, staff raising
the capacity) the first in line is offered it for 48 hours by 系统消息 and mail; accepting
enrolls, declining or expiry moves the offer on.

The state of an entry is derived from its timestamps, never stored:
  accepted_at → 已报名; declined_at → 已放弃; offered and offer_expires_at <= now → 已过期;
  offered and not yet expired → 待确认 (the seat is held for it); otherwise 候补中.
So an offer is over at its expiry even when the job that moves it on runs late: a held seat
stops counting as held the moment the offer expires (`held_count`)."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import and_, func, select

from app import clock
from app.extensions import db
from app.models import Account, Enrollment, TrainingClass, WaitlistEntry
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.scoping import SystemActor, account_of, get_scoped, role_names
from app.workflows.core.states import Machine, T, Who, anyone
from app.workflows.training import seats
from app.workflows.training.classes import class_started, window_reason

OFFER_HOURS = 48
WAITING, OFFERED, ACCEPTED, DECLINED, EXPIRED = "候补中", "待确认", "已报名", "已放弃", "已过期"
STATES = (WAITING, OFFERED, ACCEPTED, DECLINED, EXPIRED)
W = WaitlistEntry


def state(entry: WaitlistEntry, now: dt.datetime) -> str:
    if now is None:
        now = clock.now()
    if entry.accepted_at is not None:
        return ACCEPTED
    if entry.declined_at is not None:
        return DECLINED
    if entry.offered_at is not None:
        return OFFERED if entry.offer_expires_at > now else EXPIRED
    return WAITING


def _offer(entry, now):
    entry.offered_at = now
    entry.offer_expires_at = now + dt.timedelta(hours=OFFER_HOURS)


def _owns(actor, entry) -> bool:
    mine = _owner_condition(actor)
    return mine is not None and db.session.scalar(select(func.count()).select_from(W).where(
        W.id == entry.id, mine)) > 0


owner = Who("本单位或本人", _owns)

# the waiting list on the one machine: its state is read from the timestamps (an offer is
# 已过期 the moment its time is up, whenever the job runs); each step records its time and
# a row of history, and a refused step says why in the machine's words
MACHINE = Machine("training_waitlist", WaitlistEntry, [
    T("offer", WAITING, OFFERED, "通知候补", who=anyone, effect=_offer),
    T("accept", OFFERED, ACCEPTED, "接受名额", who=owner,
      effect=lambda e, now: setattr(e, "accepted_at", now)),
    T("decline", (WAITING, OFFERED), DECLINED, "放弃候补", who=owner,
      effect=lambda e, now: setattr(e, "declined_at", now)),
], field=None, read=state)


def _live(now):
    return and_(W.offered_at.is_not(None), W.accepted_at.is_(None), W.declined_at.is_(None),
                W.offer_expires_at > now)


def _waiting():
    return and_(W.offered_at.is_(None), W.accepted_at.is_(None), W.declined_at.is_(None))


def _owner_condition(actor):
    """Entries that are the actor's own: its firm's (firm admin) or its own (member)."""
    account = account_of(actor)
    roles = role_names(actor)
    if account is None:
        return None
    if FIRM_ADMIN in roles and account.firm_id and not account.person_id:
        return and_(W.firm_id == account.firm_id, W.person_id.is_(None))
    if MEMBER in roles and account.person_id:
        return W.person_id == account.person_id
    return None


def held_offers(class_ids, now, actor=None) -> dict[int, int]:
    """Live offers per class (only the actor's own, when given)."""
    ids = list(class_ids)
    if not ids:
        return {}
    query = select(W.class_id, func.count()).where(W.class_id.in_(ids), _live(now))
    if actor is not None:
        mine = _owner_condition(actor)
        if mine is None:
            return {}
        query = query.where(mine)
    return dict(db.session.execute(query.group_by(W.class_id)).all())


def held_count(class_id: int, now) -> int:
    return held_offers([class_id], now).get(class_id, 0)


def waiting_counts(class_ids, now) -> dict[int, int]:
    ids = list(class_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(W.class_id, func.count()).where(
        W.class_id.in_(ids), _waiting()).group_by(W.class_id)).all())


def live_offer_of(actor, class_id: int, now) -> WaitlistEntry | None:
    mine = _owner_condition(actor)
    if mine is None:
        return None
    return db.session.scalars(select(W).where(W.class_id == class_id, mine, _live(now))
                              .order_by(W.offered_at)).first()


def mark_accepted(actor, entry: WaitlistEntry, enrollment: Enrollment, now) -> None:
    MACHINE.fire(entry, "accept", actor, now)
    entry.enrollment_id = enrollment.id


def _users_of(entry: WaitlistEntry) -> list[User]:
    if entry.person_id:
        condition = Account.person_id == entry.person_id
    else:
        condition = and_(Account.firm_id == entry.firm_id, Account.person_id.is_(None))
    return list(db.session.scalars(select(User).join(Account, Account.user_id == User.id)
                                   .where(condition)))


def offer_free_seats(actor, now, item: TrainingClass) -> int:
    """Offer every free seat of the class to the next in line (the seat lock is held by
    the caller, or taken here). Returns the offers made."""
    from app.workflows.messages import notify

    if class_started(item, now):
        return 0
    seats.lock_class(item.id)
    free = item.capacity - seats.taken(item.id) - held_count(item.id, now)
    made = 0
    while free > 0:
        entry = db.session.scalars(select(W).where(W.class_id == item.id, _waiting())
                                   .order_by(W.joined_at, W.id)).first()
        if entry is None:
            break
        MACHINE.fire(entry, "offer", actor, now)
        db.session.flush()
        until = clock.display(entry.offer_expires_at, "%Y-%m-%d %H:%M")
        notify(_users_of(entry), f"【候补名额】“{item.name}”有空余名额",
               f"您候补的培训班“{item.name}”有了空余名额，已为您保留至{until}。"
               f"请在此之前到“协会培训班报名 → 候补名单”接受并报名，逾期名额将顺延给下一位候补。",
               now, link="/training/waitlist/")
        free -= 1
        made += 1
    return made


@command
def join(actor, now, class_id: int) -> WaitlistEntry:
    """Join the waiting list of a full class (once per firm, or per member)."""
    roles = role_names(actor)
    account = account_of(actor)
    if account is None or not roles & {FIRM_ADMIN, MEMBER}:
        raise ForbiddenError("候补由事务所管理员或注册会计师本人办理")
    item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    if window_reason(item, now) == "报名已结束" or class_started(item, now):
        raise ValidationError(f"“{item.name}”报名已结束，不能候补", "class")
    seats.lock_class(item.id)
    free = item.capacity - seats.taken(item.id) - held_count(item.id, now)
    if free > 0 and window_reason(item, now) is None:
        raise ValidationError(f"“{item.name}”尚有名额，请直接报名", "class")
    mine = _owner_condition(actor)
    open_entry = db.session.scalars(select(W).where(
        W.class_id == item.id, mine, W.accepted_at.is_(None), W.declined_at.is_(None),
        (W.offered_at.is_(None)) | (W.offer_expires_at > now))).first()
    if open_entry is not None:
        raise ValidationError("已在该培训班的候补名单中", "class")
    is_member = MEMBER in roles and account.person_id and not (
        FIRM_ADMIN in roles and account.firm_id and not account.person_id)
    entry = W(class_id=item.id, user_id=getattr(actor, "id", None), joined_at=now,
              firm_id=account.firm_id if not is_member else (
                  account.person.firm_id if account.person else None),
              person_id=account.person_id if is_member else None)
    db.session.add(entry)
    db.session.flush()
    MACHINE.start(entry, actor, now, event="join")
    return entry


def own_entry(actor, entry_id) -> WaitlistEntry:
    entry = get_scoped(db.session, W, entry_id, actor, "候补记录不存在")
    if not _owns(actor, entry):
        raise ForbiddenError("只能处理本单位或本人的候补")
    return entry


@command
def accept(actor, now, entry_id: int, data: dict | None = None):
    """Accept a live offer: a member is enrolled itself; a firm enrolls the person of its
    form (`data`, the manual's form fields)."""
    from app.workflows.training import enrollment

    entry = own_entry(actor, entry_id)
    if MACHINE.events["accept"][0] not in MACHINE.allowed(entry, actor, now):
        current = state(entry, now)
        raise ValidationError(f"当前状态为“{current}”，不能接受名额", "waitlist")
    if entry.person_id:
        return enrollment.enroll_self(actor, now, entry.class_id)
    if not data:
        raise ValidationError("请填写报名人员信息后接受名额", "waitlist")
    return enrollment.enroll(actor, now, entry.class_id, data)


@command
def decline(actor, now, entry_id: int, remark=None) -> WaitlistEntry:
    """Give up the offer (or leave the list): the seat goes to the next in line."""
    entry = own_entry(actor, entry_id)
    current = state(entry, now)
    MACHINE.fire(entry, "decline", actor, now, remark=remark)
    db.session.flush()
    if current == OFFERED:
        offer_free_seats(actor, now, entry.training_class)
    return entry


def entries(actor, now, class_id: int | None = None) -> list[WaitlistEntry]:
    from app.workflows.core.scoping import scoped_select

    query = scoped_select(W, actor)
    if class_id is not None:
        query = query.where(W.class_id == class_id)
    return list(db.session.scalars(query.order_by(W.class_id, W.joined_at, W.id)))


def position_of(entry: WaitlistEntry) -> int:
    """第几位 in the line of those still waiting (0 when not waiting)."""
    if entry.offered_at or entry.accepted_at or entry.declined_at:
        return 0
    return db.session.scalar(select(func.count()).select_from(W).where(
        W.class_id == entry.class_id, _waiting(),
        (W.joined_at < entry.joined_at) | ((W.joined_at == entry.joined_at) & (W.id <= entry.id))))


@command
def move_offers_on(actor, now) -> dict:
    """Expired offers free their seats: offer them to the next in line."""
    classes = db.session.scalars(select(TrainingClass).where(TrainingClass.id.in_(
        select(W.class_id).where(_waiting())))).all()
    made = sum(offer_free_seats(actor, now, item) for item in classes)
    return {"offered": made}


@job("training_waitlist_offers", schedule="interval:300",
     description="培训班候补：名额空出或保留逾期时，通知下一位候补", labels={"offered": "已通知候补"})
def training_waitlist_offers(now: dt.datetime) -> dict:
    return move_offers_on(SystemActor("定时任务"), now)
