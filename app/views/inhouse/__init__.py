"""事务所内部培训 (seed 000 §6): the firm admin's 内培资格申请 / 培训班上报 (with 名单, 单个上报,
上报中注协) / 年终总结报告, the staff's 内部培训审核 queue, REST `inhouse_qualification`,
`inhouse_class`, `inhouse_roster_entry` with the verbs approve / reject, and the CLI
`export cicpa`. Rules: app/workflows/inhouse/."""
import click
from flask.cli import AppGroup, with_appcontext

from app.domains import Domain
from app.models import InhouseClass, InhouseQualification, InhouseRosterEntry, InhouseYearReport
from app.roles import FIRM_ADMIN, MENU_CPE, STAFF
from app.views.inhouse.api import InhouseClassApi, InhouseQualificationApi, InhouseRosterEntryApi
from app.views.inhouse.common import (MENU, MENU_CLASSES, MENU_QUALIFICATION, MENU_REPORT,
                                      MENU_REPORTS, MENU_REVIEW)
from app.views.inhouse.pages import InhouseClassesView
from app.views.inhouse.review import InhouseReviewView
from app.workflows.core.errors import DomainError
from app.workflows.core.scoping import SystemActor
from app.workflows.inhouse import cicpa
from app.workflows.inhouse.classes import CLASS_REMOVED
from app.workflows.inhouse.importing import CLASS_IMPORTER
from app.workflows.inhouse.importing import IMPORTER as ROSTER_IMPORTER
from app.workflows.inhouse.qualification import FILE_OWNERS as QUALIFICATION_FILES
from app.workflows.inhouse.reports import FILE_OWNERS as REPORT_FILES
from app.workflows.inhouse.reports import inhouse_reminders
from app.workflows.inhouse.roster import drop_roster
from app.workflows.inhouse.review import QUEUES as REVIEW_QUEUES


# --- CLI -------------------------------------------------------------------------------------

def add_commands(app) -> None:
    group = AppGroup("export", help="导出")

    @group.command("cicpa", help="上报中注协：事务所全年内部培训汇总（中注协上报模板）")
    @click.option("--firm", "firm_code", required=True, help="事务所编号")
    @click.option("--year", required=True, type=int, help="年度")
    @click.option("--out", required=True, type=click.Path(dir_okay=False), help="输出 .xlsx 文件")
    @with_appcontext
    def export_cicpa(firm_code, year, out):
        try:
            firm = cicpa.firm_by_code(firm_code)
            data = cicpa.workbook(SystemActor("命令行"), firm, year)
        except DomainError as error:
            click.echo(error.message, err=True)
            raise SystemExit(1) from None
        with open(out, "wb") as fh:
            fh.write(data)
        click.echo(f"已导出 {firm.code} {year}年度内部培训汇总：{out}")

    existing = app.cli.commands.get("export")
    if existing is not None and hasattr(existing, "add_command"):
        existing.add_command(export_cicpa)
    else:
        app.cli.add_command(group)


def register(appbuilder, app) -> None:
    appbuilder.add_view_no_menu(InhouseClassesView)
    appbuilder.add_view_no_menu(InhouseReviewView)
    for label, href, icon in ((MENU_QUALIFICATION, "/inhouse/qualification/", "fa-certificate"),
                              (MENU_CLASSES, "/inhouse/classes/", "fa-users"),
                              (MENU_REPORT, "/inhouse/report/", "fa-file-text-o")):
        appbuilder.add_link(label, href=href, icon=icon, category=MENU, category_icon="fa-university")
    appbuilder.add_link(MENU_REVIEW, href="/inhouse/review/", icon="fa-check-square-o",
                        category=MENU, category_icon="fa-university")
    appbuilder.add_link(MENU_REPORTS, href="/inhouse/review/reports/", icon="fa-file-text-o",
                        category=MENU, category_icon="fa-university")
    appbuilder.add_api(InhouseQualificationApi)
    appbuilder.add_api(InhouseClassApi)
    appbuilder.add_api(InhouseRosterEntryApi)


READ_API = "can_(get|info)"
DOMAIN = Domain(
    name="inhouse",
    register=register,
    permissions={
        STAFF: [["Inhouse", "can_read"], ["InhouseReview", "can_review"],
                ["InhouseQualificationApi|InhouseClassApi|InhouseRosterEntryApi",
                 "can_(get|info|act)"],
                [f"{MENU}|{MENU_REVIEW}|{MENU_REPORTS}", "menu_access"]],
        FIRM_ADMIN: [["Inhouse", "can_(read|report)"],
                     ["InhouseQualificationApi|InhouseClassApi|InhouseRosterEntryApi", READ_API],
                     [f"{MENU}|{MENU_QUALIFICATION}|{MENU_CLASSES}|{MENU_REPORT}",
                      "menu_access"]],
    },
    audited={InhouseQualification: set(), InhouseClass: set(), InhouseRosterEntry: set(),
             InhouseYearReport: set()},
    # deleting a class (classes.py) takes its roster with it (roster.py, above classes)
    hooks=((CLASS_REMOVED, drop_roster),),
    cli=add_commands,
    jobs=(inhouse_reminders,),
    import_kinds=(ROSTER_IMPORTER, CLASS_IMPORTER),
    queues=REVIEW_QUEUES,  # the 审核中心's three in-house queues
    menus={STAFF: {MENU: MENU_CPE}},  # staff: one 继续教育 group (at most 8 top-level entries)
    file_owners={**QUALIFICATION_FILES, **REPORT_FILES},
)
