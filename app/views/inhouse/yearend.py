"""The year's end (seed 000 §6.2.4, §6.3): the 上报中注协 workbook and the 年终总结报告."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.extensions import db
from app.models import Firm, InhouseYearReport
from app.views.core.args import int_arg as _int_arg
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now, uploads
from app.views.inhouse.common import MENU_REPORT, XLSX
from app.workflows.core import files
from app.workflows.core.scoping import is_institute, scoped_select
from app.workflows.inhouse import cicpa, reports


class YearEndPages:
    """The 上报中注协 pages of InhouseClassesView (routes and permissions are its)."""

    # -- 上报中注协 -------------------------------------------------------------------------

    @expose("/cicpa/")
    @has_access
    def cicpa_export(self):
        """Without a chosen year, the chooser: the button no longer takes today's year."""
        user = current_user()
        year = _int_arg("year", 2000, 2100)
        if is_institute(user):
            firm = db.session.get(Firm, _int_arg("firm", 1, 2 ** 31 - 1) or 0)
            if firm is None:
                abort(400, description="请选择事务所")
        else:
            firm = self._firm_or_institute(user)
        if not year or request.args.get("choose"):
            return self._cicpa_chooser(user, firm, year)
        data = cicpa.workbook(user, firm, year)
        return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"内部培训汇总_{firm.code}_{year}.xlsx")

    def _cicpa_chooser(self, user, firm, year):
        reported = cicpa.years_reported(user, firm)
        this_year = clock.local_today(now()).year
        years = sorted(set(reported) | {this_year, this_year - 1}, reverse=True)
        chosen = year or next(iter(reported), this_year)
        return self.render_template(
            "inhouse/cicpa_choose.html", title="上报中注协", firm=firm, years=years,
            reported=reported, chosen=chosen, institute=is_institute(user))

    # -- 年终总结报告 -----------------------------------------------------------------------

    @expose("/report/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_year_report_page")
    def year_report(self):
        user = current_user()
        firm = self._firm_or_institute(user)
        if request.method == "POST" and firm is not None:
            reports.upload_report(user, now(), request.form.get("year"),
                                  (uploads(reports.REPORT.name) or [None])[0])
            flash("年终总结报告已上传", "success")
            return redirect(url_for(".year_report"))
        return self._year_report_page()

    def _year_report_page(self):
        user = current_user()
        firm = self._firm_or_institute(user)
        rows = list(db.session.scalars(scoped_select(InhouseYearReport, user).order_by(
            InhouseYearReport.year.desc(), InhouseYearReport.id.desc()).limit(200)))
        found = {r.id: reports.report_file(r.id) for r in rows}
        local = clock.local_today(now())
        return self.render_template(
            "inhouse/report.html", title=MENU_REPORT, rows=rows, found=found, firm=firm,
            years=[local.year, local.year - 1], doc=reports.REPORT, local_time=clock.display,
            closes_on=reports.closes_on, today=local, human_size=files.human_size)
