"""名单 (seed 000 §6.2.2–§6.2.3): a class's roster, 单个上报 with the certificate look-up, 修改 and
删除 until reviewed."""
import io

from flask import flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from app.models import Acquisition, EntryStatus, InhouseClass, InhouseRosterEntry
from app.views.core.args import hours_text as _hours, paged
from app.views.core.scoping import current_user, now, scoped_id
from app.views.inhouse.common import PAGE_SIZE, XLSX, _entry_form, _like, _text_arg
from app.workflows.core.errors import DomainError, NotFoundError
from app.workflows.core.scoping import is_institute, scoped_select
from app.workflows.core.sheets import XlsxWriter, csv_chunks
from app.workflows.inhouse import rules
from app.workflows.core.labels import label
from app.workflows.core.labels import code_of


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
        listed = paged(query, PAGE_SIZE)
        args = request.args.to_dict()
        return self.render_template(
            "inhouse/roster.html", title=f"学员名单：{item.name}", item=item, **listed.args(),
            statuses=EntryStatus.LABELS, args=args, hours=_hours,
            local_time=clock.display, institute=is_institute(user),
            window=rules.roster_open(item, now()),
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
