"""适用条件 of 所需材料设置 as choices: each clause is a field, 为 / 不为 / 包含, and a value, all
chosen from lists in Chinese (the fields of the forms that are answered from a list). The row
keeps the text the form, the submit check and 智能客服 read (``retired=是;items~…``);
app/static/registration_conditions.js narrows the lists to the chosen 业务类型 and field, the
server checks the clause against the type (requirements.check_condition)."""
from markupsafe import Markup, escape
from flask import url_for
from wtforms import Field
from wtforms.validators import ValidationError as FormValidationError

from app.workflows.core.errors import DomainError
from app.workflows.registration import requirements

MIN_CLAUSES = 3


class ConditionWidget:
    def __call__(self, field, **kwargs):
        fields = requirements.condition_fields()
        clauses = list(field.clauses)
        known = {f["key"] for f in fields}
        count = max(MIN_CLAUSES, len(clauses) + 1)
        clauses += [("", "", "")] * (count - len(clauses))
        html = [f'<div class="reg-conditions" id="{escape(field.id)}" '
                f'data-type-field="case_type">']
        for number, (key, op, value) in enumerate(clauses):
            name = f"{field.name}-{number}"
            options = ['<option value="">（不限）</option>']
            if key and key not in known:  # a stored clause no form answers: keep it visible
                options.append(f'<option value="{escape(key)}" selected>{escape(key)}</option>')
            for f in fields:
                options.append(
                    f'<option value="{escape(f["key"])}" data-types="{escape("|".join(f["types"]))}"'
                    f' data-list="{1 if f["list"] else 0}"{" selected" if f["key"] == key else ""}>'
                    f'{escape(f["label"])}</option>')
            ops = "".join(f'<option value="{escape(o)}"{" selected" if o == op else ""}>'
                          f'{escape(word)}</option>' for o, word in requirements.OPERATORS)
            values = ['<option value=""></option>']
            for f in fields:
                for v in f["values"]:
                    types = [t for t in f["types"] if v in _choices(t, f["key"])]
                    values.append(
                        f'<option value="{escape(v)}" data-field="{escape(f["key"])}" '
                        f'data-types="{escape("|".join(types))}"'
                        f'{" selected" if f["key"] == key and v == value else ""}>'
                        f'{escape(v)}</option>')
            if value and not any(f["key"] == key and value in f["values"] for f in fields):
                # a stored value no list offers: keep it, the check names it
                values.append(f'<option value="{escape(value)}" data-field="{escape(key)}" '
                              f'selected>{escape(value)}</option>')
            html.append(
                f'<div class="form-inline reg-condition" style="margin-bottom:6px">'
                f'<span class="reg-condition-no">{"并且" if number else "当"}</span> '
                f'<select class="form-control input-sm reg-condition-key" name="{name}-key" '
                f'aria-label="条件{number + 1}：字段">{"".join(options)}</select> '
                f'<select class="form-control input-sm reg-condition-op" name="{name}-op" '
                f'aria-label="条件{number + 1}：关系">{ops}</select> '
                f'<select class="form-control input-sm reg-condition-value" name="{name}-value" '
                f'aria-label="条件{number + 1}：取值" style="max-width:100%">'
                f'{"".join(values)}</select></div>')
        html.append(f'<input type="hidden" name="{escape(field.name)}-rows" value="{count}">')
        html.append("</div>")
        html.append(f'<script src="{url_for("static", filename="registration_conditions.js")}">'
                    "</script>")
        return Markup("".join(html))


def _choices(case_type: str, key: str) -> tuple:
    return next((f.choices for f in requirements.T.FIELDS.get(case_type, ()) if f.key == key), ())


class ConditionField(Field):
    """The clauses as selects; `data` is the stored text."""

    widget = ConditionWidget()

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.raw_data = None
        self.data = "" if data is None or not isinstance(data, str) else data
        self.object_data = self.data
        self._incomplete = []
        if formdata is None or f"{self.name}-rows" not in formdata:
            if formdata is not None and self.name in formdata:  # the stored text, posted as is
                self.data = (formdata.get(self.name) or "").strip()
            return
        try:
            rows = min(int(formdata.get(f"{self.name}-rows") or 0), 20)
        except ValueError:
            rows = MIN_CLAUSES
        clauses = []
        for number in range(rows):
            key = (formdata.get(f"{self.name}-{number}-key") or "").strip()
            op = (formdata.get(f"{self.name}-{number}-op") or "").strip()
            value = (formdata.get(f"{self.name}-{number}-value") or "").strip()
            if not key:
                continue
            if not value:
                self._incomplete.append(number + 1)
            clauses.append((key, op, value))
        self.data = requirements.join_condition(clauses)

    @property
    def clauses(self):
        return requirements.parse_condition(self.data)

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data or "")


class FitsCaseType:
    """The condition must be one the chosen 业务类型's form can answer."""

    field_flags = {}

    def __call__(self, form, field):
        if getattr(field, "_incomplete", None):
            raise FormValidationError(f"适用条件第{field._incomplete[0]}条：请选择取值")
        if len(field.data or "") > 100:
            raise FormValidationError("适用条件太长（最多100个字符），请减少条件")
        case_type = form["case_type"].data if "case_type" in form else None
        try:
            requirements.check_condition(case_type, field.data)
        except DomainError as error:
            raise FormValidationError(error.message)
