"""办理记录 (seed 004 §4: filters, export; staff's review queue) and 预约记录 (§6: 改约, 取消)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from app.models import Appointment, AppointmentStatus, CaseStatus
from app.views.core.args import paged
from app.views.core.export import send_table
from app.views.core.scoping import now, scoped_id
from app.views.registration.common import (MENU_APPOINTMENTS, MENU_RECORDS, PAGE_SIZE,
                                           _case_filters, _csrf_ok, _refuse)
from app.workflows.core.errors import DomainError
from app.workflows.core.scoping import is_institute
from app.workflows.registration import booking, cases, types as TY
from app.workflows.core.labels import label
from app.workflows.core.labels import code_of, label


class RecordPages:
    """The 办理记录 pages of RegistrationView (routes and permissions are its)."""

    # ---- 办理记录 --------------------------------------------------------------------------
    @expose("/records/")
    @has_access
    def records(self):
        statement, problems = _case_filters(g.user)
        listed = paged(statement, PAGE_SIZE)
        args = request.args.to_dict()
        institute = is_institute(g.user)
        return self.render_template(
            "registration/records.html", title=MENU_RECORDS, **listed.args(), problems=problems,
            types=TY.ALL, args=args, institute=institute,
            statuses={s: words for s, words in CaseStatus.LABELS.items()
                      if not (institute and s == CaseStatus.DRAFT)},
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
        listed = paged(statement.order_by(Appointment.day.desc(), Appointment.start.desc()),
                       PAGE_SIZE)
        today = clock.local_today(now())
        args = request.args.to_dict()
        return self.render_template(
            "registration/appointments.html", title=MENU_APPOINTMENTS, **listed.args(),
            today=today,
            weekday=booking.weekday_label, statuses=AppointmentStatus.LABELS, args=args,
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

    @expose("/appointments/<int:pk>/calendar.ics")
    @has_access
    @scoped_id(Appointment)
    def appointment_ics(self, pk):
        """加入日历: the appointment as an .ics (改约 → SEQUENCE+1, 取消 → METHOD:CANCEL)."""
        from app.views.core.calendar import send_ics

        event = booking.appointment_event(g.user, pk, now())
        return send_ics(event, f"预约{pk}.ics")

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
