"""消息中心 (seed 004 §7, seed 000 §4.4): the inbox of every user, notices staff publish,
consultation threads, the red dot on the menu, and the `message` REST resource.

Thin: parse the request, call app/workflows/messages.py, render.
"""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, protect
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import (
    Audience,
    Consultation,
    ConsultationStatus,
    Firm,
    Message,
    MessageKind,
    Notice,
    PersonType,
    StoredFile,
)
from app.roles import FIRM_ADMIN, MEMBER, MENU_QUERY, STAFF
from app.views.core.args import paged
from app.views.core.refusals import refusals
from app.views.core.scoping import (ScopedModelRestApi, ScopedModelView, current_user, now,
                                    scoped_id, uploads)
from app.workflows import messages
from app.workflows.core import files
from app.workflows.core.scoping import is_institute
from app.workflows.messages.consultations import FILE_OWNERS as CONSULTATION_FILES
from app.workflows.messages.consultations import QUEUES as CONSULTATION_QUEUES
from app.workflows.messages.notices import FILE_OWNERS as NOTICE_FILES
from app.workflows.messages.notices import publish_notices

MENU_MESSAGES = "消息中心"
MENU_MESSAGE_ADMIN = "消息管理"
MENU_NOTICE_ADMIN = "通知管理"
MENU_CONSULT_ADMIN = "咨询管理"
TABS = MessageKind.ALL


def local_time(value, fmt=clock.DISPLAY_FORMAT):
    return clock.display(value, fmt)


class MessageCenterView(BaseView):
    """消息中心: 系统消息 / 协会通知 / 咨询消息 with unread counts; consultation threads."""

    route_base = "/messages"
    class_permission_name = "MessageCenter"
    default_view = "index"
    method_permission_name = {name: "access" for name in (
        "index", "show", "attachment", "consultation_new", "consultation", "reply", "close")}

    @expose("/")
    @has_access
    def index(self):
        user = current_user()
        tab = request.args.get("tab") or MessageKind.SYSTEM
        if tab not in TABS:
            tab = MessageKind.SYSTEM
        if tab == MessageKind.CONSULTATION:
            query = messages.consultations_query(user)
        else:
            query = messages.inbox_query(user, tab)
        listed = paged(query)  # a page past the last: the last
        at = now()
        return self.render_template(
            "messages/center.html", title=MENU_MESSAGES, tab=tab, tabs=TABS,
            counts=_unread_of(user).counts, **listed.args(),
            awaits=lambda c: messages.awaits(user, c, at), local_time=local_time,
            statuses=ConsultationStatus)

    @expose("/show/<int:pk>")
    @has_access
    @scoped_id(Message)
    def show(self, pk):
        message = messages.mark_read(current_user(), now(), pk)
        notice, attached = None, []
        if message.notice_id:
            notice = db.session.get(Notice, message.notice_id)
            attached = messages.notice_files([notice.id])[notice.id]
        return self.render_template("messages/show.html", title=message.title, message=message,
                                    notice=notice, files=attached, local_time=local_time)

    @expose("/attachment/<int:pk>")
    @has_access
    @scoped_id(StoredFile)
    def attachment(self, pk):
        return files.send(files.readable(current_user(), pk))

    @expose("/consultation/new", methods=["GET", "POST"])
    @has_access
    @refusals(form="_consultation_form")
    def consultation_new(self):
        if request.method == "POST":
            form = request.form
            # staff choose a firm (its id) or a 协会代管注册会计师 ("person-<id>")
            chosen = form.get("firm", "")
            person_id = int(chosen[7:]) if chosen.startswith("person-") and \
                chosen[7:].isdigit() and len(chosen) < 20 else None
            consultation = messages.start_consultation(
                current_user(), now(), form.get("business_type", ""), form.get("body", ""),
                uploads(), firm_id=form.get("firm", type=int), person_id=person_id)
            flash("咨询已发送", "success")
            return redirect(url_for(".consultation", pk=consultation.id))
        return self._consultation_form()

    def _consultation_form(self):
        user = current_user()
        firms = (db.session.scalars(select(Firm).order_by(Firm.code)).all()
                 if is_institute(user) else None)
        managed = (db.session.scalars(messages.managed_cpas_query()).all()
                   if is_institute(user) else None)
        return self.render_template(
            "messages/consultation_new.html", title="发起咨询", types=messages.BUSINESS_TYPES,
            firms=firms, managed=managed, form=request.form, attachment=messages.ATTACHMENT)

    @expose("/consultation/<int:pk>")
    @has_access
    @scoped_id(Consultation)
    def consultation(self, pk):
        user = current_user()
        consultation = messages.get_consultation(user, pk)
        allowed = {t.event for t in messages.MACHINE.allowed(consultation, user, now())}
        return self.render_template(
            "messages/consultation.html", title="咨询消息", c=consultation,
            files=messages.reply_files(consultation), local_time=local_time,
            can_close="close" in allowed, is_open="reply" in allowed,
            institute=is_institute(user), attachment=messages.ATTACHMENT,
            history=messages.MACHINE.history(consultation))

    @expose("/consultation/<int:pk>/reply", methods=["POST"])
    @has_access
    @scoped_id(Consultation)
    @refusals(back=".consultation")
    def reply(self, pk):
        messages.reply_consultation(current_user(), now(), pk, request.form.get("body", ""),
                                    uploads())
        flash("回复已发送", "success")
        return redirect(url_for(".consultation", pk=pk))

    @expose("/consultation/<int:pk>/close", methods=["POST"])
    @has_access
    @scoped_id(Consultation)
    @refusals(back=".consultation")
    def close(self, pk):
        messages.close_consultation(current_user(), now(), pk)
        flash("咨询已办结", "success")
        return redirect(url_for(".consultation", pk=pk))


class NoticeAdminView(BaseView):
    """通知管理 (staff): list with 已读/收件人数, create, edit, delete."""

    route_base = "/notice-admin"
    class_permission_name = "NoticeAdmin"
    default_view = "list"
    method_permission_name = {name: "manage" for name in ("list", "new", "edit", "delete")}

    @expose("/")
    @has_access
    def list(self):
        keyword = (request.args.get("q") or "").strip()
        state = request.args.get("state", "")
        query = select(Notice)
        if keyword:
            query = query.where(Notice.title.contains(keyword))
        if state == "published":
            query = query.where(Notice.published_at.is_not(None))
        elif state == "pending":
            query = query.where(Notice.published_at.is_(None))
        # chosen firms are shown in the list: load them with the page, not per row
        listed = paged(query.options(selectinload(Notice.firms))
                       .order_by(Notice.publish_at.desc(), Notice.id.desc()))
        notices = listed.rows
        return self.render_template(
            "messages/notice_admin_list.html", title=MENU_NOTICE_ADMIN, notices=notices,
            counts=messages.notice_read_counts(n.id for n in notices), local_time=local_time,
            keyword=keyword, state=state, page=listed.page, total=listed.total,
            pages=listed.pages)

    def _save(self, notice):
        form = request.form
        data = messages.NoticeInput(
            title=form.get("title", ""), body=form.get("body", ""),
            audience=form.get("audience", ""), publish_at=form.get("publish_at", ""),
            firm_ids=[int(i) for i in form.getlist("firms") if i.isdigit()],
            person_types=form.getlist("person_types"))
        saved = messages.save_notice(current_user(), now(), data, uploads(),
                                     notice_id=notice.id if notice else None)
        flash("通知已发布" if saved.published_at else "通知已保存，将于发布时间自动发布",
              "success")
        return redirect(url_for(".list"))

    def _form(self, notice):
        form = request.form
        if request.method == "POST":  # refused: what was typed, again
            values = {"title": form.get("title", ""), "body": form.get("body", ""),
                      "audience": form.get("audience", ""),
                      "publish_at": form.get("publish_at", ""),
                      "firms": {int(i) for i in form.getlist("firms") if i.isdigit()},
                      "person_types": set(form.getlist("person_types"))}
        elif notice is not None:
            values = {"title": notice.title, "body": notice.body, "audience": notice.audience,
                      "publish_at": local_time(notice.publish_at, "%Y-%m-%dT%H:%M"),
                      "firms": {f.id for f in notice.firms},
                      "person_types": set((notice.person_types or "").split(","))}
        else:
            values = {"title": "", "body": "", "audience": Audience.ALL_FIRMS,
                      "publish_at": local_time(now(), "%Y-%m-%dT%H:%M"), "firms": set(),
                      "person_types": set()}
        attached = (messages.notice_files([notice.id])[notice.id]
                    if notice is not None and notice.id else [])
        counts = messages.notice_read_counts([notice.id])[notice.id] if notice else None
        return self.render_template(
            "messages/notice_form.html", title="修改通知" if notice else "发布通知",
            notice=notice, values=values, audiences=Audience.ALL, person_types=PersonType.ALL,
            firms=db.session.scalars(select(Firm).order_by(Firm.code)).all(), files=attached,
            counts=counts, local_time=local_time, attachment=messages.ATTACHMENT)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @refusals(form="_new_form")
    def new(self):
        return self._save(None) if request.method == "POST" else self._form(None)

    def _new_form(self):
        return self._form(None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    @scoped_id(Notice)
    @refusals(form="_edit_form")
    def edit(self, pk):
        notice = messages.get_notice(current_user(), pk)
        return self._save(notice) if request.method == "POST" else self._form(notice)

    def _edit_form(self, pk):
        return self._form(messages.get_notice(current_user(), pk))

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    @scoped_id(Notice)
    def delete(self, pk):
        messages.delete_notice(current_user(), now(), pk)
        flash("通知已删除", "success")
        return redirect(url_for(".list"))


def _thread_link(pk):
    return Markup('<a href="{}" class="consultation-link">查看</a>').format(
        url_for("MessageCenterView.consultation", pk=pk))


class ConsultationAdminView(ScopedModelView):
    """咨询管理 (staff): every consultation, searchable; replies on the thread page."""

    datamodel = SQLAInterface(Consultation)
    base_permissions = ["can_list", "can_export"]
    list_title = "咨询管理"
    label_columns = {"id": "操作", "business_type": "业务类型", "subject": "咨询内容",
                     "firm": "事务所", "status": "状态", "created_at": "发起时间",
                     "updated_at": "最后更新", "started_by_institute": "协会发起"}
    list_columns = ["business_type", "subject", "firm", "status", "created_at", "updated_at",
                    "id"]
    export_columns = list_columns[:-1]
    search_columns = ["business_type", "subject", "firm", "status", "created_at"]
    order_columns = ["business_type", "status", "created_at", "updated_at"]
    base_order = ("updated_at", "desc")
    formatters_columns = {"created_at": local_time, "updated_at": local_time, "id": _thread_link}
    list_links = [("发起咨询", "MessageCenterView.consultation_new", "fa-plus", "can_access",
                   "MessageCenter")]


class MessageApi(ScopedModelRestApi):
    """REST `message`: the current user's messages; POST /<id>/read marks one read."""

    resource_name = "message"
    datamodel = SQLAInterface(Message)
    allow_browser_login = True
    openapi_spec_tag = "Message"
    base_permissions = ["can_get", "can_info", "can_mark_read"]
    method_permission_name = {"get": "get", "get_list": "get", "info": "info",
                              "read": "mark_read"}
    list_columns = ["id", "kind", "title", "link", "notice_id", "created_at", "read_at"]
    show_columns = ["id", "kind", "title", "body", "link", "notice_id", "created_at", "read_at"]
    search_columns = ["kind", "read_at", "created_at"]
    order_columns = ["created_at", "read_at", "kind"]
    base_order = ("created_at", "desc")

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    def read(self, pk):
        """Mark one of my messages read.
        ---
        post:
          description: Opening a message marks it read; the first reading time stays.
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: read, with the unread counts per kind
              content: {application/json: {schema: {type: object, required: [id, read_at, unread], properties: {id: {type: integer}, read_at: {type: string}, unread: {type: object, additionalProperties: {type: integer}}}}}}
            404: {description: not one of my messages}
        """
        user = g.user
        message = messages.mark_read(user, now(), pk)  # not mine: the app's 404 body
        return self.response(200, id=message.id, read_at=message.read_at.isoformat(),
                             unread=messages.unread_counts(user))


class _UnreadCounts:
    """Computed from the database at most once per request, never kept longer."""

    def __init__(self, user):
        self._user = user
        self._counts = None

    @property
    def counts(self):
        if self._counts is None:
            self._counts = messages.unread_counts(self._user)
        return self._counts

    @property
    def total(self):
        return sum(self.counts.values())


def _unread_of(user) -> _UnreadCounts:
    """The request's unread counts of `user`: the navbar's red dot and the 消息中心's tabs
    read the same two queries once (every rendered template asks the context again)."""
    kept = g.__dict__.setdefault("_unread_counts", {})
    if user.id not in kept:
        kept[user.id] = _UnreadCounts(user)
    return kept[user.id]


def _unread_context():
    user = current_user()
    if user is None:
        return {}
    return {"message_unread": _unread_of(user), "message_menu": {
        "entry": MENU_MESSAGES, "category": MENU_MESSAGES}}  # the navbar's group


def register(appbuilder, app) -> None:
    """Add this area's views, APIs and menu entries."""
    appbuilder.add_view(
        MessageCenterView, MENU_MESSAGES, href="/messages/", icon="fa-envelope",
        category=MENU_QUERY,
    )
    appbuilder.add_view(
        NoticeAdminView, MENU_NOTICE_ADMIN, href="/notice-admin/", icon="fa-bullhorn",
        category=MENU_MESSAGE_ADMIN, category_icon="fa-comments",
    )
    appbuilder.add_view(
        ConsultationAdminView, MENU_CONSULT_ADMIN, icon="fa-comments-o",
        category=MENU_MESSAGE_ADMIN,
    )
    appbuilder.add_api(MessageApi)
    app.context_processor(_unread_context)


_INBOX = [["MessageCenter", "can_access"], ["MessageApi", "can_(get|info|mark_read)"]]
DOMAIN = Domain(
    name="messages",
    register=register,
    permissions={
        STAFF: _INBOX + [
            ["NoticeAdmin", "can_manage"], ["ConsultationAdminView", "can_(list|export)"],
            [f"{MENU_QUERY}|{MENU_MESSAGES}|{MENU_MESSAGE_ADMIN}|{MENU_NOTICE_ADMIN}"
             f"|{MENU_CONSULT_ADMIN}", "menu_access"]],
        FIRM_ADMIN: _INBOX + [[MENU_MESSAGES, "menu_access"]],
        MEMBER: _INBOX + [[f"{MENU_QUERY}|{MENU_MESSAGES}", "menu_access"]],
    },
    audited={Notice: set(), Consultation: set()},
    jobs=(publish_notices,),
    queues=CONSULTATION_QUEUES,  # 审核中心: consultations awaiting the institute
    # 消息中心 is a top-level entry with its unread count (seed 004); staff's notice and
    # consultation administration open from it
    menus={STAFF: {MENU_MESSAGES: MENU_MESSAGES, MENU_MESSAGE_ADMIN: MENU_MESSAGES},
           FIRM_ADMIN: {MENU_MESSAGES: MENU_MESSAGES}, MEMBER: {MENU_MESSAGES: MENU_MESSAGES}},
    file_owners={**NOTICE_FILES, **CONSULTATION_FILES},
)
