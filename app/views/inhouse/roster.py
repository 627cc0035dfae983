"""名单 (seed 000 §6.2.2–§6.2.3): a class's roster, 单个上报 with the certificate look-up, 修改 and
删除 until reviewed."""
import io
from urllib.parse import quote

from flask import flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from app.models import Acquisition, EntryStatus, InhouseClass, InhouseRosterEntry
from app.views.core.args import hours_text as _hours, paged
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now, scoped_id
from app.views.inhouse.common import LOOKS, XLSX, _entry_form, _like, _text_arg
from app.workflows.core.scoping import is_institute, scoped_select
from app.workflows.core.sheets import XlsxWriter, csv_chunks
from app.workflows.inhouse import roster
from app.workflows.inhouse.classes import load_class
from app.workflows.inhouse.common import NO, YES
from app.workflows.core.labels import code_of, label


class RosterPages:
    """The 名单 pages of InhouseClassesView (routes and permissions are its)."""

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
        status = code_of(EntryStatus.LABELS, request.args.get("status") or "")
        if status in EntryStatus.ALL:  # the filter's value, checked before the SQL below
            query = query.where(InhouseRosterEntry.status == status)
        return query.order_by(InhouseRosterEntry.created_at.desc(), InhouseRosterEntry.id.desc())

    @expose("/classes/<int:pk>/roster")
    @has_access
    @scoped_id(InhouseClass)
    def roster(self, pk):
        user = current_user()
        item = load_class(user, pk)
        query = self._roster_query(user, item)
        fmt = request.args.get("format")
        if fmt in ("xlsx", "csv"):
            return self._roster_export(item, db.session.scalars(query), fmt)
        listed = paged(query)
        args = request.args.to_dict()
        # 修改 / 删除 where the entry's machine permits them to this user now (the firm's
        # pages: staff decide in the review queue)
        institute = is_institute(user)
        actions = {} if institute else {
            e.id: roster.ENTRY.actions(e, user, now()) for e in listed.rows}
        return self.render_template(
            "inhouse/roster.html", title=f"学员名单：{item.name}", item=item, **listed.args(),
            statuses=EntryStatus.LABELS, args=args, hours=_hours, actions=actions, looks=LOOKS,
            local_time=clock.display, institute=institute,
            window=roster.roster_open(item, now()),
            page_link=lambda p: url_for(".roster", pk=pk, **{**args, "page": p}))

    ROSTER_HEADERS = ["序号", "姓名", "是否注册", "身份证号", "证书编号", "级别", "获得方式", "状态",
                      "可获学时", "创建时间"]

    def _roster_export(self, item, entries, fmt):
        def rows():
            for number, e in enumerate(entries, start=1):
                yield [number, e.name, "是" if e.is_cpa else "否", e.id_number or "",
                       e.cert_number or "", e.level, e.acquisition, label(e), _hours(e.hours),
                       clock.display(e.created_at)]
        name = f"学员名单_{item.name}"
        if fmt == "csv":
            body = csv_chunks([self.ROSTER_HEADERS, *rows()])
            response = self.appbuilder.get_app.response_class(body, mimetype="text/csv")
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

    def _entry_add_page(self, pk):
        item = load_class(current_user(), pk)
        form = request.form if request.method == "POST" else {
            "is_cpa": YES, "acquisition": Acquisition.IN_HOUSE, "hours": _hours(item.hours)}
        return self._entry_page(item, None, form, f"学员信息添加：{item.name}")

    @expose("/classes/<int:pk>/roster/add", methods=["GET", "POST"])
    @has_access
    @scoped_id(InhouseClass)
    @refusals(form="_entry_add_page")
    def entry_add(self, pk):
        if request.method == "POST":
            roster.add_entry(current_user(), now(), pk, _entry_form(request.form))
            flash("数据保存成功", "success")
            return redirect(url_for(".roster", pk=pk))
        return self._entry_add_page(pk)

    @expose("/classes/<int:pk>/person")
    @has_access
    @scoped_id(InhouseClass)
    def person_lookup(self, pk):
        """The firm's CPA of a certificate number (JSON): the form's 姓名 and 身份证号."""
        item = load_class(current_user(), pk)
        cert = (request.args.get("cert") or "").strip()[:20]
        if not cert:
            return jsonify(found=False, message="请输入证书编号")
        found = roster.resolve_person(True, cert, None, None, item.firm_id)
        if found.person is None:
            return jsonify(found=False, message=found.problem)
        return jsonify(found=True, name=found.person.name, id_number=found.person.id_number)

    def _entry_edit_page(self, pk):
        entry = roster.load_entry(current_user(), pk)
        if request.method == "POST":
            form = request.form
        else:
            form = {"is_cpa": YES if entry.is_cpa else NO,
                    "cert_number": entry.cert_number or "", "name": entry.name,
                    "id_number": entry.id_number or "", "level": entry.level,
                    "acquisition": entry.acquisition, "hours": _hours(entry.hours)}
        return self._entry_page(entry.inhouse_class, entry, form, f"学员信息编辑：{entry.name}")

    @expose("/entries/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    @scoped_id(InhouseRosterEntry)
    @refusals(form="_entry_edit_page")
    def entry_edit(self, pk):
        if request.method == "POST":
            entry = roster.update_entry(current_user(), now(), pk, _entry_form(request.form))
            flash("数据保存成功", "success")
            return redirect(url_for(".roster", pk=entry.class_id))
        return self._entry_edit_page(pk)

    def _entry_roster_url(self, pk):
        """The roster page of the entry's class (where its 删除 button was)."""
        return url_for(".roster", pk=roster.load_entry(current_user(), pk).class_id)

    @expose("/entries/<int:pk>/delete", methods=["POST"])
    @has_access
    @scoped_id(InhouseRosterEntry)
    @refusals(back=lambda self, pk: self._entry_roster_url(pk))
    def entry_delete(self, pk):
        back = self._entry_roster_url(pk)
        roster.delete_entry(current_user(), now(), pk)
        flash("已删除", "success")
        return redirect(back)
