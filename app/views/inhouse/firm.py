"""The firm admin's pages (seed 000 §6) — 内培资格申请 (§6.1), 培训班上报 with 名单, 单个上报 and
上报中注协 (§6.2), 年终总结报告 (§6.3); staff read every firm's."""
from app.views.inhouse.common import *  # noqa: F401,F403


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

__all__ = [n for n in dir() if not n.startswith("__")]
