"""事务所 and 人员: list / show / add / edit / delete, exports, and their REST APIs."""
from flask import flash, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.extensions import db
from app.models import Firm, FirmStatus, Gender, Person, PersonStatus, PersonType
from app.views.forms import Checked, choice_field
from app.views.scoping import ScopedModelRestApi, ScopedModelView, current_user, now
from app.workflows import password_recovery, registry
from app.workflows.core.errors import DomainError
from app.workflows.identifiers import (
    validate_cert_number,
    validate_firm_code,
    validate_id_number,
    validate_mobile,
)

FIRM_LABELS = {
    "code": "事务所编号",
    "name": "事务所名称",
    "contact_name": "联系人",
    "contact_phone": "联系人手机号",
    "email": "电子邮箱",
    "status": "状态",
    "created_at": "创建时间",
    "admin_username": "管理员账号",
}
FIRM_FIELDS = ["code", "name", "contact_name", "contact_phone", "email", "status"]
FIRM_EDIT_FIELDS = [f for f in FIRM_FIELDS if f != "code"]  # the code is the admin's login

PERSON_LABELS = {
    "person_type": "人员类型",
    "name": "姓名",
    "gender": "性别",
    "id_number": "身份证号",
    "phone": "手机号",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "position": "职位/级别",
    "cert_number": "证书编号",
    "firm": "所在事务所",
    "firm.name": "所在事务所",
    "status": "状态",
    "imported_at": "导入时间",
    "created_at": "创建时间",
}
PERSON_FIELDS = [
    "person_type", "name", "gender", "id_number", "phone", "birth_date",
    "ethnicity", "position", "cert_number", "firm", "status",
]
PERSON_LIST = ["name", "person_type", "gender", "phone", "cert_number", "firm", "position", "status"]
PERSON_SEARCH = ["name", "person_type", "phone", "id_number", "cert_number", "firm", "position",
                 "status"]


class FirmRules:
    """The firm rules both doors (UI and REST) apply."""

    def clean(self, item, creating):
        registry.clean_firm(item, creating=creating)
        if creating:
            registry.on_firm_created(item, now())

    def pre_delete(self, item):
        registry.check_firm_deletable(item)
        registry.delete_firm_accounts(item)


class PersonRules:
    def clean(self, item, creating):
        registry.clean_person(item, now())

    def pre_delete(self, item):
        registry.check_person_deletable(item)


def _reset_passwords(items, reset) -> None:
    """重置密码 on the selected rows (one workflow call each); the rest go on if one fails."""
    items = items if isinstance(items, list) else [items]
    done = 0
    for item in items:
        if item is None:
            continue
        try:
            reset(current_user(), item, now())
        except DomainError as error:
            flash(f"{item.name}：{error.message}", "danger")
            continue
        done += 1
    db.session.commit()
    if done:
        flash(f"已将 {done} 个账号的密码重置为初始密码，下次登录须修改", "success")


class FirmView(FirmRules, ScopedModelView):
    """事务所 (firms). A firm admin sees only its own firm."""

    datamodel = SQLAInterface(Firm)
    list_title = "事务所"
    show_title = "事务所详情"
    add_title = "新增事务所"
    edit_title = "修改事务所"
    label_columns = FIRM_LABELS
    list_columns = FIRM_FIELDS
    show_columns = FIRM_FIELDS + ["admin_username", "created_at"]
    add_columns = FIRM_FIELDS
    edit_columns = FIRM_EDIT_FIELDS
    search_columns = ["code", "name", "contact_name", "status"]
    order_columns = ["code", "name", "contact_name", "status"]
    base_order = ("code", "asc")
    description_columns = {"code": "8位数字；新增后自动创建管理员账号 P+编号，初始密码为编号后六位"}
    validators_columns = {
        "code": [Checked(validate_firm_code)],
        "contact_phone": [Checked(lambda v: validate_mobile(v, "联系人手机号"))],
    }
    add_form_extra_fields = {"status": choice_field("状态", FirmStatus.ALL)}
    edit_form_extra_fields = add_form_extra_fields
    method_permission_name = {"reset_password": "reset_password"}

    @action("reset_password", "重置密码",
            "确定将所选事务所管理员账号（P+编号）的密码重置为初始密码（编号后六位）吗？", "fa-key")
    def reset_password(self, items):
        _reset_passwords(items, password_recovery.reset_firm_admin)
        return redirect(url_for(".list"))


class PersonView(PersonRules, ScopedModelView):
    """人员 (persons). A firm admin sees its firm's people, a member only itself."""

    datamodel = SQLAInterface(Person)
    list_title = "人员"
    show_title = "人员详情"
    add_title = "新增人员"
    edit_title = "修改人员"
    label_columns = PERSON_LABELS
    list_columns = PERSON_LIST
    show_columns = PERSON_FIELDS + ["imported_at", "created_at"]
    add_columns = PERSON_FIELDS
    edit_columns = PERSON_FIELDS
    search_columns = PERSON_SEARCH
    order_columns = ["name", "person_type", "gender", "phone", "cert_number", "position", "status"]
    base_order = ("name", "asc")
    description_columns = {"firm": "事务所管理员无需选择，默认为本所"}
    validators_columns = {
        "id_number": [Checked(validate_id_number)],
        "phone": [Checked(validate_mobile)],
        "cert_number": [Checked(validate_cert_number)],
    }
    add_form_extra_fields = {
        "person_type": choice_field("人员类型", PersonType.ALL, default=PersonType.OTHER),
        "gender": choice_field("性别", Gender.ALL, blank=True),
        "status": choice_field("状态", PersonStatus.ALL),
    }
    edit_form_extra_fields = add_form_extra_fields
    method_permission_name = {"reset_password": "reset_password"}

    @action("reset_password", "重置密码", "确定将所选人员的登录密码重置为初始密码吗？", "fa-key")
    def reset_password(self, items):
        _reset_passwords(items, password_recovery.reset_person_account)
        return redirect(url_for(".list"))


class FirmApi(FirmRules, ScopedModelRestApi):
    resource_name = "firm"
    datamodel = SQLAInterface(Firm)
    allow_browser_login = True
    list_columns = ["id"] + FIRM_FIELDS
    show_columns = ["id"] + FIRM_FIELDS + ["created_at"]
    add_columns = FIRM_FIELDS
    edit_columns = FIRM_EDIT_FIELDS
    search_columns = ["code", "name", "contact_name", "status"]
    order_columns = ["code", "name", "status"]
    label_columns = FIRM_LABELS


class PersonApi(PersonRules, ScopedModelRestApi):
    resource_name = "person"
    datamodel = SQLAInterface(Person)
    allow_browser_login = True
    _columns = [c for c in PERSON_FIELDS if c != "firm"]
    list_columns = ["id"] + _columns + ["firm.id", "firm.name"]
    show_columns = list_columns + ["imported_at", "created_at"]
    add_columns = PERSON_FIELDS
    edit_columns = PERSON_FIELDS
    search_columns = PERSON_SEARCH
    order_columns = ["name", "person_type", "phone", "cert_number", "status"]
    label_columns = PERSON_LABELS
