"""REST of 事务所内部培训: inhouse_qualification, inhouse_class, inhouse_roster_entry with the
verbs approve / reject."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import InhouseClass, InhouseQualification, InhouseRosterEntry
from app.views.core.machines import MachineVerbsMixin
from app.views.core.scoping import ScopedModelRestApi
from app.workflows.inhouse.classes import CLASS
from app.workflows.inhouse.qualification import QUALIFICATION
from app.workflows.inhouse.review import CLASS_COMMANDS, ENTRY_COMMANDS, QUALIFICATION_COMMANDS
from app.workflows.inhouse.roster import ENTRY


# --- REST ----------------------------------------------------------------------------------

class InhouseQualificationApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `inhouse_qualification`: read in scope; staff approve / reject (reason)."""

    resource_name = "inhouse_qualification"
    datamodel = SQLAInterface(InhouseQualification)
    allow_browser_login = True
    openapi_spec_tag = "Inhouse qualification"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = QUALIFICATION
    verb_commands = QUALIFICATION_COMMANDS
    list_columns = ["id", "firm_id", "firm.code", "firm.name", "year", "status", "remark",
                    "submitted_at", "decided_at", "version"]
    show_columns = list_columns
    search_columns = ["firm_id", "year", "status"]
    order_columns = ["year", "status", "submitted_at"]
    base_order = ("id", "desc")


class InhouseClassApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `inhouse_class`: read in scope; staff approve / reject (reason)."""

    resource_name = "inhouse_class"
    datamodel = SQLAInterface(InhouseClass)
    allow_browser_login = True
    openapi_spec_tag = "Inhouse class"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = CLASS
    verb_commands = CLASS_COMMANDS
    list_columns = ["id", "firm_id", "firm.code", "year", "name", "category", "hours",
                    "start_date", "end_date", "address", "leader", "contact", "status", "remark",
                    "created_at", "version"]
    show_columns = list_columns
    search_columns = ["firm_id", "year", "status", "category", "name", "start_date"]
    order_columns = ["year", "start_date", "status", "name"]
    base_order = ("id", "desc")


class InhouseRosterEntryApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `inhouse_roster_entry`: read in scope; staff approve (credits the hours) /
    reject (reason; withdraws them)."""

    resource_name = "inhouse_roster_entry"
    datamodel = SQLAInterface(InhouseRosterEntry)
    allow_browser_login = True
    openapi_spec_tag = "Inhouse roster entry"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = ENTRY
    verb_commands = ENTRY_COMMANDS
    list_columns = ["id", "class_id", "inhouse_class.name", "is_cpa", "cert_number", "name",
                    "id_number", "level", "acquisition", "hours", "person_id", "status", "remark",
                    "created_at", "version"]
    show_columns = list_columns
    search_columns = ["class_id", "status", "name", "cert_number", "id_number", "person_id"]
    order_columns = ["created_at", "status", "name"]
    base_order = ("id", "desc")
