"""CPA专题培训 (seed 000 §5, seed 003): thin pages and APIs over app/workflows/training/.

- 协会培训班报名 (firm admins, members): the catalogue with the manual's columns, the class's
  介绍, the manual's enrollment form, ticking several CPAs, 本单位已报名人员 with 删除, a
  member's own enrollment; 讲义下载; 候补名单.
- 培训班管理 (staff): classes with handouts, review (one or many), results (one by one, or a
  sheet through the generic import `training_results`), roster and CICPA exports.
- REST `training_class`, `enrollment` (verbs approve, reject; POST /<id>/result),
  `waitlist_entry` (POST /<id>/accept, /<id>/decline); CLI `export class-cicpa`.
"""
import click
from flask.cli import AppGroup

from app.domains import Domain
from app.extensions import db
from app.models import Enrollment, TrainingClass, WaitlistEntry
from app.roles import FIRM_ADMIN, MEMBER, MENU_CPE, STAFF
from app.views.core.visibility import only_for
from app.views.training.admin import TrainingAdminView
from app.views.training.api import EnrollmentApi, TrainingClassApi, WaitlistEntryApi
from app.views.training.common import (MENU, MENU_ADMIN, MENU_ENROLL, MENU_HANDOUTS, MENU_RESULTS,
                                       MENU_WAITLIST)
from app.views.training.enroll import TrainingView
from app.workflows.training import classes, enrollment, exports, review, seats, waitlist
from app.workflows.training.classes import FILE_OWNERS as HANDOUT_FILES
from app.workflows.training.reminders import training_class_reminders
from app.workflows.training.results_import import IMPORTER as RESULTS_IMPORTER
from app.workflows.training.waitlist import training_waitlist_offers


# --- CLI -------------------------------------------------------------------------------------

def _cli(app) -> None:
    group = app.cli.commands.get("export")
    if group is None:
        group = AppGroup("export", help="导出")
        app.cli.add_command(group)

    @group.command("class-cicpa")
    @click.option("--class", "class_id", required=True, type=int, help="培训班ID")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
                  help="输出的 .xlsx 文件")
    def class_cicpa(class_id, out):
        """Write a class's results in the CICPA upload template (docs/training.md)."""
        item = db.session.get(TrainingClass, class_id) if 0 < class_id < 2**31 else None
        if item is None:
            raise click.ClickException(f"培训班不存在：{class_id}")
        data = exports.cicpa_workbook(db.session, item)
        with open(out, "wb") as handle:
            handle.write(data)
        rows = sum(1 for _ in exports.cicpa_rows(db.session, item)) - 1
        click.echo(f"已导出“{item.name}”的中注协上报名单：{rows}人 → {out}")


def register(appbuilder, app) -> None:
    # 报名 / 候补 shown only to whom they work for: a 非执业会员 or 其他从业人员 is enrolled by
    # its firm's administrator (enrollment.enroll_self refuses it)
    only_for("training.enroll_self", enrollment.may_enroll_self)
    only_for(MENU_WAITLIST, enrollment.may_wait)
    appbuilder.add_view_no_menu(TrainingView)
    appbuilder.add_view_no_menu(TrainingAdminView)
    for label, href, icon in ((MENU_ENROLL, "/training/classes/", "fa-pencil-square-o"),
                              (MENU_HANDOUTS, "/training/handouts/", "fa-download"),
                              (MENU_WAITLIST, "/training/waitlist/", "fa-hourglass-half"),
                              (MENU_ADMIN, "/training-admin/", "fa-university"),
                              (MENU_RESULTS, "/imports/training_results/", "fa-upload")):
        appbuilder.add_link(label, href=href, icon=icon, category=MENU,
                            category_icon="fa-graduation-cap")
    appbuilder.add_api(TrainingClassApi)
    appbuilder.add_api(EnrollmentApi)
    appbuilder.add_api(WaitlistEntryApi)


_READ = "can_(get|info)"
DOMAIN = Domain(
    name="training",
    register=register,
    permissions={
        STAFF: [["TrainingAdmin", "can_manage"], ["Training", "can_browse"],
                ["TrainingClassApi", "can_(get|info|post|put)"],
                ["EnrollmentApi", "can_(get|info|delete|act|result)"],
                ["WaitlistEntryApi", _READ],
                [f"{MENU}|{MENU_HANDOUTS}|{MENU_ADMIN}|{MENU_RESULTS}", "menu_access"]],
        FIRM_ADMIN: [["Training", "can_(browse|enroll|wait)"],
                     ["TrainingClassApi", _READ],
                     ["EnrollmentApi", "can_(get|info|post|delete)"],
                     ["WaitlistEntryApi", "can_(get|info|post|respond)"],
                     [f"{MENU}|{MENU_ENROLL}|{MENU_HANDOUTS}|{MENU_WAITLIST}", "menu_access"]],
        MEMBER: [["Training", "can_(browse|self|wait)"],
                 ["TrainingClassApi", _READ],
                 ["EnrollmentApi", "can_(get|info|post|delete)"],
                 ["WaitlistEntryApi", "can_(get|info|post|respond)"],
                 [f"{MENU}|{MENU_ENROLL}|{MENU_HANDOUTS}|{MENU_WAITLIST}", "menu_access"]],
    },
    audited={TrainingClass: {"seat_lock"}, Enrollment: set(), WaitlistEntry: set()},
    cli=_cli,
    # a freed seat is offered to the waiting list; an enrollment on an offer accepts it; a
    # class's hours changed re-credit those 合格
    hooks=((seats.SEAT_FREED, waitlist.offer_freed_seats),
           (seats.OFFER_TAKEN, waitlist.mark_accepted),
           (classes.CREDIT_CHANGED, review.recredit_class)),
    jobs=(training_waitlist_offers, training_class_reminders),
    import_kinds=(RESULTS_IMPORTER,),
    queues=review.QUEUES,  # 审核中心: enrollments to review, results to record
    menus={STAFF: {MENU: MENU_CPE}},  # staff: one 继续教育 group (at most 8 top-level entries)
    file_owners=HANDOUT_FILES,
)
