"""用户权限 (FAB's security pages) in Chinese: role, permission and view names, 是/否, no
LDAP/OID help, 用户统计 drawn on the server (no chart library from the internet), an edit
form that saves the accounts we create (one 姓名 field), and the login refusal of a
revoked person.

FAB names permissions and views in English identifiers (``can_list`` on ``PersonView``);
`permission_label` / `view_label` say them as a user reads them ("人员：查看列表"). Views
are named by the menu entry that opens them, else by their title; the built-in roles'
rules (regular expressions such as ``^(can_(list|show))$``) are spelled out the same way.
"""
import re

from flask import current_app, flash, g, has_app_context, redirect, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, User, ViewMenu
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import (
    PermissionModelView, PermissionViewModelView, RoleModelView, UserDBModelView,
    UserGroupModelView, ViewMenuModelView,
)
from flask_login import logout_user
from sqlalchemy import inspect as orm_state
from sqlalchemy import select
from wtforms.validators import DataRequired

from app import clock
from app.roles import ADMIN, FIRM_ADMIN, INSTITUTE, MEMBER, STAFF

ROLE_LABELS = {ADMIN: "系统管理员", STAFF: "协会工作人员", FIRM_ADMIN: "事务所管理员",
               MEMBER: "会员（本人）",
               INSTITUTE: "会计学院（网络学习接口）", "Public": "未登录用户"}

PERMISSION_LABELS = {
    "can_list": "查看列表", "can_show": "查看详情", "can_add": "新增", "can_edit": "修改",
    "can_delete": "删除", "can_export": "导出", "can_download": "下载", "menu_access": "菜单",
    "can_get": "接口读取", "can_post": "接口新增", "can_put": "接口修改", "can_info": "接口说明",
    "can_access": "使用", "can_import": "导入", "can_reset_password": "重置密码",
    "can_chart": "查看图表", "can_act": "办理", "can_correct": "更正", "can_decide": "审核",
    "can_manage": "管理", "can_mark_read": "标为已读", "can_read": "阅读", "can_suggest": "提交建议",
    "can_userinfo": "查看本人信息", "can_query": "查询", "can_detail": "查看个人明细",
    "can_own": "查看本人", "can_this_form_get": "打开表单", "can_this_form_post": "提交表单",
    "copyrole": "复制角色", "resend": "重新发送", "resetmypassword": "重置本人密码",
    "resetpasswords": "重置密码", "userinfoedit": "修改本人信息", "end_sessions": "结束会话",
}

# views without a menu entry of their own (FAB's and the APIs)
VIEW_LABELS = {
    "Security": "用户权限", "List Users": "用户列表", "List Roles": "角色列表",
    "List Groups": "用户组", "User's Statistics": "用户统计", "Base Permissions": "基础权限",
    "Views/Menus": "视图和菜单", "Permission on Views/Menus": "视图和菜单的权限",
    "UserDBModelView": "用户", "RoleModelView": "角色", "UserGroupModelView": "用户组",
    "UserStatsChartView": "用户统计", "PermissionModelView": "基础权限",
    "ViewMenuModelView": "视图和菜单", "PermissionViewModelView": "视图和菜单的权限",
    "UserInfoEditView": "本人信息", "ResetMyPasswordView": "重置本人密码",
    "ResetPasswordView": "重置用户密码", "AuthDBView": "登录", "UtilView": "工具",
    "LocaleView": "界面语言", "HomeView": "首页", "MenuApi": "菜单接口", "OpenApi": "接口文档",
    "SwaggerView": "接口文档页面", "SecurityApi": "登录接口", "Account": "修改密码",
    "Settings": "设置", "Channels": "微信绑定与通知方式", "Import": "表格导入", "PasswordRecoveryView": "找回密码",
    "FirmApi": "事务所接口", "PersonApi": "人员接口", "HourRecordApi": "学时记录接口",
    "MessageApi": "消息接口", "PersonTransferApi": "人员转入接口", "HelpCenter": "帮助中心",
    "MessageCenter": "消息中心", "NoticeAdmin": "通知管理", "TransferConfirm": "人员转入确认",
    "HourQuery": "学时查询",
}

_labels_from_app: dict[str, str] = {}
_permission_labels_from_app: dict[str, str] = {}


def learn_view_labels(appbuilder) -> None:
    """Name each view by what it declares (`chinese_name`; a REST API of a model by the
    model's `__label__` + 接口), else the menu entry that opens it, else its list title;
    a view's own permissions by its `permission_labels` ({"can_result": "登记结果"})."""
    for view in appbuilder.baseviews:
        name = getattr(view, "class_permission_name", None)
        declared = getattr(view, "chinese_name", None)
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if not declared and isinstance(view, BaseApi) and model is not None \
                and model.__dict__.get("__label__"):
            declared = f"{model.__label__}接口"
        if name and declared:
            _labels_from_app.setdefault(name, declared)
        for permission, label in (getattr(view, "permission_labels", None) or {}).items():
            _permission_labels_from_app.setdefault(permission, label)

    def walk(items):
        for item in items:
            view = getattr(item, "baseview", None)
            if view is not None and item.label:
                _labels_from_app.setdefault(view.class_permission_name, str(item.label))
            walk(item.childs or [])

    walk(appbuilder.menu.get_list())
    for view in appbuilder.baseviews:
        title = getattr(view, "list_title", None)
        name = getattr(view, "class_permission_name", None)
        if name and title and re.search(r"[\u4e00-\u9fff]", str(title)):
            _labels_from_app.setdefault(name, re.sub(r"(列表)$", "", str(title)))


def _alternatives(pattern: str) -> list[str] | None:
    """``^(can_(list|show))$`` → ["can_list", "can_show"] (the built-in roles' rules)."""
    match = re.fullmatch(r"\^\((.*)\)\$", pattern)
    if not match:
        return None
    body, names, depth, start = match.group(1), [], 0, 0
    parts = []
    for index, char in enumerate(body):
        depth += char == "("
        depth -= char == ")"
        if char == "|" and depth == 0:
            parts.append(body[start:index])
            start = index + 1
    parts.append(body[start:])
    for part in parts:
        inner = re.fullmatch(r"([^()|]*)\(([^()]*)\)([^()|]*)", part)
        if inner:
            names += [inner.group(1) + alt + inner.group(3) for alt in inner.group(2).split("|")]
        else:
            names.append(part)
    return names


def _one_permission(name: str) -> str:
    if name in PERMISSION_LABELS:
        return PERMISSION_LABELS[name]
    if not _labels_from_app and has_app_context():
        learn_view_labels(current_app.appbuilder)
    if name in _permission_labels_from_app:
        return _permission_labels_from_app[name]
    return "操作：" + name.removeprefix("can_")


def _one_view(name: str) -> str:
    if not _labels_from_app and has_app_context():
        learn_view_labels(current_app.appbuilder)
    return _labels_from_app.get(name) or VIEW_LABELS.get(name) or name


def permission_label(name: str | None) -> str:
    names = _alternatives(name or "")
    if names is None:
        return _one_permission(name or "")
    return "、".join(_one_permission(n) for n in names)


def view_label(name: str | None) -> str:
    names = _alternatives(name or "")
    if names is None:
        return _one_view(name or "")
    return "、".join(_one_view(n) for n in names)


def permission_view_label(pv) -> str:
    """can_list on PersonView → 人员信息：查看列表"""
    return f"{view_label(pv.view_menu.name if pv.view_menu else '')}：" \
           f"{permission_label(pv.permission.name if pv.permission else '')}"


def role_label(name: str | None) -> str:
    return ROLE_LABELS.get(name, name or "")


def security_rules(rules) -> str:
    """A role's permissions, one a line: PermissionView rows, or a built-in role's
    [[view pattern, permission pattern], …] rules."""
    lines = []
    for rule in rules or []:
        if isinstance(rule, (list, tuple)) and len(rule) == 2:
            lines.append(f"{view_label(rule[0])}：{permission_label(rule[1])}")
        else:
            lines.append(str(rule))
    return "\n".join(lines)


def _user_name(user) -> str:
    name = (user.first_name or "").strip()
    return f"{name}（{user.username}）" if name else user.username


def yes_no(value) -> str:
    return "是" if value else "否"


def install_labels(app=None) -> None:
    """How FAB's security rows read wherever they are shown (lists, details, select boxes):
    `str()` only — `repr()` and the stored names stay FAB's."""
    Role.__str__ = lambda self: role_label(self.name)
    Permission.__str__ = lambda self: permission_label(self.name)
    ViewMenu.__str__ = lambda self: view_label(self.name)
    PermissionView.__str__ = permission_view_label
    if app is not None:
        app.jinja_env.globals.update(role_label=role_label, security_rules=security_rules)


# --- the pages -------------------------------------------------------------------------------
class UserView(UserDBModelView):
    """用户列表: one 姓名 (first_name; last_name stays empty, as for every account we create)."""

    class_permission_name = "UserDBModelView"
    list_title = "用户列表"
    show_title = "用户详情"
    add_title = "新增用户"
    edit_title = "修改用户"
    label_columns = {
        "get_full_name": "姓名", "first_name": "姓名", "last_name": "姓", "username": "登录名",
        "password": "密码", "conf_password": "确认密码", "active": "是否启用", "email": "电子邮箱",
        "roles": "角色", "groups": "用户组", "last_login": "最近登录", "login_count": "登录次数",
        "fail_login_count": "登录失败次数", "created_on": "创建时间", "created_by": "创建人",
        "changed_on": "修改时间", "changed_by": "修改人",
    }
    description_columns = {
        "first_name": "显示在页面和审计日志中的名称（人员姓名、事务所名称等）",
        "username": "登录时输入的账号",
        "active": "停用后不能登录；不建议删除用户，停用即可",
        "email": "账号的电子邮箱（以 accounts.invalid 结尾的为系统占位地址）",
        "roles": "用户的角色，决定其可用的菜单和权限",
        "password": "至少8位，须同时包含字母和数字",
        "conf_password": "请再次输入密码",
    }
    list_columns = ["first_name", "username", "active", "roles", "last_login"]
    search_columns = ["first_name", "username", "email", "active", "roles", "last_login",
                      "login_count", "fail_login_count", "created_on", "changed_on"]
    add_columns = ["first_name", "username", "active", "email", "roles", "password",
                   "conf_password"]
    edit_columns = ["first_name", "username", "active", "email", "roles"]
    show_fieldsets = [
        ("账号信息", {"fields": ["username", "first_name", "email", "active", "roles",
                             "login_count"]}),
        ("登录记录", {"fields": ["last_login", "fail_login_count", "created_on", "created_by",
                             "changed_on", "changed_by"], "expanded": False}),
    ]
    user_show_fieldsets = [("账号信息", {"fields": ["username", "first_name", "email", "active",
                                                  "roles"]})]
    user_info_title = "本人信息"
    validators_columns = {"first_name": [DataRequired(message="请填写姓名")],
                          "roles": [DataRequired(message="请至少选择一个角色")]}
    formatters_columns = {
        "active": yes_no,
        "roles": lambda roles: "、".join(role_label(r.name) for r in roles or []),
        # FAB stores these naive, in the server's time: shown in Beijing time like every time
        "last_login": clock.display, "created_on": clock.display, "changed_on": clock.display,
        # accounts made by the system (demo, imports, a new firm's admin) have no creator
        "created_by": lambda u: _user_name(u) if u else "系统自动创建",
        "changed_by": lambda u: _user_name(u) if u else "系统",
        "login_count": lambda v: v or 0, "fail_login_count": lambda v: v or 0,
    }

    def pre_add(self, item) -> None:
        item.last_name = item.last_name or ""
        super().pre_add(item)

    def pre_update(self, item) -> None:
        """A change of roles, or a stop, ends the account's sessions and tokens (issue 22)."""
        from app.workflows.accounts.sessions import end_sessions

        item.last_name = item.last_name or ""
        state = orm_state(item).attrs
        if state.roles.history.has_changes() or state.active.history.has_changes():
            end_sessions(item)
        super().pre_update(item)

    @action("end_sessions", "结束会话",
            "确定结束所选用户的全部登录会话和接口令牌吗？其已打开的页面和已发放的令牌将立即失效，"
            "须重新登录。", "fa-sign-out")
    def end_sessions(self, items):
        from app.views.core.scoping import now
        from app.workflows.accounts import sessions

        items = items if isinstance(items, list) else [items]
        ids = [item.id for item in items if item is not None]
        ended = sessions.end_user_sessions(g.user, now(), ids)
        if any(item_id == g.user.id for item_id in ids):
            logout_user()
            flash("您本人的会话也已结束，请重新登录", "info")
            return redirect(self.appbuilder.get_url_for_login)
        flash(f"已结束 {ended} 个用户的全部会话，其须重新登录", "success")
        return redirect(url_for(".list"))


class RoleView(RoleModelView):
    class_permission_name = "RoleModelView"
    list_title = "角色列表"
    show_title = "角色详情"
    add_title = "新增角色"
    edit_title = "修改角色"
    label_columns = {"name": "角色", "permissions": "权限", "user": "用户", "groups": "用户组"}
    # the name stays raw for FAB's templates (they look the built-in roles up by it): the
    # role templates (app/templates/appbuilder/general/widgets/roles/) say it in Chinese


class GroupView(UserGroupModelView):
    class_permission_name = "UserGroupModelView"
    list_title = "用户组列表"
    show_title = "用户组详情"
    add_title = "新增用户组"
    edit_title = "修改用户组"
    label_columns = {"name": "名称", "label": "显示名称", "description": "说明", "roles": "角色",
                     "users": "用户"}


class PermissionNamesView(PermissionModelView):
    class_permission_name = "PermissionModelView"
    list_title = "基础权限"
    label_columns = {"name": "权限", "code": "代码"}
    list_columns = ["name"]
    formatters_columns = {"name": permission_label}


class ViewNamesView(ViewMenuModelView):
    class_permission_name = "ViewMenuModelView"
    list_title = "视图和菜单"
    label_columns = {"name": "视图或菜单"}
    list_columns = ["name"]
    formatters_columns = {"name": view_label}


class PermissionOnViewsView(PermissionViewModelView):
    class_permission_name = "PermissionViewModelView"
    list_title = "视图和菜单的权限"
    label_columns = {"permission": "权限", "view_menu": "视图或菜单", "role": "角色"}
    list_columns = ["view_menu", "permission"]


class UserStatsView(BaseView):
    """用户统计: logins and failed logins per user, as bars drawn on the server (an intranet
    reaches no chart library on the internet; nothing to load, nothing for CSP to block)."""

    route_base = "/userstatschartview"
    class_permission_name = "UserStatsChartView"
    method_permission_name = {"chart": "chart"}
    default_view = "chart"
    SHOWN = 30

    @expose("/chart/")
    @has_access
    def chart(self):
        from app.extensions import db

        def top(column):
            rows = db.session.execute(
                select(User.first_name, User.username, column).where(column > 0)
                .order_by(column.desc(), User.username).limit(self.SHOWN)).all()
            most = max((r[2] for r in rows), default=0) or 1
            return [{"name": r[0] or r[1], "login": r[1], "value": r[2],
                     "width": round(r[2] * 100 / most, 1)} for r in rows]

        return self.render_template(
            "core/user_stats.html", title="用户统计",
            charts=[("登录次数", top(User.login_count)),
                    ("登录失败次数", top(User.fail_login_count))], shown=self.SHOWN)


class AuthDBView(FabAuthDBView):
    """FAB's login form (same name, same endpoints); a stopped account whose right password
    was typed is told why. 退出系统 is a POST with the page's CSRF token (a link on a
    foreign page cannot sign anyone out) and ends the session for good: a saved copy of its
    cookie opens nothing afterwards (issue 22)."""

    @expose("/logout/", methods=["POST"])
    def logout(self):
        from app.views.core.scoping import now
        from app.workflows.accounts import sessions

        user = self._get_authenticated_user()
        if user is not None:
            sessions.sign_out(user, now())
        logout_user()
        session.pop(sessions.SESSION_KEY, None)
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(self.appbuilder.get_url_for_login)

    @property
    def invalid_login_message(self):
        return getattr(g, "login_refusal", None) or "无效的用户名或密码，请重试"
