"""现场办理 (staff): each day's appointments, check-in and the on-site stages."""
import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Appointment, CaseStatus, RegistrationCase
from app.views.core.refusals import refusals
from app.views.core.scoping import now, scoped_id
from app.views.registration.common import MENU_ONSITE
from app.workflows.registration import booking, cases


def _back(_self, pk):
    """签到 from 现场办理 goes back there, from the appointment's page to it."""
    if request.form.get("back") == "onsite":
        return url_for(".onsite")
    return url_for(".appointment", pk=pk)


class OnsitePages:
    """The 现场办理 (staff) pages of RegistrationView (routes and permissions are its)."""

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
        moment = now()
        # the buttons are the steps the machines allow the user now (签到: on the day)
        verbs = {("appointment", a.id): {t.event for t in booking.MACHINE.allowed(
            a, g.user, moment)} for a in rows}
        verbs.update({("case", c.id): [t for t in cases.MACHINE.allowed(c, g.user, moment)
                                       if t.event in ("make_certificate", "collect")]
                      for c in stages})
        return self.render_template("registration/onsite.html", title=MENU_ONSITE, day=day,
                                    verbs=verbs,
                                    rows=rows, today=today, weekday=booking.weekday_label,
                                    stages=stages, previous=day - dt.timedelta(days=1),
                                    following=day + dt.timedelta(days=1))

    @expose("/appointments/<int:pk>/check_in", methods=["POST"])
    @has_access
    @scoped_id(Appointment)
    @refusals(back=_back)
    def check_in(self, pk):
        booking.check_in(g.user, now(), pk)
        flash("已签到，业务已现场办理", "success")
        return redirect(_back(self, pk))
