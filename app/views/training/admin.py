"""培训班管理 (staff, seed 000 §5): classes with handouts, review one or many, results, the
class's enrollment list and CICPA exports."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (Category, Enrollment, EnrollmentStatus, Firm, TrainingAudience as Audience,
                        TrainingClass, TrainingResult)
from app.views.core.args import paged, shown_versions
from app.views.core.export import export_filename, send_table
from app.views.core.machines import flash_outcomes
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now, scoped_id, upload_limit, uploads
from app.views.training.common import HANDOUT_LIMIT, MENU_ADMIN, _helpers, _ids, _when
from app.workflows.core.scoping import get_scoped
from app.workflows.hours.rules import fmt
from app.workflows.training import classes, enrollment, exports, review, waitlist
from app.workflows.core.labels import code_of


# --- 培训班管理 (staff) -------------------------------------------------------------------

CLASS_FORM_KEYS = tuple(classes.FIELDS)


class TrainingAdminView(BaseView):
    """培训班管理: the classes with their counts, the class form with handouts, review and
    results of one class, its exports."""

    route_base = "/training-admin"
    class_permission_name = "TrainingAdmin"
    chinese_name = "培训班管理"
    default_view = "list"
    method_permission_name = {name: "manage" for name in (
        "list", "new", "edit", "detail", "decide", "results", "remove_handout", "export",
        "cicpa", "enrollment")}

    @expose("/")
    @has_access
    def list(self):
        actor = current_user()
        keyword = (request.args.get("q") or "").strip()[:100]
        rows = classes.catalogue(actor, now(), keyword=keyword or None)
        return self.render_template("training/admin_list.html", title=MENU_ADMIN, rows=rows,
                                    keyword=keyword, **_helpers())

    def _save(self, class_id=None):
        saved = classes.save_class(current_user(), now(),
                                   {k: request.form.get(k, "") for k in CLASS_FORM_KEYS},
                                   class_id=class_id, handouts=uploads("handouts"))
        flash("培训班已保存", "success")
        return redirect(url_for(".detail", pk=saved.id))

    def _form(self, pk=None):
        """The class form: what was typed when a submission was refused, else the class."""
        item = classes.get_class(current_user(), pk) if pk is not None else None
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in CLASS_FORM_KEYS}
        elif item is not None:
            values = {k: getattr(item, k) for k in CLASS_FORM_KEYS}
            values.update(enroll_start=_when(item.enroll_start, "%Y-%m-%dT%H:%M"),
                          enroll_end=_when(item.enroll_end, "%Y-%m-%dT%H:%M"),
                          hours=fmt(item.hours), planned=item.planned or "")
        else:
            values = {"kind": classes.DEFAULT_KIND, "category": Category.PROFESSIONAL,
                      "audience": Audience.ALL_STAFF}
        return self.render_template(
            "training/class_form.html", title="修改培训班" if item else "添加培训班", item=item,
            values=values, labels=classes.FIELDS, categories=Category.ALL,
            audiences=Audience.ALL, handout=classes.HANDOUT,
            files=classes.handouts_of([item.id])[item.id] if item else [], **_helpers())

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @upload_limit(HANDOUT_LIMIT)
    @refusals(form="_form")
    def new(self):
        return self._save() if request.method == "POST" else self._form()

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    @upload_limit(HANDOUT_LIMIT)
    @refusals(form="_form")
    @scoped_id(TrainingClass)
    def edit(self, pk):
        if request.method == "POST":
            return self._save(classes.get_class(current_user(), pk).id)
        return self._form(pk)

    @expose("/<int:pk>")
    @has_access
    @scoped_id(TrainingClass)
    def detail(self, pk):
        actor, moment = current_user(), now()
        item = classes.get_class(actor, pk)
        status = code_of(EnrollmentStatus.LABELS, request.args.get("status") or "")
        listed = paged(enrollment.class_list_select(actor, item.id, status=status or None))
        rows = listed.rows
        firms = dict(db.session.execute(select(Firm.id, Firm.name).where(
            Firm.id.in_({r.firm_id for r in rows if r.firm_id}))).all()) if rows else {}
        row = classes.catalogue(actor, moment, class_ids=[item.id])[0]
        return self.render_template(
            "training/admin_detail.html", title=item.name, item=item, row=row, **listed.args(),
            page_link=lambda p: url_for(".detail", pk=item.id, status=status or None, page=p),
            firms=firms, status=status, statuses=EnrollmentStatus.LABELS,
            results=TrainingResult.ALL, started=classes.class_started(item, moment),
            recordable={r.id for r in rows
                        if review.MACHINE.permits(r, "record_result", actor, moment)},
            files=classes.handouts_of([item.id])[item.id],
            waiting=waitlist.entries(actor, moment, item.id),
            wstate=lambda e: waitlist.MACHINE.state(e, moment), **_helpers())

    @expose("/enrollment/<int:pk>")
    @has_access
    @scoped_id(Enrollment)
    def enrollment(self, pk):
        """One enrollment: what was typed, and its 流程跟踪 (the state machine's history)."""
        row = get_scoped(db.session, Enrollment, pk, current_user(), "报名记录不存在")
        return self.render_template(
            "training/admin_enrollment.html", title=f"{row.name}-报名详情", row=row,
            history=review.MACHINE.history(row), local_time=clock.display, **_helpers())

    @expose("/<int:pk>/decide", methods=["POST"])
    @has_access
    @refusals(back=".detail")
    @scoped_id(TrainingClass)
    def decide(self, pk):
        """审核 of the ticked enrollments: each on its own, each outcome on the page."""
        actor = current_user()
        item = classes.get_class(actor, pk)
        event = request.form.get("event")
        result = review.decide_many(actor, now(), event, _ids(request.form.getlist("rowid")),
                                    remark=request.form.get("remark"),
                                    versions=shown_versions())
        flash_outcomes(result, f"已{'审核通过' if event == 'approve' else '审核未通过'}{{n}}人")
        return redirect(url_for(".detail", pk=item.id))

    @expose("/<int:pk>/results", methods=["POST"])
    @has_access
    @refusals(back=".detail")
    @scoped_id(TrainingClass)
    def results(self, pk):
        actor = current_user()
        item = classes.get_class(actor, pk)
        chosen = {_ids([key[len("result_"):]])[0]: value
                  for key, value in request.form.items()
                  if key.startswith("result_") and value}
        result = review.set_class_results(actor, now(), item.id, chosen)
        flash_outcomes(result, "已记录{n}人的培训结果（合格的注册会计师已计入学时）")
        return redirect(url_for(".detail", pk=item.id))

    @expose("/<int:pk>/handout/remove", methods=["POST"])
    @has_access
    @refusals(back=".edit")
    @scoped_id(TrainingClass)
    def remove_handout(self, pk):
        actor = current_user()
        item = classes.get_class(actor, pk)
        (file_id,) = _ids([request.form.get("file")])
        classes.handout(actor, item.id, file_id)
        classes.remove_handout(actor, now(), file_id)
        flash("资料已删除", "success")
        return redirect(url_for(".edit", pk=item.id))

    @expose("/<int:pk>/export")
    @has_access
    @scoped_id(TrainingClass)
    def export(self, pk):
        fmt_ = request.args.get("fmt") or "xlsx"
        if fmt_ not in ("csv", "xlsx"):
            abort(400, description="导出格式须为 xlsx 或 csv")
        actor = current_user()
        item = classes.get_class(actor, pk)
        return send_table(fmt_, list(exports.attendance_sheet(actor, item.id)),
                          f"{item.name}-报名名单", sheet="报名名单")

    @expose("/<int:pk>/cicpa")
    @has_access
    @scoped_id(TrainingClass)
    def cicpa(self, pk):
        item = classes.get_class(current_user(), pk)
        return send_file(io.BytesIO(exports.cicpa_workbook(db.session, item)),
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet",
                         as_attachment=True,
                         download_name=export_filename(f"{item.name}-中注协上报", "xlsx"))
