"""Sessions that end when they should (issue 22).

Every account carries a session generation (`Account.session_generation`). A browser
session records the generation it was opened under, a JWT carries it as a claim (`sgen`);
both are compared with the account's on every request (the user loader and the JWT
loader, app/security.py), so bumping the number ends every session cookie and token
issued before. The account row is read on each signed-in request anyway (the first-login
gate asks whether the initial password was replaced), so the check costs no query.

Bumped by: signing out (a saved cookie no longer opens anything — for a shared account,
every browser signs out), a password change, a reset (找回密码, 重置密码, an admin's new
password), a revocation or deactivation, a change of roles, and 结束会话 on 用户列表.
"""
import datetime as dt

from flask_appbuilder.security.sqla.models import User

from app.workflows.core.bulk import upsert_insert
from app.extensions import db
from app.models import Account, LoginAddress
from app.workflows.core.commands import command
from app.workflows.core.errors import NotFoundError

SESSION_KEY = "_sgen"  # in the signed session cookie
CLAIM = "sgen"  # in every JWT (access and refresh)


def generation(user: User | None) -> int:
    account = getattr(user, "account", None) if user is not None else None
    return (account.session_generation or 0) if account is not None else 0


def end_sessions(user: User) -> int:
    """Every session cookie and token of `user` issued so far stops working (no commit);
    returns the new generation, for the session that should go on (a password change)."""
    if user.account is None:
        user.account = Account(must_change_password=False, session_generation=0)
    user.account.session_generation = (user.account.session_generation or 0) + 1
    return user.account.session_generation


@command
def sign_out(user: User, now: dt.datetime) -> None:
    """退出系统: this session ends, and a copy of its cookie with it."""
    end_sessions(user)


@command
def end_user_sessions(actor: User, now: dt.datetime, user_ids) -> int:
    """用户列表 → 结束会话 (an administrator): the chosen accounts are signed out everywhere."""
    ended = 0
    for user_id in user_ids:
        user = db.session.get(User, int(user_id))
        if user is None:
            raise NotFoundError(f"用户（编号 {user_id}）不存在")
        end_sessions(user)
        ended += 1
    return ended


# --- addresses an account signed in from (the login limit's known addresses) ----------------

KEPT_ADDRESSES = 20  # per account, the most recent


def is_known_address(user_id: int, address: str | None) -> bool:
    if not address:
        return False
    return db.session.query(LoginAddress.id).filter_by(user_id=user_id, address=address) \
        .first() is not None


@command
def remember_address(user: User, now: dt.datetime, address: str | None) -> None:
    """A successful sign-in from `address`: it gets its own login budget for this account."""
    if not address or user is None or user.id is None:
        return
    address = address[:45]
    # one statement, so two sign-ins of the account from one address at the same moment
    # both succeed (the second moves last_at) instead of one failing on uq_login_address
    table = LoginAddress.__table__
    statement = upsert_insert(table).values(user_id=user.id, address=address, first_at=now,
                                            last_at=now)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["user_id", "address"], set_={"last_at": statement.excluded.last_at}))
    stale = db.session.query(LoginAddress.id).filter_by(user_id=user.id) \
        .order_by(LoginAddress.last_at.desc(), LoginAddress.id.desc()).offset(KEPT_ADDRESSES - 1)
    db.session.query(LoginAddress).filter(LoginAddress.id.in_(stale.scalar_subquery())) \
        .delete(synchronize_session=False)
