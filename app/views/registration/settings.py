"""Staff settings of 注册业务 — 所需材料设置 (the one requirements table), 预约时段设置, 节假日设置."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms.validators import NumberRange, Regexp, ValidationError as FormValidationError

from app.models import CalendarDay, DocRequirement, SlotTemplate
from app.views.core.forms import choice_field
from app.views.core.scoping import ScopedModelView
from app.views.registration.conditions import ConditionField, FitsCaseType
from app.workflows.registration import documents, requirements, types as TY


# ---- staff settings ----------------------------------------------------------------------------

def _yes_no(value) -> str:
    return "是" if value else "否"


def _template_exists(doc_key: str) -> bool:
    try:
        documents.template(doc_key)
    except KeyError:
        return False
    return True


def _template_available(form, field):
    """提供模板 only for a document the system has a template of: otherwise the form would
    offer a 下载模板 that answers 404."""
    key = form["doc_key"].data if "doc_key" in form else ""
    if field.data and key and not _template_exists(key):
        raise FormValidationError(f"材料代码“{key}”没有可下载的模板，请不要勾选“提供模板”")


class DocRequirementView(ScopedModelView):
    """所需材料设置: the one table the form, the submit check and 智能客服 read."""

    datamodel = SQLAInterface(DocRequirement)
    list_title = "所需材料设置"
    show_title = "所需材料"
    add_title = "添加所需材料"
    edit_title = "修改所需材料"
    _fields = ["case_type", "doc_key", "label", "required", "condition", "has_template", "sort"]
    list_columns = [f for f in _fields if f != "doc_key"]  # the code is for editing rows
    show_columns = _fields
    add_columns = _fields
    edit_columns = _fields
    search_columns = ["case_type", "label"]
    order_columns = ["case_type", "sort", "label"]
    base_order = ("sort", "asc")
    label_columns = {"case_type": "业务类型", "doc_key": "材料代码", "label": "材料名称",
                     "required": "必须上传", "condition": "适用条件", "has_template": "提供模板",
                     "sort": "排序"}
    description_columns = {
        "condition": "不选表示总是需要；选了条件时，只有表单的回答符合全部条件才需要这份材料",
        "required": "不勾选为选填材料：表单中列出，但不上传也可以提交",
        "has_template": "勾选后表单中显示“下载模板”；只有系统提供模板的材料（如申请表）可以勾选",
        "doc_key": "英文字母、数字或下划线；同一业务类型的同一材料在不同条件下使用同一代码"}
    formatters_columns = {"required": _yes_no, "has_template": _yes_no,
                          "condition": lambda c: (f"{requirements.condition_words(c)}时需要"
                                                  if c else "总是需要")}
    add_form_extra_fields = {"case_type": choice_field("业务类型", TY.ALL),
                             "condition": ConditionField(
                                 "适用条件", validators=[FitsCaseType()],
                                 description="不选表示总是需要；选了条件时，只有表单的回答符合"
                                             "全部条件才需要这份材料")}
    edit_form_extra_fields = add_form_extra_fields

    validators_columns = {
        "doc_key": [Regexp(r"^[A-Za-z0-9_]{1,32}$",
                           message="材料代码只能包含英文字母、数字和下划线（最多32个字符）")],
        "has_template": [_template_available]}


class SlotTemplateView(ScopedModelView):
    datamodel = SQLAInterface(SlotTemplate)
    list_title = "预约时段设置"
    show_title = "预约时段"
    add_title = "添加预约时段"
    edit_title = "修改预约时段"
    _fields = ["start", "end", "seats", "active"]
    list_columns = _fields
    show_columns = _fields
    add_columns = _fields
    edit_columns = _fields
    order_columns = ["start"]
    base_order = ("start", "asc")
    label_columns = {"start": "开始时间", "end": "结束时间", "seats": "名额", "active": "启用"}
    formatters_columns = {"active": _yes_no}
    description_columns = {"start": "HH:MM，例如 09:00", "end": "HH:MM，例如 10:00",
                           "seats": "每个时段可预约的人数"}
    validators_columns = {
        "start": [Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="时间须为 HH:MM，例如 09:00")],
        "end": [Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="时间须为 HH:MM，例如 10:00")],
        "seats": [NumberRange(min=0, max=500, message="名额须为0到500之间的整数")]}


class CalendarDayView(ScopedModelView):
    datamodel = SQLAInterface(CalendarDay)
    list_title = "节假日设置"
    show_title = "节假日"
    add_title = "添加节假日或调休工作日"
    edit_title = "修改节假日"
    _fields = ["day", "open", "note"]
    list_columns = _fields
    show_columns = _fields
    add_columns = _fields
    edit_columns = _fields
    order_columns = ["day"]
    base_order = ("day", "desc")
    label_columns = {"day": "日期", "open": "工作日（不勾选为公休日）", "note": "说明"}
    formatters_columns = {"open": lambda v: "工作日" if v else "公休日"}
    description_columns = {"open": "法定节假日和周末已按国家安排自动为公休日；此处录入临时闭馆（不勾选）"
                                   "或调休上班（勾选）的日期"}
