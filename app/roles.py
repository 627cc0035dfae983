"""Roles (FAB_ROLES): which role holds which permission on which view.

Each domain declares its own rules (app/domains.py, `DOMAIN.permissions` in
app/views/<name>.py); `fab_roles` assembles them, as data, so that
`sync_role_definitions` reproduces the same roles on every database. Views are named by
their class (``FirmView``), menus by their Chinese label. Which *rows* a role sees is
separate: each model's `__scope__` (app/workflows/core/scoping.py).
"""

ADMIN = "Admin"
STAFF = "Staff"
FIRM_ADMIN = "FirmAdmin"
MEMBER = "Member"
INSTITUTE = "Institute"  # an accounting institute's LMS: API only (网络学习)
DOMAIN_ROLES = (STAFF, FIRM_ADMIN, MEMBER, INSTITUTE)  # Admin holds everything (FAB's AUTH_ROLE_ADMIN)

# Menu categories the domains share (menu_access on the label), in the manuals' order
MENU_QUERY = "信息查询"
MENU_MEMBERS = "会员管理"
MENU_SYSTEM = "系统管理"
# Groups a role's navbar puts entries of several domains in (each domain's `menus`,
# app/views/core/navigation.py): a member's and staff's 继续教育 (the CICPA manual's module)
MENU_CPE = "继续教育"
MENU_MESSAGES = "消息中心"
MENU_HELP = "帮助中心"
# The navbar's order of top-level entries for every role: seed 000's (信息查询, 会员管理,
# CPA专题培训, 事务所内部培训 … 系统管理) with seed 004's 注册业务 and 消息中心 (帮助中心
# sits on the right); staff's 审核中心 first. A label not listed comes after these.
MENU_ORDER = ("首页", "审核中心", MENU_QUERY, MENU_MEMBERS, MENU_CPE, "学时申请", "学时管理", "网络学习",
              "CPA专题培训", "事务所内部培训", "注册业务", MENU_MESSAGES, "消息管理", MENU_SYSTEM,
              "用户权限", MENU_HELP)

CRUD = "can_(list|show|add|edit|delete|export)"
API = "can_(get|post|put|delete|info)"
# every signed-in role may read the API's OpenAPI document and its Swagger UI
COMMON = [["OpenApi", "can_get"], ["SwaggerView", "can_show"]]


def _exact(pattern: str) -> str:
    # FAB matches builtin-role patterns with re.match (a prefix match): anchor both ends
    # so that "PersonView" does not also grant "PersonViewSomethingElse".
    return f"^({pattern})$"


def fab_roles(domains, core: dict | None = None) -> dict:
    """FAB_ROLES from the core's and every domain's declared permissions."""
    rules = {role: list(COMMON) + [list(r) for r in (core or {}).get(role, [])]
             for role in DOMAIN_ROLES}
    for domain in domains:
        for role, granted in domain.permissions.items():
            if role not in rules:
                raise ValueError(f"{domain.name}: unknown role {role!r}")
            rules[role] += [list(rule) for rule in granted]
    return {role: [[_exact(view), _exact(permission)] for view, permission in granted]
            for role, granted in rules.items()}
