"""事务所内部培训 (seed 000 §6): the firm admin's 内培资格申请 / 培训班上报 (with 名单, 单个上报,
上报中注协) / 年终总结报告, the staff's 内部培训审核 queue, REST `inhouse_qualification`,
`inhouse_class`, `inhouse_roster_entry` with the verbs approve / reject, and the CLI
`export cicpa`. Rules: app/workflows/inhouse/."""
import datetime as dt
import io
import zipfile
from decimal import Decimal
from urllib.parse import urlencode

import click
from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask.cli import AppGroup, with_appcontext
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import func, or_, select

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import (Acquisition, Category, EntryStatus, Firm, InhouseClass,
                        InhouseQualification, InhouseRosterEntry, InhouseYearReport,
                        ReviewStatus, StoredFile)
from app.roles import FIRM_ADMIN, STAFF
from app.views.core.machines import MachineVerbsMixin
from app.views.core.scoping import ScopedModelRestApi, current_user, now, scoped_id, uploads
from app.workflows.core import files
from app.workflows.core.errors import DomainError, NotFoundError
from app.workflows.core.scoping import is_institute, scoped_select
from app.workflows.core.sheets import XlsxWriter, csv_chunks
from app.workflows.inhouse import cicpa, importing, reports, rules

MENU = "事务所内部培训"
MENU_QUALIFICATION = "内培资格申请"
MENU_CLASSES = "培训班上报"
MENU_REPORT = "年终总结报告"
MENU_REVIEW = "内部培训审核"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 20
NOTES = (
    "培训班需在开班前至少提前一周上报，逾期则无法上报。",
    "培训通过人员名单的导入需在培训结束后15天内完成，否则无法导入。",
    "特殊上报用于上报教师授课获得学时及人员获得部分学时的情况下使用。",
)
CATEGORY_CHOICES = [(Category.PROFESSIONAL, "专业"), (Category.ETHICS, "职业道德"),
                    (Category.SIZHENG, "思政")]


def _hours(value) -> str:
    return f"{Decimal(value):.1f}" if value is not None else ""


def _int_arg(name, low=1, high=9999):
    value = request.args.get(name) or ""
    try:
        number = int(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def _text_arg(name, length=64) -> str:
    return (request.args.get(name) or "").strip()[:length]


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _page() -> int:
    return _int_arg("page", 1, 100000) or 1


def _application_form_docx() -> bytes:
    """内培资格申请表 (Word): the fields the institute asks for, to fill in and stamp."""
    rows = ["事务所名称", "事务所编号", "申请年度", "培训负责人及联系方式", "培训场地及设施",
            "年度培训计划（课程、学时、师资）", "培训管理制度", "事务所意见（盖章）"]
    cell = lambda text: (f'<w:tc><w:tcPr><w:tcW w:w="4500" w:type="dxa"/></w:tcPr><w:p><w:r>'  # noqa: E731
                         f'<w:t>{text}</w:t></w:r></w:p></w:tc>')
    table = "".join(f"<w:tr>{cell(label)}{cell('')}</w:tr>" for label in rows)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:body><w:p><w:r><w:t>北京注册会计师协会 事务所内部培训资格申请表</w:t></w:r></w:p>'
        '<w:tbl><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/>'
        '<w:bottom w:val="single" w:sz="4"/><w:right w:val="single" w:sz="4"/>'
        '<w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders>'
        f'</w:tblPr>{table}</w:tbl></w:body></w:document>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>'))
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def _class_form(form) -> rules.ClassInput:
    return rules.ClassInput(name=form.get("name", ""), category=form.get("category", ""),
                            hours=form.get("hours", ""), start_date=form.get("start_date", ""),
                            end_date=form.get("end_date", ""), address=form.get("address", ""),
                            leader=form.get("leader", ""), contact=form.get("contact", ""))


def _entry_form(form) -> rules.EntryInput:
    return rules.EntryInput(is_cpa=form.get("is_cpa", rules.YES),
                            cert_number=form.get("cert_number", ""), name=form.get("name", ""),
                            id_number=form.get("id_number", ""), level=form.get("level", ""),
                            acquisition=form.get("acquisition") or Acquisition.IN_HOUSE,
                            hours=form.get("hours", ""))


class InhouseClassesView(BaseView):
    """The firm admin's pages (staff read the lists and rosters of every firm)."""

    route_base = "/inhouse"
    class_permission_name = "Inhouse"
    chinese_name = "事务所内部培训"  # 用户权限 names the view and its permission so
    permission_labels = {"can_report": "上报"}
    default_view = "index"
    method_permission_name = {
        "qualification": "report", "qualification_template": "report",
        "index": "read", "class_add": "report", "class_edit": "report",
        "class_delete": "report", "report_roster": "report", "roster": "read",
        "entry_add": "report", "entry_edit": "report", "person_lookup": "report", "entry_delete": "report",
        "cicpa_export": "read", "year_report": "report", "attachment": "read",
    }

    # -- 内培资格申请 -----------------------------------------------------------------------

    @expose("/qualification/", methods=["GET", "POST"])
    @has_access
    def qualification(self):
        user = current_user()
        firm = self._firm_or_institute(user)
        if request.method == "POST" and firm is not None:
            chosen = {doc.name: (uploads(doc.name) or [None])[0] for doc in rules.ATTACHMENTS}
            try:
                rules.apply_qualification(user, now(), request.form.get("year"), chosen)
            except DomainError as error:
                flash(error.message, "danger")
            else:
                flash("数据保存成功，等待协会审核", "success")
                return redirect(url_for(".qualification"))
        rows = list(db.session.scalars(scoped_select(InhouseQualification, user).order_by(
            InhouseQualification.year.desc(), InhouseQualification.id.desc()).limit(200)))
        attached = rules.attachments_of([r.id for r in rows])
        history = {r.id: rules.QUALIFICATION.history(r) for r in rows} if firm else {}
        return self.render_template(
            "inhouse/qualification.html", title=MENU_QUALIFICATION, rows=rows, firm=firm,
            attached=attached, docs=rules.ATTACHMENTS, years=rules.qualification_years(now()),
            history=history, local_time=clock.display,
            year=request.form.get("year") or rules.qualification_years(now())[0])

    @staticmethod
    def _firm_or_institute(user):
        """The firm admin's firm; None for institute staff (they read every firm's rows)."""
        if is_institute(user):
            return None
        try:
            return rules.firm_of(user)
        except DomainError as error:
            abort(403, description=error.message)

    @expose("/qualification/template.docx")
    @has_access
    def qualification_template(self):
        return send_file(io.BytesIO(_application_form_docx()), as_attachment=True,
                         download_name="内培资格申请表.docx",
                         mimetype=files.KINDS["docx"][1])

    @expose("/file/<int:pk>")
    @has_access
    @scoped_id(StoredFile)
    def attachment(self, pk):
        # who may read which file is its owner kind's policy (files.register_owner)
        return files.send(files.readable(current_user(), pk))

    # -- 培训班列表 ------------------------------------------------------------------------

    def _class_query(self, user):
        query = scoped_select(InhouseClass, user)
        year = _int_arg("year")
        name = _text_arg("name", 100)
        status = request.args.get("status") or ""
        start_from, start_to = (_date_arg("start_from"), _date_arg("start_to"))
        if year:
            query = query.where(InhouseClass.year == year)
        if name:
            query = query.where(InhouseClass.name.like(_like(name), escape="\\"))
        if status in ReviewStatus.ALL:
            query = query.where(InhouseClass.status == status)
        if start_from:
            query = query.where(InhouseClass.start_date >= start_from)
        if start_to:
            query = query.where(InhouseClass.start_date <= start_to)
        firm_id = _int_arg("firm", 1, 2 ** 31 - 1)
        if firm_id and is_institute(user):
            query = query.where(InhouseClass.firm_id == firm_id)
        return query

    @expose("/classes/")
    @has_access
    def index(self):
        user = current_user()
        query = self._class_query(user)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        page = _page()
        rows = list(db.session.scalars(query.order_by(
            InhouseClass.start_date.desc(), InhouseClass.id.desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        counts = rules.reported_counts([r.id for r in rows])
        years = [y for y in range(clock.local_today(now()).year + 1, 2019, -1)]
        args = request.args.to_dict()
        year = _int_arg("year") or clock.local_today(now()).year
        institute = is_institute(user)
        firm = None if institute else rules.firm_of(user)
        firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)
                                   .limit(500)).all() if institute else []
        return self.render_template(
            "inhouse/classes.html", title=MENU_CLASSES, rows=rows, counts=counts, total=total,
            page=page, pages=max(1, -(-total // PAGE_SIZE)), offset=(page - 1) * PAGE_SIZE,
            notes=NOTES, statuses=ReviewStatus.ALL, years=years, args=args, hours=_hours,
            institute=institute, categories=dict(CATEGORY_CHOICES), firms=firms,
            missing_qualification=firm is not None and not rules.has_qualification(firm.id, year),
            page_link=lambda p: url_for(".index", **{**args, "page": p}), year=year)

    def _class_page(self, item, form, title):
        return self.render_template(
            "inhouse/class_form.html", title=title, item=item, form=form,
            categories=CATEGORY_CHOICES, notes=NOTES)

    @expose("/classes/add", methods=["GET", "POST"])
    @has_access
    def class_add(self):
        user = current_user()
        if request.method == "POST":
            try:
                rules.add_class(user, now(), _class_form(request.form))
            except DomainError as error:
                flash(error.message, "danger")
            else:
                flash("数据保存成功", "success")
                return redirect(url_for(".index"))
        return self._class_page(None, request.form, "添加培训班")

    @expose("/classes/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    @scoped_id(InhouseClass)
    def class_edit(self, pk):
        user = current_user()
        item = rules.load_class(user, pk)
        if request.method == "POST":
            try:
                rules.update_class(user, now(), pk, _class_form(request.form))
            except DomainError as error:
                flash(error.message, "danger")
            else:
                flash("数据保存成功", "success")
                return redirect(url_for(".index"))
            form = request.form
        else:
            form = {"name": item.name, "category": item.category, "hours": _hours(item.hours),
                    "start_date": item.start_date.isoformat(),
                    "end_date": item.end_date.isoformat(), "address": item.address,
                    "leader": item.leader, "contact": item.contact}
        return self._class_page(item, form, "修改培训班")

    @expose("/classes/<int:pk>/delete", methods=["POST"])
    @has_access
    @scoped_id(InhouseClass)
    def class_delete(self, pk):
        try:
            rules.delete_class(current_user(), now(), pk)
        except NotFoundError:
            raise
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash("已删除培训班", "success")
        return redirect(url_for(".index"))

    @expose("/classes/report")
    @has_access
    def report_roster(self):
        """上报名单 / 特殊上报 with the ticked classes → the import page."""
        chosen = [v for v in request.args.getlist("class") if v.isdigit() and len(v) < 10]
        mode = request.args.get("mode")
        if mode not in importing.MODES:
            abort(400, description="请选择上报方式（上报名单或特殊上报）")
        if not chosen:
            flash("请先勾选要上报名单的培训班", "warning")
            return redirect(url_for(".index"))
        if mode == importing.SPECIAL and len(chosen) > 1:
            flash(importing.ONE_CLASS, "warning")
            return redirect(url_for(".index"))
        query = urlencode([("class", c) for c in chosen] + [("mode", mode)])
        return redirect(url_for("ImportView.upload", kind_name=importing.InhouseRoster.name)
                        + "?" + query)

    # -- 名单 ----------------------------------------------------------------------------

    def _roster_query(self, user, item):
        query = scoped_select(InhouseRosterEntry, user).where(
            InhouseRosterEntry.class_id == item.id)
        for arg, column in (("level", InhouseRosterEntry.level), ("name", InhouseRosterEntry.name),
                            ("id_number", InhouseRosterEntry.id_number),
                            ("cert_number", InhouseRosterEntry.cert_number)):
            value = _text_arg(arg)
            if value:
                query = query.where(column.like(_like(value), escape="\\"))
        status = request.args.get("status") or ""
        if status in EntryStatus.ALL:
            query = query.where(InhouseRosterEntry.status == status)
        return query.order_by(InhouseRosterEntry.created_at.desc(), InhouseRosterEntry.id.desc())

    @expose("/classes/<int:pk>/roster")
    @has_access
    @scoped_id(InhouseClass)
    def roster(self, pk):
        user = current_user()
        item = rules.load_class(user, pk)
        query = self._roster_query(user, item)
        fmt = request.args.get("format")
        if fmt in ("xlsx", "csv"):
            return self._roster_export(item, db.session.scalars(query), fmt)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        page = _page()
        rows = list(db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        args = request.args.to_dict()
        return self.render_template(
            "inhouse/roster.html", title=f"学员名单：{item.name}", item=item, rows=rows,
            total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
            offset=(page - 1) * PAGE_SIZE, statuses=EntryStatus.ALL, args=args, hours=_hours,
            local_time=clock.display, institute=is_institute(user),
            window=rules.roster_open(item, now()),
            page_link=lambda p: url_for(".roster", pk=pk, **{**args, "page": p}))

    ROSTER_HEADERS = ["序号", "姓名", "是否注册", "身份证号", "证书编号", "级别", "获得方式", "状态",
                      "可获学时", "创建时间"]

    def _roster_export(self, item, entries, fmt):
        def rows():
            for number, e in enumerate(entries, start=1):
                yield [number, e.name, "是" if e.is_cpa else "否", e.id_number or "",
                       e.cert_number or "", e.level, e.acquisition, e.status, _hours(e.hours),
                       clock.display(e.created_at)]
        name = f"学员名单_{item.name}"
        if fmt == "csv":
            body = csv_chunks([self.ROSTER_HEADERS, *rows()])
            response = self.appbuilder.get_app.response_class(body, mimetype="text/csv")
            from urllib.parse import quote
            response.headers["Content-Disposition"] = \
                f"attachment; filename*=UTF-8''{quote(name)}.csv"
            return response
        writer = XlsxWriter()
        sheet = writer.sheet("学员名单", widths=[6, 10, 8, 20, 16, 14, 12, 10, 10, 20])
        writer.append(sheet, self.ROSTER_HEADERS, bold=True)
        for row in rows():
            writer.append(sheet, row, text_format=True)
        return send_file(io.BytesIO(writer.to_bytes()), mimetype=XLSX, as_attachment=True,
                         download_name=f"{name}.xlsx")

    def _entry_page(self, item, entry, form, title):
        return self.render_template(
            "inhouse/entry_form.html", title=title, item=item, entry=entry, form=form,
            acquisitions=Acquisition.ALL, hours=_hours)

    @expose("/classes/<int:pk>/roster/add", methods=["GET", "POST"])
    @has_access
    @scoped_id(InhouseClass)
    def entry_add(self, pk):
        user = current_user()
        item = rules.load_class(user, pk)
        if request.method == "POST":
            try:
                rules.add_entry(user, now(), pk, _entry_form(request.form))
            except NotFoundError:
                raise
            except DomainError as error:
                flash(error.message, "danger")
            else:
                flash("数据保存成功", "success")
                return redirect(url_for(".roster", pk=pk))
        form = request.form if request.method == "POST" else {
            "is_cpa": rules.YES, "acquisition": Acquisition.IN_HOUSE, "hours": _hours(item.hours)}
        return self._entry_page(item, None, form, f"学员信息添加：{item.name}")

    @expose("/classes/<int:pk>/person")
    @has_access
    @scoped_id(InhouseClass)
    def person_lookup(self, pk):
        """The firm's CPA of a certificate number (JSON): the form's 姓名 and 身份证号."""
        item = rules.load_class(current_user(), pk)
        cert = (request.args.get("cert") or "").strip()[:20]
        if not cert:
            return jsonify(found=False, message="请输入证书编号")
        found = rules.resolve_person(True, cert, None, None, item.firm_id)
        if found.person is None:
            return jsonify(found=False, message=found.problem)
        return jsonify(found=True, name=found.person.name, id_number=found.person.id_number)

    @expose("/entries/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    @scoped_id(InhouseRosterEntry)
    def entry_edit(self, pk):
        user = current_user()
        entry = rules.load_entry(user, pk)
        if request.method == "POST":
            try:
                rules.update_entry(user, now(), pk, _entry_form(request.form))
            except NotFoundError:
                raise
            except DomainError as error:
                flash(error.message, "danger")
            else:
                flash("数据保存成功", "success")
                return redirect(url_for(".roster", pk=entry.class_id))
            form = request.form
        else:
            form = {"is_cpa": rules.YES if entry.is_cpa else rules.NO,
                    "cert_number": entry.cert_number or "", "name": entry.name,
                    "id_number": entry.id_number or "", "level": entry.level,
                    "acquisition": entry.acquisition, "hours": _hours(entry.hours)}
        return self._entry_page(entry.inhouse_class, entry, form, f"学员信息编辑：{entry.name}")

    @expose("/entries/<int:pk>/delete", methods=["POST"])
    @has_access
    @scoped_id(InhouseRosterEntry)
    def entry_delete(self, pk):
        user = current_user()
        entry = rules.load_entry(user, pk)
        class_id = entry.class_id
        try:
            rules.delete_entry(user, now(), pk)
        except NotFoundError:
            raise
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash("已删除", "success")
        return redirect(url_for(".roster", pk=class_id))

    # -- 上报中注协 -------------------------------------------------------------------------

    @expose("/cicpa/")
    @has_access
    def cicpa_export(self):
        user = current_user()
        year = _int_arg("year") or clock.local_today(now()).year
        if is_institute(user):
            firm = db.session.get(Firm, _int_arg("firm", 1, 2 ** 31 - 1) or 0)
            if firm is None:
                abort(400, description="请选择事务所")
        else:
            try:
                firm = rules.firm_of(user)
            except DomainError as error:
                abort(403, description=error.message)
        data = cicpa.workbook(user, firm, year)
        return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"内部培训汇总_{firm.code}_{year}.xlsx")

    # -- 年终总结报告 -----------------------------------------------------------------------

    @expose("/report/", methods=["GET", "POST"])
    @has_access
    def year_report(self):
        user = current_user()
        firm = self._firm_or_institute(user)
        if request.method == "POST" and firm is not None:
            try:
                reports.upload_report(user, now(), request.form.get("year"),
                                      (uploads(rules.REPORT.name) or [None])[0])
            except DomainError as error:
                flash(error.message, "danger")
            else:
                flash("年终总结报告已上传", "success")
                return redirect(url_for(".year_report"))
        rows = list(db.session.scalars(scoped_select(InhouseYearReport, user).order_by(
            InhouseYearReport.year.desc(), InhouseYearReport.id.desc()).limit(200)))
        found = {r.id: reports.report_file(r.id) for r in rows}
        local = clock.local_today(now())
        return self.render_template(
            "inhouse/report.html", title=MENU_REPORT, rows=rows, found=found, firm=firm,
            years=[local.year, local.year - 1], doc=rules.REPORT, local_time=clock.display,
            closes_on=reports.closes_on, today=local, human_size=files.human_size)


def _date_arg(name):
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


REVIEW_LABELS = {"qualification": "内培资格申请", "class": "培训班", "entry": "学员名单"}


class InhouseReviewView(BaseView):
    """内部培训审核 (staff): qualifications, classes and roster entries, one or many at once."""

    route_base = "/inhouse/review"
    class_permission_name = "InhouseReview"
    chinese_name = "内部培训审核"
    default_view = "queue"
    method_permission_name = {"queue": "review", "decide": "review", "detail": "review"}

    def _statuses(self, kind):
        return EntryStatus.ALL if kind == "entry" else ReviewStatus.ALL

    @expose("/")
    @expose("/<string:kind>/")
    @has_access
    def queue(self, kind="qualification"):
        if kind not in rules.REVIEW_KINDS:
            abort(404)
        user = current_user()
        model = rules.REVIEW_KINDS[kind][0]
        firm_id = _int_arg("firm", 1, 2 ** 31 - 1)
        year = _int_arg("year")
        status = request.args.get("status")
        if status is None:
            status = self._statuses(kind)[0]
        query = scoped_select(model, user)
        if kind == "entry":
            query = query.join(InhouseClass, InhouseClass.id == InhouseRosterEntry.class_id)
            firm_col, year_col = InhouseClass.firm_id, InhouseClass.year
        else:
            firm_col, year_col = model.firm_id, model.year
        if firm_id:
            query = query.where(firm_col == firm_id)
        if year:
            query = query.where(year_col == year)
        if status in self._statuses(kind):
            query = query.where(model.status == status)
        category = request.args.get("category") or ""
        if kind != "qualification" and category in Category.ALL:
            query = query.where(InhouseClass.category == category) if kind == "entry" \
                else query.where(InhouseClass.category == category)
        class_id = _int_arg("class", 1, 2 ** 31 - 1)
        if kind == "entry" and class_id:
            query = query.where(InhouseRosterEntry.class_id == class_id)
        name = _text_arg("name")
        if name and kind != "qualification":
            query = query.where(model.name.like(_like(name), escape="\\"))
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        page = _page()
        rows = list(db.session.scalars(query.order_by(model.id.desc())
                                       .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)
                                   .limit(500)).all()
        args = request.args.to_dict()
        return self.render_template(
            "inhouse/review.html", title=f"{MENU_REVIEW}：{REVIEW_LABELS[kind]}", kind=kind,
            labels=REVIEW_LABELS, rows=rows, total=total, page=page,
            pages=max(1, -(-total // PAGE_SIZE)), offset=(page - 1) * PAGE_SIZE,
            statuses=self._statuses(kind), status=status, firms=firms, firm_id=firm_id,
            year=year, args=args, hours=_hours, local_time=clock.display,
            categories=CATEGORY_CHOICES, category=category, name=name,
            attached=rules.attachments_of([r.id for r in rows]) if kind == "qualification"
            else {},
            page_link=lambda p: url_for(".queue", kind=kind, **{**args, "page": p}))

    @expose("/<string:kind>/decide", methods=["POST"])
    @has_access
    def decide(self, kind):
        if kind not in rules.REVIEW_KINDS:
            abort(404)
        decision = request.form.get("decision")
        ids = []
        for value in request.form.getlist("ids"):
            if not value.isdigit() or len(value) > 9:
                abort(400, description="所选记录编号无效")
            ids.append(int(value))
        back = request.form.get("back") or ""
        back = back if back.startswith("/inhouse/review/") else url_for(".queue", kind=kind)
        if not ids:
            flash("请先勾选要审核的记录", "warning")
            return redirect(back)
        try:
            done, errors = rules.review_many(current_user(), now(), kind, ids, decision,
                                             request.form.get("remark"))
        except DomainError as error:
            flash(error.message, "danger")
            return redirect(back)
        word = "审核通过" if decision == "approve" else "审核未通过"
        if done:
            flash(f"已{word} {done} 条{REVIEW_LABELS[kind]}", "success")
        for message in errors[:20]:
            flash(message, "danger")
        return redirect(back)

    @expose("/<string:kind>/<int:pk>")
    @has_access
    @scoped_id(InhouseQualification)  # or a class / an entry, by `kind`: all staff-only
    def detail(self, kind, pk):
        if kind not in rules.REVIEW_KINDS:
            abort(404)
        model = rules.REVIEW_KINDS[kind][0]
        machine = {"qualification": rules.QUALIFICATION, "class": rules.CLASS,
                   "entry": rules.ENTRY}[kind]
        try:
            from app.workflows.core.scoping import get_scoped

            item = get_scoped(db.session, model, pk, current_user())
        except NotFoundError:
            abort(404)
        return self.render_template(
            "inhouse/review_detail.html", title=f"{REVIEW_LABELS[kind]}详情", kind=kind,
            item=item, history=machine.history(item), hours=_hours, local_time=clock.display,
            verbs={t.event for t in machine.allowed(item, current_user(), now())},
            attached=rules.attachments_of([item.id]).get(item.id, {})
            if kind == "qualification" else {}, docs=rules.ATTACHMENTS,
            counts=rules.reported_counts([item.id]) if kind == "class" else {},
            labels=REVIEW_LABELS)


# --- REST ----------------------------------------------------------------------------------

class InhouseQualificationApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `inhouse_qualification`: read in scope; staff approve / reject (reason)."""

    resource_name = "inhouse_qualification"
    datamodel = SQLAInterface(InhouseQualification)
    allow_browser_login = True
    openapi_spec_tag = "Inhouse qualification"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = rules.QUALIFICATION
    verb_commands = rules.QUALIFICATION_COMMANDS
    list_columns = ["id", "firm_id", "firm.code", "firm.name", "year", "status", "remark",
                    "submitted_at", "decided_at", "version"]
    show_columns = list_columns
    search_columns = ["firm_id", "year", "status"]
    order_columns = ["year", "status", "submitted_at"]
    base_order = ("id", "desc")


class InhouseClassApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `inhouse_class`: read in scope; staff approve / reject (reason)."""

    resource_name = "inhouse_class"
    datamodel = SQLAInterface(InhouseClass)
    allow_browser_login = True
    openapi_spec_tag = "Inhouse class"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = rules.CLASS
    verb_commands = rules.CLASS_COMMANDS
    list_columns = ["id", "firm_id", "firm.code", "year", "name", "category", "hours",
                    "start_date", "end_date", "address", "leader", "contact", "status", "remark",
                    "created_at", "version"]
    show_columns = list_columns
    search_columns = ["firm_id", "year", "status", "category", "name", "start_date"]
    order_columns = ["year", "start_date", "status", "name"]
    base_order = ("id", "desc")


class InhouseRosterEntryApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `inhouse_roster_entry`: read in scope; staff approve (credits the hours) /
    reject (reason; withdraws them)."""

    resource_name = "inhouse_roster_entry"
    datamodel = SQLAInterface(InhouseRosterEntry)
    allow_browser_login = True
    openapi_spec_tag = "Inhouse roster entry"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = rules.ENTRY
    verb_commands = rules.ENTRY_COMMANDS
    list_columns = ["id", "class_id", "inhouse_class.name", "is_cpa", "cert_number", "name",
                    "id_number", "level", "acquisition", "hours", "person_id", "status", "remark",
                    "created_at", "version"]
    show_columns = list_columns
    search_columns = ["class_id", "status", "name", "cert_number", "id_number", "person_id"]
    order_columns = ["created_at", "status", "name"]
    base_order = ("id", "desc")


# --- CLI -------------------------------------------------------------------------------------

def add_commands(app) -> None:
    group = AppGroup("export", help="导出")

    @group.command("cicpa", help="上报中注协：事务所全年内部培训汇总（中注协上报模板）")
    @click.option("--firm", "firm_code", required=True, help="事务所编号")
    @click.option("--year", required=True, type=int, help="年度")
    @click.option("--out", required=True, type=click.Path(dir_okay=False), help="输出 .xlsx 文件")
    @with_appcontext
    def export_cicpa(firm_code, year, out):
        from app.workflows.core.scoping import SystemActor

        try:
            firm = cicpa.firm_by_code(firm_code)
            data = cicpa.workbook(SystemActor("命令行"), firm, year)
        except DomainError as error:
            click.echo(error.message, err=True)
            raise SystemExit(1) from None
        with open(out, "wb") as fh:
            fh.write(data)
        click.echo(f"已导出 {firm.code} {year}年度内部培训汇总：{out}")

    existing = app.cli.commands.get("export")
    if existing is not None and hasattr(existing, "add_command"):
        existing.add_command(export_cicpa)
    else:
        app.cli.add_command(group)


def register(appbuilder, app) -> None:
    appbuilder.add_view_no_menu(InhouseClassesView)
    appbuilder.add_view_no_menu(InhouseReviewView)
    for label, href, icon in ((MENU_QUALIFICATION, "/inhouse/qualification/", "fa-certificate"),
                              (MENU_CLASSES, "/inhouse/classes/", "fa-users"),
                              (MENU_REPORT, "/inhouse/report/", "fa-file-text-o")):
        appbuilder.add_link(label, href=href, icon=icon, category=MENU, category_icon="fa-university")
    appbuilder.add_link(MENU_REVIEW, href="/inhouse/review/", icon="fa-check-square-o",
                        category=MENU, category_icon="fa-university")
    appbuilder.add_api(InhouseQualificationApi)
    appbuilder.add_api(InhouseClassApi)
    appbuilder.add_api(InhouseRosterEntryApi)


READ_API = "can_(get|info)"
DOMAIN = Domain(
    name="inhouse",
    register=register,
    permissions={
        STAFF: [["Inhouse", "can_read"], ["InhouseReview", "can_review"],
                ["InhouseQualificationApi|InhouseClassApi|InhouseRosterEntryApi",
                 "can_(get|info|act)"],
                [f"{MENU}|{MENU_REVIEW}", "menu_access"]],
        FIRM_ADMIN: [["Inhouse", "can_(read|report)"],
                     ["InhouseQualificationApi|InhouseClassApi|InhouseRosterEntryApi", READ_API],
                     [f"{MENU}|{MENU_QUALIFICATION}|{MENU_CLASSES}|{MENU_REPORT}",
                      "menu_access"]],
    },
    audited={InhouseQualification: set(), InhouseClass: set(), InhouseRosterEntry: set(),
             InhouseYearReport: set()},
    cli=add_commands,
)
