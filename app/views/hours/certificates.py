"""学时证明 (seed 001 §2.2 学时证明下载) and the public 学时证明验证 page.

- `/hours/certificates/` 学时证明下载: a member sees its own years with hours, ticks years and
  downloads the PDF; a firm admin finds one of its people (staff: anyone) first. Persons are
  loaded only through `get_scoped`: another firm's person is a 404.
- `/hours/certificates/<pk>/pdf`: the PDF of an issued certificate (scoped, attachment,
  UTF-8 name, nosniff, no-store).
- `HourCertificateView` 学时证明查询: the issued certificates, read-only, searchable by code
  and person (staff all, firm admins their people's, members their own).
- `/verify/hours/` 学时证明验证: public, rate-limited per address; one exact code shows the
  masked name, years, totals and issue date, anything else 「未找到该验证码」. Nothing is listed.
"""
import json

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import or_, select

from app import clock
from app.extensions import db
from app.models import HourCertificate, Person
from app.roles import MENU_QUERY
from app.views.core.export import content_disposition
from app.views.core.refusals import refusals
from app.views.core.scoping import ScopedModelView, current_user, now, scoped_id
from app.workflows.core.scoping import get_scoped, is_institute, person_id_of, scoped_select
from app.workflows.hours import certificates
from app.workflows.hours.queries import verdict_label
from app.workflows.hours.rules import year_results

MENU_CERTIFICATE = "学时证明下载"
MENU_CERTIFICATES = "学时证明查询"
DEFAULT_VERIFY_RATE_LIMIT = "20 per minute"
SEARCH_LIMIT = 50


class HourCertificatePages(BaseView):
    """学时证明下载: choose the person (member: itself), tick years, download."""

    route_base = "/hours/certificates"
    class_permission_name = "HourCertificate"
    method_permission_name = {"index": "download", "issue": "download", "pdf": "download"}
    default_view = "index"

    def _person(self, person_id):
        return get_scoped(db.session, Person, person_id, g.user, "人员不存在")

    @expose("/")
    @has_access
    @refusals(back=".index")  # a person the user may not see: 404
    def index(self):
        user = current_user()
        person, found, query = None, [], (request.args.get("q") or "").strip()[:50]
        person_arg = request.args.get("person")
        if person_arg:
            person = self._person(person_arg)
        elif self._is_member(user):
            person = self._person(person_id_of(user))
        if person is None and query:
            found = db.session.scalars(
                scoped_select(Person, user).where(or_(Person.cert_number == query,
                                                      Person.name.contains(query, autoescape=True)))
                .order_by(Person.name, Person.id).limit(SEARCH_LIMIT)).all()
        years = []
        issued = []
        if person is not None:
            for result in year_results(db.session, person):
                hours_of = {k: certificates.one_place(getattr(result, k)) for k in (
                    "obtained", "counted", "face_to_face", "ethics", "sizheng")}
                years.append({"year": result.year, **hours_of, "verdict": verdict_label(
                    result.passed, result.required, result.exempt)})
            issued = db.session.scalars(
                select(HourCertificate).where(HourCertificate.person_id == person.id)
                .order_by(HourCertificate.issued_at.desc(), HourCertificate.id.desc())
                .limit(20)).all()
        return self.render_template(
            "hours/certificate_index.html", title=MENU_CERTIFICATE, person=person,
            years=years, issued=issued, found=found, query=query, form=FlaskForm(),
            searching=not self._is_member(user), local=clock.display, group=certificates.group_code,
            max_years=certificates.MAX_YEARS)

    @staticmethod
    def _is_member(user):
        return not is_institute(user) and person_id_of(user) is not None

    @staticmethod
    def _issue_back():
        person_id = request.form.get("person_id", "")
        return url_for(".index", person=person_id) if person_id.isdigit() else url_for(".index")

    @expose("/issue", methods=["POST"])
    @has_access
    @refusals(back=lambda self: self._issue_back())
    def issue(self):
        if not FlaskForm().validate_on_submit():
            flash("页面已过期，请刷新后重试", "danger")
            return redirect(self._issue_back())
        certificate = certificates.issue_certificate(
            g.user, now(), request.form.get("person_id", ""), request.form.getlist("years"))
        return redirect(url_for(".pdf", pk=certificate.id))

    @expose("/<int:pk>/pdf")
    @has_access
    @scoped_id(HourCertificate)
    def pdf(self, pk):
        certificate = get_scoped(db.session, HourCertificate, pk, g.user)
        verify_url = request.host_url.rstrip("/") + url_for(
            "HourVerifyView.check", code=certificate.code)
        body = certificates.render_pdf(certificate, verify_url)
        name = f"学时证明_{certificate.person_name}_{certificate.years.replace(',', '-')}.pdf"
        response = current_app.response_class(body, mimetype="application/pdf")
        response.headers["Content-Disposition"] = content_disposition(name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response


def _totals_text(value):
    try:
        totals = json.loads(value or "[]")
    except ValueError:
        return ""
    return Markup("<br>").join(
        escape(f"{t['year']}年：已获{t['obtained']}学时，有效{t['counted']}学时，"
               f"面授{t['face_to_face']}，职业道德{t['ethics']}，思政{t['sizheng']}，"
               f"{'已通过' if t['passed'] else '未通过'}") for t in totals)


def _download_link(pk):
    return Markup('<a href="%s" class="certificate-pdf" style="white-space:nowrap">'
                  '<i class="fa fa-file-pdf-o"></i> 下载PDF</a>'
                  ) % url_for("HourCertificatePages.pdf", pk=pk)


def _nowrap(text):
    return Markup('<span style="white-space:nowrap">%s</span>') % (text or "")


class HourCertificateView(ScopedModelView):
    """学时证明查询: issued certificates, read-only, searchable by code and person."""

    datamodel = SQLAInterface(HourCertificate)
    base_permissions = ["can_list", "can_show"]
    list_title = "学时证明查询"
    show_title = "学时证明"
    list_columns = ["code", "person_name", "cert_number", "firm_name", "years", "issued_at",
                    "issued_by_name", "id"]
    show_columns = ["code", "person_name", "cert_number", "firm_name", "years", "totals",
                    "issued_at", "issued_by_name", "id"]
    search_columns = ["code", "person_name", "cert_number", "firm_name", "years", "issued_at"]
    order_columns = ["issued_at", "person_name", "cert_number", "years"]
    base_order = ("issued_at", "desc")
    label_columns = {"code": "验证码", "person_name": "姓名", "cert_number": "证书编号",
                     "firm_name": "所在单位", "years": "证明年度", "totals": "学时",
                     "issued_at": "开具时间", "issued_by_name": "开具人", "id": "证明文件"}
    description_columns = {"code": "按验证码查询时输入不含短横线的16位验证码"}
    list_template = "hours/certificate_list.html"
    formatters_columns = {"code": lambda c: _nowrap(certificates.group_code(c or "")),
                          "person_name": _nowrap, "issued_at": lambda v: _nowrap(clock.display(v)),
                          "totals": _totals_text, "id": _download_link,
                          "years": lambda v: "、".join(f"{y}年" for y in (v or "").split(",") if y)}

    @expose("/list/")
    @has_access
    def list(self):
        """`?code=` (as printed, with dashes, any case): the list filtered to that code."""
        typed = request.args.get("code")
        if typed is not None:
            code = certificates.normalize_code(typed) or typed.strip().upper()[:40]
            return redirect(url_for(".list", _flt_0_code=code))
        return super().list()


def _verify_rate_limit() -> str:
    return current_app.config.get("HOUR_VERIFY_RATE_LIMIT", DEFAULT_VERIFY_RATE_LIMIT)


class HourVerifyView(BaseView):
    """学时证明验证: public (no login), one exact code at a time, rate-limited per address:
    one budget for the feature, whichever of its two addresses is asked (`limit_verify`)."""

    route_base = "/verify/hours"
    default_view = "form"

    def _page(self, code_text=None):
        certificate = certificates.find_by_code(db.session, code_text) if code_text else None
        return self.render_template(
            "hours/verify.html", title="学时证明验证", code=(code_text or "")[:40],
            asked=code_text is not None,
            shown=certificates.public_view(certificate) if certificate else None,
            not_found=certificates.NO_CODE)

    @expose("/")
    def form(self):
        code = request.args.get("code")
        return self._page(code.strip() if code is not None else None)

    @expose("/<string:code>")
    def check(self, code):
        return self._page(code)


def register(appbuilder, app) -> None:
    appbuilder.add_view(HourCertificatePages, MENU_CERTIFICATE, icon="fa-file-pdf-o",
                        category=MENU_QUERY)
    appbuilder.add_view(HourCertificateView, MENU_CERTIFICATES, icon="fa-certificate",
                        category=MENU_QUERY)
    appbuilder.add_view_no_menu(HourVerifyView)
    limit_verify(app, appbuilder)


def limit_verify(app, appbuilder) -> None:
    """Both routes of 学时证明验证 draw on one budget per address (issue 22: 20 each made
    40 look-ups a minute)."""
    shared = appbuilder.sm.limiter.shared_limit(_verify_rate_limit, scope="hour-verify",
                                                methods=["GET", "POST"])
    for endpoint in ("HourVerifyView.form", "HourVerifyView.check"):
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])


def permissions() -> list:
    """The same for Staff, FirmAdmin and Member (rows differ by scope, not by permission)."""
    return [["HourCertificate", "can_download"], ["HourCertificateView", "can_(list|show)"],
            [f"{MENU_QUERY}|{MENU_CERTIFICATE}|{MENU_CERTIFICATES}", "menu_access"]]
