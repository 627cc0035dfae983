"""系统管理 → 修改密码 and 设置 (用户信息, 邮箱绑定), the forced first-login page (补充信息 +
new password), and 找回密码 on the login page."""
from flask import abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.utils.limit import Limit
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from app.domains import Domain
from app.models import Account
from app.roles import ADMIN, FIRM_ADMIN, MEMBER, MENU_SYSTEM, STAFF
from app.views.core.hardening import api_user
from app.views.core.refusals import refusals, refused_fields
from app.views.core.scoping import now
from app.workflows import accounts
from app.workflows.accounts import recovery, sessions, settings
from app.workflows.accounts.codes import CODE_TTL

MENU_CHANGE_PASSWORD = "修改密码"
MENU_SETTINGS = "设置"

POLICY_TEXT = "密码至少8位，须同时包含字母和数字，且不能与初始密码相同。"


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField("旧密码")
    new_password = PasswordField("新密码")
    repeat = PasswordField("重复密码")


class FirstLoginForm(FlaskForm):
    contact_name = StringField("联系人姓名")
    contact_phone = StringField("联系人手机号")
    mobile = StringField("本人手机号")
    new_password = PasswordField("新密码")
    repeat = PasswordField("确认新密码")


class MobileForm(FlaskForm):
    mobile = StringField("本人手机号")


def _marked(form):
    """The form with each refused field's messages under it (refusals flashed them too)."""
    for name, messages in refused_fields().items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors or []) + messages
    return form


def keep_this_session(user) -> None:
    """A password changed here ended every session of the account: this one goes on."""
    session[sessions.SESSION_KEY] = sessions.generation(user)


class AccountView(BaseView):
    """Pages every signed-in role has (permission `can_access` on `Account`)."""

    route_base = "/account"
    class_permission_name = "Account"
    method_permission_name = {"password": "access", "first_login": "access"}
    default_view = "password"

    @expose("/password/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_password_form")
    def password(self):
        form = ChangePasswordForm()
        if request.method == "POST" and form.validate_on_submit():
            accounts.change_password(g.user, now(), form.old_password.data,
                                     form.new_password.data, form.repeat.data)
            keep_this_session(g.user)
            flash("密码修改成功，其他已登录的浏览器和接口令牌已失效", "success")
            return redirect(url_for("AccountView.password"))
        return self._password_form(form)

    def _password_form(self, form=None):
        return self.render_template(
            "accounts/password.html", form=_marked(form or ChangePasswordForm()),
            title="修改密码", policy=POLICY_TEXT
        )

    @expose("/first-login/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_first_login_form")
    def first_login(self):
        user = g.user
        if not accounts.needs_first_login(user):
            return redirect(self.appbuilder.get_url_for_index)
        form = self._first_login_data(user)
        if request.method == "POST" and form.validate_on_submit():
            accounts.complete_first_login(
                user, now(),
                new_password=form.new_password.data, repeat=form.repeat.data,
                contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
                mobile=form.mobile.data,
            )
            keep_this_session(g.user)
            flash("信息已保存，欢迎使用", "success")
            return redirect(self.appbuilder.get_url_for_index)
        return self._first_login_form(form)

    @staticmethod
    def _first_login_data(user):
        person = user.account.person if user.account else None
        # the mobile on file comes pre-filled: to confirm, or correct
        return FirstLoginForm(data={"mobile": person.phone if accounts.asks_own_mobile(user)
                                    and person else ""})

    def _first_login_form(self, form=None):
        user = g.user
        return self.render_template(
            "accounts/first_login.html", form=_marked(form or self._first_login_data(user)),
            title="补充信息", firm=user.account.firm if user.account else None,
            need_contact=accounts.needs_contact_info(user),
            need_mobile=accounts.asks_own_mobile(user),
            person=user.account.person if user.account else None,
            need_password=bool(user.account and user.account.must_change_password),
            policy=POLICY_TEXT,
        )


# Endpoints a user who has not finished the first login may still reach.
_FIRST_LOGIN_OPEN = {"AccountView.first_login", "AuthDBView.logout", "AuthDBView.login",
                     "static", "appbuilder.static"}


def enforce_first_login():
    """Until the initial password is replaced (and a firm's contact filled in),
    every page leads to the first-login form and the API answers 403 — whether the call
    comes with a bearer token or with the browser's session cookie (issue 22: the cookie
    was a side door to every /api/v1/ resource)."""
    if request.path.startswith("/api/"):
        if request.path.startswith(("/api/v1/security/", "/api/v1/_openapi")):
            return None
        user = api_user()  # the verified token's user, else the cookie's
        if getattr(user, "is_authenticated", False) and accounts.needs_first_login(user):
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


DEFAULT_RECOVERY_RATE_LIMIT = "5 per minute"
SENT_TEXT = ("如果该账号已登记手机号或已绑定邮箱，验证码已通过短信发送至登记的手机号、"
             "并发送至绑定的邮箱，{minutes}分钟内有效。两者都没有的账号请联系协会工作人员"
             "（事务所从业人员也可请本所管理员）重置密码。")


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
        "index", "contact", "mobile", "email", "email_confirm", "email_unbind")}
    default_view = "index"

    def _page(self, email_form=None, code_form=None):
        user = g.user
        return self.render_template(
            "accounts/index.html", title="设置", info=settings.user_info(user),
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
    @refusals(form="_contact_form")
    def contact(self):
        form = self._contact_data()
        if request.method == "POST" and form.validate_on_submit():
            settings.update_contact(g.user, now(), form.contact_name.data,
                                    form.contact_phone.data)
            flash("用户信息已保存", "success")
            return redirect(url_for(".index"))
        return self._contact_form(form)

    @staticmethod
    def _contact_data():
        info = settings.user_info(g.user)
        if not info.can_edit_contact:  # also where the command refused the actor (403)
            abort(404)
        return ContactForm(data={"contact_name": info.contact_name,
                                 "contact_phone": info.contact_phone})

    def _contact_form(self, form=None):
        form = _marked(form or self._contact_data())
        return self.render_template("accounts/contact.html", title="编辑信息", form=form,
                                    info=settings.user_info(g.user))

    @expose("/mobile/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_mobile_form")
    def mobile(self):
        """编辑信息 of a 协会代管注册会计师: its own mobile (the appointment SMS goes there)."""
        form = self._mobile_data()
        if request.method == "POST" and form.validate_on_submit():
            settings.update_own_mobile(g.user, now(), form.mobile.data)
            flash("本人手机号已保存", "success")
            return redirect(url_for(".index"))
        return self._mobile_form(form)

    @staticmethod
    def _mobile_data():
        info = settings.user_info(g.user)
        if not info.can_edit_mobile:  # also where the command refused the actor (403)
            abort(404)
        return MobileForm(data={"mobile": info.mobile})

    def _mobile_form(self, form=None):
        form = _marked(form or self._mobile_data())
        return self.render_template("accounts/mobile.html", title="编辑信息", form=form,
                                    info=settings.user_info(g.user))

    @expose("/email/", methods=["POST"])
    @has_access
    @refusals(form="_email_form")
    def email(self):
        form = EmailForm()
        if form.validate_on_submit():
            address = settings.request_email_binding(g.user, now(), form.email.data)
            flash(f"验证码已发送至 {address}，请查收邮件并输入验证码", "success")
        return redirect(url_for(".index"))

    def _email_form(self):
        return self._page(email_form=_marked(EmailForm()))

    @expose("/email/confirm/", methods=["POST"])
    @has_access
    @refusals(form="_email_code_form")
    def email_confirm(self):
        form = EmailCodeForm()
        if form.validate_on_submit():
            address = settings.confirm_email_binding(g.user, now(), form.code.data)
            flash(f"邮箱 {address} 绑定成功", "success")
        return redirect(url_for(".index"))

    def _email_code_form(self):
        return self._page(code_form=_marked(EmailCodeForm()))

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
    @refusals(form="_request_form")
    def request_code(self):
        form = ForgotForm()
        if request.method == "POST" and form.validate_on_submit():
            recovery.request_code(recovery.ANONYMOUS, now(), form.login.data)
            flash(SENT_TEXT.format(minutes=int(CODE_TTL.total_seconds() // 60)), "info")
            return redirect(url_for(".reset", login=form.login.data.strip()))
        return self._request_form(form)

    def _request_form(self, form=None):
        return self.render_template("accounts/forgot.html", title="找回密码",
                                    form=_marked(form or ForgotForm()))

    @expose("/reset/", methods=["GET", "POST"])
    @refusals(form="_reset_form")
    def reset(self):
        form = ResetForm()
        if request.method == "GET":
            form.login.data = request.args.get("login", "")
        if request.method == "POST" and form.validate_on_submit():
            recovery.reset_password(recovery.ANONYMOUS, now(), form.login.data,
                                    form.code.data, form.new_password.data, form.repeat.data)
            flash("密码已重置，请使用新密码登录", "success")
            return redirect(self.appbuilder.get_url_for_login)
        return self._reset_form(form)

    def _reset_form(self, form=None):
        return self.render_template("accounts/reset.html", title="找回密码",
                                    form=_marked(form or ResetForm()), policy=POLICY_TEXT)


def register(appbuilder, app) -> None:
    """Add this area's views, APIs and menu entries."""
    appbuilder.add_view(AccountView, MENU_CHANGE_PASSWORD, href="/account/password/",
                        icon="fa-key", category=MENU_SYSTEM, category_icon="fa-cog")
    appbuilder.add_view(
        SettingsView, MENU_SETTINGS, href="/settings/", icon="fa-sliders",
        category=MENU_SYSTEM,
    )
    appbuilder.add_view_no_menu(PasswordRecoveryView)
    app.before_request(enforce_first_login)


_EVERY_ROLE = [["Account|Settings", "can_access"],
               [f"{MENU_SYSTEM}|{MENU_CHANGE_PASSWORD}|{MENU_SETTINGS}", "menu_access"]]
DOMAIN = Domain(
    name="accounts",
    register=register,
    permissions={STAFF: _EVERY_ROLE, FIRM_ADMIN: _EVERY_ROLE, MEMBER: _EVERY_ROLE},
    menus={ADMIN: {"Security": MENU_SYSTEM}},  # FAB's 用户权限, a section of Admin's 系统管理
    audited={Account: {"initial_password_hash"},
             User: {"password", "last_login", "login_count", "fail_login_count", "changed_on",
                    "created_on"}},
)
