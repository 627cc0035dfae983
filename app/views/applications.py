"""学时申请 (seed 001 §2.2 / §3.2, seed 002 §7-9): the member's 投入式 / 产出式 / 豁免
applications (list with 查看, 附件信息, 导出; new / edit / delete while 未确认 or 不予确认),
the staff's 学时申请确认 queue (filter by year, kind, status, firm; confirm or refuse one or
many), REST `hour_application` with the verbs confirm / refuse. Rules:
app/workflows/applications/rules.py."""
import io
from decimal import Decimal

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import (ApplicationKind, ApplicationStatus, Category, Firm, HourApplication,
                        Person, StoredFile)
from app.roles import MEMBER, MENU_CPE, STAFF
from app.views.core.args import hours_text as _hours, int_arg as _int_arg, paged, shown_versions
from app.views.core.machines import MachineVerbsMixin, fire_from_page, flash_outcomes
from app.views.core.refusals import refusals
from app.views.core.scoping import ScopedModelRestApi, current_user, now, scoped_id, uploads
from app.workflows.applications import rules
from app.workflows.core import files
from app.workflows.core.errors import ForbiddenError
from app.workflows.core.scoping import get_scoped, is_institute
from app.workflows.core.sheets import XlsxWriter
from app.workflows.core.labels import code_of, label

MENU = "学时申请"
MENU_MINE = "我的学时申请"
MENU_REVIEW = "学时申请确认"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_SLUGS = {"input": ApplicationKind.INPUT, "output": ApplicationKind.OUTPUT,
              "exemption": ApplicationKind.EXEMPTION}
SLUG_OF = {v: k for k, v in KIND_SLUGS.items()}
TITLES = {ApplicationKind.INPUT: "投入式学时申请", ApplicationKind.OUTPUT: "产出式学时申请",
          ApplicationKind.EXEMPTION: "豁免学时申请"}
HEADERS = ["序号", "学时年度", "姓名", "证书编号", "事务所", "申请类型", "学时途径/豁免条件",
           "主办单位", "数量", "申请学时", "学时类别", "备注", "状态", "不予确认原因", "提交时间",
           "确认时间"]


def _form_input(kind: str) -> rules.ApplicationInput:
    form = request.form
    return rules.ApplicationInput(
        kind=kind, year=form.get("year"), route=form.get("route") or "",
        organizer=form.get("organizer") or "", hours=form.get("hours"),
        quantity=form.get("quantity"), category=form.get("category") or Category.PROFESSIONAL,
        remark=form.get("remark") or "")


def _filtered(user, *, firm_filter: bool, default_status: str = ""):
    year = _int_arg("year", 2000, 2100)
    kind = KIND_SLUGS.get(request.args.get("kind") or "")
    status = code_of(ApplicationStatus.LABELS, request.args.get("status", default_status) or "")
    firm_id = _int_arg("firm", 1, 2 ** 31 - 1)
    # the one query of these lists and of the 审核中心 (app/workflows/applications/rules.py)
    query = rules.review_select(user, year=year, kind=kind, status=status,
                                firm_id=firm_id if firm_filter else None)
    return query, year, kind, status, firm_id


def _number(value):
    return Decimal(value).quantize(Decimal("0.1")) if value is not None else None


def _export(rows):
    writer = XlsxWriter()
    sheet = writer.sheet("学时申请", widths=[6, 8, 10, 16, 30, 8, 28, 24, 8, 8, 8, 30, 10, 24,
                                          20, 20])
    writer.append(sheet, HEADERS, bold=True)
    for number, r in enumerate(rows, start=1):
        person = r.person
        writer.append(sheet, [
            number, r.year, person.name, person.cert_number or "",
            person.firm.name if person.firm else "", r.kind, r.route, r.organizer or "",
            # numbers and times keep their type: the one writer shows 4.0 and Beijing time
            _number(r.quantity), _number(r.hours),
            r.category if r.kind != ApplicationKind.EXEMPTION else "", r.remark or "",
            label(r), r.reason or "", r.submitted_at, r.decided_at], text_format=True)
    return send_file(io.BytesIO(writer.to_bytes()), mimetype=XLSX, as_attachment=True,
                     download_name="学时申请.xlsx")


class HourApplicationsView(BaseView):
    """The member's 学时申请 (staff read every application and its files here too)."""

    route_base = "/applications"
    class_permission_name = "HourApplications"
    chinese_name = "学时申请"
    permission_labels = {"can_file": "申请"}
    default_view = "index"
    method_permission_name = {"index": "read", "export": "read", "show": "read",
                              "attachment": "read", "new": "file", "edit": "file",
                              "delete": "file"}

    @expose("/")
    @has_access
    def index(self):
        user = current_user()
        institute = is_institute(user)  # staff read every member's applications here
        query, year, kind, status, _ = _filtered(user, firm_filter=institute)
        listed = paged(query.order_by(HourApplication.year.desc(), HourApplication.id.desc()))
        args = request.args.to_dict()
        return self.render_template(
            "applications/index.html", title=TITLES.get(kind, MENU), **listed.args(),
            year=year, kind=kind, status=status, statuses=ApplicationStatus.LABELS,
            kinds=KIND_SLUGS, titles=TITLES, slug_of=SLUG_OF, years=rules.years(now()),
            attached=rules.attachments_of([r.id for r in listed.rows]), hours=_hours,
            local_time=clock.display, args=args, institute=institute,
            editable={r.id for r in listed.rows
                      if rules.MACHINE.permits(r, "edit", user, now())},
            refused={r.id for r in listed.rows if rules.MACHINE.reached(r, "refuse")},
            page_link=lambda p: url_for(".index", **{**args, "page": p}))

    @expose("/export")
    @has_access
    def export(self):
        user = current_user()
        query, *_ = _filtered(user, firm_filter=is_institute(user))
        rows = db.session.scalars(query.order_by(HourApplication.year.desc(),
                                                 HourApplication.id.desc()).limit(20000))
        return _export(rows)

    def _form(self, kind, item):
        return self.render_template(
            "applications/form.html", title=("修改" if item else "新建") + TITLES[kind],
            kind=kind, item=item, form=request.form, years=rules.years(now()),
            input_routes=rules.INPUT_ROUTES, output_routes=rules.OUTPUT_ROUTES,
            conditions=rules.EXEMPTION_CONDITIONS, categories=Category.ALL,
            attached=rules.attachments_of([item.id]).get(item.id, []) if item else [],
            max_files=rules.MAX_FILES, doc=rules.PROOF, hours=_hours,
            human_size=files.human_size)

    def _new_form(self, slug):
        return self._form(KIND_SLUGS[slug], None)

    def _edit_form(self, pk):
        item = self._load(pk)
        return self._form(item.kind, item)

    @expose("/new/<string:slug>", methods=["GET", "POST"])
    @has_access
    @refusals(form="_new_form")
    def new(self, slug):
        kind = KIND_SLUGS.get(slug)
        if kind is None:
            abort(404, description="没有这种学时申请")
        user = current_user()
        try:
            rules.applicant_of(user)
        except ForbiddenError as error:
            abort(error.status, description=error.message)
        if request.method == "POST":
            row = rules.file_application(user, now(), _form_input(kind),
                                         uploads(rules.PROOF.name))
            flash("保存成功，等待协会确认", "success")
            return redirect(url_for(".show", pk=row.id))
        return self._form(kind, None)

    def _load(self, pk):
        return get_scoped(db.session, HourApplication, pk, current_user(), "学时申请不存在")

    @expose("/<int:pk>")
    @has_access
    @scoped_id(HourApplication)
    def show(self, pk):
        user = current_user()
        item = self._load(pk)
        return self.render_template(
            "applications/show.html", title=f"{TITLES[item.kind]}详情", item=item,
            history=rules.MACHINE.history(item), hours=_hours, local_time=clock.display,
            attached=rules.attachments_of([item.id]).get(item.id, []),
            verbs=[t for t in rules.MACHINE.allowed(item, user, now()) if t.event != "refile"],
            institute=is_institute(user), actions=rules.MACHINE.actions(item, user, now()),
            refile=rules.may(item, "refile", user, now()), human_size=files.human_size,
            slug=SLUG_OF[item.kind])

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    @scoped_id(HourApplication)
    @refusals(form="_edit_form")
    def edit(self, pk):
        user = current_user()
        item = self._load(pk)
        if is_institute(user):
            abort(403, description="只有申请人本人可以修改学时申请")
        refusal = rules.MACHINE.refusal(item, "edit", user, now())
        if refusal is not None:
            flash(refusal.message, "warning")
            return redirect(url_for(".show", pk=pk))
        if request.method == "POST":
            removing = [v for v in request.form.getlist("remove_file") if v.isdigit()]
            rules.update_application(user, now(), pk, _form_input(item.kind),
                                     uploads(rules.PROOF.name), removing)
            flash("保存成功，等待协会确认", "success")
            return redirect(url_for(".show", pk=pk))
        return self._form(item.kind, item)

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    @scoped_id(HourApplication)
    @refusals(back=".show")
    def delete(self, pk):
        rules.delete_application(current_user(), now(), pk)
        flash("学时申请已删除", "success")
        return redirect(url_for(".index"))

    @expose("/file/<int:pk>")
    @has_access
    @scoped_id(StoredFile)
    def attachment(self, pk):
        # who may read which file: the owner kind's policy (rules._can_read)
        return files.send(files.readable(current_user(), pk))


class HourApplicationReviewView(BaseView):
    """学时申请确认 (staff): the queue, one or many decisions through the machine."""

    route_base = "/applications/review"
    class_permission_name = "HourApplicationReview"
    chinese_name = "学时申请确认"
    permission_labels = {"can_review": "确认"}
    default_view = "queue"
    method_permission_name = {"queue": "review", "decide": "review", "decide_one": "review"}

    @expose("/")
    @has_access
    def queue(self):
        user = current_user()
        # the queue opens on what waits for a decision; 状态 “全部” is an empty value
        query, year, kind, status, firm_id = _filtered(
            user, firm_filter=True, default_status=ApplicationStatus.PENDING)
        listed = paged(query.order_by(HourApplication.id.desc()).options(
            selectinload(HourApplication.person).selectinload(Person.firm)))
        firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)
                                   .limit(500)).all()
        args = request.args.to_dict()
        return self.render_template(
            "applications/review.html", title=MENU_REVIEW, **listed.args(), year=year,
            kind=kind, status=status, firm_id=firm_id, firms=firms,
            statuses=ApplicationStatus.LABELS, kinds=KIND_SLUGS, slug_of=SLUG_OF,
            attached=rules.attachments_of([r.id for r in listed.rows]), hours=_hours,
            local_time=clock.display, args=args,
            refusable={r.id for r in listed.rows if rules.may(r, "refuse", user, now())},
            page_link=lambda p: url_for(".queue", **{**args, "page": p}))

    def _back(self, default):
        back = request.form.get("back") or ""
        return back if back.startswith("/applications/") else default

    @expose("/decide", methods=["POST"])
    @has_access
    @refusals(back=lambda self: self._back(url_for(".queue")))
    def decide(self):
        decision = request.form.get("decision")
        ids = []
        for value in request.form.getlist("ids"):
            if not value.isdigit() or len(value) > 9:
                abort(400, description="所选记录编号无效")
            ids.append(int(value))
        back = self._back(url_for(".queue"))
        if not ids:
            flash("请先勾选要确认的学时申请", "warning")
            return redirect(back)
        remarks = {pk: (request.form.get(f"reason_{pk}") or "")[:200] for pk in ids}
        result = rules.review_many(current_user(), now(), ids, decision,
                                   request.form.get("remark"), remarks,
                                   versions=shown_versions())
        word = "确认" if decision == "confirm" else "不予确认"
        flash_outcomes(result, f"已{word} {{n}} 条学时申请")
        return redirect(back)

    @expose("/<int:pk>/<string:verb>", methods=["POST"])
    @has_access
    @scoped_id(HourApplication)
    def decide_one(self, pk, verb):
        return fire_from_page(rules.MACHINE, rules.COMMANDS, pk, verb,
                              url_for("HourApplicationsView.show", pk=pk))


class HourApplicationApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `hour_application`: read in scope; staff confirm / refuse (reason in the body)."""

    resource_name = "hour_application"
    datamodel = SQLAInterface(HourApplication)
    allow_browser_login = True
    openapi_spec_tag = "Hour application"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = rules.MACHINE
    verb_commands = rules.API_COMMANDS
    list_columns = ["id", "person_id", "person.name", "year", "kind", "route", "organizer",
                    "quantity", "hours", "category", "remark", "status", "reason",
                    "submitted_at", "decided_at", "version"]
    show_columns = list_columns
    search_columns = ["person_id", "year", "kind", "status"]
    order_columns = ["year", "status", "submitted_at"]
    base_order = ("id", "desc")


def register(appbuilder, app) -> None:
    from app.views.core.visibility import only_for

    # a 其他从业人员 files no hour application (rules.applicant_of): no menu, no 新建
    only_for(MENU, rules.may_read)
    only_for(MENU_MINE, rules.may_file)
    only_for("applications.new", rules.may_file)
    appbuilder.add_view_no_menu(HourApplicationsView)
    appbuilder.add_view_no_menu(HourApplicationReviewView)
    appbuilder.add_link(MENU_MINE, href="/applications/", icon="fa-pencil-square-o",
                        category=MENU, category_icon="fa-pencil-square-o")
    appbuilder.add_link(MENU_REVIEW, href="/applications/review/", icon="fa-check-square-o",
                        category=MENU, category_icon="fa-pencil-square-o")
    appbuilder.add_api(HourApplicationApi)


DOMAIN = Domain(
    name="applications",
    register=register,
    permissions={
        STAFF: [["HourApplications", "can_read"], ["HourApplicationReview", "can_review"],
                ["HourApplicationApi", "can_(get|info|act)"],
                [f"{MENU}|{MENU_REVIEW}", "menu_access"]],
        MEMBER: [["HourApplications", "can_(read|file)"], ["HourApplicationApi", "can_(get|info)"],
                 [f"{MENU}|{MENU_MINE}", "menu_access"]],
    },
    audited={HourApplication: set()},
    queues=rules.QUEUES,  # 审核中心: 未确认 applications
    menus={STAFF: {MENU: MENU_CPE}, MEMBER: {MENU: MENU_CPE}},  # 继续教育 (CICPA manual)
    file_owners=rules.FILE_OWNERS,
)
