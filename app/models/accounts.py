"""Accounts (账号): what FAB's ab_user does not know — whose account it is, its initial
password rule, its bound address — and the one-time codes of 找回密码 and 邮箱绑定."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.models.registry import Firm, Person
from app.models.scope import Scope
from app.models.types import UTCDateTime


class Account(Model):
    """Account profile (账号): links an ab_user to its firm and/or person.

    A firm admin has `firm_id`; a member has `person_id` (and the person's firm);
    staff and admins have neither.
    """
    __label__ = "账号"  # how the audit log names it

    __tablename__ = "account"
    __scope__ = Scope(user="user_id")  # staff manage accounts; a user its own

    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    # joined: a person's 登录名 comes with the person in one query (no per-row lookups)
    user: Mapped[User] = relationship(
        User, lazy="joined",
        backref=backref("account", uselist=False, cascade="all, delete-orphan"),
    )
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"), index=True)
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    person_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("person.id"), unique=True, index=True
    )
    person: Mapped[Optional[Person]] = relationship(
        Person, backref=backref("account", uselist=False, lazy="joined")
    )
    # an accounting institute's LMS account (role Institute): which institute it reports for
    learning_institute_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("learning_institute.id"), index=True)
    must_change_password: Mapped[bool] = mapped_column(default=True)
    initial_password_hash: Mapped[Optional[str]] = mapped_column(String(256))
    # Accounts created in bulk (roster imports) store no hash: while ab_user.password is
    # NULL the initial password is derived by this rule (e.g. the mobile's last 6 digits).
    initial_rule: Mapped[Optional[str]] = mapped_column(String(16))
    password_changed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # bound for notifications and password recovery (WeChat binding's stand-in)
    notify_email: Mapped[Optional[str]] = mapped_column(String(320))
    # 微信绑定 (seed 004 §10): the official account's openid of this user's WeChat
    wechat_openid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    wechat_bound_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # when the account last came to its current firm: a firm admin may not reset the
    # password of someone who joined it in the last 30 days (security issue: takeover)
    firm_since: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # bumped to end every session cookie and JWT issued before (app/workflows/accounts/sessions.py)
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0",
                                                    nullable=False)


class LoginAddress(Model):
    """An address an account has signed in from successfully: the per-account login limit
    gives each such address a budget of its own, so a stranger guessing passwords from
    elsewhere cannot lock the owner out (issue 22; app/views/core/hardening.py)."""

    __tablename__ = "login_address"
    __table_args__ = (UniqueConstraint("user_id", "address", name="uq_login_address"),)
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False)
    address: Mapped[str] = mapped_column(String(45), nullable=False)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class CodePurpose:
    RESET_PASSWORD = "reset"  # 找回密码
    BIND_EMAIL = "bind_email"  # 邮箱绑定: proves the address before it is bound


class PasswordResetCode(Model):
    """找回密码 (and 邮箱绑定): a one-time code mailed to an address (hash only)."""

    __tablename__ = "password_reset_code"
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         index=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False,
                                         default=CodePurpose.RESET_PASSWORD)
    email: Mapped[Optional[str]] = mapped_column(String(320))  # the address the code went to
    code_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
