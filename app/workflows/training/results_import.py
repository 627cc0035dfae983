"""培训结果导入: staff upload a class's results sheet (headers exactly 证书编号, 姓名, 联系电话,
培训结果) through the generic import batch — preview with row errors, then 正式导入, each
row recorded by review.set_result (合格 credits the class's hours through the ledger).
A row is matched to the class's approved enrollment by 证书编号, else by 姓名 and 联系电话."""
from sqlalchemy import select

from app.extensions import db
from app.models import Enrollment, TrainingClass, TrainingResult
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.importing import Column, Problem
from app.workflows.core.importing.kinds import ImportKind, Param, Plan
from app.workflows.core.scoping import is_institute
from app.workflows.training.classes import class_started
from app.workflows.training.review import set_result
from app.workflows.training.states import MACHINE

NOT_FOUND = "未找到该培训班的报名记录"
NOT_APPROVED = "报名未审核通过"
SAME = "结果未变"


def _class_choices(actor):
    return [(str(c.id), f"{c.start_date.isoformat()} {c.name}") for c in db.session.scalars(
        select(TrainingClass).order_by(TrainingClass.start_date.desc()).limit(200))]


class TrainingResults(ImportKind):
    name = "training_results"
    cli_name = "training-results"
    title = "培训结果"
    sheet_title = "培训结果"
    unit = "人"
    total_label = "待导入总人数"
    columns = (
        Column("证书编号", "cert_number", kind="digits", max_length=20),
        Column("姓名", "name", required=True, max_length=64),
        Column("联系电话", "phone", kind="mobile"),
        Column("培训结果", "result", required=True, kind="choice",
               choices=(TrainingResult.PASSED, TrainingResult.FAILED)),
    )
    example = ("110100010001", "张三", "13800000000", "合格")
    rules = (
        "每行一人：注册会计师填写证书编号；其他人员填写姓名和报名时的联系电话",
        "培训结果为“合格”或“不合格”；合格的注册会计师按培训班的学时计入继续教育学时（面授）",
        "只能为审核通过的报名记录结果；培训班开始后方可导入",
    )
    params = (Param("class", "培训班", choices=_class_choices, institute_only=True,
                    help="选择要导入培训结果的培训班"),)
    done_endpoint = "TrainingAdminView.list"

    def authorize(self, actor) -> None:
        if not is_institute(actor):
            raise ForbiddenError("只有协会工作人员可以导入培训结果")

    def context(self, actor, params: dict) -> dict:
        self.authorize(actor)
        try:
            class_id = int(str(params.get("class") or "").strip())
        except ValueError:
            raise ValidationError("请选择培训班", "class") from None
        item = db.session.get(TrainingClass, class_id) if -2**31 < class_id < 2**31 else None
        if item is None:
            raise ValidationError("培训班不存在", "class")
        return {"class_id": item.id, "class_name": item.name}

    def check_row(self, row) -> None:
        v = row.values
        if not v.get("cert_number") and not v.get("phone"):
            row.problems.append(Problem(row.number, "联系电话", "未填写证书编号时须填写联系电话"))

    def plan(self, ctx, parsed, actor, now) -> Plan:
        item = db.session.get(TrainingClass, ctx["class_id"])
        notes = []
        if not class_started(item, now):
            notes.append("培训班尚未开始，不能导入培训结果")
        enrolled = db.session.scalars(select(Enrollment).where(
            Enrollment.class_id == item.id)).all()
        by_cert = {e.cert_number: e for e in enrolled if e.cert_number}
        by_phone = {(e.name, e.phone): e for e in enrolled}
        counts = {TrainingResult.PASSED: 0, TrainingResult.FAILED: 0, SAME: 0}
        planned, seen, listing = [], {}, []
        for row in parsed.valid_rows:
            v = row.values
            found = by_cert.get(v.get("cert_number")) if v.get("cert_number") else \
                by_phone.get((v["name"], v.get("phone")))
            if found is None:
                row.problems.append(Problem(row.number, "证书编号" if v.get("cert_number")
                                            else "联系电话", NOT_FOUND))
                continue
            if v.get("cert_number") and found.name != v["name"]:
                row.problems.append(Problem(row.number, "姓名",
                                            f"姓名与证书编号不符（报名姓名：{found.name}）"))
                continue
            if not MACHINE.permits(found, "record_result", actor, now):
                row.problems.append(Problem(row.number, "培训结果",
                                            f"{NOT_APPROVED}（{MACHINE.label_of(MACHINE.state(found))}）"))
                continue
            if found.id in seen:
                row.problems.append(Problem(row.number, "姓名", f"与第{seen[found.id]}行是同一人"))
                continue
            seen[found.id] = row.number
            key = SAME if found.result == v["result"] else v["result"]
            counts[key] += 1
            listing.append({"category": key, "row": row.number, "name": found.name,
                            "detail": found.cert_number or found.phone})
            planned.append([found.id, v["result"]])
        if notes:
            for row in parsed.valid_rows[:1]:
                row.problems.append(Problem(row.number, "培训结果", notes[0]))
        return Plan(data={"rows": planned}, counts=counts, notes=notes, listing=listing,
                    totals={"recorded": len(planned)})

    def apply(self, ctx, data, actor, now, options) -> dict:
        for enrollment_id, result in data["rows"]:
            set_result(actor, now, enrollment_id, result)
        return {"imported": len(data["rows"])}

    def done_message(self, result) -> str:
        return f"正式导入完成：记录培训结果{result.get('imported', 0)}人（合格者已计入学时）"


IMPORTER = TrainingResults()  # an import kind: DOMAIN.import_kinds lists it
