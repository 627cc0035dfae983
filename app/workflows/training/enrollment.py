"""报名: a firm admin enrolls one person by the manual's form (seed 000 §5.1) or ticks
several of its CPAs at once (seed 003), a CPA enrolls itself (seed 003 part 二); a firm
deletes its enrollments until the class starts. Every path goes through `_admit`, which
holds the class's seat lock (seats.py) while it checks the window, the seats and the
duplicates of the whole batch: all or none, with the reason. A deletion announces the freed
seat (seats.SEAT_FREED); using a live waiting-list offer announces it taken
(seats.OFFER_TAKEN): the waiting list, above this module, subscribes."""
import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (Enrollment, EnrollmentStatus, Gender, Person, PersonKind, PersonStatus,
                        PersonType, TrainingClass, TrainingResult)
from app.models import TrainingAudience as Audience
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.core.acting import (acting_firm_id, acting_person, acting_person_id,
                                       require_acting)
from app.workflows.core.commands import command
from app.workflows.messages.recipients import quoted
from app.workflows.core.errors import ConflictError, ForbiddenError, Problems, ValidationError
from app.workflows.core.identifiers import normalize_text, validate_mobile
from app.workflows.core.scoping import get_scoped, is_institute, role_names, scoped_select
from app.workflows.training import seats
from app.workflows.training.classes import class_started, window_reason
from app.workflows.training.states import MACHINE

CPA_ONLY = "该培训班只允许注册会计师报名"
REMINDER = "提醒：请注册会计师务必填写证书号，否则无法记录继续教育学时。"
FORM_FIELDS = {  # the manual's form, in its order
    "person_kind": "人员类型", "name": "姓名", "age": "年龄", "position": "职位",
    "phone": "联系电话", "cert_number": "证书编号", "gender": "性别", "ethnicity": "民族",
    "unit_name": "单位名称", "travel": "航班/车次", "remark": "备注", "wechat": "微信昵称",
}
LENGTHS = {"name": 64, "position": 32, "ethnicity": 16, "unit_name": 128, "travel": 64,
           "remark": 200, "wechat": 64, "cert_number": 20}


@dataclasses.dataclass
class Applicant:
    """One person as the form (or a ticked row) gives it, checked and resolved."""

    values: dict
    person_id: int | None
    firm_id: int | None

    @property
    def dedupe_key(self) -> str:
        """Nobody twice in a class: a registry person by its id; an 其他 person by the
        mobile within the enrolling firm only — firms do not share 其他 persons, and a key
        across firms let one firm learn another's enrollments by a refusal (issue 22)."""
        return other_key(self.firm_id, self.values["phone"]) if not self.person_id \
            else f"person:{self.person_id}"


def other_key(firm_id: int | None, phone: str) -> str:
    """The dedupe key of an 其他 person (migration b2c2a1d0e9f8 wrote it for older rows)."""
    return f"phone:{firm_id if firm_id is not None else '-'}:{phone}"


def _text(data, key, label=None) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, (str, int)):
        raise ValidationError(f"{label or FORM_FIELDS[key]}格式不正确", key)
    value = normalize_text(value) if value is not None else ""
    if key in LENGTHS and len(value) > LENGTHS[key]:
        raise ValidationError(f"{label or FORM_FIELDS[key]}不能超过{LENGTHS[key]}个字", key)
    return value or None


def check_applicant(actor, item: TrainingClass, data: dict) -> Applicant:
    """The manual's rules for one form: 人员类型 decides; a 注册会计师's 证书编号 is required
    and fills 姓名 and 性别 from the registry (a CPA the actor may see); 其他 leaves it
    empty; a 注册会计师-only class refuses 其他. Every mistake of the form is raised at once."""
    problems = Problems()
    values = {}
    for key in FORM_FIELDS:
        if key != "age":
            with problems.field(key):
                values[key] = _text(data, key)
    kind = values.get("person_kind") or ""
    if kind not in PersonKind.ALL and "person_kind" not in dict(problems.errors):
        problems.add("person_kind", "请选择人员类型（注册会计师或其他）")
    values["person_kind"] = kind
    age = data.get("age")
    if age not in (None, ""):
        try:
            age = int(str(age).strip())
        except (TypeError, ValueError):
            problems.add("age", "年龄须为整数")
            age = None
        else:
            if not 16 <= age <= 100:
                problems.add("age", "年龄须在16至100之间")
    values["age"] = age if age not in ("",) else None
    person_id = None
    firm_id = acting_firm_id(actor)
    if kind == PersonKind.CPA:
        cert = values.get("cert_number")
        person = db.session.scalars(scoped_select(Person, actor).where(
            Person.cert_number == cert, Person.person_type == PersonType.CPA,
            Person.status == PersonStatus.ACTIVE)).first() if cert else None
        if not cert:
            problems.add("cert_number", "注册会计师须填写证书编号，否则无法记录继续教育学时")
        elif person is None:
            whose = "本所" if firm_id else ("您本人" if MEMBER in role_names(actor) else "")
            problems.add("cert_number", f"证书编号“{cert}”不是{whose}在册的注册会计师，请核对")
        else:
            values["name"], values["gender"] = person.name, person.gender
            values["cert_number"] = person.cert_number
            if not values.get("position") and person.position:
                values["position"] = person.position
            person_id = person.id
            firm_id = firm_id or person.firm_id
    elif kind == PersonKind.OTHER:
        if item.audience == Audience.CPA_ONLY:
            problems.add("person_kind", CPA_ONLY)
        if values.get("cert_number"):
            problems.add("cert_number", "人员类型为“其他”时不要填写证书编号")
    if not values.get("name") and not (kind == PersonKind.CPA and not person_id):
        problems.add("name", "请填写姓名")
    if not values.get("phone"):
        problems.add("phone", "请填写联系电话")
    else:
        try:
            values["phone"] = validate_mobile(values["phone"], "联系电话")
        except ValidationError as error:
            problems.add("phone", error.message)
    if values.get("gender") and values["gender"] not in Gender.ALL:
        problems.add("gender", "性别须为男或女")
    problems.raise_any()
    return Applicant(values, person_id, firm_id)


def _may_enroll(actor) -> None:
    roles = role_names(actor)
    if is_institute(actor) or not roles & {FIRM_ADMIN, MEMBER}:
        raise ForbiddenError("报名由事务所管理员为本所人员办理，或由注册会计师本人办理")


def _admit(actor, now, item: TrainingClass, applicants: list[Applicant], channel: str,
           labels: list[str] | None = None) -> list[Enrollment]:
    """Seat the applicants of one request, all or none (the class's seat lock held)."""
    offer = seats.live_offer_of(actor, item.id, now)
    reason = window_reason(item, now)
    if reason and not (offer is not None and reason == "报名已结束"
                       and not class_started(item, now)):
        raise ValidationError(f"{quoted(item.name)}{reason}，不能报名", "class")
    seen = {}
    for index, applicant in enumerate(applicants):
        key = applicant.dedupe_key
        label = (labels or [applicant.values["name"]] * len(applicants))[index]
        if key in seen:
            raise ValidationError(f"{label}在本次报名中重复出现", "person")
        seen[key] = label
    seats.lock_class(item.id)
    existing = dict(db.session.execute(select(Enrollment.dedupe_key, Enrollment.name).where(
        Enrollment.class_id == item.id, Enrollment.dedupe_key.in_(list(seen)))).all())
    if existing:
        names = "、".join(seen[k] for k in seen if k in existing)
        raise ValidationError(f"{names}已报名该培训班，不能重复报名", "person")
    free = seats.free(item, now) + (1 if offer is not None else 0)
    if len(applicants) > free:
        if free <= 0:
            raise ValidationError(f"{quoted(item.name)}已报满，可加入候补名单", "class")
        raise ValidationError(f"{quoted(item.name)}仅剩{free}个名额，本次报名{len(applicants)}人，"
                              f"未报名任何人，请减少人数后再报名", "class")
    rows = []
    for applicant in applicants:
        row = Enrollment(class_id=item.id, firm_id=applicant.firm_id,
                         person_id=applicant.person_id, dedupe_key=applicant.dedupe_key,
                         status=EnrollmentStatus.PENDING, result=TrainingResult.NOT_YET,
                         channel=channel, enrolled_by_id=getattr(actor, "id", None),
                         created_at=now, **applicant.values)
        db.session.add(row)
        rows.append(row)
    try:
        db.session.flush()
    except IntegrityError:
        raise ConflictError("报名人员刚刚已被他人报名，本次未报名任何人，请刷新后查看") from None
    for row in rows:
        MACHINE.start(row, actor, now, event="enroll")
    if offer is not None:  # the waiting list records its offer accepted
        seats.OFFER_TAKEN.send(offer, rows[0], actor, now)
    return rows


@command
def enroll(actor, now, class_id: int, data: dict) -> Enrollment:
    """The manual's form: one person, by a firm admin (or a member for itself)."""
    _may_enroll(actor)
    item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    applicant = check_applicant(actor, item, data)
    if MEMBER in role_names(actor) and not acting_firm_id(actor):
        if applicant.person_id != acting_person_id(actor):
            raise ForbiddenError("个人账号只能为本人报名", "cert_number")
    return _admit(actor, now, item, [applicant], "表单")[0]


def may_enroll_self(actor) -> bool:
    """What `enroll_self` enforces, as a yes/no for the 报名 button: a member who is a
    注册会计师 with a certificate number (seed 003: 注册会计师本人报名). A 非执业会员 or
    其他从业人员 is enrolled by its firm's administrator."""
    person = acting_person(actor)
    return person is not None and person.person_type == PersonType.CPA \
        and bool(person.cert_number)


def may_wait(actor) -> bool:
    """候补 leads to an enrollment: a firm's administrator, or a member who may enroll itself."""
    return bool(acting_firm_id(actor)) or may_enroll_self(actor)


@command
def enroll_self(actor, now, class_id: int, phone: str | None = None,
                position: str | None = None, travel: str | None = None,
                wechat: str | None = None) -> Enrollment:
    """A CPA enrolls itself (seed 003 part 二): the registry gives name, gender, number."""
    person = acting_person(actor)
    if person is None:
        raise ForbiddenError("只有注册会计师本人可以自行报名")
    if person.person_type != PersonType.CPA or not person.cert_number:
        raise ForbiddenError("只有持有证书编号的注册会计师可以自行报名")
    item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    data = {"person_kind": PersonKind.CPA, "cert_number": person.cert_number,
            "phone": phone or person.phone, "position": position or person.position,
            "travel": travel, "wechat": wechat,
            "unit_name": person.firm.name if person.firm else None}
    applicant = check_applicant(actor, item, data)
    return _admit(actor, now, item, [applicant], "本人")[0]


def firm_cpas(actor, item: TrainingClass | None = None, name: str | None = None,
              cert: str | None = None) -> list[Person]:
    """The firm's CPAs to tick (seed 003): active, with a certificate number."""
    firm_id = acting_firm_id(actor)
    if not firm_id:
        return []
    query = scoped_select(Person, actor).where(
        Person.firm_id == firm_id, Person.person_type == PersonType.CPA,
        Person.status == PersonStatus.ACTIVE, Person.cert_number.is_not(None))
    if name:
        query = query.where(Person.name.contains(name, autoescape=True))
    if cert:
        query = query.where(Person.cert_number.contains(cert, autoescape=True))
    return list(db.session.scalars(query.order_by(Person.cert_number)))


@command
def enroll_ticked(actor, now, class_id: int, rows: list[dict]) -> list[Enrollment]:
    """Ticked CPAs of the firm (seed 003), each with its required 手机 filled: all enrolled
    or none, the reason naming the row."""
    if not acting_firm_id(actor):
        raise ForbiddenError("勾选报名由事务所管理员为本所注册会计师办理")
    item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    if not rows:
        raise ValidationError("请勾选需要报名的注册会计师", "person")
    applicants, labels = [], []
    for number, row in enumerate(rows, start=1):
        try:
            person = get_scoped(db.session, Person, row.get("person_id"), actor,
                                "所选人员不存在")
        except Exception as error:  # NotFoundError: not one of the firm's people
            raise ValidationError(f"第{number}个勾选的人员不是本所人员", "person") from error
        label = f"{person.name}（{person.cert_number or '无证书编号'}）"
        data = {"person_kind": PersonKind.CPA, "cert_number": person.cert_number,
                "phone": row.get("phone") or person.phone,
                "position": row.get("position") or person.position,
                "unit_name": person.firm.name if person.firm else None}
        try:
            applicants.append(check_applicant(actor, item, data))
        except ValidationError as error:
            raise ValidationError(f"{label}：{error.message}，未报名任何人", error.field) from None
        labels.append(label)
    return _admit(actor, now, item, applicants, "勾选", labels)


@command
def delete_enrollment(actor, now, enrollment_id: int) -> int:
    """删除: the firm (or the member, its own) until the class starts; staff until a result
    is recorded. A freed seat goes to the waiting list."""
    row = get_scoped(db.session, Enrollment, enrollment_id, actor, "报名记录不存在")
    require_acting(actor, row, "只能删除本单位或本人的报名")
    item = row.training_class
    if not is_institute(actor) and class_started(item, now):
        raise ValidationError("培训班已开始，不能删除报名", "enrollment")
    if row.result != TrainingResult.NOT_YET:
        raise ValidationError("已记录培训结果，不能删除报名", "enrollment")
    class_id = row.class_id
    seats.lock_class(class_id)
    db.session.delete(row)
    db.session.flush()
    seats.SEAT_FREED.send(item, actor, now)
    return class_id


def class_list(actor, class_id: int, **filters) -> list[Enrollment]:
    """Every row of `class_list_select` (the pages show it a page at a time)."""
    return list(db.session.scalars(class_list_select(actor, class_id, **filters)))


def class_list_select(actor, class_id: int, *, cert: str | None = None, name: str | None = None,
                      position: str | None = None, phone: str | None = None,
                      status: str | None = None):
    """The class's enrollment list, ordered: 本单位已报名人员 (seed 000 §5.1) of a firm, a
    member's own; for staff, everyone of the class (`status` one of the 报名状态 filters it)."""
    get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    query = enrollments_select(actor, class_id=class_id, cert=cert, name=name,
                               position=position, phone=phone, status=status)
    return query.order_by(Enrollment.id).options(selectinload(Enrollment.training_class))


def enrollments_select(actor, *, class_id: int | None = None, cert: str | None = None,
                       name: str | None = None, position: str | None = None,
                       phone: str | None = None, status: str | None = None,
                       firm_id: int | None = None):
    """Enrollments as the actor reads them, filtered: the one query of a class's list and
    of the review centre (every class's 未审核, app/workflows/training/review.py)."""
    query = scoped_select(Enrollment, actor)
    if class_id:
        query = query.where(Enrollment.class_id == class_id)
    for column, value in ((Enrollment.cert_number, cert), (Enrollment.name, name),
                          (Enrollment.position, position), (Enrollment.phone, phone)):
        if value:
            query = query.where(column.contains(value, autoescape=True))
    if status in EnrollmentStatus.ALL:
        query = query.where(Enrollment.status == status)
    if firm_id:
        query = query.where(Enrollment.firm_id == firm_id)
    return query


def enrolled_ids(actor, class_id: int) -> set[int]:
    """Ids of persons already enrolled (to grey them out in the ticking list)."""
    return set(db.session.scalars(select(Enrollment.person_id).where(
        Enrollment.class_id == class_id, Enrollment.person_id.is_not(None))))


def age_of(person: Person, today: dt.date) -> int | None:
    if person.birth_date is None:
        return None
    b = person.birth_date
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))
