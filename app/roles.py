"""Role definitions (FAB_ROLES): which role holds which permission on which view.

Declared as data so that `sync_role_definitions` reproduces the same roles on every
database. Views are named by their class (``FirmView``), menus by their Chinese label.
Row scoping (which *rows* a role sees) is separate: see app/workflows/scoping.py.
"""

ADMIN = "Admin"
STAFF = "Staff"
FIRM_ADMIN = "FirmAdmin"
MEMBER = "Member"

# Menu labels are part of the permission model (menu_access on the label).
MENU_QUERY = "信息查询"
MENU_MEMBERS = "会员管理"
MENU_SYSTEM = "系统管理"
MENU_FIRMS = "事务所信息"
MENU_PERSONS = "人员信息"
MENU_CHANGE_PASSWORD = "修改密码"
MENU_AUDIT = "审计日志"
MENU_STAFF_ROSTER = "从业人员管理"

_CRUD = "can_(list|show|add|edit|delete|export)"
# every signed-in role may read the API's OpenAPI document and its Swagger UI
_OPENAPI = [["OpenApi", "can_get"], ["SwaggerView", "can_show"]]
_API = "can_(get|post|put|delete|info)"
_ROSTER = "can_(list|show|edit|export|reset_password)"



# Issue 3's areas: each helper edits only its own lists. (view regex, permission regex)
MESSAGES_RULES = {"Staff": [], "FirmAdmin": [], "Member": []}
HELP_RULES = {"Staff": [], "FirmAdmin": [], "Member": []}
SETTINGS_RULES = {"Staff": [], "FirmAdmin": [], "Member": []}
OPERATIONS_RULES = {"Staff": [], "FirmAdmin": [], "Member": []}


def _exact(pattern: str) -> str:
    # FAB matches builtin-role patterns with re.match (a prefix match): anchor both ends
    # so that "PersonView" does not also grant "PersonViewSomethingElse".
    return f"^({pattern})$"


_FAB_ROLES = {
    STAFF: [
        ["FirmView|PersonView|AuditLogView", _CRUD],
        ["StaffRosterView", _ROSTER],
        ["StaffImport", "can_import"],
        ["FirmApi|PersonApi", _API],
        *_OPENAPI,
        ["Account", "can_access"],
        [
            f"{MENU_QUERY}|{MENU_MEMBERS}|{MENU_SYSTEM}|{MENU_FIRMS}|{MENU_PERSONS}"
            f"|{MENU_CHANGE_PASSWORD}|{MENU_AUDIT}|{MENU_STAFF_ROSTER}",
            "menu_access",
        ],
    ],
    FIRM_ADMIN: [
        ["FirmView", "can_(list|show|export)"],
        ["PersonView", _CRUD],
        ["StaffRosterView", _ROSTER],
        ["StaffImport", "can_import"],
        ["FirmApi", "can_(get|info)"],
        ["PersonApi", _API],
        *_OPENAPI,
        ["Account", "can_access"],
        [
            f"{MENU_QUERY}|{MENU_MEMBERS}|{MENU_SYSTEM}|{MENU_FIRMS}|{MENU_PERSONS}"
            f"|{MENU_CHANGE_PASSWORD}|{MENU_STAFF_ROSTER}",
            "menu_access",
        ],
    ],
    MEMBER: [
        ["PersonView", "can_(list|show)"],
        ["PersonApi", "can_(get|info)"],
        *_OPENAPI,
        ["Account", "can_access"],
        [f"{MENU_MEMBERS}|{MENU_SYSTEM}|{MENU_PERSONS}|{MENU_CHANGE_PASSWORD}", "menu_access"],
    ],
}

for _area in (MESSAGES_RULES, HELP_RULES, SETTINGS_RULES, OPERATIONS_RULES):
    for _role, _rules in _area.items():
        _FAB_ROLES[_role] = _FAB_ROLES[_role] + list(_rules)

FAB_ROLES = {
    role: [[_exact(view), _exact(permission)] for view, permission in rules]
    for role, rules in _FAB_ROLES.items()
}
