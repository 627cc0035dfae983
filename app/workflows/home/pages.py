"""Which home page a signed-in user reads: by role, Admin first (an admin is also staff)."""
from app.roles import ADMIN, FIRM_ADMIN, MEMBER, STAFF
from app.workflows.core.acting import acting_firm_id, acting_person_id
from app.workflows.core.scoping import role_names
from app.workflows.home.admin import admin_home
from app.workflows.home.firm import firm_home
from app.workflows.home.member import member_home
from app.workflows.home.staff import staff_home


def home_kind(actor) -> str | None:
    """admin / staff / firm / member, or None (no home page: an LMS account, a firm admin
    without its firm)."""
    roles = role_names(actor)
    if ADMIN in roles:
        return "admin"
    if STAFF in roles:
        return "staff"
    if FIRM_ADMIN in roles and acting_firm_id(actor) is not None:
        return "firm"
    if MEMBER in roles and acting_person_id(actor) is not None:
        return "member"
    return None


BUILDERS = {"admin": admin_home, "staff": staff_home, "firm": firm_home, "member": member_home}


def home_for(actor, now):
    """(kind, the page's data) — (None, None) when the user has no home page."""
    kind = home_kind(actor)
    return (kind, BUILDERS[kind](actor, now)) if kind else (None, None)
