"""培训班 (the institute's catalogue): staff create and edit classes and their handouts
(资料, up to 500 MB each, through the platform's file store); everyone reads the catalogue
with exact counts (已报名人数, 本单位已报名人数, 已确认人数) computed from the enrollments."""
import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import case, func, select

from app import clock
from app.extensions import db
from app.models import Category, Enrollment, StoredFile, TrainingClass
from app.models import TrainingAudience as Audience
from app.workflows.core import files
from app.workflows.core.acting import acting_firm_id, acting_person_id
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, NotFoundError, Problems, ValidationError
from app.workflows.core.hooks import Hook
from app.workflows.core.scoping import get_scoped, is_institute
from app.workflows.hours.ledger import parse_hours
from app.workflows.training import seats
from app.workflows.training.states import MACHINE

# a class's hours, category, dates or name changed (class, actor, now): the results already
# 合格 are credited again (review.py subscribes, declared in the training DOMAIN)
CREDIT_CHANGED = Hook("training.credit_changed")
OWNER_HANDOUT = "training_handout"
HANDOUT = files.doc_type("training_handout", "培训班资料",
                         ("pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "zip", "rar",
                          "mp4"), max_mb=500)
DEFAULT_KIND = "北京注协面授班"
FIELDS = {  # key -> label, in the form's order
    "kind": "类型", "name": "培训班名称", "teacher": "主讲老师", "hours": "注册会计师可获学时",
    "category": "学时类别", "start_date": "培训开始日期", "end_date": "培训结束日期",
    "enroll_start": "报名开始时间", "enroll_end": "报名结束时间", "location": "培训地点",
    "capacity": "最大报名人数", "planned": "培训人数", "audience": "培训对象", "intro": "介绍",
}
LENGTHS = {"kind": 32, "name": 200, "teacher": 100, "location": 200}


def _handout_readable(actor, class_id) -> bool:
    """Handouts (讲义下载, seed 000 §5.2) are for every signed-in user of the catalogue."""
    return bool(getattr(actor, "is_authenticated", False)) and db.session.get(
        TrainingClass, class_id) is not None


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER_HANDOUT: _handout_readable}


# --- parsing what staff typed (the form and the REST body alike) -------------------------

def _text(data, key, required=False) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, (str, int, float, Decimal)):
        raise ValidationError(f"{FIELDS[key]}格式不正确", key)
    value = str(value).strip() if value is not None else ""
    if required and not value:
        raise ValidationError(f"请填写{FIELDS[key]}", key)
    if key in LENGTHS and len(value) > LENGTHS[key]:
        raise ValidationError(f"{FIELDS[key]}不能超过{LENGTHS[key]}个字", key)
    return value or None


def _date(data, key) -> dt.date:
    value = data.get(key)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(f"{FIELDS[key]}须为日期（例如 2026-05-10）", key) from None


def parse_local_time(value, key: str) -> dt.datetime:
    """A Beijing date and time as typed ('2026-05-10 09:00', '2026-05-10T09:00', a date
    alone is its 00:00; an ISO time with its zone is taken as it says) → aware UTC."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value or "").strip()
        moment = None
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                raise ValidationError(f"{FIELDS[key]}须为日期和时间（例如 2026-05-10 09:00）",
                                      key) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    return moment.astimezone(dt.timezone.utc)


def _int(data, key, required=True, minimum=1, maximum=100000) -> int | None:
    value = data.get(key)
    if value in (None, "") and not required:
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(f"{FIELDS[key]}须为整数", key) from None
    if not minimum <= number <= maximum:
        raise ValidationError(f"{FIELDS[key]}须在{minimum}至{maximum}之间", key)
    return number


def clean_class(data: dict) -> dict:
    """The values of a class from what was typed, or every problem at once (each naming
    its field): a form with three mistakes shows three."""
    problems, values = Problems(), {}

    def take(key, parse):
        with problems.field(key):
            values[key] = parse()

    take("kind", lambda: _text(data, "kind") or DEFAULT_KIND)
    take("name", lambda: _text(data, "name", required=True))
    take("teacher", lambda: _text(data, "teacher"))
    take("location", lambda: _text(data, "location", required=True))
    take("intro", lambda: _text(data, "intro"))
    try:
        values["hours"] = parse_hours(data.get("hours") if data.get("hours") not in (None, "")
                                      else "x")
    except ValidationError as error:
        problems.add("hours", f"{FIELDS['hours']}：{error.message}")
    with problems.field("category"):
        category = _text(data, "category", required=True)
        if category not in Category.ALL:
            raise ValidationError(f"学时类别须为{'、'.join(Category.ALL)}之一", "category")
        values["category"] = category
    with problems.field("audience"):
        audience = _text(data, "audience") or Audience.ALL_STAFF
        if audience not in Audience.ALL:
            raise ValidationError(f"培训对象须为{'、'.join(Audience.ALL)}之一", "audience")
        values["audience"] = audience
    take("start_date", lambda: _date(data, "start_date"))
    take("end_date", lambda: _date(data, "end_date"))
    take("enroll_start", lambda: parse_local_time(data.get("enroll_start"), "enroll_start"))
    take("enroll_end", lambda: parse_local_time(data.get("enroll_end"), "enroll_end"))
    take("capacity", lambda: _int(data, "capacity"))
    take("planned", lambda: _int(data, "planned", required=False))
    if {"start_date", "end_date"} <= set(values) and values["end_date"] < values["start_date"]:
        problems.add("end_date", "培训结束日期不能早于培训开始日期")
    if {"enroll_start", "enroll_end"} <= set(values) \
            and values["enroll_end"] <= values["enroll_start"]:
        problems.add("enroll_end", "报名结束时间须晚于报名开始时间")
    problems.raise_any()
    return values


def _institute_only(actor, doing: str) -> None:
    if not is_institute(actor):
        raise ForbiddenError(f"只有协会工作人员可以{doing}，如需调整请联系协会")


@command
def save_class(actor, now, data: dict, class_id: int | None = None,
               handouts: list | None = None) -> TrainingClass:
    """Create (class_id None) or change a class; handouts (files.Upload) are added to it.
    Raising the capacity offers the freed seats to the waiting list; changing the hours or
    the category re-credits the hours of those already 合格 (the ledger is idempotent)."""
    _institute_only(actor, "维护培训班")
    values = clean_class(data)
    if class_id is None:
        item = TrainingClass(created_at=now, seat_lock=0, **values)
        db.session.add(item)
        db.session.flush()
        credited_before = None
    else:
        item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
        credited_before = (item.hours, item.category, item.end_date, item.name)
        seats.lock_class(item.id)
        held = seats.taken(item.id)
        if values["capacity"] < held:
            raise ValidationError(f"最大报名人数不能少于已报名人数（{held}人）", "capacity")
        for key, value in values.items():
            if getattr(item, key) != value:
                setattr(item, key, value)
    for upload in handouts or []:
        files.store(actor, now, HANDOUT, upload, OWNER_HANDOUT, item.id)
    db.session.flush()
    if class_id is not None:
        if credited_before != (item.hours, item.category, item.end_date, item.name):
            CREDIT_CHANGED.send(item, actor, now)
        seats.SEAT_FREED.send(item, actor, now)
    return item


@command
def add_handouts(actor, now, class_id: int, handouts: list) -> list[StoredFile]:
    _institute_only(actor, "上传培训班资料")
    item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    if not handouts:
        raise ValidationError("请选择要上传的资料文件", "handouts")
    return [files.store(actor, now, HANDOUT, upload, OWNER_HANDOUT, item.id)
            for upload in handouts]


@command
def remove_handout(actor, now, file_id: int) -> None:
    _institute_only(actor, "删除培训班资料")
    row = files.readable(actor, file_id)
    if row.owner_kind != OWNER_HANDOUT:
        raise NotFoundError("资料不存在")
    files.remove(row)


def handouts_of(class_ids) -> dict[int, list[StoredFile]]:
    return files.of_owner(OWNER_HANDOUT, class_ids)


def handout(actor, class_id: int, file_id: int) -> StoredFile:
    """One handout of one class, if the actor may read it (else NotFoundError)."""
    get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    row = files.readable(actor, file_id)
    if row.owner_kind != OWNER_HANDOUT or row.owner_id != int(class_id):
        raise NotFoundError("资料不存在")
    return row


# --- the catalogue with its counts --------------------------------------------------------

@dataclasses.dataclass
class CatalogueRow:
    item: TrainingClass
    enrolled: int  # 已报名人数: enrollments holding a seat (未审核 + 审核通过)
    confirmed: int  # 已确认人数: 审核通过
    own: int  # 本单位已报名人数 (firm admin) / 本人 (member)
    own_status: str | None  # a member's 报名确认状态
    free: int  # seats a newcomer may take now (live waiting-list offers held back)
    reason: str | None  # why 报名 is not offered (未到报名时间 / 报名已结束 / 已报满)
    waiting: int = 0


def window_reason(item: TrainingClass, now: dt.datetime) -> str | None:
    if now < item.enroll_start:
        return "未到报名时间"
    if now > item.enroll_end:
        return "报名已结束"
    return None


def catalogue(actor, now, *, keyword: str | None = None, class_ids=None) -> list[CatalogueRow]:
    """Every class, newest first, with exact counts in one grouped query."""
    query = select(TrainingClass).order_by(TrainingClass.start_date.desc(), TrainingClass.id.desc())
    if keyword:
        query = query.where(TrainingClass.name.contains(keyword, autoescape=True))
    if class_ids is not None:
        query = query.where(TrainingClass.id.in_(list(class_ids)))
    items = db.session.scalars(query).all()
    ids = [i.id for i in items]
    firm_id, person_id = acting_firm_id(actor), acting_person_id(actor)
    holds = seats.holds_seat()
    confirmed = Enrollment.status.in_(MACHINE.states_for("record_result"))  # 已确认
    columns = [Enrollment.class_id,
               func.sum(case((holds, 1), else_=0)),
               func.sum(case((confirmed, 1), else_=0))]
    if firm_id:
        columns.append(func.sum(case((holds & (Enrollment.firm_id == firm_id), 1), else_=0)))
    elif person_id:
        columns.append(func.sum(case((holds & (Enrollment.person_id == person_id), 1), else_=0)))
    counts = {row[0]: row[1:] for row in db.session.execute(
        select(*columns).where(Enrollment.class_id.in_(ids)).group_by(Enrollment.class_id))} \
        if ids else {}
    own_status = {}
    if person_id and ids:
        own_status = dict(db.session.execute(select(Enrollment.class_id, Enrollment.status).where(
            Enrollment.class_id.in_(ids), Enrollment.person_id == person_id)).all())
    offers = seats.held_offers(ids, now)
    mine = seats.held_offers(ids, now, actor=actor)
    waiting = seats.waiting_counts(ids, now)
    rows = []
    for item in items:
        enrolled, confirmed, *own = counts.get(item.id, (0, 0, 0))
        enrolled, confirmed = int(enrolled or 0), int(confirmed or 0)
        own = int(own[0] or 0) if own else 0
        free = item.capacity - enrolled - offers.get(item.id, 0) + mine.get(item.id, 0)
        reason = window_reason(item, now) or (None if free > 0 else "已报满")
        rows.append(CatalogueRow(item, enrolled, confirmed, own, own_status.get(item.id),
                                 max(free, 0), reason, waiting.get(item.id, 0)))
    return rows


def get_class(actor, class_id) -> TrainingClass:
    return get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")


def class_started(item: TrainingClass, now: dt.datetime) -> bool:
    return clock.local_today(now) >= item.start_date
