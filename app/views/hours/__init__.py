"""继续教育学时: REST `hour_record` (+ `/year`, staff's `/correction`), the staff-editable
学时要求设置, the `cpe year` CLI. hours-core owns the functions marked CORE; the query pages
(queries.py), certificate and verification page (certificates.py) register beside them in
`register()`."""
import datetime as dt
import json

import click
from flask import g, request
from flask.cli import AppGroup
from flask_appbuilder import expose
from flask_appbuilder.api import protect
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import select

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import Account, CpeExemption, CpeRequirement, HourRecord
from app.models import HourCertificate
from app.models import Person, PersonType
from app.roles import CRUD, FIRM_ADMIN, MEMBER, MENU_CPE, MENU_QUERY, STAFF
from app.views.hours import certificates as hours_certificates
from app.views.hours.queries import (MENU_ANNUAL, MENU_DETAILS, MENU_MINE, MENU_OVERVIEW,
                                     HourQueryView)
from app.views.core.forms import choice_field
from app.views.core.scoping import ScopedModelRestApi, ScopedModelView, now
from app.workflows import hours
from app.workflows.hours import ledger
from app.workflows.core.errors import ValidationError
from app.workflows.core.scoping import SystemActor, get_scoped
from app.workflows.hours.importing import IMPORTER as HOURS_IMPORTER
from app.workflows.hours.reminders import cpe_monthly_reminder

MENU_HOURS_ADMIN = "学时管理"
MENU_REQUIREMENTS = "学时要求设置"
MENU_IMPORT = "历史学时导入"

HOUR_LABELS = {
    "person.name": "真实姓名", "person.cert_number": "证书编号", "year": "年度", "title": "课程名称",
    "category": "分类", "delivery": "学时类型", "hours": "已获学时", "obtained_at": "获得时间",
    "acquisition": "获得方式", "source_kind": "来源", "source_id": "来源编号", "reason": "更正原因",
    "created_at": "记录时间",
}


# ---- CORE: REST hour_record ------------------------------------------------------------

class HourRecordApi(ScopedModelRestApi):
    """REST `hour_record`: read-only for everyone in scope (firm admin: its people; member:
    themselves); staff POST `/correction` (a reason required, audited); `GET /year` gives a
    person's yearly verdict (the same object as `flask cpe year`)."""

    resource_name = "hour_record"
    datamodel = SQLAInterface(HourRecord)
    allow_browser_login = True
    openapi_spec_tag = "Hour record"
    base_permissions = ["can_get", "can_info", "can_correct"]
    method_permission_name = {"get": "get", "get_list": "get", "info": "info",
                              "year": "get", "correction": "correct"}
    list_columns = ["id", "person_id", "person.name", "year", "title", "category", "delivery",
                    "hours", "obtained_at", "acquisition", "source_kind", "source_id"]
    show_columns = list_columns + ["reason", "created_at"]
    search_columns = ["person_id", "year", "category", "delivery", "obtained_at", "source_kind"]
    order_columns = ["year", "obtained_at", "hours", "category", "delivery"]
    base_order = ("obtained_at", "desc")
    label_columns = HOUR_LABELS

    @expose("/year", methods=["GET"])
    @protect()
    def year(self):
        """A person's yearly verdict.
        ---
        get:
          parameters:
          - {in: query, name: person, required: true, schema: {type: integer}}
          - {in: query, name: year, required: true, schema: {type: integer}}
          responses:
            200:
              description: the person's verdict for the year (hours as numbers)
              content: {application/json: {schema: {type: object, required: [year, obtained, counted, passed, reasons, sentence], properties: {year: {type: integer}, obtained: {type: number}, counted: {type: number}, face_to_face: {type: number}, ethics: {type: number}, sizheng: {type: number}, exempt: {type: boolean}, required: {type: boolean}, passed: {type: boolean}, reasons: {type: array, items: {type: string}}, sentence: {type: string}}}}}
            400: {description: bad parameters}
            404: {description: no such person in your scope}
        """
        try:
            person_id, year = int(request.args["person"]), int(request.args["year"])
        except (KeyError, ValueError):
            return self.response(400, message="请提供人员（person）和年度（year）")
        person = get_scoped(db.session, Person, person_id, g.user)  # else 404 (app handler)
        return self.response(200, **hours.person_year(db.session, person, year).as_json())

    @expose("/correction", methods=["POST"])
    @protect()
    def correction(self):
        """Staff add a manual correction (may be negative, never zero; reason required).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    person_id: {type: integer}
                    year: {type: integer}
                    title: {type: string}
                    category: {type: string}
                    delivery: {type: string}
                    hours: {type: string}
                    obtained_at: {type: string, description: "YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (Beijing)"}
                    reason: {type: string}
          responses:
            201:
              description: the record
              content: {application/json: {schema: {type: object, required: [id, hours], properties: {id: {type: integer}, hours: {type: number}}}}}
            400: {description: bad input, with the field}
        """
        # a refusal is answered by the app's handler: {message, field} with its status
        data = request.get_json(silent=True) or {}
        try:  # a day, or a day and a Beijing time (2025-08-05 12:22:52)
            obtained_at = dt.datetime.fromisoformat(str(data.get("obtained_at", "")))
        except ValueError:
            raise ValidationError("获得时间须为日期（YYYY-MM-DD 或 YYYY-MM-DD HH:MM:SS）",
                                  "obtained_at") from None
        try:
            person_id, year = int(data.get("person_id")), int(data.get("year"))
        except (TypeError, ValueError):
            raise ValidationError("请提供人员和年度", "person_id") from None
        record = hours.add_correction(
            g.user, now(), person_id=person_id, year=year, title=data.get("title") or "",
            category=data.get("category"), delivery=data.get("delivery"),
            hours=data.get("hours"), obtained_at=obtained_at, reason=data.get("reason"))
        return self.response(201, id=record.id, hours=record.hours)


# ---- CORE: 学时要求设置 (staff) ----------------------------------------------------------

class CpeRequirementView(ScopedModelView):
    datamodel = SQLAInterface(CpeRequirement)
    list_title = "学时要求设置"
    show_title = "学时要求"
    add_title = "添加学时要求"
    edit_title = "修改学时要求"
    _fields = ["year", "person_type", "min_total", "min_face_to_face", "min_input", "min_ethics",
               "min_sizheng", "cap_online", "cap_output"]
    list_columns = _fields
    show_columns = _fields
    add_columns = _fields
    edit_columns = _fields
    order_columns = ["year", "person_type"]
    base_order = ("year", "desc")
    label_columns = {"year": "年度", "person_type": "人员类型", "min_total": "最低总学时",
                     "min_face_to_face": "最低面授学时", "min_input": "最低投入式及课程学时",
                     "min_ethics": "最低职业道德学时", "min_sizheng": "最低思政学时",
                     "cap_online": "网络课程计入上限", "cap_output": "产出式计入上限"}
    description_columns = {"year": "未设置的年度按默认标准（注册会计师：总40、面授16、职业道德4，"
                                   "网络课程与产出式各计入不超过24）"}
    add_form_extra_fields = {"person_type": choice_field("人员类型", PersonType.ALL)}
    edit_form_extra_fields = add_form_extra_fields


def _register_core(appbuilder, app) -> None:
    appbuilder.add_api(HourRecordApi)
    appbuilder.add_view(CpeRequirementView, MENU_REQUIREMENTS, icon="fa-sliders",
                        category=MENU_HOURS_ADMIN, category_icon="fa-graduation-cap")
    appbuilder.add_link(MENU_IMPORT, href="/imports/hours/", icon="fa-upload",
                        category=MENU_HOURS_ADMIN)


# ---- CORE: CLI `cpe year` --------------------------------------------------------------

def find_person(session, cert_or_login: str) -> Person | None:
    """A person by 证书编号 or by the login name of their account."""
    person = session.execute(select(Person).where(Person.cert_number == cert_or_login)).scalar()
    if person is None:
        from flask_appbuilder.security.sqla.models import User
        person = session.execute(
            select(Person).join(Account, Account.person_id == Person.id)
            .join(User, User.id == Account.user_id)
            .where(User.username == cert_or_login)).scalar()
    return person


def _cli(app) -> None:
    group = AppGroup("cpe", help="继续教育学时")

    @group.command("year")
    @click.option("--person", "who", required=True, help="证书编号或登录名")
    @click.option("--year", "year", required=True, type=int)
    def year_command(who, year):
        """Print one person's yearly verdict as JSON."""
        person = find_person(db.session, who)
        if person is None:
            raise click.ClickException(f"找不到人员：{who}")
        click.echo(json.dumps(hours.person_year(db.session, person, year).as_json(),
                              ensure_ascii=False))

    @group.command("rebuild")
    @click.option("--year", "year", type=int, default=None, help="只重算该年度（默认全部年度）")
    def rebuild_command(year):
        """Recompute the yearly and monthly sums (hour_year_total, hour_month_total) and the
        kept verdicts from the hour records."""
        rows = ledger.rebuild(SystemActor("cpe rebuild"), clock.now(), year)
        click.echo(f"已重算{'全部年度' if year is None else f'{year}年'}学时汇总：{rows}行")

    app.cli.add_command(group)


def _register_queries(appbuilder) -> None:
    """信息查询 → 事务所培训概况 / 学员年度学时 / 学员学时明细 (staff, firm admins, seed 000 §4),
    学时查询 (members, seed 001)."""
    appbuilder.add_view_no_menu(HourQueryView)
    for label, endpoint, icon in ((MENU_OVERVIEW, "overview", "fa-pie-chart"),
                                  (MENU_ANNUAL, "annual", "fa-table"),
                                  (MENU_DETAILS, "details", "fa-list"),
                                  (MENU_MINE, "mine", "fa-clock-o")):
        appbuilder.add_link(label, href=f"/hours/{endpoint}/", icon=icon, category=MENU_QUERY,
                            category_icon="fa-search")


def register(appbuilder, app) -> None:
    _register_queries(appbuilder)
    hours_certificates.register(appbuilder, app)
    _register_core(appbuilder, app)


_QUERY_MENUS = f"{MENU_QUERY}|事务所培训概况|学员年度学时|学员学时明细"

DOMAIN = Domain(
    name="hours",
    register=register,
    permissions={
        STAFF: [["HourRecordApi", "can_(get|info|correct)"], ["CpeRequirementView", CRUD],
                [f"{MENU_HOURS_ADMIN}|{MENU_REQUIREMENTS}|{MENU_IMPORT}", "menu_access"],
                ["HourQuery", "can_(query|detail)"], [_QUERY_MENUS, "menu_access"]]
        + hours_certificates.permissions(),
        FIRM_ADMIN: [["HourRecordApi", "can_(get|info)"],
                     ["HourQuery", "can_(query|detail)"], [_QUERY_MENUS, "menu_access"]]
        + hours_certificates.permissions(),
        MEMBER: [["HourRecordApi", "can_(get|info)"],
                 ["HourQuery", "can_(own|detail)"], [f"{MENU_QUERY}|学时查询", "menu_access"]]
        + hours_certificates.permissions(),
    },
    audited={HourRecord: set(), CpeRequirement: set(), CpeExemption: set(),
             HourCertificate: set()},
    cli=_cli,
    jobs=(cpe_monthly_reminder,),
    # staff: 学时管理 with the other CPE pages; a member: its 学时 pages are the CICPA
    # manual's 继续教育 module
    menus={STAFF: {MENU_HOURS_ADMIN: MENU_CPE},
           MEMBER: {MENU_MINE: MENU_CPE, hours_certificates.MENU_CERTIFICATE: MENU_CPE,
                    hours_certificates.MENU_CERTIFICATES: MENU_CPE}},
    import_kinds=(HOURS_IMPORTER,),
)
