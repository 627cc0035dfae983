"""学员名单上报 (seed 000 §6.2.2) and 批量建班 on the generic import batch.

`inhouse_roster` (CLI `import inhouse-roster --class ID[,ID…] --mode bulk|special FILE`):
- 批量上报 (bulk): one or more classes; the template 是否注师, 证书编号, 姓名, 身份证号, 级别; each
  listed person gets each chosen class's full hours (执业机构内培).
- 特殊上报 (special): exactly one class; the template adds 学时获得方式 and 获得学时 (≤ the
  class's hours).
The preview counts the manual's categories — 待导入总人数, 证书编号不存在, 证书编号与身份证号或姓名
不匹配, 重复导入 — and lists every row error with row and column; 正式导入 writes every entry
(已报名) or none. Uploads only until 15 days after a class ends.

`inhouse_classes` (批量建班): several classes from one sheet, each checked as the form checks
it (the 7-day rule, one category, an approved qualification for its year).
"""
import datetime as dt
import hashlib
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import (Acquisition, Category, EntryStatus, InhouseClass, InhouseRosterEntry,
                        Person, ReviewStatus)
from app.roles import FIRM_ADMIN
from app.workflows.core import bulk
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.importing import Column, Problem
from app.workflows.core.importing.kinds import ImportKind, Param, Plan
from app.workflows.core.scoping import SystemActor, is_institute, role_names
from app.workflows.inhouse import rules
from app.workflows.inhouse.rules import (DUPLICATE, MISMATCH, NO, UNKNOWN_CERT, YES, firm_of,
                                         roster_open)

BULK, SPECIAL = "bulk", "special"
MODES = {BULK: "批量上报", SPECIAL: "特殊上报"}
ONE_CLASS = "特殊上报一次只能选择一个培训班，请只勾选一个培训班"
CHUNK = 500

BASE_COLUMNS = (
    Column("是否注师", "is_cpa", required=True, kind="choice", choices=(YES, NO)),
    Column("证书编号", "cert_number", kind="digits", max_length=20),
    Column("姓名", "name", required=True, max_length=64),
    Column("身份证号", "id_number", kind="id_number"),
    Column("级别", "level", required=True, max_length=32),
)
SPECIAL_COLUMNS = BASE_COLUMNS + (
    Column("学时获得方式", "acquisition", required=True, kind="choice", choices=Acquisition.ALL),
    Column("获得学时", "hours", required=True, kind="decimal", places=1, minimum=0.1),
)
BULK_RULES = (
    "本导入适用于正常获得内训学时的学员信息导入：名单所列学员分别获得所选培训班的全部学时。",
    "是否注师、姓名、级别为必填项。",
    "是否为注师为“是”时，“证书编号”列必填。",
    "是否为注师为“否”时，不能填写“证书编号”且必须填写身份证号。",
    rules.LATE_ROSTER,
)
SPECIAL_RULES = (
    "本导入适用于授课老师学时导入或不完全获取学时的学员信息导入，一次只能选择一个培训班。",
    "是否注师、姓名、级别、学时获得方式、获得学时为必填项。",
    "是否为注师为“是”时，“证书编号”列必填。",
    "是否为注师为“否”时，不能填写“证书编号”且必须填写身份证号。",
    f"学时获得方式：听课获得选“{Acquisition.IN_HOUSE}”，授课老师选“{Acquisition.TEACHING}”，"
    f"视同面授选“{Acquisition.DEEMED}”；获得学时为实际获得的学时，不能超过本培训班的学时。",
    rules.LATE_ROSTER,
)


def check_template_row(row) -> None:
    """The manual's template rules across the row's cells."""
    v = row.values
    if v.get("is_cpa") == YES and not v.get("cert_number"):
        row.problems.append(Problem(row.number, "证书编号", "是否注师为“是”时，证书编号必填"))
    if v.get("is_cpa") == NO:
        if v.get("cert_number"):
            row.problems.append(Problem(row.number, "证书编号",
                                        "是否注师为“否”时，不能填写证书编号"))
        if not v.get("id_number"):
            row.problems.append(Problem(row.number, "身份证号", "是否注师为“否”时，身份证号必填"))


class _Reader:
    """The columns, rules and template of one mode."""

    def __init__(self, mode):
        self.mode = mode
        self.name = self.kind = "inhouse_roster"
        self.title = f"学员名单{MODES[mode]}"
        self.sheet_title = "学员名单"
        self.columns = SPECIAL_COLUMNS if mode == SPECIAL else BASE_COLUMNS
        self.unique_keys = ()
        self.rules = SPECIAL_RULES if mode == SPECIAL else BULK_RULES
        self.example = (NO, "", "梁静茹", "141121199509080013", "注册会计师") + (
            (Acquisition.TEACHING, "3") if mode == SPECIAL else ())
        self.template_args = {"mode": mode}
        # a kept example row would report 梁静茹 to a class: the example lives on its own
        # sheet (issue 23 item 12), the data sheet holds the header only
        self.example_apart = True

    @property
    def headers(self):
        return [c.header for c in self.columns]

    check_row = staticmethod(check_template_row)


READERS = {BULK: _Reader(BULK), SPECIAL: _Reader(SPECIAL)}


def _class_choices(actor):
    try:
        firm = firm_of(actor)
    except ForbiddenError:
        return []
    return [(str(c.id), f"{c.year} {c.name}（{c.hours}学时）") for c in db.session.scalars(
        select(InhouseClass).where(InhouseClass.firm_id == firm.id)
        .order_by(InhouseClass.start_date.desc(), InhouseClass.id.desc()).limit(200))]


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _people_by(column, values, firm_id) -> dict:
    """{value: row with id, name, id_number, cert_number} of the firm's people (plain rows,
    not ORM objects)."""
    found = {}
    for chunk in _chunks(values):
        for row in db.session.execute(select(
                Person.id, Person.name, Person.id_number, Person.cert_number)
                .where(column.in_(chunk), Person.firm_id == firm_id)):
            found[getattr(row, column.key)] = row
    return found


def _existing_keys(class_ids) -> set:
    return set(db.session.execute(select(InhouseRosterEntry.class_id, InhouseRosterEntry.person_key)
                                  .where(InhouseRosterEntry.class_id.in_(class_ids))).all())


class InhouseRoster(ImportKind):
    name = "inhouse_roster"
    cli_name = "inhouse-roster"
    title = "学员名单"
    sheet_title = "学员名单"
    columns = BASE_COLUMNS
    rules = BULK_RULES
    params = (
        Param("class", "培训班", multiple=True, choices=_class_choices,
              help="批量上报可选多个培训班（每人获得每个班的全部学时）；特殊上报只能选一个"),
        Param("mode", "上报方式", choices=lambda actor: list(MODES.items())),
    )
    done_endpoint = "InhouseClassesView.index"

    def reader(self, params):
        mode = params.get("mode") if isinstance(params.get("mode"), str) else None
        return READERS.get(mode or BULK, READERS[BULK])

    def authorize(self, actor) -> None:
        if isinstance(actor, SystemActor):
            return  # the command line (`import inhouse-roster`) reports for the classes' firm
        if is_institute(actor) or FIRM_ADMIN not in role_names(actor):
            raise ForbiddenError("只有事务所管理员可以上报学员名单")

    def context(self, actor, params: dict) -> dict:
        mode = params.get("mode") or BULK
        if mode not in MODES:
            raise ValidationError("上报方式只能为 bulk（批量上报）或 special（特殊上报）", "mode")
        raw = params.get("class") or []
        raw = [raw] if isinstance(raw, str) else raw
        ids = []
        for value in raw:
            try:
                ids.append(int(str(value).strip()))
            except ValueError:
                raise ValidationError(f"培训班编号“{str(value)[:20]}”无效", "class") from None
            if not 0 < ids[-1] < 2 ** 31:
                raise ValidationError("培训班不存在", "class")
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise ValidationError("请选择要上报学员名单的培训班", "class")
        if mode == SPECIAL and len(ids) > 1:
            raise ValidationError(ONE_CLASS, "class")
        # the firm's own classes (else 404); the 15-day window is checked by plan()
        classes = [rules.load_class(actor, class_id) for class_id in ids]
        if isinstance(actor, SystemActor):
            firms = {c.firm_id for c in classes}
            if len(firms) > 1:
                raise ValidationError("一次上报的培训班须属于同一事务所", "class")
            firm_id = firms.pop()
        else:
            firm_id = firm_of(actor).id
        return {"firm_id": firm_id, "classes": ids, "mode": mode}

    def plan(self, ctx, parsed, actor, now) -> Plan:
        classes = [db.session.get(InhouseClass, pk) for pk in ctx["classes"]]
        for item in classes:  # the window, again at the time of the preview itself
            refused = roster_open(item, now)
            if refused:
                raise ValidationError(f"培训班“{item.name}”：{refused}", "class")
        rows = parsed.valid_rows
        firm_id = ctx["firm_id"]
        by_cert = _people_by(Person.cert_number,
                             {r.values["cert_number"] for r in rows if r.values["is_cpa"] == YES},
                             firm_id)
        by_id = _people_by(Person.id_number,
                           {r.values["id_number"] for r in rows
                            if r.values["is_cpa"] == NO and r.values.get("id_number")}, firm_id)
        existing = _existing_keys(ctx["classes"])
        counts = {UNKNOWN_CERT: 0, MISMATCH: 0, DUPLICATE: 0}
        listing, planned, seen = [], [], {}
        for row in rows:
            v = row.values
            is_cpa = v["is_cpa"] == YES
            found = rules.resolve_person(is_cpa, v.get("cert_number"), v["name"],
                                         v.get("id_number"), firm_id, by_cert, by_id)
            column = {"cert_number": "证书编号", "id_number": "身份证号", "name": "姓名"}
            if found.person is None:
                row.problems.append(Problem(row.number, column[found.field], found.problem))
                if found.problem in counts:
                    counts[found.problem] += 1
                listing.append({"category": found.problem, "row": row.number, "name": v["name"],
                                "detail": v.get("cert_number") or v.get("id_number") or ""})
                continue
            person = found.person
            key = f"P{person.id}"
            if key in seen:
                row.problems.append(Problem(row.number, "姓名",
                                            f"{DUPLICATE}：与第{seen[key]}行是同一人"))
                counts[DUPLICATE] += 1
                listing.append({"category": DUPLICATE, "row": row.number, "name": person.name,
                                "detail": f"与第{seen[key]}行重复"})
                continue
            seen[key] = row.number
            already = [c.name for c in classes if (c.id, key) in existing]
            if already:
                row.problems.append(Problem(row.number, "姓名", f"{DUPLICATE}：{person.name}已在"
                                            f"培训班“{'、'.join(already)}”名单中"))
                counts[DUPLICATE] += 1
                listing.append({"category": DUPLICATE, "row": row.number, "name": person.name,
                                "detail": "、".join(already)})
                continue
            if ctx["mode"] == SPECIAL:
                hours = Decimal(str(v["hours"]))
                if hours > Decimal(classes[0].hours):
                    row.problems.append(Problem(
                        row.number, "获得学时",
                        f"获得学时不能超过本培训班的学时（{Decimal(classes[0].hours):.1f}）"))
                    continue
                acquisition, hours = v["acquisition"], str(hours)
            else:  # each chosen class's full hours
                hours, acquisition = None, Acquisition.IN_HOUSE
            planned.append([is_cpa, v.get("cert_number") or None, person.name,
                            person.id_number or v.get("id_number"), v["level"], acquisition,
                            hours, person.id])
        names = "、".join(c.name for c in classes)
        return Plan(data={"people": planned,
                          "classes": [[c.id, str(c.hours)] for c in classes]},
                    counts=counts, listing=listing,
                    notes=[f"培训班：{names}（{MODES[ctx['mode']]}）"],
                    totals={"entries": len(planned) * len(classes)},
                    extra={"classes": [{"id": c.id, "name": c.name} for c in classes],
                           "mode": ctx["mode"]},
                    fingerprint=self.fingerprint(ctx, None))

    def fingerprint(self, ctx, data) -> str:
        """The classes as checked and their rosters' size and newest entry: a change since
        the preview (another upload, an edit of the class) makes 正式导入 refuse."""
        digest = hashlib.sha256()
        for row in db.session.execute(select(
                InhouseClass.id, InhouseClass.hours, InhouseClass.end_date, InhouseClass.status)
                .where(InhouseClass.id.in_(ctx["classes"])).order_by(InhouseClass.id)):
            digest.update(repr((row.id, str(row.hours), row.end_date, row.status)).encode())
        for row in db.session.execute(select(
                InhouseRosterEntry.class_id, func.count(), func.max(InhouseRosterEntry.id))
                .where(InhouseRosterEntry.class_id.in_(ctx["classes"]))
                .group_by(InhouseRosterEntry.class_id).order_by(InhouseRosterEntry.class_id)):
            digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()

    def apply(self, ctx, data, actor, now, options) -> dict:
        for item in db.session.scalars(select(InhouseClass).where(
                InhouseClass.id.in_(ctx["classes"]))):
            refused = roster_open(item, now)
            if refused:
                raise ValidationError(f"培训班“{item.name}”：{refused}", "class")
        actor_id = getattr(actor, "id", None)
        rows = [dict(class_id=class_id, is_cpa=is_cpa, cert_number=cert, name=name,
                     id_number=number, level=level, acquisition=acquisition,
                     hours=Decimal(hours or class_hours), person_id=person_id,
                     person_key=f"P{person_id}", status=EntryStatus.ENROLLED, created_at=now,
                     created_by_id=actor_id, version=1)
                for class_id, class_hours in data["classes"]
                for is_cpa, cert, name, number, level, acquisition, hours, person_id
                in data["people"]]
        bulk.insert_rows(InhouseRosterEntry.__table__, rows)
        return {"imported": len(data["people"]), "entries": len(rows)}

    def done_message(self, result) -> str:
        return f"正式导入完成：成功导入{result.get('imported', 0)}人（名单记录{result.get('entries', 0)}条，状态为已报名，需等待协会审核）"


IMPORTER = InhouseRoster()  # an import kind: DOMAIN.import_kinds lists it


# --- 批量建班 ------------------------------------------------------------------------------------

CATEGORY_CHOICES = ("专业", Category.ETHICS, Category.SIZHENG)


class InhouseClasses(ImportKind):
    name = "inhouse_classes"
    cli_name = "inhouse-classes"
    title = "培训班（批量建班）"
    sheet_title = "培训班"
    unit = "个"
    total_label = "待导入培训班数"
    columns = (
        Column("培训班名称", "name", required=True, max_length=100),
        Column("培训类别", "category", required=True, kind="choice", choices=CATEGORY_CHOICES),
        Column("注师可获学时", "hours", required=True, kind="decimal", places=1, minimum=0.1),
        Column("培训开始时间", "start_date", required=True, kind="date"),
        Column("培训结束时间", "end_date", required=True, kind="date"),
        Column("培训地址", "address", required=True, max_length=200),
        Column("培训负责人", "leader", required=True, max_length=64),
        Column("联系方式", "contact", required=True, max_length=32),
    )
    example = ("审计准则专题培训2027一期", "专业", "16.0", "2027-04-20", "2027-04-21", "公司会议室3021",
               "苗迈", "15019982611")
    rules = (
        rules.LATE_CLASS,
        "职业道德、思政培训班需要单独上报，不与其他班级混合上报：每行一个培训班，培训类别填写专业、职业道德或思政之一。",
        "须已取得培训班所在年度审核通过的内培资格。",
        "同一文件中培训班名称与开始时间不能重复；全部无误才会导入。",
    )
    done_endpoint = "InhouseClassesView.index"

    def authorize(self, actor) -> None:
        if is_institute(actor) or FIRM_ADMIN not in role_names(actor):
            raise ForbiddenError("只有事务所管理员可以批量建班")

    def context(self, actor, params) -> dict:
        return {"firm_id": firm_of(actor).id}

    def plan(self, ctx, parsed, actor, now) -> Plan:
        headers = {c.key: c.header for c in self.columns}
        planned, seen = [], {}
        for row in parsed.valid_rows:
            v = row.values
            data = rules.ClassInput(**{k: v[k] for k in ("name", "category", "hours",
                                                          "start_date", "end_date", "address",
                                                          "leader", "contact")})
            try:
                values = rules.clean_class(data, now)
                if not rules.has_qualification(ctx["firm_id"], values["year"]):
                    raise ValidationError(f"贵所尚无{values['year']}年度审核通过的内培资格，"
                                          f"不能上报该年度的培训班", "start_date")
            except ValidationError as error:
                row.problems.append(Problem(row.number, headers.get(error.field, "培训班名称"),
                                            error.message))
                continue
            key = (values["name"], values["start_date"])
            if key in seen:
                row.problems.append(Problem(row.number, "培训班名称",
                                            f"与第{seen[key]}行是同一培训班"))
                continue
            seen[key] = row.number
            planned.append({**values, "hours": str(values["hours"]),
                            "start_date": values["start_date"].isoformat(),
                            "end_date": values["end_date"].isoformat()})
        return Plan(data={"classes": planned}, counts={}, totals={"classes": len(planned)})

    def apply(self, ctx, data, actor, now, options) -> dict:
        for values in data["classes"]:
            start = dt.date.fromisoformat(values["start_date"])
            if (start - rules.today(now)).days < rules.REPORT_DAYS:
                raise ValidationError(f"培训班“{values['name']}”：{rules.LATE_CLASS}", "start_date")
            item = InhouseClass(
                firm_id=ctx["firm_id"], status=ReviewStatus.PENDING, created_at=now,
                created_by_id=getattr(actor, "id", None),
                **{**values, "hours": Decimal(values["hours"]), "start_date": start,
                   "end_date": dt.date.fromisoformat(values["end_date"])})
            db.session.add(item)
            db.session.flush()
            rules.CLASS.start(item, actor, now, remark="批量建班")
        return {"imported": len(data["classes"])}

    def done_message(self, result) -> str:
        return f"正式导入完成：成功建班{result.get('imported', 0)}个，状态为未审核"


CLASS_IMPORTER = InhouseClasses()  # an import kind: DOMAIN.import_kinds lists it
