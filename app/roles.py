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
MENU_SETTINGS = "设置"

_CRUD = "can_(list|show|add|edit|delete|export)"
# every signed-in role may read the API's OpenAPI document and its Swagger UI
_OPENAPI = [["OpenApi", "can_get"], ["SwaggerView", "can_show"]]
_API = "can_(get|post|put|delete|info)"
_ROSTER = "can_(list|show|edit|export|reset_password)"



# Issue 3's areas: each helper edits only its own lists. (view regex, permission regex)
MENU_MESSAGES = "消息中心"
MENU_MESSAGE_ADMIN = "消息管理"
MENU_NOTICE_ADMIN = "通知管理"
MENU_CONSULT_ADMIN = "咨询管理"
_INBOX = [["MessageCenter", "can_access"], ["MessageApi", "can_(get|info|mark_read)"]]
MESSAGES_RULES = {
    "Staff": _INBOX + [
        ["NoticeAdmin", "can_manage"],
        ["ConsultationAdminView", "can_(list|export)"],
        [f"{MENU_MESSAGES}|{MENU_MESSAGE_ADMIN}|{MENU_NOTICE_ADMIN}|{MENU_CONSULT_ADMIN}",
         "menu_access"],
    ],
    "FirmAdmin": _INBOX + [[MENU_MESSAGES, "menu_access"]],
    "Member": _INBOX + [[f"{MENU_QUERY}|{MENU_MESSAGES}", "menu_access"]],
}
# 帮助中心 (app/views/help.py): reader pages for every role, maintenance for Staff
MENU_HELP = "帮助中心"
MENU_HELP_MANUALS = "操作手册"
MENU_HELP_VIDEOS = "演示视频"
MENU_HELP_POLICIES = "行业政策法规"
MENU_HELP_ASSISTANT = "智能客服"
MENU_HELP_SUGGEST = "意见建议"
MENU_HELP_DOCUMENTS_ADMIN = "手册视频维护"
MENU_HELP_POLICIES_ADMIN = "政策法规维护"
MENU_HELP_FAQ_ADMIN = "知识库维护"
MENU_HELP_SUGGESTIONS_ADMIN = "意见建议处理"
_HELP_READER_MENUS = "|".join([MENU_HELP, MENU_HELP_MANUALS, MENU_HELP_VIDEOS, MENU_HELP_POLICIES,
                               MENU_HELP_ASSISTANT, MENU_HELP_SUGGEST])
_HELP_READER = [["HelpCenter", "can_(read|suggest)"], [_HELP_READER_MENUS, "menu_access"]]
HELP_RULES = {
    "Staff": _HELP_READER + [
        ["HelpDocumentView|PolicyTextView|FaqEntryView", _CRUD],
        ["SuggestionView", "can_(list|show|export)"],
        [f"{MENU_HELP_DOCUMENTS_ADMIN}|{MENU_HELP_POLICIES_ADMIN}|{MENU_HELP_FAQ_ADMIN}"
         f"|{MENU_HELP_SUGGESTIONS_ADMIN}", "menu_access"],
    ],
    "FirmAdmin": list(_HELP_READER),
    "Member": list(_HELP_READER),
}
SETTINGS_RULES = {
    "Staff": [["Settings", "can_access"], [MENU_SETTINGS, "menu_access"],
              ["FirmView|PersonView", "can_reset_password"]],
    "FirmAdmin": [["Settings", "can_access"], [MENU_SETTINGS, "menu_access"],
                  ["PersonView", "can_reset_password"]],  # its own firm's people only (scoped)
    "Member": [["Settings", "can_access"], [MENU_SETTINGS, "menu_access"]],
}
# 人员转入 (security issue: a roster import never moves another firm's person by itself)
MENU_TRANSFER_CONFIRM = "人员转入确认"
MENU_TRANSFER_REVIEW = "人员转入审核"
TRANSFER_RULES = {
    "Staff": [["PersonTransferView", "can_(list|show|export|decide)"],
              [MENU_TRANSFER_REVIEW, "menu_access"]],
    "FirmAdmin": [],
    "Member": [["TransferConfirm", "can_access"], [MENU_TRANSFER_CONFIRM, "menu_access"]],
}
MENU_JOB_RUNS = "定时任务"
MENU_OUTBOX = "邮件发送记录"
OPERATIONS_RULES = {
    "Staff": [
        ["JobRunView", "can_(list|show|export)"],
        ["OutboxMailView", "can_(list|show|export)|resend"],
        [f"{MENU_JOB_RUNS}|{MENU_OUTBOX}", "menu_access"],
    ],
    "FirmAdmin": [],
    "Member": [],
}


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

for _area in (MESSAGES_RULES, HELP_RULES, SETTINGS_RULES, OPERATIONS_RULES, TRANSFER_RULES):
    for _role, _rules in _area.items():
        _FAB_ROLES[_role] = _FAB_ROLES[_role] + list(_rules)

FAB_ROLES = {
    role: [[_exact(view), _exact(permission)] for view, permission in rules]
    for role, rules in _FAB_ROLES.items()
}
