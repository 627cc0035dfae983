"""候补名单 (beyond the manuals): when a class is full, firms and members join its waiting
list, first come first served. When a seat frees (a deletion, a rejection, staff raising
the capacity) the first in line is offered it for 48 hours by 系统消息 and mail; accepting
enrolls, declining or expiry moves the offer on.

The state of an entry is derived from its timestamps, never stored — a table declared on
the machine (MACHINE.state): accepted_at → 已报名; declined_at → 已放弃; offered and not yet
expired → 待确认 (the seat is held for it); offered and expired → 已过期; otherwise 候补中.
So an offer is over at its expiry even when the job that moves it on runs late: a held seat
stops counting as held the moment the offer expires (`held_count`)."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Enrollment, TrainingClass, WaitlistEntry
from app.workflows.core.acting import (acting_condition, acting_firm_id, acting_person,
                                       acts_for, require_acting)
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.scoping import SystemActor, get_scoped, scoped_select
from app.workflows.core.states import Machine, P, T, Who, anyone
from app.workflows.messages import notify, recipients
from app.workflows.messages.recipients import quoted
from app.workflows.training import enrollment, seats
from app.workflows.training.classes import class_started, window_reason
# the waiting list's states as SQL live beside the seat counts (seats.py); read here too
from app.workflows.training.seats import held_count, held_offers, waiting_counts  # noqa: F401

OFFER_HOURS = 48
WAITING, OFFERED, ACCEPTED, DECLINED, EXPIRED = (
    "waiting", "offered", "accepted", "declined", "expired")
LABELS = {WAITING: "候补中", OFFERED: "待确认", ACCEPTED: "已报名", DECLINED: "已放弃", EXPIRED: "已过期"}
W = WaitlistEntry


def _offer(entry, now):
    entry.offered_at = now
    entry.offer_expires_at = now + dt.timedelta(hours=OFFER_HOURS)


# who answers an entry: the member its own, the firm's admin the firm's (WaitlistEntry.__actors__)
owner = Who("本单位或本人", acts_for)

# the waiting list on the one machine: its states are read from the timestamps, in this
# order (an offer is 已过期 the moment its time is up, whenever the job runs); each step
# records its time and a row of history, and a refused step says why in the machine's words
MACHINE = Machine("training_waitlist", WaitlistEntry, [
    T("offer", WAITING, OFFERED, "通知候补", who=anyone, effect=_offer),
    T("accept", OFFERED, ACCEPTED, "接受名额", who=owner,
      effect=lambda e, now: setattr(e, "accepted_at", now)),
    T("decline", (WAITING, OFFERED), DECLINED, "放弃候补", who=owner,
      effect=lambda e, now: setattr(e, "declined_at", now)),
], derived=[
    (ACCEPTED, lambda e, now: e.accepted_at is not None),
    (DECLINED, lambda e, now: e.declined_at is not None),
    (OFFERED, lambda e, now: e.offered_at is not None and e.offer_expires_at > now),
    (EXPIRED, lambda e, now: e.offered_at is not None),
    (WAITING, None),
], permits=[
    # a seat is held for the entry until the offer's expiry (名额保留至)
    P("hold_seat", OFFERED, "保留名额", who=anyone),
    # still in line: its place (第几位) is shown
    P("queue", WAITING, "排队", who=anyone),
], labels=LABELS)
STATES = MACHINE.states


def mark_accepted(entry: WaitlistEntry, row: Enrollment, actor, now) -> None:
    """An enrollment used the actor's live offer (seats.OFFER_TAKEN): 已报名."""
    MACHINE.fire(entry, "accept", actor, now)
    entry.enrollment_id = row.id


def _users_of(entry: WaitlistEntry) -> list[User]:
    """Who joined the list: the member itself, or the firm's administrator."""
    if entry.person_id:
        return recipients.person_users(entry.person_id)
    return recipients.decision_recipients(firm_id=entry.firm_id)


def offer_free_seats(actor, now, item: TrainingClass) -> int:
    """Offer every free seat of the class to the next in line (the seat lock is held by
    the caller, or taken here). Returns the offers made."""
    if class_started(item, now):
        return 0
    seats.lock_class(item.id)
    free = seats.free(item, now)
    made = 0
    while free > 0:
        entry = db.session.scalars(select(W).where(W.class_id == item.id, seats.waiting())
                                   .order_by(W.joined_at, W.id)).first()
        if entry is None:
            break
        until = clock.display(now + dt.timedelta(hours=OFFER_HOURS), "%Y-%m-%d %H:%M")
        # the history says until when: past it the entry reads 已过期 with no further step
        MACHINE.fire(entry, "offer", actor, now, remark=f"保留至{until}")
        db.session.flush()
        notify(_users_of(entry), f"【候补名额】{quoted(item.name)}有空余名额",
               f"您候补的培训班{quoted(item.name)}有了空余名额，已为您保留至{until}。"
               f"请在此之前到“协会培训班报名 → 候补名单”接受并报名，逾期名额将顺延给下一位候补。",
               now, link="/training/waitlist/")
        free -= 1
        made += 1
    return made


def offer_freed_seats(item: TrainingClass, actor, now) -> int:
    """A seat of the class may have freed (seats.SEAT_FREED): offer it to the next in line."""
    return offer_free_seats(actor, now, item)


@command
def join(actor, now, class_id: int) -> WaitlistEntry:
    """Join the waiting list of a full class (once per firm, or per member)."""
    if not enrollment.may_wait(actor):
        raise ForbiddenError("候补由事务所管理员或注册会计师本人办理")
    item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    if window_reason(item, now) == "报名已结束" or class_started(item, now):
        raise ValidationError(f"{quoted(item.name)}报名已结束，不能候补", "class")
    seats.lock_class(item.id)
    if seats.free(item, now) > 0 and window_reason(item, now) is None:
        raise ValidationError(f"{quoted(item.name)}尚有名额，请直接报名", "class")
    open_entry = db.session.scalars(select(W).where(
        W.class_id == item.id, acting_condition(W, actor),
        seats.waiting() | seats.live(now))).first()
    if open_entry is not None:
        raise ValidationError("已在该培训班的候补名单中", "class")
    firm_id = acting_firm_id(actor)
    person = acting_person(actor) if firm_id is None else None
    # a firm's entry names no person; a member's names itself and its firm
    entry = W(class_id=item.id, user_id=getattr(actor, "id", None), joined_at=now,
              firm_id=firm_id if person is None else person.firm_id,
              person_id=person.id if person is not None else None)
    db.session.add(entry)
    db.session.flush()
    MACHINE.start(entry, actor, now, event="join")
    return entry


def own_entry(actor, entry_id) -> WaitlistEntry:
    entry = get_scoped(db.session, W, entry_id, actor, "候补记录不存在")
    require_acting(actor, entry, "只能处理本单位或本人的候补")
    return entry


def offer_to_answer(actor, now, entry_id) -> WaitlistEntry:
    """The actor's entry whose offer it may accept now, or the reason it may not (the
    machine's words, e.g. 当前状态为“已过期”，不能接受名额). Nothing changes: the
    enrollment that uses the offer fires 接受名额 (a firm's through its form)."""
    entry = own_entry(actor, entry_id)
    MACHINE.check(entry, "accept", actor, now)
    return entry


@command
def accept(actor, now, entry_id: int, data: dict | None = None):
    """Accept a live offer: a member is enrolled itself; a firm enrolls the person of its
    form (`data`, the manual's form fields)."""
    entry = offer_to_answer(actor, now, entry_id)
    if entry.person_id:
        return enrollment.enroll_self(actor, now, entry.class_id)
    if not data:
        raise ValidationError("请填写报名人员信息后接受名额", "waitlist")
    return enrollment.enroll(actor, now, entry.class_id, data)


@command
def decline(actor, now, entry_id: int, remark=None) -> WaitlistEntry:
    """Give up the offer (or leave the list): the seat goes to the next in line."""
    entry = own_entry(actor, entry_id)
    held = MACHINE.permits(entry, "hold_seat", actor, now)
    MACHINE.fire(entry, "decline", actor, now, remark=remark)
    db.session.flush()
    if held:  # the seat held for it goes to the next in line
        offer_free_seats(actor, now, entry.training_class)
    return entry


def entries(actor, now, class_id: int | None = None) -> list[WaitlistEntry]:
    query = scoped_select(W, actor)
    if class_id is not None:
        query = query.where(W.class_id == class_id)
    return list(db.session.scalars(query.order_by(W.class_id, W.joined_at, W.id)))


def positions(entries, now) -> dict[int, int]:
    """第几位 of each still-waiting entry in its class's line at `now` (others' entries count
    too), for a whole list in one query."""
    class_ids = {e.class_id for e in entries if MACHINE.permits(e, "queue", None, now)}
    if not class_ids:
        return {}
    found, counter = {}, {}
    for entry_id, class_id in db.session.execute(
            select(W.id, W.class_id).where(W.class_id.in_(class_ids), seats.waiting())
            .order_by(W.class_id, W.joined_at, W.id)):
        counter[class_id] = counter.get(class_id, 0) + 1
        found[entry_id] = counter[class_id]
    return found


def position_of(entry: WaitlistEntry, now) -> int:
    """第几位 in the line of those still waiting at `now` (0 when not waiting)."""
    return positions([entry], now).get(entry.id, 0)


@command
def move_offers_on(actor, now) -> dict:
    """Expired offers free their seats: offer them to the next in line."""
    classes = db.session.scalars(select(TrainingClass).where(TrainingClass.id.in_(
        select(W.class_id).where(seats.waiting())))).all()
    made = sum(offer_free_seats(actor, now, item) for item in classes)
    return {"offered": made}


@job("training_waitlist_offers", schedule="interval:300",
     description="培训班候补：名额空出或保留逾期时，通知下一位候补", labels={"offered": "已通知候补"})
def training_waitlist_offers(now: dt.datetime) -> dict:
    return move_offers_on(SystemActor("定时任务"), now)
