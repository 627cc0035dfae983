"""业务办理 and 办理记录 (seed 004 §3–§4): a case is saved as a draft with whatever documents it
has, submitted only when the requirements table's documents are all there, reviewed by
staff (reasons per document), and moves on one machine whose history is the 流程跟踪.

Who files: a firm admin for its firm's CPAs (the case carries the firm), or a CPA managed
by the institute (协会代管, a member whose person has no firm) for itself. Every step sends
the manual's 【进度提醒】 system message to the filer.
"""
import dataclasses
import datetime as dt
import json

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import case as when, or_, select

from app import clock
from app.extensions import db
from app.models import (Account, CaseDocument, CaseStatus, Firm, Person, PersonType,
                        RegistrationCase)
from app.workflows.core import files
from app.workflows.core.acting import acting_firm_id, acts_for
from app.workflows.core.audit import actor_name
from app.workflows.core.commands import command
from app.workflows.core.errors import FieldErrors, NotFoundError, ValidationError
from app.workflows.core.identifiers import (clean_name, validate_cert_number, validate_id_number,
                                            validate_mobile)
from app.workflows.core.queues import Decision, Queue
from app.workflows.core.scoping import get_scoped, is_institute, scoped_select
from app.workflows.core.states import Guard, Machine, P, T, Who, institute
from app.workflows.core.institute import identity
from app.workflows.messages import notify
from app.workflows.registration import requirements
from app.workflows.registration import types as TY
from app.workflows.registration.filers import MANAGED, managed_person, require_filer

S = CaseStatus
VALID_DAYS = 30
OWNER_KIND = "registration_case"
DOCUMENT = files.doc_type("registration_document", "业务办理材料", ("jpg", "png", "pdf"), max_mb=5)


# --- the machine ---------------------------------------------------------------------------

def answers_of(case: RegistrationCase) -> dict:
    try:
        value = json.loads(case.answers or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def deadline(case: RegistrationCase) -> dt.datetime | None:
    """办理期限: 30 days from approval (derived, whatever the daily job did)."""
    if case.approved_at is None:
        return None
    return case.approved_at + dt.timedelta(days=VALID_DAYS)


def missing_documents(case: RegistrationCase) -> list[str]:
    return requirements.missing(case.case_type, answers_of(case),
                                {d.doc_key for d in case.documents})


def missing_fields(case: RegistrationCase) -> list[str]:
    answers = answers_of(case)
    values = {"name": case.name, "id_number": case.id_number, "cert_number": case.cert_number,
              "mobile": case.mobile}
    gaps = []
    for field in TY.fields_of(case.case_type):
        value = values[field.key] if field.key in values else answers.get(field.key)
        if field.required and not value:
            gaps.append(field.label)
    return gaps


def _complete(case, actor, now):
    fields, docs = missing_fields(case), missing_documents(case)
    parts = []
    if fields:
        parts.append("请填写" + "、".join(fields))
    if docs:
        parts.append("请上传" + "、".join(f"【{label}】" for label in docs))
    return "；".join(parts) or None


def _onsite(case, actor, now):
    return None if TY.is_onsite(case.case_type, answers_of(case)) else "该业务无需现场办理"


def _not_onsite(case, actor, now):
    return "该业务须预约到现场办理" if TY.is_onsite(case.case_type, answers_of(case)) else None


def _in_time(case, actor, now):
    end = deadline(case)
    if end is not None and now >= end:
        return f"审核通过已满{VALID_DAYS}天（办理期限至{clock.display(end)}），已过期，请重新提交办理材料"
    return None


def _certificate(case, actor, now):
    return None if TY.makes_certificate(case.case_type) else "该业务不制作证书"


def _no_certificate(case, actor, now):
    return "该业务须制作证书" if TY.makes_certificate(case.case_type) else None


def _expired(case, actor, now):
    return None if deadline(case) is not None and now >= deadline(case) else "尚未到期"


complete = Guard("材料齐全", _complete)
onsite = Guard("须现场办理", _onsite)
not_onsite = Guard("无需现场办理", _not_onsite)
in_time = Guard("30天内", _in_time)
certificate = Guard("制作证书", _certificate)
no_certificate = Guard("不制作证书", _no_certificate)
past_deadline = Guard("已满30天", _expired)
# who acts for a case is the model's `__actors__` (the firm; a 协会代管 CPA for itself), asked
# through the core — named here in the words the refusals use
filer = Who("提交该业务的事务所或注册会计师本人", acts_for)
filer_or_institute = Who("提交该业务的事务所、注册会计师本人或协会工作人员",
                         lambda actor, item: is_institute(actor) or acts_for(actor, item))
system_or_institute = Who("系统或协会工作人员",
                          lambda actor, item: is_institute(actor) or getattr(actor, "id", 0) is None)

MACHINE = Machine("registration_case", RegistrationCase, [
    T("submit", (S.DRAFT, S.REJECTED, S.EXPIRED), S.SUBMITTED, "提交审核", who=filer,
      guards=[complete]),
    T("withdraw", S.SUBMITTED, S.DRAFT, "撤回", who=filer),
    T("approve", S.SUBMITTED, S.APPROVED, "审核通过", who=institute, guards=[complete, onsite]),
    T("approve", S.SUBMITTED, S.DONE, "审核通过", who=institute, guards=[complete, not_onsite]),
    T("reject", S.SUBMITTED, S.REJECTED, "审核不通过", who=institute, remark=True),
    T("book", S.APPROVED, S.BOOKED, "预约", who=filer_or_institute, guards=[in_time]),
    T("unbook", S.BOOKED, S.APPROVED, "取消预约", who=filer_or_institute),
    T("no_show", S.BOOKED, S.APPROVED, "未到场", who=system_or_institute),
    T("handle", S.BOOKED, S.PROCESSED, "现场办理", who=institute, guards=[certificate]),
    T("handle", S.BOOKED, S.DONE, "现场办理", who=institute, guards=[no_certificate]),
    T("make_certificate", S.PROCESSED, S.CERT_READY, "制证完成", who=institute),
    T("collect", S.CERT_READY, S.DONE, "取证", who=institute),
    T("expire", S.APPROVED, S.EXPIRED, "已过期", who=system_or_institute, guards=[past_deadline]),
    # 改约 of its appointment: the state stays, the 流程跟踪 shows the new time
    T("reschedule", S.BOOKED, S.BOOKED, "改约", who=filer_or_institute),
], permits=[
    # 保存 (fields and documents) while the case is the filer's to change
    P("edit", S.EDITABLE, "修改", who=filer),
    P("review", S.SUBMITTED, "审核", who=institute),
    # the 30-day 办理期限 runs: waiting for a booking or for the visit
    P("attend", (S.APPROVED, S.BOOKED), "到现场办理"),
    # waiting for its visit at an appointment (签到 handles it)
    P("visit", S.BOOKED, "现场办理"),
], labels=CaseStatus.LABELS)

# how a page colours a state (no rule: only the label's colour)
TONES = {S.DONE: "success", S.REJECTED: "danger", S.EXPIRED: "danger"}


# --- messages ------------------------------------------------------------------------------

def filer_user(case) -> User | None:
    return db.session.get(User, case.filer_id) if case.filer_id else None


def who_and_what(cases) -> str:
    cases = list(cases)
    first = cases[0]
    names = first.name if len(cases) == 1 else f"{first.name}等{len(cases)}人"
    return f"注册会计师[{names}][{first.case_type}]"


def tell(cases, text: str, now, attachments=()) -> None:
    """One 【进度提醒】 per filer (mail where bound, carrying `attachments`)."""
    cases = list(cases)
    users = {c.filer_id: filer_user(c) for c in cases if c.filer_id}
    body = f"【进度提醒】{text}"
    notify(list(users.values()), body[:200], body, now, attachments=attachments)


def person_users(cases) -> list[User]:
    """The sign-ins of the people the cases are about (a CPA with an account)."""
    ids = {c.person_id for c in cases if c.person_id}
    if not ids:
        return []
    return list(db.session.scalars(select(User).join(Account, Account.user_id == User.id).where(
        Account.person_id.in_(ids), User.active.is_(True))))


def tell_all(cases, text: str, now, attachments=()) -> None:
    """One 【进度提醒】 to each filer and each CPA the cases are about (mail where bound,
    carrying `attachments`)."""
    cases = list(cases)
    users = {c.filer_id: filer_user(c) for c in cases if c.filer_id}
    users.update({u.id: u for u in person_users(cases)})
    body = f"【进度提醒】{text}"
    notify(list(users.values()), body[:200], body, now, attachments=attachments)


# --- reading ---------------------------------------------------------------------------------

def get_case(actor, case_id) -> RegistrationCase:
    return get_scoped(db.session, RegistrationCase, case_id, actor, "业务记录不存在")


def can_read_document(actor, case_id) -> bool:
    try:
        get_case(actor, case_id)
    except NotFoundError:
        return False
    return True


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER_KIND: can_read_document}


def history(case):
    return MACHINE.history(case)


# --- filling in ------------------------------------------------------------------------------

class FormRefused(FieldErrors):
    """保存 refused: every field and document at fault, by key (a field's key, ``doc_<key>``
    for a document), so the form names each next to it (`by_field`)."""

    def __init__(self, errors: dict):
        super().__init__(list(errors.items()))
        self.by_field = dict(errors)


def _read_fields(case_type: str, data: dict) -> tuple[dict, dict, dict]:
    """(columns, answers, errors) from the form; each field checked, each fault named."""
    columns, answers, errors = {}, {}, {}
    for field in TY.fields_of(case_type):
        raw = data.get(field.key)
        if field.kind == "checks":
            values = raw if isinstance(raw, (list, tuple)) else ([raw] if raw else [])
            bad = [v for v in values if v not in field.choices]
            if bad:
                errors[field.key] = f"{field.label}中的“{str(bad[0])[:30]}”不是可选项"
            answers[field.key] = [c for c in field.choices if c in values]
            continue
        value = clean_name(raw if isinstance(raw, str) else ("" if raw is None else str(raw)))
        if not value:
            (columns if field.key in ("name", "id_number", "cert_number", "mobile")
             else answers)[field.key] = None
            continue
        try:
            if field.kind == "id_number":
                value = validate_id_number(value, field.label)
            elif field.kind == "mobile":
                value = validate_mobile(value, field.label)
            elif field.kind == "cert":
                value = validate_cert_number(value, field.label)
            elif field.kind in ("radio", "select") and value not in field.choices:
                raise ValidationError(f"{field.label}请从选项中选择", field.key)
            elif len(value) > (64 if field.key == "name" else 100):
                raise ValidationError(f"{field.label}过长", field.key)
        except ValidationError as error:
            errors[field.key] = error.message
            continue
        if field.key in ("name", "id_number", "cert_number", "mobile"):
            columns[field.key] = value
        else:
            answers[field.key] = value
    if not columns.get("name") and "name" not in errors:
        errors["name"] = "请填写姓名"
    return columns, answers, errors


def _clean_fields(case_type: str, data: dict, refused: dict | None = None) -> tuple[dict, dict]:
    """(columns, answers), or FormRefused naming every field (and refused file) at fault."""
    columns, answers, errors = _read_fields(case_type, data)
    errors.update(refused or {})
    if errors:
        raise FormRefused(errors)
    return columns, answers


def field_errors(case_type: str, data: dict) -> dict:
    """What is wrong with the typed fields, by field key (nothing is saved)."""
    return _read_fields(case_type, data)[2]


@dataclasses.dataclass
class Held:
    """The files of one try at 保存: accepted ones kept for the form (doc_key -> StoredFile),
    refused ones named (``doc_<key>`` -> message), and the form's token."""
    token: str
    files: dict
    errors: dict


def _upload_error(label: str, message: str) -> str:
    return f"【{label}】{message}（支持 .jpg,.png,.pdf 格式，大小不超过 5MB）"


@command
def hold_uploads(actor, now: dt.datetime, case_type: str, token: str | None, uploads: dict,
                 kept: dict | None = None) -> Held:
    """Step one of 保存 from the form: each chosen file is checked and kept for this form
    (committed on its own, so a refusal of the form loses none), each refused one named by
    its row; the files an earlier refused try kept (``kept``: doc_key -> file id) come back."""
    require_filer(actor)
    token = files.hold_token(token)
    labels = {}
    for row in requirements.rows_of(case_type):
        labels.setdefault(row.doc_key, row.label)
    result = Held(token, {}, {})
    found = files.held(actor, token, (kept or {}).values())
    for key, file_id in (kept or {}).items():
        row = found.get(int(file_id)) if str(file_id).isdigit() else None
        if row is not None and key in labels:
            result.files[key] = row
    for key, upload in (uploads or {}).items():
        if upload is None:
            continue
        if key not in labels:
            result.errors[f"doc_{key}"[:40]] = "该业务不需要上传这项材料，请按页面列出的材料上传"
            continue
        try:
            result.files[key] = files.hold(actor, now, DOCUMENT, upload, token)
        except ValidationError as error:
            result.files.pop(key, None)
            result.errors[f"doc_{key}"] = _upload_error(labels[key], error.message)
    return result


def _person_for(actor, kind: str, person_id) -> Person | None:
    if kind == MANAGED:
        return managed_person(actor)
    if person_id in (None, ""):
        return None
    return get_scoped(db.session, Person, person_id, actor, "人员不存在")


@command
def save_case(actor, now: dt.datetime, case_id=None, *, case_type: str | None = None,
              data: dict | None = None, pledged_at: dt.datetime | None = None, person_id=None,
              uploads: dict | None = None, remove=(), held: dict | None = None,
              refused: dict | None = None) -> RegistrationCase:
    """保存: create or update a draft (未提交 / 审核不通过 / 已过期) with its fields and files;
    missing documents are allowed until 提交审核. ``held`` (doc_key -> StoredFile) are files
    `hold_uploads` kept; ``refused`` its refusals, named with the fields' in one FormRefused."""
    kind = require_filer(actor)
    data = dict(data or {})
    if case_id is None:
        if case_type not in TY.ALL:
            raise ValidationError("请选择业务类型", "case_type")
        if pledged_at is None:
            raise ValidationError("请先阅读并同意承诺书", "pledge")
        person = _person_for(actor, kind, person_id)
        case = RegistrationCase(
            case_type=case_type, status=S.DRAFT, pledged_at=pledged_at, created_at=now,
            firm_id=acting_firm_id(actor),
            person_id=person.id if person is not None else None, filer_id=actor.id,
            filer_name=actor_name(actor)[:128])
        if kind == MANAGED:  # its own case: the person's own data, not typed
            data.update(name=person.name, id_number=person.id_number or data.get("id_number"),
                        cert_number=person.cert_number or data.get("cert_number"))
        db.session.add(case)
    else:
        case = get_case(actor, case_id)
        MACHINE.require(case, "edit", actor, now)
    columns, answers = _clean_fields(case.case_type, data, refused)
    for key, value in columns.items():
        setattr(case, key, value)
    person = db.session.get(Person, case.person_id) if case.person_id else None
    if person is not None:  # what the type's form does not ask is known from the person
        case.cert_number = case.cert_number or person.cert_number
        case.id_number = case.id_number or person.id_number
    case.answers = json.dumps(answers, ensure_ascii=False)
    if case.id is None:
        db.session.flush()
        MACHINE.start(case, actor, now)
    _remove_documents(case, remove)
    _attach(actor, now, case, uploads or {}, held or {})
    return case


def _remove_documents(case, document_ids) -> None:
    wanted = {str(d) for d in document_ids or ()}
    for document in list(case.documents):
        if str(document.id) in wanted:
            case.documents.remove(document)


def _not_applicable(case, key) -> ValidationError:
    """A document the case's answers do not ask for, named by its label (never its key)."""
    rows = [row for row in requirements.rows_of(case.case_type) if row.doc_key == key]
    if not rows:
        return ValidationError("该业务不需要上传这项材料，请按页面列出的材料上传", f"doc_{key}"[:40])
    when = "或".join(requirements.condition_words(row.condition, case.case_type)
                    for row in rows if row.condition)
    return ValidationError(f"【{rows[0].label}】按所填写的情况不需要上传" +
                           (f"（{when}时才需要）" if when else "") + "，请删除该文件或修改所填写的信息",
                           f"doc_{key}")


def _attach(actor, now, case, uploads: dict, held: dict) -> None:
    """Each upload (or held file) replaces the document of its key; keys the answers do not
    ask for are refused by the row's name."""
    if not uploads and not held:
        return
    allowed = {row.doc_key: row for row in requirements.documents_for(
        case.case_type, answers_of(case))}
    chosen = [(key, upload, None) for key, upload in uploads.items() if upload is not None]
    chosen += [(key, None, stored) for key, stored in held.items() if stored is not None]
    errors = {}
    for key, upload, stored in chosen:
        row = allowed.get(key)
        if row is None:
            error = _not_applicable(case, key)
            errors[error.field] = error.message
            continue
        if stored is not None:
            stored = files.claim(stored, OWNER_KIND, case.id)
        else:
            try:
                stored = files.store(actor, now, DOCUMENT, upload, OWNER_KIND, case.id)
            except ValidationError as error:
                errors[f"doc_{key}"] = _upload_error(row.label, error.message)
                continue
        # a replaced document keeps its place in the list (the row is kept, its file and
        # time renewed, staff's earlier reason cleared): users saw it jump to the bottom
        same = [d for d in case.documents if d.doc_key == key]
        for extra in same[1:]:
            case.documents.remove(extra)
        if same:
            same[0].file, same[0].label, same[0].uploaded_at = stored, row.label, now
            same[0].reject_reason = None
        else:
            case.documents.append(CaseDocument(doc_key=key, label=row.label, file=stored,
                                               uploaded_at=now))
    if errors:
        raise FormRefused(errors)


# --- the steps -------------------------------------------------------------------------------

@command
def submit(actor, now, case_id, remark=None) -> RegistrationCase:
    case = get_case(actor, case_id)
    MACHINE.fire(case, "submit", actor, now, remark=remark)
    case.submitted_at = now
    for document in case.documents:
        document.reject_reason = None
    tell([case], f"您提交的{who_and_what([case])}业务申请已提交，请等待{identity().abbreviation}审核。", now)
    return case


@command
def withdraw(actor, now, case_id, remark=None) -> RegistrationCase:
    case = get_case(actor, case_id)
    MACHINE.fire(case, "withdraw", actor, now, remark=remark or "用户主动撤回")
    tell([case], f"您提交的{who_and_what([case])}业务申请已撤回，修改后可重新提交审核。", now)
    return case


@command
def approve(actor, now, case_id, remark=None) -> RegistrationCase:
    case = get_case(actor, case_id)
    transition = MACHINE.fire(case, "approve", actor, now, remark=remark)
    case.decided_at = now
    if transition.target == S.APPROVED:
        case.approved_at = now
        tell([case], f"您提交的{who_and_what([case])}业务申请材料已审核通过，请在{VALID_DAYS}天内"
                     f"通过本系统电子预约后到现场办理（办理期限至{clock.display(deadline(case))}），"
                     f"逾期须重新提交办理材料。", now)
    else:
        tell([case], f"您提交的{who_and_what([case])}业务已办理完成。", now)
    return case


@command
def reject(actor, now, case_id, remark=None, reasons: dict | None = None) -> RegistrationCase:
    """审核不通过: reasons per document ({document id: reason}) and/or a general remark; the
    流程跟踪 shows 「【存档证明】没有单位的盖章；…」."""
    case = get_case(actor, case_id)
    by_id = {str(d.id): d for d in case.documents}
    parts = []
    for key, reason in (reasons or {}).items():
        reason = clean_name(reason)[:200]
        if not reason:
            continue
        document = by_id.get(str(key))
        if document is None:
            raise ValidationError("不通过原因对应的材料不属于该业务", "reasons")
        document.reject_reason = reason
        parts.append(f"【{document.label}】{reason}")
    general = clean_name(remark)
    if general:
        parts.append(general)
    text = "；".join(parts)
    if len(text) > 1000:
        raise ValidationError("不通过原因过长（最多1000个字符）", "remark")
    MACHINE.fire(case, "reject", actor, now, remark=text or None)
    case.decided_at = now
    tell([case], f"您提交的{who_and_what([case])}业务申请材料审核未通过，原因：{text}。"
                 f"请修改后重新提交。", now)
    return case


@command
def handle(actor, now, case_id, remark=None) -> RegistrationCase:
    case = get_case(actor, case_id)
    transition = MACHINE.fire(case, "handle", actor, now, remark=remark)
    # (its appointment closes with the last of its cases: booking subscribes to "handle")
    if transition.target == S.DONE:
        tell([case], f"您提交的{who_and_what([case])}业务已办理完成。", now)
    else:
        tell([case], f"您提交的{who_and_what([case])}业务已现场办理，证书制作中。", now)
    return case


@command
def make_certificate(actor, now, case_id, remark=None) -> RegistrationCase:
    case = get_case(actor, case_id)
    MACHINE.fire(case, "make_certificate", actor, now, remark=remark)
    where = identity()
    tell([case], f"请事务所或注师本人到{where.service_desk}（{where.address}）领取"
                 f"{who_and_what([case])}业务的注册会计师证书。", now)
    return case


@command
def collect(actor, now, case_id, remark=None) -> RegistrationCase:
    case = get_case(actor, case_id)
    MACHINE.fire(case, "collect", actor, now, remark=remark)
    tell([case], f"您提交的{who_and_what([case])}业务已办理完成。", now)
    return case


COMMANDS = {"submit": submit, "withdraw": withdraw, "approve": approve, "reject": reject,
            "handle": handle, "make_certificate": make_certificate, "collect": collect}


def waiting_days(case, actor, now) -> int | None:
    """待审核天数 of a case waiting for the actor's (staff's) review."""
    if case.submitted_at is None or not MACHINE.permits(case, "review", actor, now):
        return None
    return (clock.local_today(now) - clock.local_today(case.submitted_at)).days


def cases_select(actor):
    return scoped_select(RegistrationCase, actor)


# 未提交 is the filer's own work, not yet sent: staff neither list nor filter by it
UNSENT = (S.DRAFT,)


def record_statuses(actor) -> dict[str, str]:
    """The 状态 choices of 办理记录 for the actor (code → words)."""
    return {s: S.LABELS[s] for s in S.ALL if not (is_institute(actor) and s in UNSENT)}


def waiting_condition():
    """A case waiting for the institute's review (办理记录's first rows for staff)."""
    return RegistrationCase.status.in_(MACHINE.states_for("review"))


def review_select(actor, now=None, firm_id=None):
    """办理记录's cases waiting for review, as the actor reads them: the review centre's
    queue (the same rows 办理记录 lists first for staff)."""
    query = cases_select(actor).where(waiting_condition())
    if firm_id:
        query = query.where(RegistrationCase.firm_id == firm_id)
    return query


def records_select(actor):
    """办理记录 as the actor reads it. Staff: their review queue — no drafts (未提交 is the
    filer's own work, not yet sent), cases waiting for review first, the longest waiting
    at the top, then the rest newest first. Filers: their cases, newest first."""
    statement = cases_select(actor)
    if not is_institute(actor):
        return statement, (RegistrationCase.id.desc(),)
    waiting = waiting_condition()
    return statement.where(RegistrationCase.status.not_in(UNSENT)), (
        when((waiting, 0), else_=1), when((waiting, RegistrationCase.submitted_at), else_=None),
        RegistrationCase.id.desc())


def person_choices(actor, query: str = "", limit: int = 50) -> list[Person]:
    """选择办理人员: the firm's CPAs, searched by 姓名, 注册会计师证号 or 身份证号."""
    statement = scoped_select(Person, actor).where(Person.person_type == PersonType.CPA)
    query = (query or "").strip()[:50]
    if query:
        statement = statement.where(or_(Person.name.contains(query, autoescape=True),
                                        Person.cert_number == query, Person.id_number == query))
    return list(db.session.scalars(statement.order_by(Person.name, Person.id).limit(limit)))


def firm_suggestions(text: str, limit: int = 10) -> list[str]:
    """转出/转入事务所 suggestions: firm names containing the typed words (names are public)."""
    text = (text or "").strip()[:40]
    if not text:
        return []
    return list(db.session.scalars(select(Firm.name).where(
        Firm.name.contains(text, autoescape=True)).order_by(Firm.name).limit(limit)))


QUEUES = (Queue(
    name="registration_case", label="注册业务申请", group="注册业务", model=RegistrationCase,
    select=review_select, since=RegistrationCase.submitted_at,
    title=lambda row: f"{row.name}（{row.case_type}）",
    firm=lambda row: row.firm, link=lambda row: f"/registration/case/{row.id}", loads=("firm",),
    decisions=(Decision("approve", "审核通过", approve),
               Decision("reject", "审核不通过", reject, remark=True)),
    due_days=5, order=40),)
