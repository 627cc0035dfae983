"""系统管理 → 设置 (用户信息, 修改密码, 邮箱绑定) and 找回密码 on the login page."""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.utils.limit import Limit
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from app import roles
from app.views.account import POLICY_TEXT, _show_error
from app.views.scoping import now
from app.workflows import password_recovery, settings
from app.workflows.codes import CODE_TTL
from app.workflows.core.errors import DomainError, ForbiddenError

DEFAULT_RECOVERY_RATE_LIMIT = "5 per minute"
SENT_TEXT = ("如果该账号已绑定邮箱，验证码已发送至绑定的邮箱，{minutes}分钟内有效。"
             "未绑定邮箱的账号请联系协会工作人员重置密码。")


class ContactForm(FlaskForm):
    contact_name = StringField("联系人姓名")
    contact_phone = StringField("联系人手机号")


class EmailForm(FlaskForm):
    email = StringField("邮箱地址")


class EmailCodeForm(FlaskForm):
    code = StringField("验证码")


class ForgotForm(FlaskForm):
    login = StringField("账号")


class ResetForm(FlaskForm):
    login = StringField("账号")
    code = StringField("验证码")
    new_password = PasswordField("新密码")
    repeat = PasswordField("确认新密码")


class SettingsView(BaseView):
    """设置: every signed-in role (permission `can_access` on `Settings`)."""

    route_base = "/settings"
    class_permission_name = "Settings"
    method_permission_name = {name: "access" for name in (
        "index", "contact", "email", "email_confirm", "email_unbind")}
    default_view = "index"

    def _page(self, email_form=None, code_form=None):
        user = g.user
        return self.render_template(
            "settings/index.html", title="设置", info=settings.user_info(user),
            pending=settings.pending_binding(user, now()),
            email_form=email_form or EmailForm(), code_form=code_form or EmailCodeForm(),
            minutes=int(CODE_TTL.total_seconds() // 60),
        )

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/contact/", methods=["GET", "POST"])
    @has_access
    def contact(self):
        user = g.user
        info = settings.user_info(user)
        if not info.can_edit_contact:
            abort(404)
        form = ContactForm(data={"contact_name": info.contact_name,
                                 "contact_phone": info.contact_phone})
        if request.method == "POST" and form.validate_on_submit():
            try:
                settings.update_contact(user, now(), form.contact_name.data,
                                        form.contact_phone.data)
            except ForbiddenError:
                abort(404)
            except DomainError as error:
                _show_error(form, error)
            else:
                flash("用户信息已保存", "success")
                return redirect(url_for(".index"))
        return self.render_template("settings/contact.html", title="编辑信息", form=form,
                                    info=info)

    @expose("/email/", methods=["POST"])
    @has_access
    def email(self):
        form = EmailForm()
        if form.validate_on_submit():
            try:
                address = settings.request_email_binding(g.user, now(), form.email.data)
            except DomainError as error:
                _show_error(form, error)
                return self._page(email_form=form)
            flash(f"验证码已发送至 {address}，请查收邮件并输入验证码", "success")
        return redirect(url_for(".index"))

    @expose("/email/confirm/", methods=["POST"])
    @has_access
    def email_confirm(self):
        form = EmailCodeForm()
        if form.validate_on_submit():
            try:
                address = settings.confirm_email_binding(g.user, now(), form.code.data)
            except DomainError as error:
                _show_error(form, error)
                return self._page(code_form=form)
            flash(f"邮箱 {address} 绑定成功", "success")
        return redirect(url_for(".index"))

    @expose("/email/unbind/", methods=["POST"])
    @has_access
    def email_unbind(self):
        if FlaskForm().validate_on_submit():
            settings.unbind_email(g.user, now())
            flash("已解除邮箱绑定", "success")
        return redirect(url_for(".index"))


def _recovery_rate_limit() -> str:
    return current_app.config.get("PASSWORD_RECOVERY_RATE_LIMIT", DEFAULT_RECOVERY_RATE_LIMIT)


class PasswordRecoveryView(BaseView):
    """找回密码: public pages, rate-limited per IP (POSTs share one budget)."""

    route_base = "/forgot-password"
    default_view = "request_code"
    limits = [Limit(limit_value=_recovery_rate_limit, key_func=None, methods=("POST",),
                    error_message="操作过于频繁，请稍后再试")]

    @expose("/", methods=["GET", "POST"])
    def request_code(self):
        form = ForgotForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                password_recovery.request_code(form.login.data, now())
            except DomainError as error:
                _show_error(form, error)
            else:
                flash(SENT_TEXT.format(minutes=int(CODE_TTL.total_seconds() // 60)), "info")
                return redirect(url_for(".reset", login=form.login.data.strip()))
        return self.render_template("settings/forgot.html", title="找回密码", form=form)

    @expose("/reset/", methods=["GET", "POST"])
    def reset(self):
        form = ResetForm()
        if request.method == "GET":
            form.login.data = request.args.get("login", "")
        if request.method == "POST" and form.validate_on_submit():
            try:
                password_recovery.reset_password(
                    form.login.data, form.code.data, form.new_password.data,
                    form.repeat.data, now())
            except DomainError as error:
                _show_error(form, error)
            else:
                flash("密码已重置，请使用新密码登录", "success")
                return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("settings/reset.html", title="找回密码", form=form,
                                    policy=POLICY_TEXT)


def register(appbuilder, app) -> None:
    """Add this area's views, APIs and menu entries."""
    appbuilder.add_view(
        SettingsView, roles.MENU_SETTINGS, href="/settings/", icon="fa-sliders",
        category=roles.MENU_SYSTEM,
    )
    appbuilder.add_view_no_menu(PasswordRecoveryView)
