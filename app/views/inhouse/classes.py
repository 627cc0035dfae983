"""培训班上报 (seed 000 §6.2.1): the list with its 填报说明, 添加 / 修改 / 删除 and the report of
rosters (批量上报 / 特殊上报 go to the generic import)."""
from urllib.parse import urlencode

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Firm, InhouseClass, ReviewStatus
from app.views.core.args import hours_text as _hours, int_arg as _int_arg, paged
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now, scoped_id
from app.views.inhouse.common import (CATEGORY_CHOICES, LOOKS, MENU_CLASSES, NOTES, _class_form,
                                      _date_arg, _like, _text_arg)
from app.workflows.core.scoping import is_institute, scoped_select
from app.workflows.inhouse import classes, importing
from app.workflows.inhouse.qualification import has_qualification
from app.workflows.core.labels import code_of


class ClassPages:
    """The 培训班列表 pages of InhouseClassesView (routes and permissions are its)."""

    # -- 培训班列表 ------------------------------------------------------------------------

    def _class_query(self, user):
        query = scoped_select(InhouseClass, user)
        year = _int_arg("year")
        name = _text_arg("name", 100)
        status = code_of(ReviewStatus.LABELS, request.args.get("status") or "")
        start_from, start_to = (_date_arg("start_from"), _date_arg("start_to"))
        if year:
            query = query.where(InhouseClass.year == year)
        if name:
            query = query.where(InhouseClass.name.like(_like(name), escape="\\"))
        if status in ReviewStatus.ALL:  # the filter's value, checked before the SQL below
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
        listed = paged(query.order_by(InhouseClass.start_date.desc(), InhouseClass.id.desc()))
        counts = classes.reported_counts([r.id for r in listed.rows])
        years = [y for y in range(clock.local_today(now()).year + 1, 2019, -1)]
        args = request.args.to_dict()
        year = _int_arg("year") or clock.local_today(now()).year
        institute = is_institute(user)
        firm = self._firm_or_institute(user)
        firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)
                                   .limit(500)).all() if institute else []
        # 修改 / 删除 where the class's machine permits them to this user now
        actions = {r.id: classes.CLASS.actions(r, user, now()) for r in listed.rows}
        return self.render_template(
            "inhouse/classes.html", title=MENU_CLASSES, **listed.args(), counts=counts,
            notes=NOTES, statuses=ReviewStatus.LABELS, years=years, args=args, hours=_hours,
            institute=institute, categories=dict(CATEGORY_CHOICES), firms=firms,
            actions=actions, looks=LOOKS,
            missing_qualification=firm is not None and not has_qualification(firm.id, year),
            page_link=lambda p: url_for(".index", **{**args, "page": p}), year=year)

    def _class_page(self, item, form, title):
        return self.render_template(
            "inhouse/class_form.html", title=title, item=item, form=form,
            categories=CATEGORY_CHOICES, notes=NOTES)

    def _class_add_page(self):
        return self._class_page(None, request.form, "添加培训班")

    @expose("/classes/add", methods=["GET", "POST"])
    @has_access
    @refusals(form="_class_add_page")
    def class_add(self):
        if request.method == "POST":
            classes.add_class(current_user(), now(), _class_form(request.form))
            flash("数据保存成功", "success")
            return redirect(url_for(".index"))
        return self._class_add_page()

    def _class_edit_page(self, pk):
        item = classes.load_class(current_user(), pk)
        if request.method == "POST":
            form = request.form
        else:
            form = {"name": item.name, "category": item.category, "hours": _hours(item.hours),
                    "start_date": item.start_date.isoformat(),
                    "end_date": item.end_date.isoformat(), "address": item.address,
                    "leader": item.leader, "contact": item.contact}
        return self._class_page(item, form, "修改培训班")

    @expose("/classes/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    @scoped_id(InhouseClass)
    @refusals(form="_class_edit_page")
    def class_edit(self, pk):
        if request.method == "POST":
            classes.update_class(current_user(), now(), pk, _class_form(request.form))
            flash("数据保存成功", "success")
            return redirect(url_for(".index"))
        return self._class_edit_page(pk)

    @expose("/classes/<int:pk>/delete", methods=["POST"])
    @has_access
    @scoped_id(InhouseClass)
    @refusals(back=lambda self, pk: url_for(".index"))
    def class_delete(self, pk):
        classes.delete_class(current_user(), now(), pk)
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
