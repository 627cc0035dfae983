"""帮助中心 (seed 004 §8–§9): 操作手册, 演示视频, 行业政策法规, 智能客服, 意见建议 for every
signed-in role, and the staff maintenance views of what those pages read.

The reader pages are a custom BaseView: the help tables have no firm or person column, so
the scoped ModelViews show them to Admin and Staff only (the maintenance side).
"""
import re

from flask import flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from markupsafe import Markup, escape
from wtforms import TextAreaField

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import FaqEntry, HelpDocument, PolicyText, Suggestion
from app.views.core.forms import choice_field
from app.roles import CRUD, FIRM_ADMIN, MEMBER, STAFF
from app.views.core.refusals import refusals, refused_fields
from app.views.core.scoping import ScopedModelView, current_user, now, scoped_id
from app.workflows import help
from app.workflows.core.errors import DomainError
from app.workflows.core.scoping import is_institute

MENU_HELP = "帮助中心"
MENU_HELP_MANUALS = "操作手册"
MENU_HELP_VIDEOS = "演示视频"
MENU_HELP_POLICIES = "行业政策法规"
MENU_HELP_ASSISTANT = "智能客服"
MENU_HELP_SUGGEST = "意见建议"
MENU_HELP_DOCUMENTS_ADMIN = "手册视频维护"
MENU_HELP_POLICIES_ADMIN = "政策法规维护"
MENU_HELP_FAQ_ADMIN = "知识库维护"
MENU_HELP_SUGGESTIONS_ADMIN = "意见建议处理"

# quick questions under the 智能客服 box (seed 004 §9)
QUICK_QUESTIONS = ["北京市内转所需要哪些材料？", "新办会计师事务所需要哪些材料？",
                   "非执业会员转执业会员如何办理？", "注册会计师每年需要完成多少继续教育学时？"]


def _local_time(value):
    return clock.display(value)


def highlight(text: str, terms) -> Markup:
    """`text` escaped, with the search terms marked (terms come from the URL: escaped too)."""
    text = text or ""
    terms = sorted({t for t in (terms or [])[:20] if t and len(t) <= 50}, key=len, reverse=True)
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


class HelpCenterView(BaseView):
    """The pages every signed-in role reads (and 意见建议, which every role may send)."""

    route_base = "/help"
    class_permission_name = "HelpCenter"
    method_permission_name = {
        "index": "read", "manuals": "read", "videos": "read", "policies": "read",
        "policy": "read", "assistant": "read", "ask": "read", "suggest": "suggest",
    }
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("help/index.html", title="帮助中心")

    def _documents(self, kind, title):
        return self.render_template("help/documents.html", title=title, kind=kind,
                                    documents=help.documents(kind),
                                    maintainer=is_institute(current_user()))

    @expose("/manuals/")
    @has_access
    def manuals(self):
        return self._documents(help.DocumentKind.MANUAL, "操作手册")

    @expose("/videos/")
    @has_access
    def videos(self):
        return self._documents(help.DocumentKind.VIDEO, "演示视频")

    @expose("/policies/")
    @has_access
    def policies(self):
        query = request.args.get("q", "").strip()[:200]
        hits = help.search_policies(query)
        return self.render_template("help/policies.html", title="行业政策法规", query=query,
                                    hits=hits, highlight=highlight)

    @expose("/policies/<int:policy_id>")
    @has_access
    @scoped_id(PolicyText, "policy_id")
    def policy(self, policy_id):
        policy = help.get_policy(current_user(), policy_id)
        return self.render_template("help/policy.html", title=policy.title, policy=policy,
                                    paragraphs=help.paragraphs(policy.body),
                                    highlight=highlight, terms=request.args.getlist("t"))

    @expose("/assistant/")
    @has_access
    def assistant(self):
        question = request.args.get("q", "")
        reply, error = None, None
        if question.strip():
            try:
                reply = help.ask(question)
            except DomainError as failure:
                error = failure.message
        return self.render_template("help/assistant.html", title="智能客服", question=question,
                                    reply=reply, error=error, quick=QUICK_QUESTIONS)

    @expose("/assistant/ask")
    @has_access
    def ask(self):
        """The 智能客服 button's question (app/static/assistant.js): the same answers as the
        page, as JSON; a refused question (empty, too long) is a 400 with its message."""
        try:
            reply = help.ask(request.args.get("q", ""))
        except DomainError as failure:
            return jsonify(message=failure.message, answers=[]), 400
        return jsonify(question=reply.question, message=reply.message or "",
                       answers=[{"title": a.title, "text": a.text, "source": a.source}
                                for a in reply.answers])

    @expose("/suggest/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_suggest_form")
    def suggest(self):
        if request.method == "POST":
            anonymous = bool(request.form.get("anonymous"))
            help.submit_suggestion(current_user(), now(), request.form.get("content", ""),
                                   anonymous)
            flash("感谢您的意见建议，已提交" + ("（匿名）" if anonymous else ""), "success")
            return redirect(url_for(".suggest"))
        return self._suggest_form()

    def _suggest_form(self):
        """The form, with what was typed when a suggestion was refused (its message is
        flashed; the field is marked)."""
        return self.render_template("help/suggest.html", title="意见建议",
                                    content=request.form.get("content", ""),
                                    anonymous=bool(request.form.get("anonymous")),
                                    refused=refused_fields(), max_length=help.MAX_SUGGESTION)


# --- staff maintenance ----------------------------------------------------------------------

_TIME = {"created_at": _local_time, "updated_at": _local_time}


class HelpDocumentView(ScopedModelView):
    """操作手册 / 演示视频 maintenance (staff)."""

    datamodel = SQLAInterface(HelpDocument)
    list_title = "操作手册与演示视频"
    show_title = "帮助文档详情"
    add_title = "新增帮助文档"
    edit_title = "修改帮助文档"
    label_columns = {"kind": "类别", "title": "标题", "description": "说明", "url": "链接",
                     "sort_order": "排序", "created_at": "创建时间"}
    list_columns = ["kind", "title", "url", "sort_order", "created_at"]
    show_columns = ["kind", "title", "description", "url", "sort_order", "created_at"]
    add_columns = edit_columns = ["kind", "title", "description", "url", "sort_order"]
    search_columns = ["kind", "title", "description", "url"]
    order_columns = ["kind", "title", "sort_order", "created_at"]
    base_order = ("sort_order", "asc")
    description_columns = {
        "url": "文档或视频的地址，以 http://、https:// 或 / 开头",
        "sort_order": "数字小的排在前面",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field("类别", help.DocumentKind.ALL),
    }
    formatters_columns = dict(_TIME)

    def clean(self, item, creating):
        help.clean_document(item, now())


class PolicyTextView(ScopedModelView):
    """行业政策法规 maintenance (staff)."""

    datamodel = SQLAInterface(PolicyText)
    list_title = "政策法规维护"
    show_title = "政策法规详情"
    add_title = "新增政策法规"
    edit_title = "修改政策法规"
    label_columns = {"title": "标题", "doc_number": "文号", "issuer": "发文单位",
                     "published_on": "发布日期", "body": "正文", "created_at": "创建时间",
                     "updated_at": "更新时间"}
    list_columns = ["title", "doc_number", "issuer", "published_on", "updated_at"]
    show_columns = ["title", "doc_number", "issuer", "published_on", "body", "created_at",
                    "updated_at"]
    add_columns = edit_columns = ["title", "doc_number", "issuer", "published_on", "body"]
    search_columns = ["title", "doc_number", "issuer", "published_on", "body"]
    order_columns = ["title", "doc_number", "published_on", "updated_at"]
    base_order = ("published_on", "desc")
    description_columns = {"body": "每段一行；智能客服按段落回答并注明出处",
                           "doc_number": "如：会协〔2021〕46号"}
    add_form_extra_fields = edit_form_extra_fields = {
        "body": TextAreaField("正文", render_kw={"rows": 16}),
    }
    formatters_columns = dict(_TIME)

    def clean(self, item, creating):
        help.clean_policy(item, now())


class FaqEntryView(ScopedModelView):
    """智能客服 knowledge base maintenance (staff)."""

    datamodel = SQLAInterface(FaqEntry)
    list_title = "智能客服知识库"
    show_title = "问答详情"
    add_title = "新增问答"
    edit_title = "修改问答"
    label_columns = {"question": "问题", "answer": "答案", "source": "依据/来源",
                     "created_at": "创建时间", "updated_at": "更新时间"}
    list_columns = ["question", "source", "updated_at"]
    show_columns = ["question", "answer", "source", "created_at", "updated_at"]
    add_columns = edit_columns = ["question", "answer", "source"]
    search_columns = ["question", "answer", "source"]
    order_columns = ["source", "updated_at"]
    base_order = ("id", "asc")
    description_columns = {
        "question": "第一行为显示的问题；其后每行可填写同一问题的其他问法，便于智能客服匹配",
        "source": "回答的依据，如：会协〔2021〕46号、注册管理常见问题",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "question": TextAreaField("问题", render_kw={"rows": 3}),
        "answer": TextAreaField("答案", render_kw={"rows": 8}),
    }
    formatters_columns = dict(_TIME)

    def clean(self, item, creating):
        help.clean_faq(item, now())


def _sender(user_id):
    if user_id is None:
        return "匿名"
    user = db.session.get(User, user_id)
    if user is None:
        return f"用户#{user_id}"
    return f"{user.first_name}（{user.username}）" if user.first_name else user.username


class SuggestionView(ScopedModelView):
    """意见建议 received (staff): anonymous ones show 匿名 and only the day."""

    datamodel = SQLAInterface(Suggestion)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "意见建议"
    show_title = "意见建议详情"
    label_columns = {"content": "内容", "user_id": "提交人", "created_at": "提交时间",
                     "submitted": "提交时间"}
    list_columns = ["content", "user_id", "submitted"]
    show_columns = ["content", "user_id", "submitted"]
    export_columns = show_columns
    search_columns = ["content", "created_at"]
    order_columns = ["created_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {"user_id": _sender, "created_at": _local_time,
                          "submitted": _local_time}


def register(appbuilder, app) -> None:
    """Add this area's views, APIs and menu entries."""
    appbuilder.add_view_no_menu(HelpCenterView)
    # the 智能客服 button's quick questions (core/assistant_button.html)
    app.jinja_env.globals["assistant_questions"] = lambda: QUICK_QUESTIONS
    category = MENU_HELP
    first = True
    for label, endpoint, icon in (
        (MENU_HELP_MANUALS, "manuals", "fa-book"),
        (MENU_HELP_VIDEOS, "videos", "fa-video-camera"),
        (MENU_HELP_POLICIES, "policies", "fa-balance-scale"),
        (MENU_HELP_ASSISTANT, "assistant", "fa-comments"),
        (MENU_HELP_SUGGEST, "suggest", "fa-lightbulb-o"),
    ):
        appbuilder.add_link(label, href=f"/help/{endpoint}/", icon=icon, category=category,
                            **({"category_icon": "fa-question-circle"} if first else {}))
        first = False
    appbuilder.add_view(HelpDocumentView, MENU_HELP_DOCUMENTS_ADMIN, icon="fa-files-o",
                        category=category)
    appbuilder.add_view(PolicyTextView, MENU_HELP_POLICIES_ADMIN, icon="fa-gavel",
                        category=category)
    appbuilder.add_view(FaqEntryView, MENU_HELP_FAQ_ADMIN, icon="fa-database",
                        category=category)
    appbuilder.add_view(SuggestionView, MENU_HELP_SUGGESTIONS_ADMIN, icon="fa-inbox",
                        category=category)


_READER_MENUS = "|".join([MENU_HELP, MENU_HELP_MANUALS, MENU_HELP_VIDEOS, MENU_HELP_POLICIES,
                          MENU_HELP_ASSISTANT, MENU_HELP_SUGGEST])
_READER = [["HelpCenter", "can_(read|suggest)"], [_READER_MENUS, "menu_access"]]
DOMAIN = Domain(
    name="help",
    register=register,
    permissions={
        STAFF: _READER + [
            ["HelpDocumentView|PolicyTextView|FaqEntryView", CRUD],
            ["SuggestionView", "can_(list|show|export)"],
            [f"{MENU_HELP_DOCUMENTS_ADMIN}|{MENU_HELP_POLICIES_ADMIN}|{MENU_HELP_FAQ_ADMIN}"
             f"|{MENU_HELP_SUGGESTIONS_ADMIN}", "menu_access"]],
        FIRM_ADMIN: list(_READER),
        MEMBER: list(_READER),
    },
    # who changed which answer or policy, and when (suggestions are never audited: an
    # anonymous one must leave no trace of its sender)
    audited={HelpDocument: set(), PolicyText: set(), FaqEntry: set()},
)
