"""所需材料: the one requirements table (reg_doc_requirement) that the form, the submit check
and 智能客服 read. `DEFAULTS` is what the migration installs (seed 004 §3); staff edit rows
afterwards. A row's `condition` is empty (always) or clauses joined by ``;``, each
``key=value``, ``key!=value`` or ``key~value`` (the answer, a list, contains the value)."""
from sqlalchemy import select

from app.extensions import db
from app.models import DocRequirement
from app.workflows.core.errors import ValidationError
from app.workflows.registration import types as T

# (case_type, doc_key, label, required, condition, has_template)
DEFAULTS = [
    (T.REGISTER, "application_form", "注册会计师注册申请表", True, "", True),
    (T.REGISTER, "exam_certificate", "全科合格证（或考核通过文件）扫描件", True, "", False),
    (T.REGISTER, "labor_contract", "与现所在会计师事务所签订的在有效期内的劳动合同扫描件", True,
     "retired=否", False),
    (T.REGISTER, "hire_agreement", "与现所在会计师事务所签订的在有效期内的聘用协议扫描件", True,
     "retired=是", False),
    (T.REGISTER, "retirement_proof", "退休证或退休证明扫描件", True, "retired=是", False),
    (T.REGISTER, "id_card", "有效身份证正反面扫描件", True, "", False),
    (T.REGISTER, "social_security", "在会计师事务所累计两年的社保记录", True, "retired=否", False),
    (T.REGISTER, "insurance_record", "注册前一月在本事务所的参保记录或劳动备案统一登记表", True,
     "retired=否", False),
    (T.REGISTER, "archive_proof", "存档证明", True, "retired=否", False),
    (T.CANCEL, "cancel_form", "注册会计师注销注册申请表", True, "", True),
    (T.CANCEL, "certificate", "注册会计师证书扫描件", True, "", False),
    (T.CANCEL, "agent_ids", "委托人及受托人身份证扫描件", True, "", False),
    (T.CANCEL, "other", "其他补充材料", False, "", False),
    # 关系转移 (§3.3): per 关系转移类型. The manual's screen (京内转所 → 转入事务所, 非退休) asks for
    # 转所表, 证书, 年检二维码, 与转入所的劳动合同, 社保权益记录, 存档证明; a retired CPA signs a
    # 聘用协议 instead and has no 社保/存档; 转入协会代管 has no new firm (no contract with one:
    # the proof of leaving the old firm instead); 本市转外省 is finished by the other province.
    (T.TRANSFER, "transfer_form", "转所表", True, "", True),
    (T.TRANSFER, "certificate", "注册会计师证书扫描件", True, "", False),
    (T.TRANSFER, "annual_qr", "年检二维码", True, "", False),
    (T.TRANSFER, "labor_contract", "与转入所签订的在有效期内的劳动合同扫描件", True,
     "transfer_type=京内转所;retired=非退休", False),
    (T.TRANSFER, "labor_contract", "与转入所签订的在有效期内的劳动合同扫描件", True,
     "transfer_type=外省转入本市事务所;retired=非退休", False),
    (T.TRANSFER, "hire_agreement", "与转入所签订的在有效期内的聘用协议扫描件", True,
     "transfer_type=京内转所;retired=退休", False),
    (T.TRANSFER, "hire_agreement", "与转入所签订的在有效期内的聘用协议扫描件", True,
     "transfer_type=外省转入本市事务所;retired=退休", False),
    (T.TRANSFER, "social_rights", "社保权益记录", True,
     "transfer_type=京内转所;retired=非退休", False),
    (T.TRANSFER, "social_rights", "社保权益记录", True,
     "transfer_type=外省转入本市事务所;retired=非退休", False),
    (T.TRANSFER, "archive_proof", "存档证明", True,
     "transfer_type=京内转所;retired=非退休", False),
    (T.TRANSFER, "archive_proof", "存档证明", True,
     "transfer_type=外省转入本市事务所;retired=非退休", False),
    (T.TRANSFER, "leaving_proof", "与转出所解除劳动合同（聘用协议）的证明", True,
     "transfer_type=转入协会代管", False),
    (T.TRANSFER, "leaving_proof", "与转出所解除劳动合同（聘用协议）的证明", True,
     "transfer_type=外省转入本市协会代管", False),
    (T.CHANGE, "exam_certificate", "全科合格证扫描件", True, "", False),
    (T.CHANGE, "certificate", "注册会计师证书扫描件", True, "", False),
    (T.CHANGE, "id_card", "有效身份证正反面扫描件", True, "items~身份证号 (证书信息)", False),
    (T.CHANGE, "id_card", "有效身份证正反面扫描件", True,
     "items~将军官证等证件变更为身份证 (证书信息)", False),
    (T.CHANGE, "name_change_proof", "公安机关出具的姓名变更证明", True, "items~姓名 (证书信息)",
     False),
    (T.OTHER_CHANGE, "matters_form", "注册会计师相关事项申请表", True, "", True),
    (T.OTHER_CHANGE, "id_card", "有效身份证正反面扫描件", True, "", False),
    (T.SUPPLEMENT, "supplement_request", "补录申请（包含本人基本信息及补录原因）", True, "", False),
    (T.SUPPLEMENT, "exam_certificate", "全科合格证扫描件", True, "", False),
    (T.SUPPLEMENT, "id_card", "有效身份证正反面扫描件", True, "", False),
    (T.SUPPLEMENT, "certificate", "注册会计师证书扫描件", False, "", False),
    (T.REISSUE, "reissue_request", "补办申请", True, "", True),
    (T.REISSUE, "loss_notice", "登报挂失声明", True, "", False),
    (T.QUALIFICATION, "check_form", "任职资格检查申请表", True, "", True),
    (T.QUALIFICATION, "certificate", "注册会计师证书扫描件", True, "", False),
    (T.QUALIFICATION, "practice_proof", "近三年执业经历证明", True, "", False),
]


def install_defaults(session=None) -> int:
    """Add the default rows when the table is empty (migration, demo, tests)."""
    session = session or db.session
    if session.scalar(select(DocRequirement.id).limit(1)) is not None:
        return 0
    for sort, (case_type, key, label, required, condition, template) in enumerate(DEFAULTS):
        session.add(DocRequirement(case_type=case_type, doc_key=key, label=label,
                                   required=required, condition=condition,
                                   has_template=template, sort=sort))
    session.flush()
    return len(DEFAULTS)


def _clause_holds(clause: str, answers: dict) -> bool:
    for op in ("!=", "~", "="):
        if op in clause:
            key, value = (part.strip() for part in clause.split(op, 1))
            answer = answers.get(key)
            if op == "~":
                return value in (answer or [])
            text = "" if answer is None else str(answer)
            return text != value if op == "!=" else text == value
    return False  # a clause without an operator never holds (staff typo: shown nowhere)


def applies(condition: str, answers: dict) -> bool:
    clauses = [c.strip() for c in (condition or "").split(";") if c.strip()]
    return all(_clause_holds(clause, answers) for clause in clauses)


def rows_of(case_type: str, session=None) -> list[DocRequirement]:
    session = session or db.session
    return list(session.scalars(select(DocRequirement).where(
        DocRequirement.case_type == case_type).order_by(DocRequirement.sort, DocRequirement.id)))


def documents_for(case_type: str, answers: dict, session=None) -> list[DocRequirement]:
    """The documents a case of this type with these answers asks for (required and optional),
    one per doc_key, in the table's order."""
    found, seen = [], set()
    for row in rows_of(case_type, session):
        if row.doc_key not in seen and applies(row.condition, answers):
            seen.add(row.doc_key)
            found.append(row)
    return found


def missing(case_type: str, answers: dict, present_keys, session=None) -> list[str]:
    """Labels of the required documents not attached yet."""
    present = set(present_keys)
    return [row.label for row in documents_for(case_type, answers, session)
            if row.required and row.doc_key not in present]


def clauses(condition: str) -> list[list[str]]:
    """``[[key, op, value], …]`` of a condition (all must hold); a clause without an operator
    is ``[clause, "?", ""]``, which never holds."""
    found = []
    for clause in (c.strip() for c in (condition or "").split(";")):
        if not clause:
            continue
        for op in ("!=", "~", "="):
            if op in clause:
                key, value = (part.strip() for part in clause.split(op, 1))
                found.append([key, op, value])
                break
        else:
            found.append([clause, "?", ""])
    return found


def as_data(rows, case_type: str) -> list[dict]:
    """The table as the form's script reads it (a data attribute: the page shows and requires
    the rows the answers ask for as they are chosen; the server still judges on 保存)."""
    return [{"key": row.doc_key, "label": row.label, "required": bool(row.required),
             "when": clauses(row.condition),
             "words": condition_words(row.condition, case_type)} for row in rows]


def condition_words(condition: str, case_type: str | None = None) -> str:
    """“人员类型为“非退休”” for ``retired=非退休`` (关系转移): how the form, the settings and
    智能客服 show a condition, in the type's own field labels."""
    return "且".join(_words(c.strip(), case_type) for c in (condition or "").split(";")
                    if c.strip())


def describe(case_type: str, session=None) -> str:
    """What a type asks for, as a sentence (智能客服): conditions in words."""
    parts = []
    for row in rows_of(case_type, session):
        text = row.label + ("" if row.required else "（选填）")
        if row.condition:
            text += f"（{condition_words(row.condition, case_type)}时）"
        parts.append(text)
    return "；".join(parts)


def _words(clause: str, case_type: str | None) -> str:
    if case_type is None:  # a list of every type's rows: any type's label for the field
        labels = {f.key: f.label for fields in reversed(list(T.FIELDS.values())) for f in fields}
    else:
        labels = {f.key: f.label for f in T.FIELDS.get(case_type, ())}
    for op, word in (("!=", "不为"), ("~", "包含"), ("=", "为")):
        if op in clause:
            key, value = (part.strip() for part in clause.split(op, 1))
            return f"{labels.get(key, key)}{word}“{value}”"
    return clause


# ---- 适用条件 as choices (所需材料设置): staff pick a field and a value, stored as the text above

OPERATORS = (("=", "为"), ("!=", "不为"), ("~", "包含"))
CHOICE_KINDS = ("radio", "select", "checks")


def condition_fields(case_type: str | None = None) -> list[dict]:
    """The answers a condition may test, with their values: every field of the type (or of
    all types) that is answered from a list. A key used by several types (``retired``: 是否退休
    / 人员类型) lists each label once and every value once."""
    found: dict[str, dict] = {}
    for type_ in ([case_type] if case_type else T.ALL):
        for field in T.FIELDS.get(type_, ()):
            if field.kind not in CHOICE_KINDS:
                continue
            entry = found.setdefault(field.key, {"key": field.key, "labels": [], "values": [],
                                                 "list": field.kind == "checks", "types": []})
            if field.label not in entry["labels"]:
                entry["labels"].append(field.label)
            entry["values"] += [v for v in field.choices if v not in entry["values"]]
            entry["types"].append(type_)
    for entry in found.values():
        entry["label"] = "／".join(entry["labels"])
    return list(found.values())


def parse_condition(condition: str) -> list[tuple[str, str, str]]:
    """``retired=是;items~姓名 (证书信息)`` → [("retired", "=", "是"), ("items", "~", …)]; a
    clause without an operator comes back with the operator empty."""
    clauses = []
    for clause in (c.strip() for c in (condition or "").split(";")):
        if not clause:
            continue
        for op in ("!=", "~", "="):
            if op in clause:
                key, value = (part.strip() for part in clause.split(op, 1))
                clauses.append((key, op, value))
                break
        else:
            clauses.append((clause, "", ""))
    return clauses


def join_condition(clauses) -> str:
    return ";".join(f"{key}{op}{value}" for key, op, value in clauses)


def check_condition(case_type: str, condition: str) -> None:
    """Refuse a condition the type's form cannot answer, naming the clause in words."""
    fields = {f["key"]: f for f in condition_fields(case_type)}
    for number, (key, op, value) in enumerate(parse_condition(condition), 1):
        where = f"适用条件第{number}条"
        field = fields.get(key)
        if field is None:
            other = {f["key"]: f for f in condition_fields()}.get(key)
            name = f"“{other['label']}”" if other else f"“{key}”"
            raise ValidationError(f"{where}：{case_type}的表单没有{name}这一项", "condition")
        if not op:
            raise ValidationError(f"{where}：请选择“为”“不为”或“包含”", "condition")
        if (op == "~") != field["list"]:
            word = "包含" if field["list"] else "为”或“不为"
            raise ValidationError(f"{where}：“{field['label']}”只能选“{word}”", "condition")
        if value not in field["values"]:
            raise ValidationError(f"{where}：“{field['label']}”没有“{value}”这个选项",
                                  "condition")
