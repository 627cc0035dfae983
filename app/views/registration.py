"""注册业务 (seed 004 §3–§6): thin pages over app/workflows/registration/.

Menus as the manual: 业务办理 (types, 承诺书, 选择办理人员, the form with its documents, 预约),
办理记录 (filters, export, the case page with 流程跟踪), 预约记录 (改约, 取消). Staff: the
review queue (办理记录 with firm and waiting-days filters), 现场办理 (each day's appointments,
check-in, stages) and the settings (所需材料, 预约时段, 节假日). REST `registration_case` and
`appointment` (+ `/slots`), with the machines' verbs.
"""
import datetime as dt

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import protect
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange, Regexp
from sqlalchemy import func, or_, select

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import (Appointment, AppointmentStatus, CalendarDay, CaseDocument, CaseStatus,
                        DocRequirement, Firm, RegistrationCase, SlotTemplate)
from app.roles import CRUD, FIRM_ADMIN, MEMBER, STAFF
from app.views.core.export import send_table
from app.views.core.forms import choice_field
from app.views.core.scoping import ScopedModelRestApi, ScopedModelView, now, scoped_id
from app.views.core.machines import MachineVerbsMixin
from app.workflows.core import files
from app.workflows.core.errors import DomainError, ValidationError
from app.workflows.core.scoping import is_institute
from app.workflows.registration import booking, cases, documents, requirements
from app.workflows.registration import types as TY

MENU = "注册业务"
MENU_APPLY = "业务办理"
MENU_RECORDS = "办理记录"
MENU_APPOINTMENTS = "预约记录"
MENU_ONSITE = "现场办理"
MENU_REQUIREMENTS = "所需材料设置"
MENU_SLOTS = "预约时段设置"
MENU_HOLIDAYS = "节假日设置"
PAGE_SIZE = 20
PLEDGE_KEY = "registration_pledges"


def _csrf_ok() -> bool:
    return FlaskForm().validate_on_submit()


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100000))
    except ValueError:
        return 1


def _refuse(error: DomainError, back: str):
    if error.status == 404:
        abort(404)
    flash(error.message, "danger")
    return redirect(back)


def _form_data(case_type: str) -> dict:
    data = {}
    for field in TY.fields_of(case_type):
        if field.kind == "checks":
            data[field.key] = request.form.getlist(field.key)[:20]
        else:
            data[field.key] = (request.form.get(field.key) or "")[:200]
    return data


def _uploads() -> dict:
    found = {}
    for key, storage in request.files.items(multi=True):
        if storage and storage.filename and key.startswith("doc_"):
            found[key[4:][:32]] = files.Upload.of(storage)
    return found


def _case_filters(actor):
    """办理记录 filters: 办理事项, 状态, 姓名/证号/身份证号, 事务所 (staff), 等待天数 (staff)."""
    statement = cases.cases_select(actor)
    problems = []
    case_type = request.args.get("type") or ""
    if case_type:
        if case_type not in TY.ALL:
            problems.append("办理事项不在可选范围内")
        else:
            statement = statement.where(RegistrationCase.case_type == case_type)
    status = request.args.get("status") or ""
    if status:
        if status not in CaseStatus.ALL:
            problems.append("状态不在可选范围内")
        else:
            statement = statement.where(RegistrationCase.status == status)
    text = (request.args.get("q") or "").strip()[:50]
    if text:
        statement = statement.where(or_(RegistrationCase.name.contains(text, autoescape=True),
                                        RegistrationCase.cert_number == text,
                                        RegistrationCase.id_number == text))
    if is_institute(actor):
        firm = (request.args.get("firm") or "").strip()[:64]
        if firm:
            statement = statement.where(RegistrationCase.firm.has(
                or_(Firm.name.contains(firm, autoescape=True), Firm.code == firm)))
        waited = request.args.get("waited") or ""
        if waited:
            try:
                days = int(waited)
                if not 0 <= days <= 3650:
                    raise ValueError
            except ValueError:
                problems.append("等待天数须为0到3650之间的整数")
            else:
                limit = now() - dt.timedelta(days=days)
                statement = statement.where(RegistrationCase.status == CaseStatus.SUBMITTED,
                                            RegistrationCase.submitted_at <= limit)
    return statement, problems


class RegistrationView(BaseView):
    """业务办理, 办理记录, the case page, 预约 and 预约记录 (filers); review and 现场办理 (staff)."""

    route_base = "/registration"
    class_permission_name = "Registration"
    chinese_name = "注册业务"  # 用户权限 names the view and its permissions so
    permission_labels = {"can_file": "办理业务", "can_read": "查看办理记录", "can_review": "审核",
                         "can_book": "预约"}
    default_view = "index"
    method_permission_name = {
        "index": "file", "pledge": "file", "choose": "file", "form": "file", "save": "file",
        "step": "file", "booking": "file", "slots": "file", "book": "file",
        "reschedule": "file", "cancel": "file", "suggest": "file",
        "records": "read", "export": "read", "case": "read", "document": "read",
        "template": "read", "appointments": "read", "appointment": "read",
        "review": "review", "onsite": "review", "check_in": "review",
    }

    # ---- 业务办理 ------------------------------------------------------------------------
    @expose("/")
    @has_access
    def index(self):
        kind = cases.filer_kind(g.user)
        waiting = 0
        if kind:
            waiting = db.session.scalar(select(func.count()).select_from(
                cases.cases_select(g.user).where(RegistrationCase.status == CaseStatus.APPROVED)
                .subquery()))
        return self.render_template("registration/index.html", title=MENU_APPLY, types=TY.ALL,
                                    kind=kind, waiting=waiting, institute=is_institute(g.user))

    def _type(self, case_type):
        if case_type not in TY.ALL:
            abort(404, description="没有这种业务类型")
        return case_type

    @expose("/new/<string:case_type>", methods=["GET", "POST"])
    @has_access
    def pledge(self, case_type):
        """承诺书 with the type's 业务办理指南; 同意 records the time and goes on."""
        case_type = self._type(case_type)
        if request.method == "POST":
            if not _csrf_ok():
                flash("页面已过期，请刷新后重试", "danger")
                return redirect(url_for(".pledge", case_type=case_type))
            pledges = dict(session.get(PLEDGE_KEY) or {})
            pledges[case_type] = now().isoformat()
            session[PLEDGE_KEY] = pledges
            if cases.filer_kind(g.user) == "managed":
                return redirect(url_for(".form", case_type=case_type))
            return redirect(url_for(".choose", case_type=case_type))
        return self.render_template("registration/pledge.html", title="承诺书",
                                    case_type=case_type, pledge=TY.PLEDGE,
                                    guide=TY.GUIDES[case_type],
                                    documents=requirements.describe(case_type))

    def _pledged_at(self, case_type):
        value = (session.get(PLEDGE_KEY) or {}).get(case_type)
        try:
            return dt.datetime.fromisoformat(value) if value else None
        except ValueError:
            return None

    @expose("/new/<string:case_type>/person")
    @has_access
    def choose(self, case_type):
        """选择办理人员: the firm's CPAs, searched; or 直接录入."""
        case_type = self._type(case_type)
        if self._pledged_at(case_type) is None:
            return redirect(url_for(".pledge", case_type=case_type))
        query = (request.args.get("q") or "").strip()[:50]
        people = cases.person_choices(g.user, query)
        return self.render_template("registration/choose.html", title="选择办理人员",
                                    case_type=case_type, people=people, query=query)

    @expose("/new/<string:case_type>/form")
    @has_access
    def form(self, case_type):
        case_type = self._type(case_type)
        if self._pledged_at(case_type) is None:
            return redirect(url_for(".pledge", case_type=case_type))
        try:
            cases.require_filer(g.user)
        except DomainError as error:
            return _refuse(error, url_for(".index"))
        values, person_id = {}, request.args.get("person") or ""
        if person_id:
            try:
                person = cases.get_scoped(db.session, cases.Person, person_id, g.user)
            except DomainError:
                abort(404)
            values = {"name": person.name, "id_number": person.id_number or "",
                      "cert_number": person.cert_number or "", "mobile": person.phone or "",
                      "gender": person.gender or "",
                      "firm_name": person.firm.name if person.firm else ""}
        managed = cases.managed_person(g.user)
        if managed is not None:
            values = {"name": managed.name, "id_number": managed.id_number or "",
                      "cert_number": managed.cert_number or "", "mobile": managed.phone or "",
                      "gender": managed.gender or ""}
        return self._render_form(case_type, None, values, person_id)

    def _render_form(self, case_type, case, values, person_id=""):
        answers = cases.answers_of(case) if case is not None else {}
        if case is not None:
            values = {"name": case.name, "id_number": case.id_number or "",
                      "cert_number": case.cert_number or "", "mobile": case.mobile or "",
                      **answers}
        rows = requirements.rows_of(case_type)
        present = {d.doc_key: d for d in case.documents} if case is not None else {}
        return self.render_template(
            "registration/form.html", title=f"{case_type}业务办理", case_type=case_type,
            case=case, fields=TY.fields_of(case_type), values=values, person_id=person_id,
            rows=rows, applies=requirements.applies, answers=answers, present=present,
            words=requirements.condition_words,
            accept=cases.DOCUMENT.accept,
            managed=cases.managed_person(g.user) is not None)

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        """保存 (a draft, documents may be missing) or 提交审核 (all required, else named)."""
        case_id = request.form.get("case_id") or None
        case_type = request.form.get("case_type") or ""
        back = (url_for(".case", pk=case_id) if case_id and case_id.isdigit()
                else url_for(".index"))
        if not _csrf_ok():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(back)
        if case_id is None and case_type not in TY.ALL:
            abort(400, description="请选择业务类型")
        try:
            if case_id is not None:
                case_type = cases.get_case(g.user, case_id).case_type
            case = cases.save_case(
                g.user, now(), case_id, case_type=case_type, data=_form_data(case_type),
                pledged_at=self._pledged_at(case_type), person_id=request.form.get("person_id"),
                uploads=_uploads(), remove=request.form.getlist("remove")[:50])
        except DomainError as error:
            if error.status == 404:
                abort(404)
            flash(error.message, "danger")
            if case_id is not None:
                return redirect(url_for(".case", pk=case_id, edit=1))
            return redirect(url_for(".form", case_type=case_type,
                                    person=request.form.get("person_id") or None))
        if request.form.get("action") == "submit":
            try:
                cases.submit(g.user, now(), case.id)
            except DomainError as error:
                flash(f"已保存，但不能提交审核：{error.message}", "warning")
                return redirect(url_for(".case", pk=case.id, edit=1))
            flash("已提交审核，请等待北注协审核", "success")
        else:
            flash("已保存；材料补充完整后请点击“提交审核”", "success")
        return redirect(url_for(".case", pk=case.id))

    @expose("/suggest")
    @has_access
    def suggest(self):
        """转出/转入事务所名称 suggestions (JSON list of names)."""
        from flask import jsonify
        return jsonify(cases.firm_suggestions(request.args.get("q") or ""))

    # ---- the case page -------------------------------------------------------------------
    @expose("/case/<int:pk>")
    @has_access
    @scoped_id(RegistrationCase)
    def case(self, pk):
        case = cases.get_case(g.user, pk)
        if request.args.get("edit") and case.status in CaseStatus.EDITABLE and \
                not is_institute(g.user):
            return self._render_form(case.case_type, case, {})
        moment = now()
        answers = cases.answers_of(case)
        shown = []
        for field in TY.fields_of(case.case_type):
            if field.key in ("name", "id_number", "cert_number", "mobile"):
                value = getattr(case, field.key) or ""
            else:
                value = answers.get(field.key)
                value = "、".join(value) if isinstance(value, list) else (value or "")
            shown.append((field.label, value))
        return self.render_template(
            "registration/case.html", title=f"{case.case_type}业务详情", case=case, shown=shown,
            history=cases.history(case), verbs=cases.MACHINE.allowed(case, g.user, moment),
            institute=is_institute(g.user), deadline=cases.deadline(case),
            missing=cases.missing_documents(case), local=clock.display,
            templates=[r for r in requirements.documents_for(case.case_type, answers)
                       if r.has_template])

    @expose("/case/<int:pk>/step", methods=["POST"])
    @has_access
    @scoped_id(RegistrationCase)
    def step(self, pk):
        """提交审核 / 撤回 by the filer."""
        back = url_for(".case", pk=pk)
        if not _csrf_ok():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(back)
        verb = request.form.get("verb")
        command = {"submit": cases.submit, "withdraw": cases.withdraw}.get(verb)
        if command is None:
            abort(400, description="没有这个操作")
        try:
            command(g.user, now(), pk)
        except DomainError as error:
            return _refuse(error, back)
        flash("已提交审核" if verb == "submit" else "已撤回，修改后可重新提交", "success")
        return redirect(back)

    @expose("/case/<int:pk>/review", methods=["POST"])
    @has_access
    @scoped_id(RegistrationCase)
    def review(self, pk):
        """Staff: 审核通过 / 审核不通过 (reasons per document) / the on-site stages."""
        back = url_for(".case", pk=pk)
        if not _csrf_ok():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(back)
        verb = request.form.get("verb")
        remark = (request.form.get("remark") or "")[:1000]
        try:
            if verb == "reject":
                reasons = {k[7:]: v[:200] for k, v in request.form.items()
                           if k.startswith("reason_") and k[7:].isdigit()}
                cases.reject(g.user, now(), pk, remark=remark, reasons=reasons)
            elif verb in ("approve", "handle", "make_certificate", "collect"):
                cases.COMMANDS[verb](g.user, now(), pk, remark=remark or None)
            else:
                abort(400, description="没有这个操作")
        except DomainError as error:
            return _refuse(error, back)
        flash(f"已{cases.MACHINE.label(verb)}", "success")
        return redirect(back)

    @expose("/document/<int:pk>")
    @has_access
    @scoped_id(CaseDocument)
    def document(self, pk):
        """A case's document: in the page (?inline=1) or downloaded."""
        found = cases.get_scoped(db.session, CaseDocument, pk, g.user, "材料不存在")
        row = files.readable(g.user, found.file_id)
        return files.send(row, inline=request.args.get("inline") == "1")

    @expose("/template/<string:doc_key>")
    @has_access
    def template(self, doc_key):
        """下载模板; `?case=` fills the 注销(撤销) form in from that case."""
        from app.views.core.export import content_disposition
        case, answers, firm_name = None, None, ""
        case_id = request.args.get("case")
        if case_id:
            try:
                case = cases.get_case(g.user, case_id)
            except DomainError:
                abort(404)
            answers = cases.answers_of(case)
            firm_name = case.firm.name if case.firm else "协会代管"
        try:
            name, body = documents.template(doc_key, case, answers, firm_name)
        except KeyError:
            abort(404, description="没有这个模板")
        response = current_app.response_class(body, mimetype="application/pdf")
        response.headers["Content-Disposition"] = content_disposition(name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    # ---- 办理记录 --------------------------------------------------------------------------
    @expose("/records/")
    @has_access
    def records(self):
        statement, problems = _case_filters(g.user)
        total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
        number = _page_number()
        rows = db.session.scalars(statement.order_by(RegistrationCase.id.desc())
                                  .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        args = request.args.to_dict()
        return self.render_template(
            "registration/records.html", title=MENU_RECORDS, rows=rows, total=total,
            page=number, pages=max(1, -(-total // PAGE_SIZE)), problems=problems,
            types=TY.ALL, statuses=CaseStatus.ALL, args=args, institute=is_institute(g.user),
            waiting=lambda c: cases.waiting_days(c, now()), local=clock.display,
            page_link=lambda p: url_for(".records", **{**args, "page": p}))

    @expose("/records/export/<string:fmt>")
    @has_access
    def export(self, fmt):
        statement, problems = _case_filters(g.user)
        if problems:
            abort(400, description="；".join(problems))
        header = ["办理事项", "姓名", "注册会计师证号", "身份证号", "所在事务所", "状态", "提交时间",
                  "审核通过时间", "办理期限"]

        def rows():
            yield header
            for c in db.session.scalars(statement.order_by(RegistrationCase.id.desc())):
                yield [c.case_type, c.name, c.cert_number or "", c.id_number or "",
                       c.firm.name if c.firm else "协会代管", c.status,
                       clock.display(c.submitted_at), clock.display(c.approved_at),
                       clock.display(cases.deadline(c))]
        return send_table(fmt, rows(), MENU_RECORDS, sheet=MENU_RECORDS)

    # ---- 预约 --------------------------------------------------------------------------------
    @expose("/booking/")
    @has_access
    def booking(self):
        """预约: the cases waiting for an appointment; several of one type go on together."""
        rows = db.session.scalars(cases.cases_select(g.user).where(
            RegistrationCase.status == CaseStatus.APPROVED).order_by(
            RegistrationCase.case_type, RegistrationCase.id)).all()
        return self.render_template("registration/booking.html", title="预约", rows=rows,
                                    deadline=cases.deadline, local=clock.display)

    def _chosen(self):
        ids = [v for v in request.values.getlist("cases")[:50] if v.isdigit()]
        chosen = []
        for pk in ids:
            try:
                chosen.append(cases.get_case(g.user, pk))
            except DomainError:
                abort(404)
        return chosen

    @expose("/booking/slots")
    @has_access
    def slots(self):
        chosen = self._chosen()
        if not chosen:
            flash("请选择要预约的业务", "warning")
            return redirect(url_for(".booking"))
        if len({c.case_type for c in chosen}) > 1:
            flash("不同事项不能同时预约，请选择同一事项的注册会计师", "danger")
            return redirect(url_for(".booking"))
        ends = [cases.deadline(c) for c in chosen if cases.deadline(c)]
        last_day = clock.local_today(min(ends)) if ends else None
        return self.render_template(
            "registration/slots.html", title="预约", chosen=chosen, days=booking.grid(
                now(), last_day), case_type=chosen[0].case_type, appointment=None)

    @expose("/booking/book", methods=["POST"])
    @has_access
    def book(self):
        ids = [v for v in request.form.getlist("cases")[:50]]
        back = url_for(".slots", cases=ids) if all(v.isdigit() for v in ids) else \
            url_for(".booking")
        if not _csrf_ok():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(back)
        try:
            appointment = booking.book(g.user, now(), ids, request.form.get("date"),
                                       request.form.get("start"))
        except DomainError as error:
            return _refuse(error, back)
        flash(f"预约成功：{booking.slot_label(appointment.day, appointment.start)}", "success")
        return redirect(url_for(".appointment", pk=appointment.id))

    # ---- 预约记录 ----------------------------------------------------------------------------
    @expose("/appointments/")
    @has_access
    def appointments(self):
        statement = booking.appointments_select(g.user)
        status = request.args.get("status") or ""
        if status in AppointmentStatus.ALL:
            statement = statement.where(Appointment.status == status)
        total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
        number = _page_number()
        rows = db.session.scalars(statement.order_by(Appointment.day.desc(),
                                                     Appointment.start.desc())
                                  .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        today = clock.local_today(now())
        args = request.args.to_dict()
        return self.render_template(
            "registration/appointments.html", title=MENU_APPOINTMENTS, rows=rows, total=total,
            page=number, pages=max(1, -(-total // PAGE_SIZE)), today=today,
            weekday=booking.weekday_label, statuses=AppointmentStatus.ALL, args=args,
            page_link=lambda p: url_for(".appointments", **{**args, "page": p}))

    @expose("/appointments/<int:pk>")
    @has_access
    @scoped_id(Appointment)
    def appointment(self, pk):
        appointment = booking.get_appointment(g.user, pk)
        moment = now()
        changeable = appointment.status == AppointmentStatus.BOOKED and \
            clock.local_today(moment) < appointment.day and not is_institute(g.user)
        days = booking.grid(moment) if changeable and request.args.get("change") else None
        return self.render_template(
            "registration/appointment.html", title="预约详情", appointment=appointment,
            weekday=booking.weekday_label, history=booking.MACHINE.history(appointment),
            changeable=changeable, days=days, institute=is_institute(g.user),
            today=clock.local_today(moment), local=clock.display)

    @expose("/appointments/<int:pk>/reschedule", methods=["POST"])
    @has_access
    @scoped_id(Appointment)
    def reschedule(self, pk):
        back = url_for(".appointment", pk=pk, change=1)
        if not _csrf_ok():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(back)
        try:
            appointment = booking.reschedule(g.user, now(), pk, request.form.get("date"),
                                             request.form.get("start"))
        except DomainError as error:
            return _refuse(error, back)
        flash(f"改约成功：{booking.slot_label(appointment.day, appointment.start)}", "success")
        return redirect(url_for(".appointment", pk=pk))

    @expose("/appointments/<int:pk>/cancel", methods=["POST"])
    @has_access
    @scoped_id(Appointment)
    def cancel(self, pk):
        back = url_for(".appointment", pk=pk)
        if not _csrf_ok():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(back)
        try:
            booking.cancel(g.user, now(), pk)
        except DomainError as error:
            return _refuse(error, back)
        flash("已取消预约，相关业务可重新预约", "success")
        return redirect(back)

    # ---- 现场办理 (staff) ----------------------------------------------------------------------
    @expose("/onsite/")
    @has_access
    def onsite(self):
        """Each day's appointments: check people in, move the cases on."""
        today = clock.local_today(now())
        try:
            day = dt.date.fromisoformat(request.args.get("day") or today.isoformat())
        except ValueError:
            abort(400, description="日期须为 YYYY-MM-DD")
        rows = db.session.scalars(select(Appointment).where(Appointment.day == day)
                                  .order_by(Appointment.start, Appointment.id)).all()
        stages = db.session.scalars(select(RegistrationCase).where(RegistrationCase.status.in_(
            (CaseStatus.PROCESSED, CaseStatus.CERT_READY))).order_by(RegistrationCase.id)
            .limit(200)).all()
        return self.render_template("registration/onsite.html", title=MENU_ONSITE, day=day,
                                    rows=rows, today=today, weekday=booking.weekday_label,
                                    stages=stages, previous=day - dt.timedelta(days=1),
                                    following=day + dt.timedelta(days=1))

    @expose("/appointments/<int:pk>/check_in", methods=["POST"])
    @has_access
    @scoped_id(Appointment)
    def check_in(self, pk):
        back = request.form.get("back") == "onsite"
        target = url_for(".onsite") if back else url_for(".appointment", pk=pk)
        if not _csrf_ok():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(target)
        try:
            booking.check_in(g.user, now(), pk)
        except DomainError as error:
            return _refuse(error, target)
        flash("已签到，业务已现场办理", "success")
        return redirect(target)


# ---- REST ------------------------------------------------------------------------------------

CASE_LABELS = {"case_type": "办理事项", "status": "状态", "name": "姓名", "id_number": "身份证号",
               "cert_number": "注册会计师证号", "mobile": "手机号", "firm_id": "事务所",
               "submitted_at": "提交时间", "approved_at": "审核通过时间", "created_at": "创建时间",
               "answers": "表单内容", "appointment_id": "预约", "version": "版本"}


class RegistrationCaseApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `registration_case`: read in scope; the machine's verbs (submit, withdraw,
    approve, reject, handle, make_certificate, collect)."""

    resource_name = "registration_case"
    datamodel = SQLAInterface(RegistrationCase)
    allow_browser_login = True
    openapi_spec_tag = "Registration case"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = cases.MACHINE
    verb_commands = cases.COMMANDS
    list_columns = ["id", "case_type", "status", "name", "cert_number", "id_number", "firm_id",
                    "submitted_at", "approved_at", "appointment_id", "version"]
    show_columns = list_columns + ["mobile", "answers", "created_at"]
    search_columns = ["case_type", "status", "name", "cert_number"]
    order_columns = ["id", "submitted_at", "approved_at", "status"]
    base_order = ("id", "desc")
    label_columns = CASE_LABELS


class AppointmentApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `appointment`: `POST /` books {cases: [ids], slot: {date, start}}; `/slots` the
    7-day grid; `/<id>/reschedule` {slot}; verbs cancel and check_in (staff)."""

    resource_name = "appointment"
    datamodel = SQLAInterface(Appointment)
    allow_browser_login = True
    openapi_spec_tag = "Appointment"
    base_permissions = ["can_get", "can_info", "can_book", "can_act"]
    method_permission_name = {"get": "get", "get_list": "get", "info": "info", "post": "book",
                              "slots": "get", "reschedule_slot": "book"}
    machine = booking.MACHINE
    verb_commands = booking.COMMANDS
    list_columns = ["id", "case_type", "day", "start", "end", "seats", "names", "status",
                    "firm_id", "version"]
    show_columns = list_columns + ["created_at"]
    search_columns = ["case_type", "day", "status"]
    order_columns = ["id", "day", "start"]
    base_order = ("day", "desc")
    label_columns = {"case_type": "办理事项", "day": "预约日期", "start": "开始", "end": "结束",
                     "seats": "人数", "names": "姓名", "status": "状态"}

    def _error(self, error: DomainError):
        db.session.rollback()
        body = {"message": error.message}
        if error.field:
            body["field"] = error.field
        return self.response(error.status, **body)

    @staticmethod
    def _slot_of(body):
        slot = body.get("slot")
        if not isinstance(slot, dict):
            raise ValidationError("请提供预约时段 slot: {date, start}", "slot")
        return slot.get("date"), slot.get("start")

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Book cases of one type into one slot.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    cases: {type: array, items: {type: integer}}
                    slot: {type: object, properties: {date: {type: string, format: date}, start: {type: string}}}
          responses:
            201: {description: the appointment}
            400: {description: refused, with the reason}
            409: {description: the slot is full}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response(400, message="请求体须为 JSON 对象")
        try:
            ids = body.get("cases")
            if not isinstance(ids, list):
                raise ValidationError("请提供要预约的业务 cases: [id, …]", "cases")
            day, start = self._slot_of(body)
            appointment = booking.book(g.user, now(), ids[:50], day, start)
        except DomainError as error:
            return self._error(error)
        return self.response(201, id=appointment.id, day=appointment.day.isoformat(),
                             start=appointment.start, seats=appointment.seats,
                             status=appointment.status)

    @expose("/slots", methods=["GET"])
    @protect()
    def slots(self):
        """The next seven days' slots with seats left.
        ---
        get:
          parameters:
          - {in: query, name: type, required: false, schema: {type: string}}
          responses:
            200: {description: "{days: [{date, weekday, open, slots: [{start, end, seats, left}]}]}"}
            400: {description: unknown type}
        """
        case_type = request.args.get("type")
        if case_type and case_type not in TY.ALL:
            return self.response(400, message="办理事项不在可选范围内")
        return self.response(200, type=case_type, days=booking.grid(now()))

    @expose("/<int:pk>/reschedule", methods=["POST"])
    @protect()
    def reschedule_slot(self, pk):
        """改约: the new slot's seats are taken first; a full slot keeps the old booking.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    slot: {type: object, properties: {date: {type: string, format: date}, start: {type: string}}}
          responses:
            200: {description: the appointment}
            400: {description: refused}
            404: {description: not yours}
            409: {description: the new slot is full}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response(400, message="请求体须为 JSON 对象")
        try:
            day, start = self._slot_of(body)
            appointment = booking.reschedule(g.user, now(), pk, day, start)
        except DomainError as error:
            return self._error(error)
        return self.response(200, id=appointment.id, day=appointment.day.isoformat(),
                             start=appointment.start, status=appointment.status)


# ---- staff settings ----------------------------------------------------------------------------

def _yes_no(value) -> str:
    return "是" if value else "否"


class DocRequirementView(ScopedModelView):
    """所需材料设置: the one table the form, the submit check and 智能客服 read."""

    datamodel = SQLAInterface(DocRequirement)
    list_title = "所需材料设置"
    show_title = "所需材料"
    add_title = "添加所需材料"
    edit_title = "修改所需材料"
    _fields = ["case_type", "doc_key", "label", "required", "condition", "has_template", "sort"]
    list_columns = [f for f in _fields if f != "doc_key"]  # the code is for editing rows
    show_columns = _fields
    add_columns = _fields
    edit_columns = _fields
    search_columns = ["case_type", "label"]
    order_columns = ["case_type", "sort", "label"]
    base_order = ("sort", "asc")
    label_columns = {"case_type": "业务类型", "doc_key": "材料代码", "label": "材料名称",
                     "required": "必须上传", "condition": "适用条件", "has_template": "提供模板",
                     "sort": "排序"}
    description_columns = {
        "condition": "留空表示总是需要；否则写“字段=值”，多个条件用英文分号分隔，例如 retired=是、"
                     "transfer_type!=转入协会代管、items~姓名 (证书信息)",
        "doc_key": "英文字母、数字或下划线；同一业务类型的同一材料在不同条件下使用同一代码"}
    formatters_columns = {"required": _yes_no, "has_template": _yes_no,
                          "condition": lambda c: (f"{requirements.condition_words(c)}时需要"
                                                  if c else "总是需要")}
    add_form_extra_fields = {"case_type": choice_field("业务类型", TY.ALL)}
    edit_form_extra_fields = add_form_extra_fields

    validators_columns = {
        "doc_key": [Regexp(r"^[A-Za-z0-9_]{1,32}$",
                           message="材料代码只能包含英文字母、数字和下划线（最多32个字符）")],
        "condition": [Regexp(r"^[^;]*(=|~)[^;]*(;[^;]*(=|~)[^;]*)*$|^$",
                             message="适用条件须为“字段=值”“字段!=值”或“字段~值”，多个用英文分号分隔")]}


class SlotTemplateView(ScopedModelView):
    datamodel = SQLAInterface(SlotTemplate)
    list_title = "预约时段设置"
    show_title = "预约时段"
    add_title = "添加预约时段"
    edit_title = "修改预约时段"
    _fields = ["start", "end", "seats", "active"]
    list_columns = _fields
    show_columns = _fields
    add_columns = _fields
    edit_columns = _fields
    order_columns = ["start"]
    base_order = ("start", "asc")
    label_columns = {"start": "开始时间", "end": "结束时间", "seats": "名额", "active": "启用"}
    formatters_columns = {"active": _yes_no}
    description_columns = {"start": "HH:MM，例如 09:00", "end": "HH:MM，例如 10:00",
                           "seats": "每个时段可预约的人数"}
    validators_columns = {
        "start": [Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="时间须为 HH:MM，例如 09:00")],
        "end": [Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="时间须为 HH:MM，例如 10:00")],
        "seats": [NumberRange(min=0, max=500, message="名额须为0到500之间的整数")]}


class CalendarDayView(ScopedModelView):
    datamodel = SQLAInterface(CalendarDay)
    list_title = "节假日设置"
    show_title = "节假日"
    add_title = "添加节假日或调休工作日"
    edit_title = "修改节假日"
    _fields = ["day", "open", "note"]
    list_columns = _fields
    show_columns = _fields
    add_columns = _fields
    edit_columns = _fields
    order_columns = ["day"]
    base_order = ("day", "desc")
    label_columns = {"day": "日期", "open": "工作日（不勾选为公休日）", "note": "说明"}
    formatters_columns = {"open": lambda v: "工作日" if v else "公休日"}
    description_columns = {"open": "法定节假日和周末已按国家安排自动为公休日；此处录入临时闭馆（不勾选）"
                                   "或调休上班（勾选）的日期"}


def register(appbuilder, app) -> None:
    appbuilder.add_view_no_menu(RegistrationView)
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
    import click
    from flask.cli import AppGroup

    group = AppGroup("registration", help="注册业务")

    @group.command("managed-accounts")
    def managed_accounts():
        """Open sign-ins for 协会代管注册会计师 without one (login 证书编号, password 身份证号)."""
        from app.models import Account, Person, PersonStatus, PersonType
        from app.workflows import accounts
        people = db.session.scalars(select(Person).where(
            Person.firm_id.is_(None), Person.person_type == PersonType.CPA,
            Person.status == PersonStatus.ACTIVE, Person.cert_number.is_not(None),
            Person.id_number.is_not(None),
            ~select(Account.user_id).where(Account.person_id == Person.id).exists())).all()
        for person in people:
            accounts.provision_managed_cpa(person, now())
        db.session.commit()
        click.echo(f"已开通协会代管注册会计师账号：{len(people)}个")

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
)
