"""注册业务 (seed 004 §3–§6): thin pages over app/workflows/registration/.

Menus as the manual: 业务办理 (types, 承诺书, 选择办理人员, the form with its documents, 预约),
办理记录 (filters, export, the case page with 流程跟踪), 预约记录 (改约, 取消). Staff: the
review queue (办理记录 with firm and waiting-days filters), 现场办理 (each day's appointments,
check-in, stages) and the settings (所需材料, 预约时段, 节假日). REST `registration_case` and
`appointment` (+ `/slots`), with the machines' verbs.
"""
import click
from flask.cli import AppGroup

from app.domains import Domain
from app.models import Appointment, CalendarDay, DocRequirement, RegistrationCase, SlotTemplate
from app.roles import CRUD, FIRM_ADMIN, MEMBER, STAFF
from app.views.core.scoping import now
from app.views.registration.api import AppointmentApi, RegistrationCaseApi
from app.views.registration.common import (MENU, MENU_APPLY, MENU_APPOINTMENTS, MENU_HOLIDAYS,
                                           MENU_ONSITE, MENU_RECORDS, MENU_REQUIREMENTS, MENU_SLOTS)
from app.views.registration.pages import RegistrationView
from app.views.registration.settings import CalendarDayView, DocRequirementView, SlotTemplateView
from app.views.core.visibility import only_for
from app.workflows.core.scoping import SystemActor
from app.workflows.registration import booking, cases, filers
from app.workflows.registration.booking import expiry_job
from app.workflows.registration.cases import FILE_OWNERS as CASE_FILES
from app.workflows.registration.help_source import answer as requirements_answer


def register(appbuilder, app) -> None:
    appbuilder.add_view_no_menu(RegistrationView)
    # a member sees only what applies to its kind: 业务办理 is the filers' (a firm, a 协会代管
    # CPA); 注册业务 nothing to a 非执业会员 or 其他从业人员
    only_for(MENU, filers.concerns)
    only_for(MENU_APPLY, filers.files_cases)
    for label, href, icon in ((MENU_APPLY, "/registration/", "fa-pencil-square-o"),
                              (MENU_RECORDS, "/registration/records/", "fa-list-alt"),
                              (MENU_APPOINTMENTS, "/registration/appointments/", "fa-calendar"),
                              (MENU_ONSITE, "/registration/onsite/", "fa-check-square-o")):
        appbuilder.add_link(label, href=href, icon=icon, category=MENU,
                            category_icon="fa-id-card")
    appbuilder.add_view(DocRequirementView, MENU_REQUIREMENTS, icon="fa-files-o", category=MENU)
    appbuilder.add_view(SlotTemplateView, MENU_SLOTS, icon="fa-clock-o", category=MENU)
    appbuilder.add_view(CalendarDayView, MENU_HOLIDAYS, icon="fa-calendar-times-o",
                        category=MENU)
    appbuilder.add_api(RegistrationCaseApi)
    appbuilder.add_api(AppointmentApi)


def _cli(app) -> None:
    group = AppGroup("registration", help="注册业务")

    @group.command("managed-accounts")
    def managed_accounts():
        """Open sign-ins for 协会代管注册会计师 without one (login 证书编号, password 身份证号)."""
        opened = filers.open_managed_accounts(SystemActor("开通协会代管账号"), now())
        click.echo(f"已开通协会代管注册会计师账号：{opened}个")

    app.cli.add_command(group)


_FILER_MENUS = f"{MENU}|{MENU_APPLY}|{MENU_RECORDS}|{MENU_APPOINTMENTS}"

DOMAIN = Domain(
    name="registration",
    register=register,
    permissions={
        STAFF: [["Registration", "can_(read|review)"],
                [f"{MENU}|{MENU_RECORDS}|{MENU_APPOINTMENTS}|{MENU_ONSITE}|{MENU_REQUIREMENTS}|"
                 f"{MENU_SLOTS}|{MENU_HOLIDAYS}", "menu_access"],
                ["DocRequirementView|SlotTemplateView|CalendarDayView", CRUD],
                ["RegistrationCaseApi", "can_(get|info|act)"],
                ["AppointmentApi", "can_(get|info|act)"]],
        FIRM_ADMIN: [["Registration", "can_(read|file)"], [_FILER_MENUS, "menu_access"],
                     ["RegistrationCaseApi", "can_(get|info|act)"],
                     ["AppointmentApi", "can_(get|info|book|act)"]],
        MEMBER: [["Registration", "can_(read|file)"], [_FILER_MENUS, "menu_access"],
                 ["RegistrationCaseApi", "can_(get|info|act)"],
                 ["AppointmentApi", "can_(get|info|book|act)"]],
    },
    audited={RegistrationCase: set(), DocRequirement: set(), SlotTemplate: set(),
             CalendarDay: set(), Appointment: set()},
    cli=_cli,
    jobs=(expiry_job,),
    queues=cases.QUEUES,  # 审核中心: cases waiting for review
    file_owners=CASE_FILES,
    answer_sources=(requirements_answer,),
    # handling the last case of an appointment on its own (the case page) closes it
    hooks=[(cases.MACHINE.after("handle"), booking.close_when_all_handled)],
)
