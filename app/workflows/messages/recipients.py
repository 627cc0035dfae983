"""Who is told of a decision on something a user filed — the one helper every workflow
that decides asks (培训报名 审核 and 培训结果, 学时申请, 事务所内部培训, 候补名额).

The team rule: 「every decision on something a user filed tells the filer」 and, for a
firm's people, the firm's administrator.
"""
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import Account
from app.roles import FIRM_ADMIN


def quoted(name: str) -> str:
    """“name”, its own quotes nested as ‘…’ (never ““…”): a class named “数智赋能”——分享会
    reads “‘数智赋能’——分享会”."""
    inner = (name or "").strip().replace("“", "‘").replace("”", "’")
    return f"“{inner}”"


def person_users(person_id: int | None) -> list[User]:
    """The person's own sign-ins (a member's account)."""
    if not person_id:
        return []
    return list(db.session.scalars(select(User).join(Account, Account.user_id == User.id)
                                   .where(Account.person_id == person_id).order_by(User.id)))


def firm_admin(firm_id: int | None) -> User | None:
    """The firm's administrator (P+事务所编号)."""
    if not firm_id:
        return None
    return db.session.scalars(
        select(User).join(Account, Account.user_id == User.id)
        .where(Account.firm_id == firm_id, Account.person_id.is_(None),
               User.roles.any(name=FIRM_ADMIN)).order_by(User.id)).first()


def decision_recipients(*, person_id: int | None = None, firm_id: int | None = None,
                        filer_id: int | None = None) -> list[User]:
    """The filer (the user who filed, by id), the person the filing is about (its own
    accounts) and, for a firm's people, the firm's administrator — each once, in that order."""
    conditions = []
    if filer_id:
        conditions.append(User.id == filer_id)
    if person_id:
        conditions.append(Account.person_id == person_id)
    if firm_id:
        conditions.append(and_(Account.firm_id == firm_id, Account.person_id.is_(None),
                               User.roles.any(name=FIRM_ADMIN)))
    if not conditions:
        return []
    users = db.session.scalars(select(User).outerjoin(Account, Account.user_id == User.id)
                               .where(or_(*conditions)).order_by(User.id)).all()
    return list(dict.fromkeys(users))
