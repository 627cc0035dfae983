"""预约 (seed 004 §5): the 7-day grid of slots and booking several cases of one type."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from app.models import CaseStatus, RegistrationCase
from app.views.core.refusals import refusals
from app.views.core.scoping import now
from app.workflows.registration import booking, cases


def _back_to_slots(*_args):
    """A refused 预约 goes back to the slots of the cases chosen (or the list)."""
    ids = request.form.getlist("cases")[:50]
    return url_for(".slots", cases=ids) if all(v.isdigit() for v in ids) else \
        url_for(".booking")


class BookingPages:
    """The 预约 pages of RegistrationView (routes and permissions are its)."""

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
        # a case the user may not read is a 404 (the app's refusal handler)
        return [cases.get_case(g.user, pk) for pk in ids]

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
    @refusals(back=_back_to_slots)
    def book(self):
        ids = [v for v in request.form.getlist("cases")[:50]]
        appointment = booking.book(g.user, now(), ids, request.form.get("date"),
                                   request.form.get("start"))
        flash(f"预约成功：{booking.slot_label(appointment.day, appointment.start)}", "success")
        return redirect(url_for(".appointment", pk=appointment.id))
