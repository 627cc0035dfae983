"""Commands: every business action owns its transaction.

    @command
    def submit(actor, now, case_id): ...

A command runs with the audit log attributing every change to `actor`, commits when it
returns and rolls back when it raises — a DomainError reaches the caller with its Chinese
message and nothing half-saved. Views, REST and the CLI call commands and map outcomes to
responses; they never commit. A command called from inside another joins the outer one's
transaction (only the outermost commits).

When two people decide the same row at once (optimistic locking, `version_id_col`), the
first commit wins and the second gets ConflictError naming what happened.
"""
import contextvars
import functools

from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.workflows.core import audit
from app.workflows.core.errors import ConflictError, DomainError

_depth: contextvars.ContextVar = contextvars.ContextVar("command_depth", default=0)
CONFLICT = "该记录刚刚已被他人处理，本次操作未生效，请刷新页面查看最新状态"


def abandon() -> None:
    """Drop what a refused or failed request left unsaved in the session (the error
    handlers' one way to roll back; a command rolls back its own work already)."""
    if not in_command():
        db.session.rollback()


def release() -> None:
    """End a read-only transaction outside a command (a long job that has read what it
    needs and now writes in commands of its own, batch by batch)."""
    if in_command():
        raise RuntimeError("release() inside a command would end the command's transaction")
    db.session.rollback()


def in_command() -> bool:
    return _depth.get() > 0


def command(func):
    """Decorate `func(actor, now, ...)`: one transaction, one audit actor."""

    @functools.wraps(func)
    def wrapper(actor, now, *args, **kwargs):
        depth = _depth.get()
        token = _depth.set(depth + 1)
        try:
            with audit.acting_as(actor):
                result = func(actor, now, *args, **kwargs)
                if depth:
                    db.session.flush()
                else:
                    db.session.commit()
            return result
        except StaleDataError:
            if not depth:
                db.session.rollback()
            raise ConflictError(CONFLICT) from None
        except DomainError as error:
            if not depth:
                if error.keep_changes:
                    db.session.commit()
                else:
                    db.session.rollback()
            raise
        except BaseException:
            if not depth:
                db.session.rollback()
            raise
        finally:
            _depth.reset(token)

    wrapper.is_command = True
    return wrapper


@command
def save(actor, now) -> None:
    """Save, as a command of `actor`, the rows a tool wrote itself outside any command: the
    demo's fixtures between the workflows it calls (a firm, a course, the calendar), the
    permissions FAB writes at start-up. Saved or rolled back here like any command's (a
    flush that fails rolls back, its stored files go); inside a command it joins it."""
