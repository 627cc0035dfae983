"""网络学习, the institute's side (seed 001 §2.2, seed 002 §3-6): 会计学院 and 网络课程
maintained by staff; 学院选择, 学习进度 and 学习费用 lists (staff: all; a firm admin: its own
firm's people) with export; 确认收款 / 撤销收款 on the fee orders, through the machine."""
from flask import redirect, request, url_for
from markupsafe import Markup
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.models import (Category, Course, InstituteChoice, LearningFee, LearningInstitute,
                        LessonProgress)
from app.views.core.forms import choice_field
from app.views.core.machines import fire_from_page, flash_outcomes
from app.views.core.scoping import ScopedModelView, current_user, now, scoped_id
from app.workflows.learning import catalog, fees, rules

PERSON_LABELS = {"person.name": "姓名", "person.cert_number": "证书编号",
                 "person.person_type": "人员类型", "person.firm": "事务所",
                 "person": "人员", "year": "学习年度", "institute": "会计学院"}


def _yes_no(value) -> str:
    return "是" if value else "否"


def _site(value):
    """学习网址 as a link that reads in Chinese (the address is on the link, not in the text)."""
    if not value:
        return ""
    return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">打开学习网址</a>'
                  ).format(value)


class LearningInstituteView(ScopedModelView):
    """会计学院 (staff): the institutes members may choose, with their fee and contact."""

    datamodel = SQLAInterface(LearningInstitute)
    list_title = show_title = "会计学院"
    add_title = "添加会计学院"
    edit_title = "修改会计学院"
    _fields = ["code", "name", "phone", "website", "fee", "active"]
    # 交费说明: what a 非执业会员 with a 待缴费 fee is shown (issue 23 item 10)
    _payment = ["pay_payee", "pay_bank", "pay_account", "pay_note"]
    list_columns = _fields
    show_columns = add_columns = edit_columns = export_columns = _fields + _payment
    label_columns = {"code": "学院代码", "name": "学院名称", "phone": "咨询电话",
                     "website": "学习网址", "fee": "非执业会员学习费用（元/年）", "active": "启用",
                     "pay_payee": "收款单位", "pay_bank": "开户银行", "pay_account": "收款账号",
                     "pay_note": "其他交费说明"}
    description_columns = {"code": "学院的简称代码（大写字母），如 BNAI",
                           "fee": "非执业会员选择本学院后须缴纳的年度学习费用；协会确认收款后计入学时",
                           "pay_account": "非执业会员“待缴费”时看到的收款账号（数字，可含空格）；"
                                          "汇款附言为系统生成的缴费编号",
                           "pay_note": "如支持的其他交费方式、开票说明等，显示在会员的交费说明中"}
    formatters_columns = {"active": _yes_no, "website": _site}
    order_columns = ["code", "name"]
    base_order = ("id", "asc")

    def clean(self, item, creating):
        catalog.clean_institute(item)

    def pre_delete(self, item):
        catalog.check_institute_delete(item)


class CourseView(ScopedModelView):
    """网络课程 (staff): each institute's courses of a year, required or elective."""

    datamodel = SQLAInterface(Course)
    list_title = show_title = "网络课程"
    add_title = "添加网络课程"
    edit_title = "修改网络课程"
    _fields = ["institute", "year", "code", "title", "required", "category", "hours", "active"]
    list_columns = show_columns = add_columns = edit_columns = export_columns = _fields
    label_columns = {"institute": "会计学院", "year": "年度", "code": "课程编号",
                     "title": "课程名称", "required": "必修", "category": "学时类别",
                     "hours": "学时", "active": "启用"}
    description_columns = {
        "code": "会计学院报送学习进度时使用的课程编号，同一学院同一年度内不重复",
        "required": "注册会计师须先完成全部必修课程，选修课程才计入学时（非执业会员不区分必修选修）",
        "hours": "大于0，最多一位小数"}
    formatters_columns = {"required": lambda v: "必修" if v else "选修", "active": _yes_no}
    search_columns = ["institute", "year", "required", "category", "title", "code"]
    order_columns = ["year", "code", "title", "hours"]
    base_order = ("year", "desc")
    add_form_extra_fields = {"category": choice_field("学时类别", Category.ALL)}
    edit_form_extra_fields = add_form_extra_fields

    def clean(self, item, creating):
        catalog.clean_course(item)

    def pre_delete(self, item):
        catalog.check_course_delete(item)


class InstituteChoiceView(ScopedModelView):
    """学院选择: who chose which institute for which year (locked: no edit, no delete)."""

    datamodel = SQLAInterface(InstituteChoice)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = show_title = "学院选择"
    list_columns = ["year", "person.name", "person.cert_number", "person.person_type",
                    "person.firm", "institute", "chosen_at"]
    show_columns = export_columns = list_columns
    label_columns = {**PERSON_LABELS, "chosen_at": "选择时间"}
    search_columns = ["year", "institute", "person"]
    order_columns = ["year", "chosen_at"]
    base_order = ("chosen_at", "desc")


class LessonProgressView(ScopedModelView):
    """学习进度: lessons the institutes reported (待评价 / 已评价 / 已计学时)."""

    datamodel = SQLAInterface(LessonProgress)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = show_title = "学习进度"
    list_columns = ["year", "person.name", "person.cert_number", "institute", "course",
                    "course.hours", "status", "completed_at", "evaluated_at", "credited_at"]
    show_columns = list_columns + ["score", "comment"]
    export_columns = show_columns
    label_columns = {**PERSON_LABELS, "course": "课程", "course.hours": "学时",
                     "status": "状态", "completed_at": "完成时间", "evaluated_at": "评价时间",
                     "credited_at": "计入学时时间", "score": "评分", "comment": "评价内容"}
    search_columns = ["year", "institute", "status", "person", "course"]
    order_columns = ["year", "completed_at", "evaluated_at", "status"]
    base_order = ("completed_at", "desc")


class LearningFeeView(ScopedModelView):
    """学习费用 (非执业会员): staff confirm receipt (确认收款) or take it back (撤销收款)."""

    datamodel = SQLAInterface(LearningFee)
    base_permissions = ["can_list", "can_show", "can_export", "can_mark_paid"]
    list_title = show_title = "网络学习费用"
    list_columns = ["year", "reference", "person.name", "person.cert_number", "person.firm",
                    "institute", "amount", "status", "created_at", "paid_at", "receipt"]
    show_columns = export_columns = list_columns
    label_columns = {**PERSON_LABELS, "amount": "金额（元）", "status": "状态",
                     "reference": "缴费编号",
                     "created_at": "下单时间", "paid_at": "确认收款时间", "receipt": "收款凭证号/备注"}
    search_columns = ["year", "reference", "institute", "status", "person"]
    order_columns = ["year", "created_at", "paid_at", "status"]
    base_order = ("created_at", "desc")
    show_template = "learning/fee_show.html"
    permission_labels = {"can_mark_paid": "确认收款"}
    method_permission_name = {"decide": "mark_paid", "mark_paid": "mark_paid"}

    def render_template(self, template, **kwargs):
        if template == self.show_template and kwargs.get("pk") is not None:
            row = self.datamodel.get(kwargs["pk"], self._base_filters)
            if row is not None:
                kwargs["fee_verbs"] = rules.FEE.allowed(row, current_user(), now())
                kwargs["fee_history"] = rules.FEE.history(row)
                kwargs["fee_pk"] = row.id
                kwargs["fee_version"] = row.version  # the form sends it back (issue 22)
                kwargs["local_time"] = clock.display
        return super().render_template(template, **kwargs)

    # in the list only: the show page has its own form (with the receipt number)
    @action("mark_paid", "确认收款", "确定已收到所选非执业会员的学习费用吗？确认后已学完并评价的课程于次日计入学时。",
            "fa-check", single=False)
    def mark_paid(self, items):
        items = items if isinstance(items, list) else [items]
        result = fees.mark_paid_many(current_user(), now(), [i.id for i in items],
                                     request.form.get("remark"))
        flash_outcomes(result, "已确认收款 {n} 条")
        return redirect(self.get_redirect())

    @expose("/decide/<int:pk>/<string:verb>", methods=["POST"])
    @has_access
    @scoped_id(LearningFee)
    def decide(self, pk, verb):
        return fire_from_page(rules.FEE, fees.FEE_COMMANDS, pk, verb, url_for(".show", pk=pk))
