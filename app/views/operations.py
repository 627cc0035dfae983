"""系统管理 › 审计日志, 定时任务 and 邮件发送记录 (短信/微信发送记录 are in channels.py): the audit log, the run log of
scheduled jobs and the mail outbox.

All are read-only lists for Admin and Staff (their models are institute-only: the row
scope shows them to no one else). Mail bodies are never shown: they may carry codes.
"""
import json
import re

from flask import flash, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup, escape

from app.clock import display
from app.domains import Domain
from app.models import AuditLog, JobRun, OutboxMail
from app.roles import MENU_SYSTEM, STAFF
from app.views.core.scoping import ScopedModelView, current_user, now
from app.workflows.core import audit, jobs, mail

MENU_AUDIT = "审计日志"
MENU_JOB_RUNS = "定时任务"
MENU_OUTBOX = "邮件发送记录"

TRIGGER_LABELS = {jobs.TRIGGER_SCHEDULE: "定时", jobs.TRIGGER_CATCH_UP: "补跑",
                  jobs.TRIGGER_CLI: "命令行"}


def _job_label(name):
    definition = jobs.JOBS.get(name)
    return definition.description if definition and definition.description else name


def _counts(value):
    try:
        counts = json.loads(value or "{}")
    except ValueError:
        return value or ""
    return jobs.count_labels(None, counts) if isinstance(counts, dict) else value


def _schedule_label(schedule):
    kind, _, value = schedule.partition(":")
    return f"每 {value} 秒" if kind == "interval" else f"每天 {value}"


def _preformatted(value):
    return Markup("<pre style='white-space: pre-wrap; max-height: 30em'>%s</pre>") % escape(
        value or "")


class JobRunView(ScopedModelView):
    """定时任务: every run of every job, newest first."""

    datamodel = SQLAInterface(JobRun)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "定时任务运行记录"
    show_title = "运行详情"
    label_columns = {
        "job": "任务",
        "trigger": "触发方式",
        "as_of": "按此时间运行",
        "started_at": "开始时间",
        "finished_at": "结束时间",
        "outcome": "结果",
        "counts": "统计",
        "error": "错误信息",
        "host": "运行主机",
    }
    list_columns = ["job", "trigger", "as_of", "started_at", "finished_at", "outcome", "counts"]
    show_columns = list_columns + ["host", "error"]
    export_columns = show_columns
    list_template = "operations/job_runs.html"
    search_columns = ["job", "trigger", "outcome", "started_at", "as_of"]
    order_columns = ["job", "as_of", "started_at", "outcome"]
    base_order = ("started_at", "desc")
    formatters_columns = {
        "job": _job_label,
        "trigger": lambda v: TRIGGER_LABELS.get(v, v),
        "as_of": display,
        "started_at": display,
        "finished_at": display,
        "outcome": lambda v: v or "运行中",
        "counts": _counts,
        "error": _preformatted,
    }

    def render_template(self, template, **kwargs):
        if template == self.list_template:  # the jobs, with their last idle run
            states = jobs.idle_states()
            kwargs["job_table"] = [{
                "label": _job_label(name), "schedule": _schedule_label(jobs.JOBS[name].schedule),
                "last_idle": display(states[name].last_idle_at) if name in states else "",
                "idle_runs": states[name].idle_runs if name in states else 0,
            } for name in sorted(jobs.JOBS)]
        return super().render_template(template, **kwargs)


def _failure(value):
    """最近错误: what failed and what happens next in Chinese; the technical text below it,
    small, for whoever fixes the mail server."""
    if not value:
        return ""
    words = mail.explain_error(value)
    technical = value.split(mail.TECHNICAL, 1)[1] if mail.TECHNICAL in value else (
        value if value.isascii() else "")
    if not technical:
        return words
    return Markup("%s<br><small class='text-muted'>技术信息：%s</small>") % (
        words, technical[:200])


class OutboxMailView(ScopedModelView):
    """邮件发送记录: the outbox; failures can be sent again."""

    datamodel = SQLAInterface(OutboxMail)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "邮件发送记录"
    show_title = "邮件详情"
    label_columns = {
        "to_addr": "收件人",
        "subject": "主题",
        "status": "状态",
        "attempts": "尝试次数",
        "next_attempt_at": "下次尝试",
        "claimed_at": "开始发送",
        "claimed_by": "发送进程",
        "last_error": "最近错误",
        "created_at": "创建时间",
        "sent_at": "发送时间",
    }
    list_columns = ["created_at", "to_addr", "subject", "status", "attempts", "next_attempt_at",
                    "sent_at", "last_error"]
    show_columns = ["created_at", "to_addr", "subject", "status", "attempts", "next_attempt_at",
                    "claimed_at", "claimed_by", "sent_at", "last_error"]
    export_columns = show_columns
    search_columns = ["status", "to_addr", "subject", "created_at", "sent_at", "attempts"]
    order_columns = ["created_at", "to_addr", "status", "attempts", "next_attempt_at", "sent_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {
        "created_at": display,
        "next_attempt_at": display,
        "claimed_at": display,
        "sent_at": display,
        "last_error": _failure,
    }

    @action("resend", "重新发送",
            "将选中的发送失败邮件重新放入待发送队列（发送中超过10分钟的邮件可能已经送达，请先核实）？",
            "fa-repeat", multiple=True, single=True)
    def resend(self, items):
        items = items if isinstance(items, list) else [items]
        count = mail.requeue(current_user(), now(), [item.id for item in items])
        skipped = len(items) - count
        if count:
            flash(f"已重新放入待发送队列：{count} 封", "success")
        if skipped:
            flash(f"{skipped} 封未处理：只有发送失败（或发送中超过10分钟）的邮件可以重新发送",
                  "warning")
        return redirect(self.get_redirect())


ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除"}
FIELD_LABELS = {"id": "ID", "status": "状态", "created_at": "创建时间", "updated_at": "修改时间",
                "first_name": "姓名", "last_name": "姓", "username": "登录名", "email": "电子邮箱",
                "active": "是否启用", "user_id": "用户ID", "firm_id": "事务所ID",
                "person_id": "人员ID", "must_change_password": "须修改密码",
                "password_changed_at": "密码修改时间", "notify_email": "绑定邮箱",
                "initial_rule": "初始密码规则", "firm_since": "转入本所时间", "version": "版本",
                "changed_by_fk": "修改人ID", "created_by_fk": "创建人ID"}
_SYSTEM_ACTORS = {"system": "系统"}


def _entity_labels():
    """table → how users read it; field labels per table from the views that show it."""
    from flask import current_app

    cache = current_app.extensions.setdefault("audit_labels", {})
    if not cache:
        for view in current_app.appbuilder.baseviews:
            datamodel = getattr(view, "datamodel", None)
            table = getattr(getattr(datamodel, "obj", None), "__tablename__", None)
            if not table:
                continue
            fields = cache.setdefault(table, {"label": None, "fields": {}})["fields"]
            for key, label in (getattr(view, "label_columns", None) or {}).items():
                fields.setdefault(key, str(label))
    return cache


def _entity_label(table):
    return audit.LABELS.get(table) or table


def _field_label(table, key):
    known = _entity_labels().get(table, {}).get("fields", {}).get(key) or ""
    if not re.search(r"[\u4e00-\u9fff]", known):  # FAB's prettified English ("Changed By Fk")
        known = ""
    return FIELD_LABELS.get(key) or known or key


def _shown_value(value):
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            import datetime as dt

            return display(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _actor_label(username):
    """The actor's display name (a person's name, a firm's name, a staff member's name)."""
    from flask import g

    if not username:
        return "系统"
    if username in _SYSTEM_ACTORS:
        return _SYSTEM_ACTORS[username]
    names = g.setdefault("audit_actor_names", {})
    if username not in names:
        _remember_actor_names([username])
    return names[username]


def _remember_actor_names(usernames):
    """The display names of these actors, loaded in one query (a list page asks for its
    rows' actors at once, not one query per actor)."""
    from flask import g
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from app.extensions import db
    from app.models import Account
    from app.workflows.core import audit

    names = g.setdefault("audit_actor_names", {})
    wanted = {u for u in usernames if u and u not in _SYSTEM_ACTORS and u not in names}
    if not wanted:
        return
    # one statement whatever mix of actors the page holds (staff, firms, persons)
    account = joinedload(User.account)
    users = db.session.scalars(select(User).where(User.username.in_(sorted(wanted))).options(
        account.joinedload(Account.person), account.joinedload(Account.firm))).unique()
    for user in users:
        names[user.username] = f"{audit.actor_name(user)}（{user.username}）"
    for username in wanted - set(names):
        names[username] = username


class AuditLogView(ScopedModelView):
    datamodel = SQLAInterface(AuditLog)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "审计日志"
    show_title = "审计日志详情"
    label_columns = {
        "at": "时间",
        "username": "操作人",
        "entity": "对象",
        "entity_id": "对象ID",
        "action": "操作",
        "from_state": "原状态",
        "to_state": "新状态",
        "changes": "变更内容",
    }
    list_columns = ["at", "username", "entity", "entity_id", "action", "from_state", "to_state"]
    show_columns = list_columns
    export_columns = show_columns
    search_columns = ["at", "username", "entity", "entity_id", "action", "to_state"]
    order_columns = ["at", "username", "entity", "action"]
    base_order = ("at", "desc")
    formatters_columns = {
        "at": display,
        "action": lambda v: ACTION_LABELS.get(v, v),
        "entity": _entity_label,
        "username": _actor_label,
    }
    show_template = "operations/audit_show.html"

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters=filters, **kwargs)
        shown = widgets["list"].template_args
        shown["value_columns"] = rows = list(shown.get("value_columns", ()))  # a generator
        _remember_actor_names([row.get("username") for row in rows])
        return widgets

    def render_template(self, template, **kwargs):
        if template == self.show_template and kwargs.get("pk") is not None:
            row = self.datamodel.get(kwargs["pk"], self._base_filters)
            kwargs["change_rows"] = _change_rows(row) if row is not None else []
        return super().render_template(template, **kwargs)


def _change_rows(row):
    """变更内容 as a table: 字段, 原值 → 新值."""
    try:
        changes = json.loads(row.changes or "{}")
    except ValueError:
        return [{"field": "变更内容", "before": "", "after": row.changes}]
    result = []
    for key, pair in (changes.items() if isinstance(changes, dict) else []):
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        result.append({"field": _field_label(row.entity, key), "before": _shown_value(before),
                       "after": _shown_value(after)})
    return result


def register(appbuilder, app) -> None:
    """Add this area's views, APIs and menu entries."""
    appbuilder.add_view(AuditLogView, MENU_AUDIT, icon="fa-history", category=MENU_SYSTEM)
    appbuilder.add_view(JobRunView, MENU_JOB_RUNS, icon="fa-clock-o", category=MENU_SYSTEM)
    appbuilder.add_view(OutboxMailView, MENU_OUTBOX, icon="fa-envelope-o", category=MENU_SYSTEM)


DOMAIN = Domain(
    name="operations",
    register=register,
    permissions={STAFF: [
        ["AuditLogView", "can_(list|show|export)"],
        ["JobRunView", "can_(list|show|export)"],
        ["OutboxMailView", "can_(list|show|export)|resend"],
        [f"{MENU_AUDIT}|{MENU_JOB_RUNS}|{MENU_OUTBOX}", "menu_access"],
    ]},
)
