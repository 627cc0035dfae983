"""Registers every view, API and menu entry; called once by create_app().

Menu categories appear in the order first used, which follows the manuals:
信息查询 … 会员管理 … 消息中心, 帮助中心 … 系统管理 (last).
"""
from flask_appbuilder import IndexView

from app import roles
from app.views import help as help_views
from app.views import messages as message_views
from app.views import operations as operation_views
from app.views import settings as settings_views
from app.views import transfers as transfer_views
from app.views.account import AccountView, enforce_first_login
from app.views.audit import AuditLogView
from app.views.registry import FirmApi, FirmView, PersonApi, PersonView
from app.views.staff_roster import StaffImportApi, StaffImportView, StaffRosterView


class HomeView(IndexView):
    index_template = "index.html"


def register_views(appbuilder, app) -> None:
    appbuilder.add_view(
        FirmView, roles.MENU_FIRMS, icon="fa-building", category=roles.MENU_QUERY,
        category_icon="fa-search",
    )
    appbuilder.add_view(
        PersonView, roles.MENU_PERSONS, icon="fa-users", category=roles.MENU_MEMBERS,
        category_icon="fa-id-card",
    )
    appbuilder.add_view(
        StaffRosterView, roles.MENU_STAFF_ROSTER, icon="fa-address-book",
        category=roles.MENU_MEMBERS,
    )
    appbuilder.add_view_no_menu(StaffImportView)
    transfer_views.register(appbuilder, app)
    message_views.register(appbuilder, app)
    help_views.register(appbuilder, app)
    appbuilder.add_view(
        AccountView, roles.MENU_CHANGE_PASSWORD, href="/account/password/", icon="fa-key",
        category=roles.MENU_SYSTEM, category_icon="fa-cog",
    )
    appbuilder.add_view(
        AuditLogView, roles.MENU_AUDIT, icon="fa-history", category=roles.MENU_SYSTEM,
    )
    settings_views.register(appbuilder, app)
    operation_views.register(appbuilder, app)
    appbuilder.add_api(FirmApi)
    appbuilder.add_api(PersonApi)
    appbuilder.add_api(StaffImportApi)
    app.before_request(enforce_first_login)
