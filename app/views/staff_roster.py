"""会员管理 → 从业人员管理: the roster list, 导入名单 (template, upload, preview, commit),
its REST API and the background preview of large files."""
import io
import threading

from flask import (Response, abort, current_app, flash, g, jsonify, redirect, request,
                   send_file, url_for)
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, protect
from flask_appbuilder.security.sqla.models import User

from app import clock
from app.extensions import db
from app.models import Firm, ImportStatus, Person, PersonStatus, PersonType
from app.views.forms import Checked, choice_field
from app.views.registry import PersonRules, _reset_passwords
from app.views.scoping import ScopedModelView, current_user, now
from app.workflows import password_recovery, staff_roster
from app.workflows.core import importing
from app.workflows.core.errors import DomainError
from app.workflows.identifiers import validate_id_number
from app.workflows.core.scoping import is_institute, scope_condition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# files above this size are previewed in the background with a progress bar
BACKGROUND_BYTES = 256 * 1024
SHOWN_ERRORS = 200


class FilterOnRoster(BaseFilter):
    """Base filter: people a roster import has listed (从业人员)."""

    name = "从业人员"
    arg_name = None

    def apply(self, query, value):
        return query.filter(staff_roster.roster_filter())


class StaffRosterView(PersonRules, ScopedModelView):
    """从业人员管理 (seed 000 §3): the firm's roster, 修改 and 重置密码."""

    datamodel = SQLAInterface(Person)
    list_title = "从业人员管理"
    show_title = "从业人员详情"
    edit_title = "修改从业人员"
    base_permissions = ["can_list", "can_show", "can_edit", "can_export", "can_reset_password"]
    method_permission_name = {"reset_password": "reset_password"}
    base_filters = [["imported_at", FilterOnRoster, None]]
    label_columns = {"login_name": "登录名", "name": "姓名", "phone": "手机号", "status": "状态",
                     "person_type": "类型", "imported_at": "导入时间", "id_number": "身份证号",
                     "position": "职位", "firm": "所在事务所"}
    # the manual's columns; 所在事务所 last, for staff who see every firm's roster
    list_columns = ["login_name", "name", "phone", "status", "person_type", "imported_at", "firm"]
    show_columns = ["login_name", "name", "phone", "id_number", "person_type", "position",
                    "firm", "status", "imported_at"]
    edit_columns = ["name", "id_number", "person_type", "position", "status"]
    search_columns = ["name", "phone", "status", "person_type", "position", "imported_at", "firm"]
    order_columns = ["name", "phone", "status", "person_type", "imported_at"]
    base_order = ("imported_at", "desc")
    validators_columns = {"id_number": [Checked(validate_id_number)]}
    edit_form_extra_fields = {
        "person_type": choice_field("类型", PersonType.ALL),
        "status": choice_field("状态", PersonStatus.ALL),
    }
    formatters_columns = {"imported_at": lambda v: clock.to_local(v).strftime(
        "%Y-%m-%d %H:%M:%S") if v else ""}
    list_links = [("导入名单", "StaffImportView.upload", "fa-upload", "can_import", "StaffImport")]

    @action("reset_password", "重置密码", "确定将所选人员的密码重置为初始密码（手机号后六位）吗？",
            "fa-key", single=False)
    def reset_password(self, items):
        _reset_passwords(items, password_recovery.reset_person_account)
        return redirect(url_for(".list"))


def _firm_for_upload(user, code: str | None) -> Firm:
    """Staff choose the firm; a firm admin always imports for its own."""
    if is_institute(user):
        if not code:
            raise DomainError("请选择事务所", "firm")
        return staff_roster.firm_by_code(code.strip())
    account = user.account
    if account is None or account.firm is None:
        raise DomainError("只有事务所管理员或协会工作人员可以导入名单")
    return account.firm


def _run_in_background(app, batch_id: int, user_id: int, firm_id: int, filename: str,
                       data: bytes) -> None:
    """Preview a large file off the request; the page polls the batch's progress."""
    with app.app_context():
        from app.models import ImportBatch

        batch = db.session.get(ImportBatch, batch_id)
        actor = db.session.get(User, user_id)
        firm = db.session.get(Firm, firm_id)
        expected = max(importing.estimate_rows(filename, data), 1)

        def progress(done):
            batch.progress = min(99, int(done * 100 / expected))
            db.session.commit()

        try:
            staff_roster.preview(actor, clock.now(), firm, filename, data, batch=batch,
                                 progress=progress)
        except Exception as error:  # noqa: BLE001 — the page must show the failure
            db.session.rollback()
            batch = db.session.get(ImportBatch, batch_id)
            batch.status = ImportStatus.FAILED
            batch.message = f"处理文件时出错：{error}"
            db.session.commit()
            current_app.logger.exception("background preview failed")
        finally:
            db.session.remove()


class StaffImportView(BaseView):
    """导入名单: template → upload → preview → 正式导入 (or back)."""

    route_base = "/staff-import"
    class_permission_name = "StaffImport"
    method_permission_name = {name: "import" for name in (
        "upload", "template", "preview_page", "status", "commit", "report")}
    default_view = "upload"

    def _firms(self):
        return db.session.query(Firm).filter(scope_condition(Firm, current_user())) \
            .order_by(Firm.code).all()

    @expose("/", methods=["GET", "POST"])
    @has_access
    def upload(self):
        user = current_user()
        if request.method == "POST":
            upload = request.files.get("file")
            try:
                if upload is None or not upload.filename:
                    raise DomainError("请选择要上传的名单文件", "file")
                firm = _firm_for_upload(user, request.form.get("firm"))
                data = upload.read(importing.MAX_BYTES + 1)
                if len(data) > BACKGROUND_BYTES and len(data) <= importing.MAX_BYTES:
                    batch = staff_roster.new_batch(user, now(), firm, upload.filename)
                    threading.Thread(
                        target=_run_in_background, daemon=True,
                        args=(current_app._get_current_object(), batch.id, user.id, firm.id,
                              upload.filename, data)).start()
                else:
                    batch = staff_roster.preview(user, now(), firm, upload.filename, data)
                return redirect(url_for(".preview_page", token=batch.token))
            except DomainError as error:
                flash(error.message, "danger")
        return self.render_template(
            "staff_import/upload.html", title="导入从业人员名单", rules=staff_roster.RULES,
            firms=self._firms() if is_institute(user) else None,
            own_firm=None if is_institute(user) else user.account.firm,
            selected=request.values.get("firm", ""))

    @expose("/template.xlsx")
    @has_access
    def template(self):
        return send_file(io.BytesIO(importing.template(staff_roster.IMPORTER)), mimetype=XLSX,
                         as_attachment=True, download_name="从业人员名单模板.xlsx")

    def _batch(self, token):
        try:
            return staff_roster.find_batch(current_user(), token)
        except DomainError:
            abort(404)

    @expose("/preview/<string:token>")
    @has_access
    def preview_page(self, token):
        batch = self._batch(token)
        summary = staff_roster.summary_of(batch)
        return self.render_template(
            "staff_import/preview.html", title="导入预览", batch=batch, summary=summary,
            errors=summary.get("errors", [])[:SHOWN_ERRORS], statuses=ImportStatus,
            firm=db.session.get(Firm, batch.firm_id))

    @expose("/status/<string:token>")
    @has_access
    def status(self, token):
        batch = self._batch(token)
        return jsonify(status=batch.status, progress=batch.progress,
                       done=batch.status != ImportStatus.PARSING)

    @expose("/commit/<string:token>", methods=["POST"])
    @has_access
    def commit(self, token):
        self._batch(token)
        try:
            result = staff_roster.commit(current_user(), now(), token,
                                         confirm_mass_revoke=bool(request.form.get("confirm")))
        except DomainError as error:
            flash(error.message, "danger")
            return redirect(url_for(".preview_page", token=token))
        counts = result["counts"]
        flash("正式导入完成：新增{新增}人，更新{更新}人，恢复{恢复}人，撤销{撤销}人，不变{不变}人".format(
            **counts), "success")
        return redirect(url_for("StaffRosterView.list"))

    @expose("/report/<string:token>.xlsx")
    @has_access
    def report(self, token):
        batch = self._batch(token)
        if not batch.rows:
            abort(404)
        import json

        data = importing.error_report(staff_roster.IMPORTER, json.loads(batch.rows))
        return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"从业人员名单_错误说明_{batch.id}.xlsx")


class StaffImportApi(BaseApi):
    """REST: POST /api/v1/staff_import/preview, POST /api/v1/staff_import/<token>/commit."""

    resource_name = "staff_import"
    class_permission_name = "StaffImport"
    method_permission_name = {"preview": "import", "commit": "import", "get": "import",
                              "template": "import"}
    allow_browser_login = True
    openapi_spec_tag = "Staff roster import"

    def _fail(self, error: DomainError):
        return self.response(error.status, message=error.message,
                             **({"field": error.field} if error.field else {}))

    @expose("/preview", methods=["POST"])
    @protect()
    def preview(self):
        """Check a whole-list staff file; change nothing.
        ---
        post:
          description: >-
            Upload the firm's whole staff list (multipart field `file`; staff also send
            `firm`, the firm code). Returns the preview JSON with a token to commit.
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    firm: {type: string}
          responses:
            200: {description: the preview}
            400: {description: bad input}
            403: {description: not your firm}
        """
        user = g.user
        upload = request.files.get("file")
        try:
            if upload is None:
                raise DomainError("请上传名单文件（字段 file）", "file")
            firm = _firm_for_upload(user, request.form.get("firm"))
            batch = staff_roster.preview(user, now(), firm, upload.filename,
                                         upload.read(importing.MAX_BYTES + 1))
        except DomainError as error:
            return self._fail(error)
        return self.response(200, **staff_roster.summary_of(batch), status=batch.status)

    @expose("/<string:token>", methods=["GET"])
    @protect()
    def get(self, token):
        """The preview of a token.
        ---
        get:
          parameters:
          - {in: path, name: token, required: true, schema: {type: string}}
          responses:
            200: {description: the preview}
            404: {description: no such preview for you}
        """
        try:
            batch = staff_roster.find_batch(g.user, token)
        except DomainError as error:
            return self._fail(error)
        return self.response(200, **staff_roster.summary_of(batch), status=batch.status)

    @expose("/<string:token>/commit", methods=["POST"])
    @protect()
    def commit(self, token):
        """Apply the previewed plan, once.
        ---
        post:
          parameters:
          - {in: path, name: token, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    confirm_mass_revoke: {type: boolean}
          responses:
            200: {description: imported}
            400: {description: refused, with the reason}
            404: {description: no such preview for you}
        """
        body = request.get_json(silent=True) or {}
        try:
            result = staff_roster.commit(g.user, now(), token,
                                         confirm_mass_revoke=bool(body.get("confirm_mass_revoke")))
        except DomainError as error:
            return self._fail(error)
        return self.response(200, **result)

    @expose("/template", methods=["GET"])
    @protect()
    def template(self):
        """The .xlsx template.
        ---
        get:
          responses:
            200: {description: the template}
        """
        return Response(importing.template(staff_roster.IMPORTER), mimetype=XLSX, headers={
            "Content-Disposition": "attachment; filename=staff_template.xlsx"})
