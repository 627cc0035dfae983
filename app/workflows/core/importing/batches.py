"""The import batch every import kind shares: upload → preview → 正式导入 (or 返回).

A batch is one uploaded file and its preview, persisted under a random token, tied to the
file's hash and to a fingerprint of the data it was checked against, valid for the kind's
ttl (30 minutes), committed at most once. Its status moves on the core state machine:

    解析中 --parsed--> 待确认 --commit--> 已导入
       |                  \\--expire--> 已失效
       \\--refused / abandon--> 文件有误

Files above BACKGROUND_BYTES are stored in the file store and previewed off the request by
a worker thread that keeps a heartbeat; the job `sweep_import_batches` re-runs a batch
whose worker died (its heartbeat went stale) and gives up after MAX_ATTEMPTS with a
Chinese message, so no batch stays 解析中 and no user ever sees a raw exception.
"""
import datetime as dt
import hashlib
import json
import logging
import secrets
import socket
import threading

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from app import clock as wall_clock
from app.extensions import db
from app.models import ImportBatch, ImportStatus, StoredFile
from app.workflows.core import files
from app.workflows.core.commands import command
from app.workflows.core.errors import DomainError, NotFoundError, ValidationError
from app.workflows.core.importing.kinds import ImportKind, kind_named
from app.workflows.core.importing.reading import FileProblem, MAX_BYTES, estimate_rows, parse
from app.workflows.core.jobs import job
from app.workflows.core.scoping import SystemActor, scope_condition
from app.workflows.core.states import Guard, Machine, P, T, system

log = logging.getLogger(__name__)

BACKGROUND_BYTES = 256 * 1024
STALE_AFTER = dt.timedelta(minutes=2)  # a worker this quiet has died
MAX_ATTEMPTS = 3
MAX_STORED_PROBLEMS = 1000
OWNER_BATCH = "import_batch"
BROKEN = "处理文件时出错，本次未导入任何数据；请重新上传，如仍有问题请联系协会"
ABANDONED = "文件处理中断（服务重启或处理超时），本次未导入任何数据，请重新上传"

UPLOAD = files.doc_type("import_upload", "导入文件", ("xlsx", "csv"), max_mb=MAX_BYTES // 2**20)


def _batch_readable(actor, batch_id) -> bool:
    return db.session.scalars(
        select(ImportBatch.id).where(ImportBatch.id == batch_id,
                                     scope_condition(ImportBatch, actor))).first() is not None


# the core's declaration (app/views/core) lists it; create_app registers it
FILE_OWNERS = {OWNER_BATCH: _batch_readable}

S = ImportStatus
not_expired = Guard("not_expired", lambda batch, actor, now: None if now <= batch.expires_at
                    else "预览已超过有效期")
expired = Guard("expired", lambda batch, actor, now: None if now > batch.expires_at
                else "预览尚在有效期内")
# what 正式导入 answers in each state it cannot be taken from (users and tests read these)
NOT_COMMITTABLE = {
    S.COMMITTED: "该预览已正式导入，不能重复提交",
    S.PARSING: "文件还在检查中，请稍候",
    **{state: f"该预览不能导入（{S.LABELS[state]}），请修正文件后重新上传"
       for state in (S.FAILED, S.EXPIRED)},
}
# Every change of a batch's status is fired here, with its 流程跟踪 row in status_history
# (the generic table: entity "import_batch"), so a batch's history needs no schema of its own.
MACHINE = Machine("import_batch", ImportBatch, [
    T("parsed", S.PARSING, S.PREVIEWED, "完成检查"),
    T("refused", S.PARSING, S.FAILED, "发现错误"),
    T("commit", S.PREVIEWED, S.COMMITTED, "正式导入", guards=[not_expired],
      refused=NOT_COMMITTABLE),
    T("expire", S.PREVIEWED, S.EXPIRED, "失效", guards=[expired]),
    T("abandon", S.PARSING, S.FAILED, "中断", who=system),
], permits=[
    # the file is still being checked (by this request or a worker): the page shows the
    # progress, /status answers "not done", a worker may take it up
    P("check", S.PARSING, "检查文件"),
], labels=S.LABELS)
CHECKING = sorted(MACHINE.states_for("check"))  # for the SQL of workers and the sweeper


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def summary_of(batch: ImportBatch) -> dict:
    """The preview JSON of DESIGN §6 (plus the kind's own totals)."""
    base = {"token": batch.token, "kind": batch.kind, "status": MACHINE.label_of(batch.status)}
    if batch.summary:
        return {**json.loads(batch.summary), **base}
    if MACHINE.state_allows(batch, "check"):  # still being checked
        return {**base, "total": 0, "valid": 0, "errors": [], "counts": {},
                "progress": batch.progress}
    message = batch.message or BROKEN
    return {**base, "total": 0, "valid": 0, "counts": {}, "committable": False,
            "errors": [{"row": None, "column": None, "message": message}]}


def params_of(batch: ImportBatch) -> dict:
    return json.loads(batch.params) if batch.params else {}


# --- preview ---------------------------------------------------------------------------------

def _new_batch(kind: ImportKind, actor, now, filename, params: dict, ctx: dict) -> ImportBatch:
    batch = ImportBatch(token=secrets.token_urlsafe(24), kind=kind.name,
                        firm_id=ctx.get("firm_id"), actor_id=getattr(actor, "id", None),
                        filename=(filename or "")[:255], status=ImportStatus.PARSING,
                        params=_dump(params), created_at=now, expires_at=now + kind.ttl)
    db.session.add(batch)
    db.session.flush()
    MACHINE.start(batch, actor, now, remark=f"上传{batch.filename}")
    return batch


def _check(kind: ImportKind, batch: ImportBatch, ctx: dict, filename: str, data: bytes, actor,
           now, progress=None) -> None:
    """Parse and plan; record the preview on the batch (nothing else changes)."""
    try:
        parsed = parse(kind.reader(params_of(batch)), filename, data, progress=progress)
    except FileProblem as problem:
        batch.message = problem.message
        batch.error_count = 1
        batch.summary = _dump({"token": batch.token, "total": 0, "valid": 0, "counts": {},
                               "committable": False, "error_count": 1, "errors": [
                                   {"row": None, "column": None, "message": problem.message}]})
        MACHINE.fire(batch, "refused", actor, now, remark=problem.message[:200])
        return
    plan = kind.plan(ctx, parsed, actor, now)
    problems = parsed.problems
    valid = len(parsed.valid_rows)
    summary = {
        "token": batch.token,
        "total": len(parsed.rows),
        "valid": valid,
        # the first problems (the error report holds every row): a bounded summary
        "errors": [p.as_dict() for p in problems[:MAX_STORED_PROBLEMS]],
        "error_count": len(problems),
        "counts": {kind.total_label: len(parsed.rows), **plan.counts,
                   kind.error_label: len(parsed.rows) - valid},
        **plan.totals,
        **plan.extra,
        "notes": plan.notes,
        "listing": plan.listing,
        "needs_confirmation": plan.confirmation is not None,
        "confirmation": plan.confirmation,
        "confirmation_category": plan.confirmation_category,
        "committable": not problems,
        "expires_at": batch.expires_at.isoformat(),
    }
    batch.file_hash = parsed.file_hash
    batch.fingerprint = plan.fingerprint
    batch.total = len(parsed.rows)
    batch.error_count = len(problems)
    batch.needs_confirmation = plan.confirmation is not None
    batch.summary = _dump(summary)
    batch.plan = _dump(plan.data)
    if problems:
        batch.rows = _dump([{"row": r.number, "raw": r.raw,
                             "problems": [p.message for p in r.problems]} for r in parsed.rows])
    batch.progress = 100
    MACHINE.fire(batch, "refused" if problems else "parsed", actor, now,
                 remark=f"发现{len(problems)}处错误" if problems else None)


@command
def upload(actor, now: dt.datetime, kind_name: str, filename: str, data: bytes,
           params: dict | None = None, background: bool | None = None) -> ImportBatch:
    """Check a file for `kind`; persist its preview under a token; change nothing else.

    A large file (or background=True) is stored and left 解析中 for a worker: call
    `start_worker(batch)` once this command has returned.
    """
    kind = kind_named(kind_name)
    kind.authorize(actor)
    params = dict(params or {})
    ctx = kind.context(actor, params)
    batch = _new_batch(kind, actor, now, filename, params, ctx)
    if background is None:
        background = BACKGROUND_BYTES < len(data) <= MAX_BYTES
    if background:
        stored = files.store(actor, now, UPLOAD, files.Upload.from_bytes(filename, data),
                             OWNER_BATCH, batch.id)
        db.session.flush()
        batch.file_id = stored.id
        return batch
    _check(kind, batch, ctx, filename, data, actor, now)
    return batch


def find(actor, token: str, kind_name: str | None = None) -> ImportBatch:
    """The actor's batch by token (scoped: a firm sees its own firm's), else NotFoundError."""
    query = select(ImportBatch).where(ImportBatch.token == str(token)[:64],
                                      scope_condition(ImportBatch, actor))
    if kind_name:
        query = query.where(ImportBatch.kind == kind_name)
    batch = db.session.scalars(query).first()
    if batch is None:
        raise NotFoundError("导入预览不存在或已失效，请重新上传")
    return batch


# --- background previews ---------------------------------------------------------------------

def _actor_of(batch: ImportBatch):
    user = db.session.get(User, batch.actor_id) if batch.actor_id else None
    return user or SystemActor("导入")


def _claim(batch_id: int, worker: str, now: dt.datetime) -> bool:
    """Take a 解析中 batch nobody (alive) is working on; the UPDATE decides between rivals."""
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.status.in_(CHECKING),
               or_(ImportBatch.worker.is_(None), ImportBatch.heartbeat_at < now - STALE_AFTER))
        .values(worker=worker, heartbeat_at=now, attempts=ImportBatch.attempts + 1,
                version=ImportBatch.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def process(batch_id: int, clock, worker: str | None = None) -> None:
    """Preview a stored batch (a worker thread, or the sweeper). Never raises."""
    worker = worker or f"{socket.gethostname()[:60]}:{threading.get_ident()}"
    if not _claim(batch_id, worker, clock()):
        return
    batch = db.session.get(ImportBatch, batch_id)
    actor = _actor_of(batch)
    try:
        kind = kind_named(batch.kind)
        stored = db.session.get(StoredFile, batch.file_id)
        with files.store_backend().open(stored.stored_name) as fh:
            data = fh.read()
        expected = max(estimate_rows(batch.filename, data), 1)

        def progress(done):
            db.session.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
                progress=min(99, int(done * 100 / expected)), heartbeat_at=clock())
                .execution_options(synchronize_session=False))
            db.session.commit()

        run = command(lambda actor_, now_: _check(kind, db.session.get(ImportBatch, batch_id),
                                                  kind.context(actor_, params_of(batch)),
                                                  batch.filename, data, actor_, now_,
                                                  progress=progress))
        run(actor, clock())
    except DomainError as error:  # e.g. the firm was closed meanwhile
        _give_up(batch_id, error.message, clock)
    except Exception:  # noqa: BLE001 — logged for the operator; the user reads BROKEN
        db.session.rollback()
        log.exception("import batch %s failed", batch_id)
        _give_up(batch_id, BROKEN, clock)


def _give_up(batch_id: int, message: str, clock) -> None:
    db.session.rollback()
    batch = db.session.get(ImportBatch, batch_id)
    actor, now = SystemActor("导入"), clock()
    if batch is None or not MACHINE.permits(batch, "abandon", actor, now):
        return  # decided meanwhile (its worker finished after all)
    batch.message = message
    batch.summary = None
    MACHINE.fire(batch, "abandon", actor, now, remark=message[:200])
    db.session.commit()


def start_worker(batch: ImportBatch) -> None:
    """Preview a stored batch on a thread of this process (the sweeper is the safety net)."""
    app = current_app._get_current_object()
    batch_id = batch.id

    def run():
        with app.app_context():
            try:
                process(batch_id, wall_clock.now)
            finally:
                db.session.remove()

    threading.Thread(target=run, name=f"import-{batch_id}", daemon=True).start()


@job("sweep_import_batches", schedule="interval:60",
     description="重新处理中断的导入预览，记录过期的预览",
     labels={"retried": "重新处理", "abandoned": "放弃处理", "expired": "已过期"})
def sweep_import_batches(now: dt.datetime) -> dict:
    """A 解析中 batch whose worker went quiet is run again (at most MAX_ATTEMPTS times, then
    refused with a message); a 待确认 preview past its time is recorded as 已失效."""
    stale = db.session.scalars(select(ImportBatch).where(
        ImportBatch.status.in_(CHECKING),
        or_(ImportBatch.heartbeat_at < now - STALE_AFTER,
            ImportBatch.heartbeat_at.is_(None) & (ImportBatch.created_at < now - STALE_AFTER))
    )).all()
    retried = abandoned = 0
    for batch in stale:
        batch_id = batch.id
        if batch.attempts >= MAX_ATTEMPTS or batch.file_id is None:
            _give_up(batch_id, ABANDONED, lambda: now)
            abandoned += 1
        else:
            process(batch_id, lambda: now, worker="sweeper")
            retried += 1
    expired = 0
    for batch in db.session.scalars(select(ImportBatch).where(
            ImportBatch.status == ImportStatus.PREVIEWED, ImportBatch.expires_at < now)).all():
        MACHINE.fire(batch, "expire", SystemActor("定时任务"), now)
        expired += 1
    db.session.commit()
    return {"retried": retried, "abandoned": abandoned, "expired": expired}


# --- commit ----------------------------------------------------------------------------------

@command
def commit(actor, now: dt.datetime, token: str, confirm: bool = False,
           kind_name: str | None = None, options: dict | None = None) -> dict:
    """Apply exactly the previewed plan, in one transaction, at most once."""
    batch = find(actor, token, kind_name)
    kind = kind_named(batch.kind)
    kind.authorize(actor)
    if MACHINE.permits(batch, "expire", actor, now):  # a 待确认 preview past its time
        MACHINE.fire(batch, "expire", actor, now)
        raise ValidationError(f"预览已超过{int(kind.ttl.total_seconds() // 60)}分钟失效，"
                              f"请重新上传文件", keep_changes=True)
    MACHINE.require(batch, "commit", actor, now)  # else NOT_COMMITTABLE's words
    summary = summary_of(batch)
    if batch.needs_confirmation and not confirm:
        raise ValidationError(summary.get("confirmation") or "请勾选再次确认后提交")
    ctx = kind.context(actor, params_of(batch))
    MACHINE.fire(batch, "commit", actor, now)
    batch.committed_at = now
    db.session.flush()  # claims the batch: of two simultaneous commits one flush fails
    data = json.loads(batch.plan)
    if batch.fingerprint and kind.fingerprint(ctx, data) != batch.fingerprint:
        raise ValidationError("预览之后相关数据已有变化，请重新上传预览")
    try:
        result = kind.apply(ctx, data, actor, now, dict(options or {}))
        db.session.flush()
    except IntegrityError:
        raise ValidationError("导入未生效：文件与预览后新增的数据冲突（如登录名已被占用），"
                              "请重新上传预览") from None
    summary.update(result)
    summary["status"] = MACHINE.label_of(ImportStatus.COMMITTED)  # what the answer says
    return summary


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
