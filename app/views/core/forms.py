"""Form helpers shared by the views: domain validators as WTForms validators, choice lists."""
from wtforms import SelectField, ValidationError as FormValidationError

from app.workflows.core.errors import DomainError


class Checked:
    """Run a domain validator (identifiers.validate_*) on a field; keep its normalised value."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = self.check(field.data)
        except DomainError as error:
            raise FormValidationError(error.message)


def choice_field(label: str, values, *, blank: bool = False, default=None) -> SelectField:
    """A select of `values`; a dict (a status class's LABELS) submits the code and shows the
    words."""
    pairs = list(values.items()) if isinstance(values, dict) else [(v, v) for v in values]
    choices = ([("", "")] if blank else []) + pairs
    return SelectField(label, choices=choices, default=default)
