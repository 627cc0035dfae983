"""内部培训审核 (staff): the queues of qualifications, classes and roster entries, decided one
or many through the machines."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import (EntryStatus, Firm, InhouseClass, InhouseQualification, InhouseRosterEntry,
                        ReviewStatus)
from app.views.core.args import hours_text as _hours, int_arg as _int_arg, paged, shown_versions
from app.views.core.export import send_table
from app.views.core.machines import flash_outcomes
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now, scoped_id
from app.views.inhouse.common import (CATEGORY_CHOICES, MENU_REPORT, MENU_REPORTS, MENU_REVIEW,
                                      _text_arg)
from app.workflows.core import files
from app.workflows.core.scoping import get_scoped
from app.workflows.inhouse import reports
from app.workflows.inhouse.classes import CLASS, reported_counts
from app.workflows.inhouse.qualification import ATTACHMENTS, QUALIFICATION, attachments_of
from app.workflows.inhouse.review import REVIEW_KINDS, review_many, review_select
from app.workflows.inhouse.roster import ENTRY
from app.workflows.core.labels import code_of


REVIEW_LABELS = {"qualification": "内培资格申请", "class": "培训班", "entry": "学员名单"}
MACHINES = {"qualification": QUALIFICATION, "class": CLASS, "entry": ENTRY}


def _back(kind) -> str:
    """Where a decision returns: the queue or detail page it was posted from."""
    back = request.form.get("back") or ""
    return back if back.startswith("/inhouse/review/") else url_for(".queue", kind=kind)


class InhouseReviewView(BaseView):
    """内部培训审核 (staff): qualifications, classes and roster entries, one or many at once."""

    route_base = "/inhouse/review"
    class_permission_name = "InhouseReview"
    chinese_name = "内部培训审核"
    default_view = "queue"
    method_permission_name = {"queue": "review", "decide": "review", "detail": "review",
                              "year_reports": "review", "year_reports_export": "review"}

    # -- 年终总结报告 of every firm (seed 000 §6.3; the firm admin's own page is /inhouse/report/)

    def _report_filters(self):
        year = _int_arg("year", 2000, 2100) or clock.local_today(now()).year
        return year, _int_arg("firm", 1, 2 ** 31 - 1)

    @expose("/reports/")
    @has_access
    def year_reports(self):
        year, firm_id = self._report_filters()
        lines = reports.year_reports(current_user(), year, firm_id)
        firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)
                                   .limit(500)).all()
        local = clock.local_today(now())
        return self.render_template(
            "inhouse/year_reports.html", title=MENU_REPORTS, lines=lines, year=year,
            firm_id=firm_id, firms=firms, years=list(range(local.year, local.year - 6, -1)),
            local_time=clock.display, human_size=files.human_size, args=request.args,
            not_submitted=reports.NOT_SUBMITTED)

    @expose("/reports/export/<string:fmt>/")
    @has_access
    def year_reports_export(self, fmt):
        year, firm_id = self._report_filters()
        lines = reports.year_reports(current_user(), year, firm_id)
        rows = [["年度", "事务所编号", "事务所", "上传时间", "年终总结报告"]]
        rows += [[line.year, line.firm.code, line.firm.name,
                  line.report.uploaded_at if line.report else None,
                  line.file.original_name if line.file else reports.NOT_SUBMITTED]
                 for line in lines]
        return send_table(fmt, rows, f"{MENU_REPORTS}_{year}", sheet=MENU_REPORT)

    def _statuses(self, kind):
        return EntryStatus.LABELS if kind == "entry" else ReviewStatus.LABELS

    @expose("/")
    @expose("/<string:kind>/")
    @has_access
    def queue(self, kind="qualification"):
        if kind not in REVIEW_KINDS:
            abort(404)
        user = current_user()
        model = REVIEW_KINDS[kind][0]
        firm_id = _int_arg("firm", 1, 2 ** 31 - 1)
        year = _int_arg("year")
        status = request.args.get("status")
        if status is None:
            status = next(iter(self._statuses(kind)))
        status = code_of(self._statuses(kind), status)  # words or code
        category = request.args.get("category") or ""
        class_id = _int_arg("class", 1, 2 ** 31 - 1)
        name = _text_arg("name")
        # the one query of this list and of the 审核中心 (app/workflows/inhouse/review.py)
        query = review_select(user, kind, firm_id=firm_id, year=year,
                              status=status if status in self._statuses(kind) else None,
                              category=category, class_id=class_id, name=name)
        load = (selectinload(InhouseRosterEntry.inhouse_class).selectinload(InhouseClass.firm)
                if kind == "entry" else selectinload(model.firm))
        listed = paged(query.order_by(model.id.desc()).options(load))
        firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)
                                   .limit(500)).all()
        args = request.args.to_dict()
        return self.render_template(
            "inhouse/review.html", title=f"{MENU_REVIEW}：{REVIEW_LABELS[kind]}", kind=kind,
            labels=REVIEW_LABELS, **listed.args(),
            statuses=self._statuses(kind), status=status, firms=firms, firm_id=firm_id,
            year=year, args=args, hours=_hours, local_time=clock.display,
            categories=CATEGORY_CHOICES, category=category, name=name,
            attached=attachments_of([r.id for r in listed.rows]) if kind == "qualification"
            else {},
            page_link=lambda p: url_for(".queue", kind=kind, **{**args, "page": p}))

    @expose("/<string:kind>/decide", methods=["POST"])
    @has_access
    @refusals(back=lambda self, kind: _back(kind))
    def decide(self, kind):
        """Approve or reject the ticked rows (or the one of a detail page): each decided on
        its own, every row not done named with its reason."""
        if kind not in REVIEW_KINDS:
            abort(404)
        decision = request.form.get("decision")
        ids = []
        for value in request.form.getlist("ids"):
            if not value.isdigit() or len(value) > 9:
                abort(400, description="所选记录编号无效")
            ids.append(int(value))
        if not ids:
            flash("请先勾选要审核的记录", "warning")
            return redirect(_back(kind))
        result = review_many(current_user(), now(), kind, ids, decision,
                             request.form.get("remark"), versions=shown_versions())
        word = "审核通过" if decision == "approve" else "审核未通过"
        flash_outcomes(result, f"已{word} {{n}} 条{REVIEW_LABELS[kind]}")
        return redirect(_back(kind))

    @expose("/<string:kind>/<int:pk>")
    @has_access
    @scoped_id(InhouseQualification)  # or a class / an entry, by `kind`: all staff-only
    def detail(self, kind, pk):
        if kind not in REVIEW_KINDS:
            abort(404)
        model, machine = REVIEW_KINDS[kind][0], MACHINES[kind]
        user = current_user()
        item = get_scoped(db.session, model, pk, user)  # not found: 404 (scoped_id)
        return self.render_template(
            "inhouse/review_detail.html", title=f"{REVIEW_LABELS[kind]}详情", kind=kind,
            item=item, history=machine.history(item), hours=_hours, local_time=clock.display,
            verbs={t.event for t in machine.allowed(item, user, now())},
            attached=attachments_of([item.id]).get(item.id, {})
            if kind == "qualification" else {}, docs=ATTACHMENTS,
            counts=reported_counts([item.id]) if kind == "class" else {},
            labels=REVIEW_LABELS)
