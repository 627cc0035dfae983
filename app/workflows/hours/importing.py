"""历史学时导入: staff import hours from a workbook (headers exactly 证书编号, 用户名, 课程名称,
分类, 学时类型, 已获学时, 获得时间) through the generic import batch: preview with row errors,
then 正式导入, every row credited through the ledger. The year of each record is that of
获得时间. Each row's source is derived from what it records (person, 获得时间, 课程, 分类,
学时类型), so importing the same file twice credits nothing twice (重复导入)."""
import datetime as dt
import hashlib

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Category, Delivery, HourRecord, Person, SourceKind
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.importing import Column, Problem
from app.workflows.core.importing.kinds import ImportKind, Plan
from app.workflows.core.scoping import is_institute
from app.workflows.hours import ledger

UNKNOWN = "证书编号或用户名不存在"
MISMATCH = "证书编号与用户名不是同一人"
DUPLICATE = "重复导入"
RULES = (
    "证书编号、用户名至少填写一项，用于确定人员；两项都填时须为同一人",
    f"分类为{'、'.join(Category.ALL)}之一；学时类型为{'、'.join(Delivery.ALL)}之一",
    "已获学时为数字，最多一位小数；获得时间为日期或日期时间（如 2025-05-01 或 "
    "2025-08-05 12:22:52，北京时间），学时计入获得时间所在年度；获得时间不能晚于导入时",
    "同一人、同一获得时间、同一课程、分类和学时类型的记录只计一次：重复导入的行不会重复计学时",
)


def _when_key(moment: dt.datetime) -> str:
    """获得时间 as the row's source key holds it: a bare day as before times were kept (so a
    file imported then is still recognised as 重复导入), else to the second."""
    return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat()


def _source_id(person_id, row) -> str:
    key = "|".join(str(v) for v in (person_id, _when_key(row["obtained_at"]), row["title"],
                                      row["category"], row["delivery"]))
    return hashlib.sha256(key.encode()).hexdigest()[:40]


class HistoricalHours(ImportKind):
    name = "hours"
    cli_name = "hours"
    title = "历史学时"
    sheet_title = "学时"
    unit = "条"
    total_label = "待导入总条数"
    columns = (
        Column("证书编号", "cert_number", kind="digits", max_length=32),
        Column("用户名", "username", max_length=64),
        Column("课程名称", "title", required=True, max_length=200),
        Column("分类", "category", required=True, kind="choice", choices=Category.ALL),
        Column("学时类型", "delivery", required=True, kind="choice", choices=Delivery.ALL),
        Column("已获学时", "hours", required=True, kind="decimal", places=1, minimum=0.1),
        # seed 000 §4.2: 「获得时间 … 2025-08-05 12:22:52」 — a day, or a day and a time
        Column("获得时间", "obtained_at", required=True, kind="datetime"),
    )
    example = ("110100010001", "", "审计准则专题培训", "专业课", "面授", "8.0", "2025-05-20 14:30:00")
    rules = RULES

    def authorize(self, actor) -> None:
        if not is_institute(actor):
            raise ForbiddenError("只有协会工作人员可以导入历史学时")

    def check_row(self, row) -> None:
        if not row.values.get("cert_number") and not row.values.get("username"):
            row.problems.append(Problem(row.number, "证书编号", "证书编号和用户名至少填写一项"))

    def plan(self, ctx, parsed, actor, now) -> Plan:
        rows = parsed.valid_rows
        certs = {r.values["cert_number"] for r in rows if r.values.get("cert_number")}
        names = {r.values["username"] for r in rows if r.values.get("username")}
        by_cert = dict(db.session.execute(
            select(Person.cert_number, Person.id).where(Person.cert_number.in_(certs))).all()) \
            if certs else {}
        by_name = dict(db.session.execute(
            select(User.username, Account.person_id).join(Account, Account.user_id == User.id)
            .where(User.username.in_(names), Account.person_id.is_not(None))).all()) \
            if names else {}
        counts = {UNKNOWN: 0, MISMATCH: 0, DUPLICATE: 0}
        planned, seen = [], {}
        for row in rows:
            v = row.values
            try:
                ledger.check_not_future(v["obtained_at"], now)
            except ValidationError as error:
                row.problems.append(Problem(row.number, "获得时间", error.message))
                continue
            from_cert = by_cert.get(v.get("cert_number")) if v.get("cert_number") else None
            from_name = by_name.get(v.get("username")) if v.get("username") else None
            if (v.get("cert_number") and from_cert is None) or \
                    (v.get("username") and from_name is None):
                column = "证书编号" if v.get("cert_number") and from_cert is None else "用户名"
                row.problems.append(Problem(row.number, column, UNKNOWN))
                counts[UNKNOWN] += 1
                continue
            if from_cert and from_name and from_cert != from_name:
                row.problems.append(Problem(row.number, "用户名", MISMATCH))
                counts[MISMATCH] += 1
                continue
            person_id = from_cert or from_name
            source_id = _source_id(person_id, v)
            if source_id in seen:
                row.problems.append(Problem(row.number, "课程名称",
                                            f"与第{seen[source_id]}行是同一条学时记录"))
                continue
            seen[source_id] = row.number
            planned.append([person_id, v["title"], v["category"], v["delivery"], str(v["hours"]),
                            _when_key(v["obtained_at"]), source_id])
        existing = set()
        ids = [p[6] for p in planned]
        for start in range(0, len(ids), 500):
            existing |= set(db.session.scalars(select(HourRecord.source_id).where(
                HourRecord.source_kind == SourceKind.IMPORT,
                HourRecord.source_id.in_(ids[start:start + 500]))))
        counts[DUPLICATE] = len(existing)
        return Plan(data={"rows": planned}, counts=counts,
                    totals={"credited": len(planned) - len(existing),
                            "already": len(existing)})

    def apply(self, ctx, data, actor, now, options) -> dict:
        credited = 0
        for person_id, title, category, delivery, hours, obtained, source_id in data["rows"]:
            obtained_at = dt.datetime.fromisoformat(obtained)  # Beijing wall time
            ledger.credit(actor, now, source_kind=SourceKind.IMPORT, source_id=source_id,
                          person_id=person_id, year=obtained_at.year, title=title,
                          category=category, delivery=delivery, hours=hours,
                          obtained_at=obtained_at)
            credited += 1
        return {"imported": credited}

    def done_message(self, result) -> str:
        return f"正式导入完成：导入学时记录{result.get('imported', 0)}条（重复导入的记录不重复计学时）"


IMPORTER = HistoricalHours()  # an import kind: DOMAIN.import_kinds lists it
