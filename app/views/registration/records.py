"""办理记录 (seed 004 §4: filters, export; staff's review queue) and 预约记录 (§6: 改约, 取消)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from sqlalchemy.orm import selectinload

from app.models import Appointment, AppointmentStatus, RegistrationCase
from app.views.core.args import paged
from app.views.core.calendar import send_ics
from app.views.core.export import send_table
from app.views.core.refusals import refusals
from app.views.core.scoping import now, scoped_id
from app.views.registration.common import (MENU_APPOINTMENTS, MENU_RECORDS, _case_filters)
from app.workflows.core.scoping import is_institute
from app.workflows.registration import booking, cases, types as TY
from app.workflows.core.labels import code_of, label

# the steps the appointment pages offer, of those the machine allows the user now: a filer
# 改约 and 取消 (staff have no 办理业务 permission for them), staff 签到办理
FILER_VERBS, STAFF_VERBS = {"reschedule", "cancel"}, {"check_in"}


def _verbs(appointment, user, moment) -> set:
    offered = STAFF_VERBS if is_institute(user) else FILER_VERBS
    return {t.event for t in booking.MACHINE.allowed(appointment, user, moment)} & offered


def _to_change(_self, pk):
    return url_for(".appointment", pk=pk, change=1)


class RecordPages:
    """The 办理记录 pages of RegistrationView (routes and permissions are its)."""

    # ---- 办理记录 --------------------------------------------------------------------------
    @expose("/records/")
    @has_access
    def records(self):
        statement, problems = _case_filters(g.user)
        listed = paged(statement.options(selectinload(RegistrationCase.firm)))
        args = request.args.to_dict()
        institute = is_institute(g.user)
        return self.render_template(
            "registration/records.html", title=MENU_RECORDS, **listed.args(), problems=problems,
            types=TY.ALL, args=args, institute=institute,
            statuses=cases.record_statuses(g.user),
            waiting=lambda c: cases.waiting_days(c, g.user, now()), local=clock.display,
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
            for c in db.session.scalars(statement):
                yield [c.case_type, c.name, c.cert_number or "", c.id_number or "",
                       c.firm.name if c.firm else "协会代管", label(c),
                       clock.display(c.submitted_at), clock.display(c.approved_at),
                       clock.display(cases.deadline(c))]
        return send_table(fmt, rows(), MENU_RECORDS, sheet=MENU_RECORDS)
    # ---- 预约记录 ----------------------------------------------------------------------------
    @expose("/appointments/")
    @has_access
    def appointments(self):
        statement = booking.appointments_select(g.user)
        status = code_of(AppointmentStatus.LABELS, request.args.get("status") or "")
        if status in AppointmentStatus.ALL:
            statement = statement.where(Appointment.status == status)
        listed = paged(statement.order_by(Appointment.day.desc(), Appointment.start.desc())
                       .options(selectinload(Appointment.cases)))
        moment = now()
        args = request.args.to_dict()
        shown = listed.args()
        return self.render_template(
            "registration/appointments.html", title=MENU_APPOINTMENTS, **shown,
            verbs={a.id: _verbs(a, g.user, moment) for a in shown["rows"]},
            weekday=booking.weekday_label, statuses=AppointmentStatus.LABELS, args=args,
            page_link=lambda p: url_for(".appointments", **{**args, "page": p}))

    @expose("/appointments/<int:pk>")
    @has_access
    @scoped_id(Appointment)
    def appointment(self, pk):
        appointment = booking.get_appointment(g.user, pk)
        moment = now()
        verbs = _verbs(appointment, g.user, moment)
        days = booking.grid(moment) if "reschedule" in verbs and request.args.get("change") \
            else None
        return self.render_template(
            "registration/appointment.html", title="预约详情", appointment=appointment,
            weekday=booking.weekday_label, history=booking.MACHINE.history(appointment),
            verbs=verbs, days=days, event=booking.event_of(appointment),
            local=clock.display)

    @expose("/appointments/<int:pk>/calendar.ics")
    @has_access
    @scoped_id(Appointment)
    def appointment_ics(self, pk):
        """加入日历: the appointment as an .ics (改约 → SEQUENCE+1, 取消 → METHOD:CANCEL)."""
        event = booking.appointment_event(g.user, pk, now())
        return send_ics(event, f"预约{pk}.ics")

    @expose("/appointments/<int:pk>/reschedule", methods=["POST"])
    @has_access
    @scoped_id(Appointment)
    @refusals(back=_to_change)
    def reschedule(self, pk):
        appointment = booking.reschedule(g.user, now(), pk, request.form.get("date"),
                                         request.form.get("start"))
        flash(f"改约成功：{booking.slot_label(appointment.day, appointment.start)}", "success")
        return redirect(url_for(".appointment", pk=pk))

    @expose("/appointments/<int:pk>/cancel", methods=["POST"])
    @has_access
    @scoped_id(Appointment)
    @refusals(back=".appointment")
    def cancel(self, pk):
        booking.cancel(g.user, now(), pk)
        flash("已取消预约，相关业务可重新预约", "success")
        return redirect(url_for(".appointment", pk=pk))
