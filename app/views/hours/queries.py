"""信息查询 of the hours (seed 000 §4.1–4.3) and the member's 学时查询 (seed 001): thin pages
over app/workflows/hours/queries.py — parse the query string, call the workflow, render or
export. Staff choose the firm (or every firm); a firm admin sees its own people; a member
only itself (the workflow scopes every query to the actor)."""
from operator import itemgetter

from flask import abort, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Firm, Person, PersonStatus, PersonType, SourceKind
from app.views.core.args import page_number as _page_number, page_size
from app.views.core.export import send_table
from app.workflows.core.sheets import Percent
from app.views.core.scoping import current_user, scoped_id
from app.workflows.core.errors import ValidationError
from app.workflows.core.scoping import is_institute, person_id_of
from app.workflows.hours import queries
from app.workflows.hours.rules import fmt, number
from app.workflows.core.labels import code_of, label_of

MENU_OVERVIEW = "事务所培训概况"
MENU_ANNUAL = "学员年度学时"
MENU_DETAILS = "学员学时明细"
MENU_MINE = "学时查询"
NO_REQUIREMENT = "无学时要求"  # the overview's words for a type the year asks nothing of
EXPORT_FORMATS = ("csv", "xlsx")


def _hours(value) -> str:
    return fmt(value or 0)


def _when(value) -> str:
    return clock.display(value)


_number = number  # 学时 for a workbook: a number cell showing what the screen shows


def _page_link(endpoint: str):
    """The URL of page p of this list, its filters kept."""
    args = request.args.to_dict(flat=False)
    return lambda p: url_for(endpoint, **{**args, "page": p})


class HourQueryView(BaseView):
    """事务所培训概况 / 学员年度学时 / 学员学时明细 (staff, firm admins), a person's yearly detail
    (everyone, scoped) and 学时查询 (a member's own years)."""

    route_base = "/hours"
    class_permission_name = "HourQuery"
    default_view = "annual"
    method_permission_name = {
        "overview": "query", "annual": "query", "details": "query", "export": "query",
        "person": "detail", "mine": "own", "mine_export": "own",
    }

    # -- shared parsing -------------------------------------------------------------------

    def _common(self):
        """(year, firm_id, problems) from the query string; problems are shown, not raised."""
        actor, problems = current_user(), []
        this_year = clock.local_today(clock.now()).year
        try:
            year = queries.parse_year(request.args.get("year"), this_year)
        except ValidationError as error:
            problems.append(error.message)
            year = this_year
        try:
            firm_id = queries.parse_firm(db.session, actor, request.args.get("firm"))
        except ValidationError as error:
            problems.append(error.message)
            firm_id = None
        return actor, year, firm_id, problems

    def _firms(self, actor):
        if not is_institute(actor):
            return []
        return db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)).all()

    def _annual_criteria(self):
        actor, year, firm_id, problems = self._common()
        person_type = request.args.get("type") or None
        verdict = request.args.get("verdict") or None
        criteria = queries.AnnualCriteria(
            year=year, firm_id=firm_id,
            person_type=person_type if person_type in PersonType.ALL else None,
            name=queries.text_criterion(request.args.get("name")),
            cert_number=queries.text_criterion(request.args.get("cert")),
            username=queries.text_criterion(request.args.get("username")),
            verdict=verdict if verdict in queries.VERDICTS else None)
        return actor, criteria, problems

    def _detail_criteria(self):
        actor, _, firm_id, problems = self._common()
        args = request.args
        criteria = queries.DetailCriteria(firm_id=firm_id)
        parsers = (
            ("year", lambda: queries.parse_year(args.get("year"), None)),
            ("hours_from", lambda: queries.parse_decimal(args.get("hours_from"), "hours_from",
                                                         "学时下限")),
            ("hours_to", lambda: queries.parse_decimal(args.get("hours_to"), "hours_to",
                                                       "学时上限")),
            ("passed_from", lambda: queries.parse_date(args.get("passed_from"), "passed_from",
                                                       "通过日期（起）")),
            ("passed_to", lambda: queries.parse_date(args.get("passed_to"), "passed_to",
                                                     "通过日期（止）")),
        )
        for name, parse in parsers:
            try:
                setattr(criteria, name, parse())
            except ValidationError as error:
                problems.append(error.message)
        if "year" not in args:
            criteria.year = clock.local_today(clock.now()).year
        person_type = args.get("type") or None
        criteria.person_type = person_type if person_type in PersonType.ALL else None
        criteria.title = queries.text_criterion(args.get("title"))
        criteria.kinds = tuple(k for k in args.getlist("kind") if k in queries.KINDS)
        criteria.username = queries.text_criterion(args.get("username"))
        criteria.name = queries.text_criterion(args.get("name"))
        status = args.get("status") or None
        status = code_of(PersonStatus.LABELS, status)
        criteria.status = status if status in PersonStatus.ALL else None
        return actor, criteria, problems

    # -- 事务所培训概况 ---------------------------------------------------------------------

    @expose("/overview/")
    @has_access
    def overview(self):
        actor, year, firm_id, problems = self._common()
        rows = db.session.execute(queries.overview(db.session, actor, year, firm_id)).all()
        return self.render_template(
            "hours/overview.html", title=MENU_OVERVIEW, rows=rows, year=year, firm_id=firm_id,
            firms=self._firms(actor), problems=problems, institute=is_institute(actor),
            args=request.args)

    # -- 学员年度学时 -----------------------------------------------------------------------

    @expose("/annual/")
    @has_access
    def annual(self):
        actor, criteria, problems = self._annual_criteria()
        number, size = _page_number(), page_size()
        rows, total = queries.annual_page(db.session, actor, criteria, number, size,
                                          request.args.get("order"),
                                          request.args.get("desc") == "1")
        return self.render_template(
            "hours/annual.html", title=MENU_ANNUAL, rows=rows, total=total, page=number,
            pages=max(1, -(-total // size)), offset=(number - 1) * size,
            criteria=criteria, firms=self._firms(actor), problems=problems,
            institute=is_institute(actor), types=PersonType.ALL, verdicts=queries.VERDICTS,
            hours=_hours, verdict=queries.verdict_label, args=request.args,
            page_link=_page_link("HourQueryView.annual"))

    # -- a person's year (the dialog behind 已获学时) ------------------------------------------

    @expose("/person/<int:pk>/<int:year>")
    @has_access
    @scoped_id(Person)
    def person(self, pk, year):
        if not 1 <= year <= 9999:
            abort(404)
        person, records, result = queries.person_detail(db.session, current_user(), pk, year)
        return self.render_template(
            "hours/person.html", title=f"{person.name} {year}年学时明细", person=person,
            records=records, result=result, year=year, hours=_hours, when=_when,
            sources=SourceKind.LABELS,
            back=request.referrer if request.referrer and request.referrer.startswith(
                request.host_url) else None)

    # -- 学员学时明细 -----------------------------------------------------------------------

    @expose("/details/")
    @has_access
    def details(self):
        actor, criteria, problems = self._detail_criteria()
        number, size = _page_number(), page_size()
        cap = queries.DETAILS_COUNT_CAP
        rows, total = queries.details_page(db.session, actor, criteria, number, size, cap)
        pages = max(1, -(-total // size))
        if total > cap:  # counted up to the cap: 「10000+」, and a next page while one is full
            pages, total = max(-(-cap // size), number + (len(rows) == size)), f"{cap}+"
        return self.render_template(
            "hours/details.html", title=MENU_DETAILS, rows=rows, total=total, page=number,
            pages=pages, offset=(number - 1) * size,
            criteria=criteria, firms=self._firms(actor), problems=problems,
            institute=is_institute(actor), types=PersonType.ALL, kinds=tuple(queries.KINDS),
            statuses=PersonStatus.LABELS, hours=_hours, when=_when, args=request.args,
            page_link=_page_link("HourQueryView.details"))

    # -- exports (the same query, every row, streamed) --------------------------------------

    @expose("/<string:which>/export/<string:fmt>/")
    @has_access
    def export(self, which, fmt):
        if fmt not in EXPORT_FORMATS or which not in ("overview", "annual", "details"):
            abort(404)
        if which == "overview":
            actor, year, firm_id, problems = self._common()
            rows = self._overview_rows(actor, year, firm_id)
            title = f"{MENU_OVERVIEW}_{year}"
        elif which == "annual":
            actor, criteria, problems = self._annual_criteria()
            rows = self._annual_rows(actor, criteria)
            title = f"{MENU_ANNUAL}_{criteria.year}"
        else:
            actor, criteria, problems = self._detail_criteria()
            rows = self._detail_rows(actor, criteria)
            title = MENU_DETAILS
        if problems:
            abort(400, description="；".join(problems))
        return send_table(fmt, rows, title)

    def _overview_rows(self, actor, year, firm_id):
        yield ["年度", "学员类型", "人数", "参与学习人数", "通过人数", "通过率"]
        for r in db.session.execute(queries.overview(db.session, actor, year, firm_id)):
            if not r.required:  # as the screen: nothing to pass, nobody counted as 通过
                yield [year, r.person_type, r.people, r.studied, NO_REQUIREMENT, None]
                continue
            rate = Percent(r.passed / r.people) if r.people else "-"
            yield [year, r.person_type, r.people, r.studied, r.passed, rate]

    def _annual_rows(self, actor, criteria):
        institute = is_institute(actor)
        yield (["所在事务所"] if institute else []) + [
            "会员类型", "用户名", "真实姓名", "证书编号", "已获学时", "有效学时", "面授学时", "思政学时",
            "职业道德学时", "结论"]
        query = queries.annual_order(queries.annual(db.session, actor, criteria), None, False,
                                     by_firm=queries.spans_firms(actor, criteria))
        for r in db.session.execute(query.execution_options(yield_per=1000)):
            yield ([r.firm_name or "协会代管"] if institute else []) + [
                r.person_type, r.username or "", r.name, r.cert_number or "", _number(r.obtained),
                _number(r.counted), _number(r.face_to_face), _number(r.sizheng),
                _number(r.ethics),
                queries.verdict_label(r.passed, r.required, r.exempt)]

    def _detail_rows(self, actor, criteria):
        yield ["会员类型", "用户名", "真实姓名", "账号状态", "课程", "学时", "学时类型", "分类",
               "通过时间"]
        query = queries.details(db.session, actor, criteria)
        # 100,000 rows in a few seconds (issue 28): the rows straight from the connection
        # (no ORM loading), their columns picked by position, each 学时 value converted once
        result = db.session.connection().execute(query.execution_options(yield_per=5000))
        keys = list(result.keys())
        pick = itemgetter(*[keys.index(k) for k in (
            "person_type", "username", "name", "status", "title", "hours", "delivery",
            "category", "obtained_at")])
        shown, statuses = {}, PersonStatus.LABELS
        for row in result:
            person_type, username, name, status, title, hours, delivery, category, at = pick(row)
            number = shown.get(hours)
            if number is None:
                number = shown[hours] = _number(hours)
            yield [person_type, username or "", name, label_of(statuses, status), title, number,
                   delivery, category, at]

    # -- 学时查询 (a member's own) -----------------------------------------------------------

    def _own_person_id(self):
        return person_id_of(current_user())

    @expose("/mine/")
    @has_access
    def mine(self):
        if self._own_person_id() is None:  # an administrator's account: no hours of its own
            return self.render_template("hours/mine.html", title=MENU_MINE, person=None,
                                        years=[], hours=_hours, verdict=queries.verdict_label)
        person, years = queries.person_years(db.session, current_user(), self._own_person_id())
        return self.render_template("hours/mine.html", title=MENU_MINE, person=person,
                                    years=years, hours=_hours, verdict=queries.verdict_label)

    @expose("/mine/export/<string:fmt>/")
    @has_access
    def mine_export(self, fmt):
        if fmt not in EXPORT_FORMATS:
            abort(404)
        actor, person_id = current_user(), self._own_person_id()
        if person_id is None:
            abort(404)
        criteria = queries.DetailCriteria(person_id=person_id)

        def rows():
            yield ["年度", "分类", "课程名称", "课程时长（分钟）", "获得时间", "已获学时", "学时类型",
                   "获得方式", "来源"]
            for r in db.session.execute(queries.details(db.session, actor, criteria)):
                yield [r.year, r.category, r.title, r.minutes or "", r.obtained_at,
                       _number(r.hours), r.delivery, r.acquisition,
                       SourceKind.LABELS.get(r.source_kind, "")]

        return send_table(fmt, rows(), MENU_MINE)
