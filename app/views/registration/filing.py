"""业务办理 (seed 004 §3): the types, 承诺书, choosing the person, each type's form with its
documents, 保存 / 提交审核; the case page with 流程跟踪 (§4)."""
import datetime as dt

from flask import abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import CaseDocument, CaseStatus, Person, RegistrationCase
from app.views.core.export import content_disposition
from app.views.core.machines import check_shown_version
from app.views.core.refusals import refusals
from app.views.core.scoping import now, scoped_id
from app.views.registration.common import (MENU_APPLY, PLEDGE_KEY, _form_data, _kept, _typed,
                                           _uploads)
from app.workflows.core import files
from app.workflows.core.errors import DomainError
from app.workflows.core.institute import identity
from app.workflows.core.scoping import get_scoped, is_institute
from app.workflows.registration import cases, documents, filers, requirements, types as TY


def _to_index(*_args, **_kwargs):
    return url_for(".index")


class FilingPages:
    """The 业务办理 pages of RegistrationView (routes and permissions are its)."""

    # ---- 业务办理 ------------------------------------------------------------------------
    @expose("/")
    @has_access
    def index(self):
        kind = filers.filer_kind(g.user)
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
            pledges = dict(session.get(PLEDGE_KEY) or {})
            pledges[case_type] = now().isoformat()
            session[PLEDGE_KEY] = pledges
            if filers.filer_kind(g.user) == filers.MANAGED:
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
    @refusals(back=_to_index)
    def form(self, case_type):
        case_type = self._type(case_type)
        if self._pledged_at(case_type) is None:
            return redirect(url_for(".pledge", case_type=case_type))
        filers.require_filer(g.user)
        values, person_id = {}, request.args.get("person") or ""
        if person_id:
            person = get_scoped(db.session, Person, person_id, g.user)
            values = {"name": person.name, "id_number": person.id_number or "",
                      "cert_number": person.cert_number or "", "mobile": person.phone or "",
                      "gender": person.gender or "",
                      "firm_name": person.firm.name if person.firm else ""}
        managed = filers.managed_person(g.user)
        if managed is not None:
            values = {"name": managed.name, "id_number": managed.id_number or "",
                      "cert_number": managed.cert_number or "", "mobile": managed.phone or "",
                      "gender": managed.gender or ""}
        return self._render_form(case_type, None, values, person_id)

    def _render_form(self, case_type, case, values, person_id="", errors=None, held=None):
        """The form: a case's saved values, or (``errors``: a refused 保存) what was typed,
        with the files that try accepted (``held``) kept and every fault named by its field."""
        if case is not None and errors is None:
            values = {"name": case.name, "id_number": case.id_number or "",
                      "cert_number": case.cert_number or "", "mobile": case.mobile or "",
                      **cases.answers_of(case)}
        answers = {key: value for key, value in values.items()
                   if key not in ("name", "id_number", "cert_number", "mobile")}
        rows = requirements.rows_of(case_type)
        # rows waiting for an answer not given yet: the page says more may be asked for
        pending = any(not requirements.applies(row.condition, answers) and any(
            not answers.get(key) for key, _op, _value in requirements.clauses(row.condition))
            for row in rows)
        present = {d.doc_key: d for d in case.documents} if case is not None else {}
        return self.render_template(
            "registration/form.html", title=f"{case_type}业务办理", case_type=case_type,
            case=case, fields=TY.fields_of(case_type), values=values, person_id=person_id,
            rows=rows, applies=requirements.applies, answers=answers, present=present,
            words=requirements.condition_words,
            accept=cases.DOCUMENT.accept,
            managed=filers.managed_person(g.user) is not None, errors=errors or {},
            held=held.files if held is not None else {},
            held_token=held.token if held is not None else "",
            table=requirements.as_data(rows, case_type), human_size=files.human_size,
            pending=pending)

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        """保存 (a draft, documents may be missing) or 提交审核 (all required, else named)."""
        case_id = request.form.get("case_id") or None
        case_type = request.form.get("case_type") or ""
        back = (url_for(".case", pk=case_id) if case_id and case_id.isdigit()
                else url_for(".index"))
        if case_id is None and case_type not in TY.ALL:
            abort(400, description="请选择业务类型")
        held = None
        try:
            case = None
            if case_id is not None:
                case = cases.get_case(g.user, case_id)
                case_type = case.case_type
            held = cases.hold_uploads(g.user, now(), case_type, request.form.get("held_token"),
                                      _uploads(), _kept())
            case = cases.save_case(
                g.user, now(), case_id, case_type=case_type, data=_form_data(case_type),
                pledged_at=self._pledged_at(case_type), person_id=request.form.get("person_id"),
                held=held.files, refused=held.errors, remove=request.form.getlist("remove")[:50])
        except DomainError as error:
            # not a refusal the decorator can answer: the form comes back as typed, with the
            # files this try accepted (held) and each fault named next to its field
            if error.status == 404:
                abort(404)
            if error.status == 403 or held is None:
                flash(error.message, "danger")
                return redirect(back)
            errors = getattr(error, "by_field", None) or {error.field or "form": error.message}
            return self._render_form(case_type, case, _typed(case_type),
                                     request.form.get("person_id") or "", errors=errors,
                                     held=held)
        if request.form.get("action") == "submit":
            try:
                cases.submit(g.user, now(), case.id)
            except DomainError as error:  # saved all the same: says so, and why not sent
                flash(f"已保存，但不能提交审核：{error.message}", "warning")
                return redirect(url_for(".case", pk=case.id, edit=1))
            flash(f"已提交审核，请等待{identity().abbreviation}审核", "success")
        else:
            flash("已保存；材料补充完整后请点击“提交审核”", "success")
        return redirect(url_for(".case", pk=case.id))

    @expose("/suggest")
    @has_access
    def suggest(self):
        """转出/转入事务所名称 suggestions (JSON list of names)."""
        return jsonify(cases.firm_suggestions(request.args.get("q") or ""))
    # ---- the case page -------------------------------------------------------------------
    @expose("/case/<int:pk>")
    @has_access
    @scoped_id(RegistrationCase)
    def case(self, pk):
        case = cases.get_case(g.user, pk)
        moment = now()
        actions = cases.MACHINE.actions(case, g.user, moment)
        if request.args.get("edit") and "edit" in actions:
            return self._render_form(case.case_type, case, {})
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
            actions=actions, tone=cases.TONES.get(case.status, "primary"),
            institute=is_institute(g.user),
            deadline=cases.deadline(case) if "attend" in actions else None,
            missing=cases.missing_documents(case) if "edit" in actions else [],
            local=clock.display,
            templates=[r for r in requirements.documents_for(case.case_type, answers)
                       if r.has_template])

    @expose("/case/<int:pk>/step", methods=["POST"])
    @has_access
    @scoped_id(RegistrationCase)
    @refusals(back=".case")
    def step(self, pk):
        """提交审核 / 撤回 by the filer."""
        verb = request.form.get("verb")
        command = {"submit": cases.submit, "withdraw": cases.withdraw}.get(verb)
        if command is None:
            abort(400, description="没有这个操作")
        command(g.user, now(), pk)
        flash("已提交审核" if verb == "submit" else "已撤回，修改后可重新提交", "success")
        return redirect(url_for(".case", pk=pk))

    @expose("/case/<int:pk>/review", methods=["POST"])
    @has_access
    @scoped_id(RegistrationCase)
    @refusals(back=".case")
    def review(self, pk):
        """Staff: 审核通过 / 审核不通过 (reasons per document) / the on-site stages."""
        verb = request.form.get("verb")
        remark = (request.form.get("remark") or "")[:1000]
        if verb not in ("approve", "reject", "handle", "make_certificate", "collect"):
            abort(400, description="没有这个操作")
        check_shown_version(cases.MACHINE, pk)
        if verb == "reject":
            reasons = {k[7:]: v[:200] for k, v in request.form.items()
                       if k.startswith("reason_") and k[7:].isdigit()}
            cases.reject(g.user, now(), pk, remark=remark, reasons=reasons)
        else:
            cases.COMMANDS[verb](g.user, now(), pk, remark=remark or None)
        flash(f"已{cases.MACHINE.label(verb)}", "success")
        return redirect(url_for(".case", pk=pk))

    @expose("/document/<int:pk>")
    @has_access
    @scoped_id(CaseDocument)
    def document(self, pk):
        """A case's document: in the page (?inline=1) or downloaded."""
        found = cases.get_scoped(db.session, CaseDocument, pk, g.user, "材料不存在")
        row = files.readable(g.user, found.file_id)
        return files.send(row, inline=request.args.get("inline") == "1")

    @expose("/template/<string:doc_key>/filled", methods=["POST"])
    @has_access
    @refusals(back=_to_index)
    def filled(self, doc_key):
        """下载模板 from the form as it is typed (not saved yet): the form's fields posted by
        registration.js, the PDF filled in with them (seed 004 §3.2: 填写完成后点击“下载模板”)."""
        case_type = request.form.get("case_type") or ""
        if case_type not in TY.ALL:
            abort(400, description="请选择业务类型")
        try:
            name, body = documents.typed_template(g.user, doc_key, case_type, _typed(case_type))
        except KeyError:
            abort(404, description="没有这个模板")
        return _pdf(name, body)

    @expose("/template/<string:doc_key>")
    @has_access
    def template(self, doc_key):
        """下载模板; `?case=` fills the form in from that case."""
        case, answers, firm_name = None, None, ""
        case_id = request.args.get("case")
        if case_id:  # a case the user may not read is a 404 (the app's refusal handler)
            case = cases.get_case(g.user, case_id)
            answers = cases.answers_of(case)
            firm_name = case.firm.name if case.firm else "协会代管"
        try:
            name, body = documents.template(doc_key, case, answers, firm_name)
        except KeyError:
            abort(404, description="没有这个模板")
        return _pdf(name, body)


def _pdf(name, body):
    response = current_app.response_class(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
