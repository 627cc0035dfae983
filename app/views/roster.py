"""会员管理 → 从业人员管理 (seed 000 §3): the roster list, 修改 and 重置密码. 导入名单 is the
generic import page of the staff list kind (app/workflows/staff_list.py; this module keeps
the domain name "roster", under which its permissions are stored); `staff_import` is
its REST alias."""
from flask import abort, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, protect
from flask_wtf import FlaskForm

from app import clock
from app.domains import Domain
from app.models import Person, PersonStatus, PersonType
from app.roles import FIRM_ADMIN, MENU_MEMBERS, STAFF
from app.views.core.forms import Checked, choice_field
from app.views.core.imports import ImportApiMixin
from app.views.core.scoping import ScopedModelView, row_links_widget, scoped_id
from app.views.registry import PersonRules, _reset_passwords
from app.workflows import staff_list
from app.workflows.accounts import recovery
from app.workflows.core.identifiers import validate_id_number


class FilterOnRoster(BaseFilter):
    """Base filter: people a roster import has listed (从业人员)."""

    name = "从业人员"
    arg_name = None

    def apply(self, query, value):
        return query.filter(staff_list.staff_list_filter())


class StaffRosterView(PersonRules, ScopedModelView):
    """从业人员管理 (seed 000 §3): the firm's roster, 修改 and 重置密码."""

    datamodel = SQLAInterface(Person)
    list_title = "从业人员管理"
    show_title = "从业人员详情"
    edit_title = "修改从业人员"
    base_permissions = ["can_list", "can_show", "can_edit", "can_export", "can_reset_password"]
    method_permission_name = {"reset_password": "reset_password", "reset_one": "reset_password"}
    # seed 000 §3's list: 操作 修改 重置密码, on every row
    list_widget = row_links_widget([
        ("修改", "StaffRosterView.edit", "can_edit", "StaffRosterView"),
        ("重置密码", "StaffRosterView.reset_one", "can_reset_password", "StaffRosterView"),
    ])
    base_filters = [["imported_at", FilterOnRoster, None]]
    label_columns = {"login_name": "登录名", "name": "姓名", "phone": "手机号", "status": "状态",
                     "person_type": "类型", "imported_at": "导入时间", "id_number": "身份证号",
                     "position": "职位", "firm": "所在事务所"}
    # the manual's columns; 所在事务所 last, for staff who see every firm's roster
    list_columns = ["login_name", "name", "phone", "status", "person_type", "imported_at", "firm"]
    # 导出: the import template's columns first (姓名, 手机号, 身份证号, 类型, 职位), then the
    # read-only extras — export → edit → import is a round trip that changes nothing
    export_columns = [c.key for c in staff_list.IMPORTER.columns] + list(staff_list.IMPORTER.export_extras)
    show_columns = ["login_name", "name", "phone", "id_number", "person_type", "position",
                    "firm", "status", "imported_at"]
    edit_columns = ["name", "id_number", "person_type", "position", "status"]
    search_columns = ["name", "phone", "status", "person_type", "position", "imported_at", "firm"]
    order_columns = ["name", "phone", "status", "person_type", "imported_at"]
    base_order = ("imported_at", "desc")
    validators_columns = {"id_number": [Checked(validate_id_number)]}
    edit_form_extra_fields = {
        "person_type": choice_field("类型", PersonType.ALL),
        "status": choice_field("状态", PersonStatus.LABELS),
    }
    formatters_columns = {"imported_at": clock.display}
    list_links = [("导入名单", "ImportView.upload", "fa-upload", "can_import", "Import",
                   {"kind_name": staff_list.KIND})]

    @action("reset_password", "重置密码", "确定将所选人员的密码重置为初始密码（手机号后六位）吗？",
            "fa-key", single=False)
    def reset_password(self, items):
        _reset_passwords(items, recovery.reset_person_account)
        return redirect(url_for(".list"))

    @expose("/reset/<pk>", methods=["GET", "POST"])
    @has_access
    @scoped_id(Person)
    def reset_one(self, pk):
        """重置密码 on one row: a confirmation page, then the reset (POST)."""
        person = self._visible(pk)
        if person is None:
            abort(404)
        if request.method == "POST" and FlaskForm().validate_on_submit():
            _reset_passwords([person], recovery.reset_person_account)
            return redirect(url_for(".list"))
        return self.render_template("roster/reset_confirm.html", title="重置密码", person=person,
                                    back=url_for(".list"))


class StaffImportApi(ImportApiMixin, BaseApi):
    """REST `staff_import` (DESIGN §6, kept for scripts that use it): the generic import
    resource bound to the staff roster kind."""

    resource_name = "staff_import"
    class_permission_name = "Import"
    method_permission_name = {"preview": "import", "commit": "import", "get": "import",
                              "template": "import"}
    allow_browser_login = True
    openapi_spec_tag = "Staff roster import"

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
            200:
              description: the preview (token, counts, errors by row)
              content: {application/json: {schema: {type: object, required: [token, kind, status], properties: {token: {type: string}, kind: {type: string}, status: {type: string}, total: {type: integer}, valid: {type: integer}, committable: {type: boolean}, errors: {type: array, items: {type: object}}, counts: {type: object}}}}}
            400: {description: bad input}
            403: {description: not your firm}
        """
        return self._preview(staff_list.KIND)

    @expose("/<string:token>", methods=["GET"])
    @protect()
    def get(self, token):
        """The preview of a token.
        ---
        get:
          parameters:
          - {in: path, name: token, required: true, schema: {type: string}}
          responses:
            200:
              description: the preview (token, counts, errors by row)
              content: {application/json: {schema: {type: object, required: [token, kind, status], properties: {token: {type: string}, kind: {type: string}, status: {type: string}, total: {type: integer}, valid: {type: integer}, committable: {type: boolean}, errors: {type: array, items: {type: object}}, counts: {type: object}}}}}
            404: {description: no such preview for you}
        """
        return self._get(token, staff_list.KIND)

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
            200:
              description: "imported (the preview with the kind's totals)"
              content: {application/json: {schema: {type: object, required: [token, kind, status], properties: {token: {type: string}, kind: {type: string}, status: {type: string}, total: {type: integer}, valid: {type: integer}, committable: {type: boolean}, errors: {type: array, items: {type: object}}, counts: {type: object}}}}}
            400: {description: refused, with the reason}
            404: {description: no such preview for you}
        """
        return self._commit(token, staff_list.KIND)

    @expose("/template", methods=["GET"])
    @protect()
    def template(self):
        """The .xlsx template.
        ---
        get:
          responses:
            200:
              description: the .xlsx template
              content: {application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {schema: {type: string, format: binary}}}
        """
        return self._template(staff_list.KIND)


MENU_STAFF_ROSTER = "从业人员管理"
_ROSTER = "can_(list|show|edit|export|reset_password)"


def register(appbuilder, app) -> None:
    appbuilder.add_view(StaffRosterView, MENU_STAFF_ROSTER, icon="fa-address-book",
                        category=MENU_MEMBERS)
    appbuilder.add_api(StaffImportApi)


DOMAIN = Domain(
    name="roster",
    register=register,
    permissions={
        STAFF: [["StaffRosterView", _ROSTER], [MENU_STAFF_ROSTER, "menu_access"]],
        FIRM_ADMIN: [["StaffRosterView", _ROSTER], [MENU_STAFF_ROSTER, "menu_access"]],
    },
    import_kinds=(staff_list.IMPORTER,),
)
