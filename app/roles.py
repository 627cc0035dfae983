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
