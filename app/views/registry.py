"""会员管理 registry: 事务所 and 人员 (list / show / add / edit / delete, exports, REST APIs),
and 人员转入确认 (the person) / 人员转入审核 (staff): the consent step of a move between firms
that a roster import asked for (app/workflows/registry/transfers.py)."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.domains import Domain
from app.models import Firm, FirmStatus, Gender, Person, PersonStatus, PersonTransfer, PersonType
from app.roles import API, CRUD, FIRM_ADMIN, MEMBER, MENU_MEMBERS, MENU_QUERY, STAFF
from app.views.core.forms import Checked, choice_field
from app.views.core.machines import MachineVerbsMixin, flash_outcomes
from app.views.core.refusals import refusals
from app.views.core.scoping import (ScopedModelRestApi, ScopedModelView, current_user, now,
                                    scoped_id)
from app.workflows import registry
from app.workflows.accounts import recovery
from app.workflows.core.decisions import decide_many
from app.workflows.core.identifiers import (
    validate_cert_number,
    validate_firm_code,
    validate_id_number,
    validate_mobile,
)
from app.workflows.registry import transfers

MENU_FIRMS = "事务所信息"
MENU_PERSONS = "人员信息"
MENU_TRANSFER_CONFIRM = "人员转入确认"
MENU_TRANSFER_REVIEW = "人员转入审核"

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
    """重置密码 on the selected rows (one command each); the rest go on if one fails."""
    items = [item for item in (items if isinstance(items, list) else [items])
             if item is not None]
    names = {item.id: item.name for item in items}
    result = decide_many(current_user(), now(), list(names), reset, describe=names.get)
    flash_outcomes(result, "已将 {n} 个账号的密码重置为初始密码，下次登录须修改")


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
    add_form_extra_fields = {"status": choice_field("状态", FirmStatus.LABELS)}
    edit_form_extra_fields = add_form_extra_fields
    method_permission_name = {"reset_password": "reset_password"}

    @action("reset_password", "重置密码",
            "确定将所选事务所管理员账号（P+编号）的密码重置为初始密码（编号后六位）吗？", "fa-key")
    def reset_password(self, items):
        _reset_passwords(items, recovery.reset_firm_admin)
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
    description_columns = {"firm": "不选择即为协会代管人员"}
    institute_only_columns = ("firm",)  # a firm admin's people are its own
    validators_columns = {
        "id_number": [Checked(validate_id_number)],
        "phone": [Checked(validate_mobile)],
        "cert_number": [Checked(validate_cert_number)],
    }
    add_form_extra_fields = {
        "person_type": choice_field("人员类型", PersonType.ALL, default=PersonType.OTHER),
        "gender": choice_field("性别", Gender.ALL, blank=True),
        "status": choice_field("状态", PersonStatus.LABELS),
    }
    edit_form_extra_fields = add_form_extra_fields
    method_permission_name = {"reset_password": "reset_password"}

    @action("reset_password", "重置密码", "确定将所选人员的登录密码重置为初始密码吗？", "fa-key")
    def reset_password(self, items):
        _reset_passwords(items, recovery.reset_person_account)
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


def _local(value):
    return clock.display(value)


class TransferConfirmView(BaseView):
    """The signed-in person's pending transfers: 确认转入 / 拒绝."""

    route_base = "/transfers"
    class_permission_name = "TransferConfirm"
    method_permission_name = {"index": "access", "decide": "access"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        user = current_user()
        pending = transfers.pending_for(user, now())
        return self.render_template(
            "registry/transfer_confirm.html", title=MENU_TRANSFER_CONFIRM, pending=pending,
            local=_local, can_confirm=lambda t: transfers.can_confirm_itself(user, t))

    @expose("/<int:pk>/<string:decision>", methods=["POST"])
    @has_access
    @scoped_id(PersonTransfer)
    @refusals(back=lambda self, pk, decision: url_for(".index"))
    def decide(self, pk, decision):
        call = {"confirm": transfers.confirm, "refuse": transfers.refuse}.get(decision)
        if call is None:
            abort(404)
        call(current_user(), now(), pk)
        flash("已确认转入" if decision == "confirm" else "已拒绝转入，您的信息保持不变", "success")
        return redirect(url_for(".index"))


def _decide(items, call, label):
    """批准 / 不批准 the selected requests, each alone: the page says what became of each."""
    items = items if isinstance(items, list) else [items]
    names = {item.id: item.person.name for item in items}
    result = decide_many(current_user(), now(), list(names), call, describe=names.get,
                         remark=request.form.get("remark"))
    flash_outcomes(result, f"已{label} {{n}} 条转入申请")


class PersonTransferView(ScopedModelView):
    """人员转入审核 (staff): every move a roster import asked for, with its outcome."""

    datamodel = SQLAInterface(PersonTransfer)
    base_permissions = ["can_list", "can_show", "can_export", "can_decide"]
    method_permission_name = {"approve": "decide", "decline": "decide"}
    list_title = "人员转入审核"
    show_title = "转入申请详情"
    label_columns = {"person": "人员", "person.phone": "手机号", "from_firm": "原单位",
                     "to_firm": "申请转入单位", "position": "新单位填写的职位",
                     "person_type": "新单位填写的类型", "requested_at": "申请时间",
                     "expires_at": "有效期至", "status": "状态", "decided_at": "处理时间",
                     "remark": "说明"}
    list_columns = ["person", "person.phone", "from_firm", "to_firm", "position", "requested_at",
                    "expires_at", "status"]
    show_columns = list_columns + ["person_type", "decided_at", "remark"]
    export_columns = show_columns
    search_columns = ["person", "from_firm", "to_firm", "status", "requested_at"]
    order_columns = ["requested_at", "expires_at", "status"]
    base_order = ("requested_at", "desc")
    formatters_columns = {"requested_at": _local, "expires_at": _local, "decided_at": _local,
                          "from_firm": lambda f: f.name if f else "协会代管"}

    @action("approve", "批准转入", "确定批准所选人员转入申请的单位吗？", "fa-check")
    def approve(self, items):
        _decide(items, transfers.approve, "批准")
        return redirect(self.get_redirect())

    @action("decline", "不予批准", "确定不批准所选转入申请吗？人员将留在原单位。", "fa-times")
    def decline(self, items):
        _decide(items, transfers.decline, "不批准")
        return redirect(self.get_redirect())


class PersonTransferApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `person_transfer`: the person's own requests (staff: all), read-only, and the
    verbs confirm / refuse (the person) and approve / decline (staff)."""

    resource_name = "person_transfer"
    datamodel = SQLAInterface(PersonTransfer)
    allow_browser_login = True
    openapi_spec_tag = "Person transfer"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = transfers.MACHINE
    verb_commands = transfers.COMMANDS
    list_columns = ["id", "person.name", "to_firm.name", "position", "requested_at",
                    "expires_at", "status", "version"]
    show_columns = list_columns + ["decided_at", "remark"]
    search_columns = ["status", "requested_at"]
    order_columns = ["requested_at", "status"]
    base_order = ("requested_at", "desc")


def register(appbuilder, app) -> None:
    appbuilder.add_view(FirmView, MENU_FIRMS, icon="fa-building", category=MENU_QUERY,
                        category_icon="fa-search")
    appbuilder.add_view(PersonView, MENU_PERSONS, icon="fa-users", category=MENU_MEMBERS,
                        category_icon="fa-id-card")
    appbuilder.add_view(TransferConfirmView, MENU_TRANSFER_CONFIRM, href="/transfers/",
                        icon="fa-exchange", category=MENU_MEMBERS)
    appbuilder.add_view(PersonTransferView, MENU_TRANSFER_REVIEW, icon="fa-exchange",
                        category=MENU_MEMBERS)
    appbuilder.add_api(FirmApi)
    appbuilder.add_api(PersonApi)
    appbuilder.add_api(PersonTransferApi)


DOMAIN = Domain(
    name="registry",
    register=register,
    permissions={
        STAFF: [["FirmView|PersonView", CRUD], ["FirmApi|PersonApi", API],
                ["FirmView|PersonView", "can_reset_password"],
                ["PersonTransferView", "can_(list|show|export|decide)"],
                ["PersonTransferApi", "can_(get|info|act)"],
                [f"{MENU_QUERY}|{MENU_MEMBERS}|{MENU_FIRMS}|{MENU_PERSONS}|{MENU_TRANSFER_REVIEW}",
                 "menu_access"]],
        FIRM_ADMIN: [["FirmView", "can_(list|show|export)"], ["PersonView", CRUD],
                     ["FirmApi", "can_(get|info)"], ["PersonApi", API],
                     ["PersonView", "can_reset_password"],  # its own firm's people (scoped)
                     [f"{MENU_QUERY}|{MENU_MEMBERS}|{MENU_FIRMS}|{MENU_PERSONS}", "menu_access"]],
        MEMBER: [["PersonView", "can_(list|show)"], ["PersonApi", "can_(get|info)"],
                 ["TransferConfirm", "can_access"], ["PersonTransferApi", "can_(get|info|act)"],
                 [f"{MENU_MEMBERS}|{MENU_PERSONS}|{MENU_TRANSFER_CONFIRM}", "menu_access"]],
    },
    audited={Firm: set(), Person: set(), PersonTransfer: set()},
    queues=transfers.QUEUES,  # 审核中心: open transfers
    jobs=(transfers.expire_transfers,),
)
