"""系统管理 → 修改密码, and the forced first-login page (补充信息 + new password)."""
from flask import flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from app.views.scoping import now
from app.workflows import accounts
from app.workflows.core.errors import DomainError

POLICY_TEXT = "密码至少8位，须同时包含字母和数字，且不能与初始密码相同。"


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField("旧密码")
    new_password = PasswordField("新密码")
    repeat = PasswordField("重复密码")


class FirstLoginForm(FlaskForm):
    contact_name = StringField("联系人姓名")
    contact_phone = StringField("联系人手机号")
    new_password = PasswordField("新密码")
    repeat = PasswordField("确认新密码")


def _show_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors or []) + [error.message]
    flash(error.message, "danger")


class AccountView(BaseView):
    """Pages every signed-in role has (permission `can_access` on `Account`)."""

    route_base = "/account"
    class_permission_name = "Account"
    method_permission_name = {"password": "access", "first_login": "access"}
    default_view = "password"

    @expose("/password/", methods=["GET", "POST"])
    @has_access
    def password(self):
        form = ChangePasswordForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                accounts.change_password(
                    g.user, form.old_password.data, form.new_password.data,
                    form.repeat.data, now(),
                )
            except DomainError as error:
                _show_error(form, error)
            else:
                flash("密码修改成功", "success")
                return redirect(url_for("AccountView.password"))
        return self.render_template(
            "account/password.html", form=form, title="修改密码", policy=POLICY_TEXT
        )

    @expose("/first-login/", methods=["GET", "POST"])
    @has_access
    def first_login(self):
        user = g.user
        if not accounts.needs_first_login(user):
            return redirect(self.appbuilder.get_url_for_index)
        form = FirstLoginForm()
        need_contact = accounts.needs_contact_info(user)
        if request.method == "POST" and form.validate_on_submit():
            try:
                accounts.complete_first_login(
                    user, now(),
                    new_password=form.new_password.data, repeat=form.repeat.data,
                    contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
                )
            except DomainError as error:
                _show_error(form, error)
            else:
                flash("信息已保存，欢迎使用", "success")
                return redirect(self.appbuilder.get_url_for_index)
        return self.render_template(
            "account/first_login.html", form=form, title="补充信息",
            firm=user.account.firm if user.account else None,
            need_contact=need_contact,
            need_password=bool(user.account and user.account.must_change_password),
            policy=POLICY_TEXT,
        )


# Endpoints a user who has not finished the first login may still reach.
_FIRST_LOGIN_OPEN = {"AccountView.first_login", "AuthDBView.logout", "AuthDBView.login",
                     "static", "appbuilder.static"}


def enforce_first_login():
    """Until the initial password is replaced (and a firm's contact filled in),
    every page leads to the first-login form and the API answers 403."""
    if request.path.startswith("/api/"):
        if request.path.startswith(("/api/v1/security/", "/api/v1/_openapi")):
            return None
        if "Authorization" not in request.headers:
            return None
        try:
            verify_jwt_in_request(optional=True)
        except Exception:  # noqa: BLE001 — FAB's own check answers bad tokens
            return None
        user = get_current_user()
        if user is not None and accounts.needs_first_login(user):
            return jsonify(message="请先登录网页修改初始密码并补充信息"), 403
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if request.endpoint in _FIRST_LOGIN_OPEN or (request.endpoint or "").endswith(".static"):
        return None
    if accounts.needs_first_login(user):
        return redirect(url_for("AccountView.first_login"))
    return None
