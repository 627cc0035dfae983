"""网络学习 (seed 001 §2.2 / §3.2, seed 002 §3-7): the member's page (choose one institute
a year, courses with progress, fee), the staff's 会计学院 / 网络课程 / 学院选择 / 学习进度 /
网络学习费用 (firm admins read their people's choices, progress and fees), REST
`lesson_progress` (the institute's LMS posts `completion` and `evaluation`),
`learning_choice`, `learning_fee` (mark_paid / unmark_paid), the daily job
`learning_credit`, and the CLI `learning institute-account`. Rules:
app/workflows/learning/."""
import secrets

import click
from flask.cli import AppGroup, with_appcontext

from app import clock
from app.domains import Domain
from app.models import (Course, InstituteChoice, LearningFee, LearningInstitute, LessonProgress)
from app.roles import CRUD, FIRM_ADMIN, INSTITUTE, MEMBER, MENU_CPE, MENU_QUERY, STAFF
from app.views.learning.admin import (CourseView, InstituteChoiceView, LearningFeeView,
                                      LearningInstituteView, LessonProgressView)
from app.views.learning.api import InstituteChoiceApi, LearningFeeApi, LessonProgressApi
from app.views.learning.member import LearningView
from app.workflows.core.errors import DomainError
from app.workflows.core.scoping import SystemActor
from app.workflows.learning import rules as learning_rules
from app.workflows.learning.catalog import open_institute_account
from app.workflows.learning.fees import QUEUES as FEE_QUEUES
from app.workflows.learning.jobs import learning_credit

MENU = "网络学习"
MENU_MINE = "在线学习"
MENU_SUMMARY = "网络学习概况"
MENU_INSTITUTES = "会计学院"
MENU_COURSES = "网络课程"
MENU_CHOICES = "学院选择"
MENU_PROGRESS = "学习进度"
MENU_FEES = "网络学习费用"
READ = "can_(list|show|export)"


def register(appbuilder, app) -> None:
    from app.views.core.visibility import only_for

    only_for(MENU, learning_rules.studies_here)  # no 网络学习 menu for an 其他从业人员
    appbuilder.add_view_no_menu(LearningView)
    appbuilder.add_link(MENU_MINE, href="/learning/", icon="fa-laptop", category=MENU,
                        category_icon="fa-laptop")
    appbuilder.add_link(MENU_SUMMARY, href="/learning/?", icon="fa-bar-chart", category=MENU,
                        category_icon="fa-laptop")
    for view, label, icon in ((LearningInstituteView, MENU_INSTITUTES, "fa-university"),
                              (CourseView, MENU_COURSES, "fa-book"),
                              (InstituteChoiceView, MENU_CHOICES, "fa-hand-pointer-o"),
                              (LessonProgressView, MENU_PROGRESS, "fa-tasks"),
                              (LearningFeeView, MENU_FEES, "fa-jpy")):
        appbuilder.add_view(view, label, icon=icon, category=MENU, category_icon="fa-laptop")
    appbuilder.add_api(LessonProgressApi)
    appbuilder.add_api(InstituteChoiceApi)
    appbuilder.add_api(LearningFeeApi)


def add_commands(app) -> None:
    group = AppGroup("learning", help="网络学习")

    @group.command("institute-account",
                   help="开设或重置会计学院的接口账号（角色 Institute），打印其密码")
    @click.option("--institute", "code", required=True, help="学院代码，如 BNAI")
    @click.option("--username", required=True, help="接口账号登录名")
    @click.option("--password", default=None, help="密码（缺省时随机生成）")
    @with_appcontext
    def institute_account(code, username, password):
        password = password or secrets.token_urlsafe(18)
        try:  # a refusal is the command's exit status and message
            institute = open_institute_account(SystemActor("learning institute-account"),
                                               clock.now(), code, username, password)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"{institute.name}接口账号：{username}  密码：{password}")

    app.cli.add_command(group)


DOMAIN = Domain(
    name="learning",
    register=register,
    permissions={
        STAFF: [["OnlineLearning", "can_read"], ["LearningInstituteView|CourseView", CRUD],
                ["InstituteChoiceView|LessonProgressView", READ],
                ["LearningFeeView", "can_(list|show|export|mark_paid)"],
                ["LessonProgressApi|InstituteChoiceApi", "can_(get|info)"],
                ["LearningFeeApi", "can_(get|info|act)"],
                [f"{MENU}|{MENU_SUMMARY}|{MENU_INSTITUTES}|{MENU_COURSES}|{MENU_CHOICES}|{MENU_PROGRESS}|"
                 f"{MENU_FEES}", "menu_access"]],
        FIRM_ADMIN: [["InstituteChoiceView|LessonProgressView|LearningFeeView", READ],
                     ["LessonProgressApi|InstituteChoiceApi|LearningFeeApi", "can_(get|info)"],
                     [f"{MENU}|{MENU_CHOICES}|{MENU_PROGRESS}|{MENU_FEES}", "menu_access"]],
        MEMBER: [["OnlineLearning", "can_(read|study)"],
                 ["LessonProgressApi|InstituteChoiceApi|LearningFeeApi", "can_(get|info)"],
                 [f"{MENU}|{MENU_MINE}", "menu_access"]],
        INSTITUTE: [["LessonProgressApi", "can_(get|info|report)"],
                    ["InstituteChoiceApi", "can_(get|info)"]],
    },
    audited={LearningInstitute: set(), Course: set(), InstituteChoice: set(),
             LessonProgress: set(), LearningFee: set()},
    cli=add_commands,
    queues=FEE_QUEUES,  # 审核中心: fees awaiting 确认收款
    # a firm admin queries its people's online learning (seed 000 §1: 「查询本事务所学员在
    # …培训网的学习情况」); staff and members find it under 继续教育
    menus={STAFF: {MENU: MENU_CPE}, FIRM_ADMIN: {MENU: MENU_QUERY}, MEMBER: {MENU: MENU_CPE}},
    jobs=(learning_credit,),
)
