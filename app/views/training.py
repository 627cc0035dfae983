"""CPA专题培训 (seed 000 §5, seed 003): thin pages and APIs over app/workflows/training/.

- 协会培训班报名 (firm admins, members): the catalogue with the manual's columns, the class's
  介绍, the manual's enrollment form, ticking several CPAs, 本单位已报名人员 with 删除, a
  member's own enrollment; 讲义下载; 候补名单.
- 培训班管理 (staff): classes with handouts, review (one or many), results (one by one, or a
  sheet through the generic import `training_results`), roster and CICPA exports.
- REST `training_class`, `enrollment` (verbs approve, reject; POST /<id>/result),
  `waitlist_entry` (POST /<id>/accept, /<id>/decline); CLI `export class-cicpa`.
"""
import click
from flask import abort, flash, g, redirect, request, url_for
from flask.cli import AppGroup
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import protect
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import (Category, Enrollment, EnrollmentStatus, Firm, PersonKind, TrainingClass,
                        TrainingResult, WaitlistEntry)
from app.models import TrainingAudience as Audience
from app.roles import FIRM_ADMIN, MEMBER, STAFF
from app.views.core.export import send_table
from app.views.core.machines import MachineVerbsMixin
from app.views.core.scoping import (ScopedModelRestApi, current_user, now, scoped_id,
                                    upload_limit, uploads)
from app.workflows.core import files
from app.workflows.core.errors import DomainError, NotFoundError, ValidationError
from app.workflows.core.scoping import (SystemActor, account_of, is_institute, person_id_of,
                                        role_names)
from app.workflows.hours.rules import fmt
from app.workflows.training import (classes, enrollment, exports, review, waitlist)

MENU = "CPA专题培训"
MENU_ENROLL = "协会培训班报名"
MENU_HANDOUTS = "协会培训班讲义下载"
MENU_WAITLIST = "候补名单"
MENU_ADMIN = "培训班管理"
MENU_RESULTS = "培训结果导入"
HANDOUT_LIMIT = classes.HANDOUT.max_bytes + 16 * 1024 * 1024  # the file and the form around it
FORM_KEYS = tuple(enrollment.FORM_FIELDS)


def _when(value, fmt_="%Y-%m-%d %H:%M") -> str:
    return clock.display(value, fmt_)


def _period(item) -> str:
    return f"{item.start_date.isoformat()} 至 {item.end_date.isoformat()}"


def _window(item) -> str:
    return f"{_when(item.enroll_start)} 至 {_when(item.enroll_end)}"


def _ids(values) -> list[int]:
    found = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError("所选记录无效，请刷新后重试") from None
        if not 0 < number < 2**31:
            raise ValidationError("所选记录无效，请刷新后重试")
        found.append(number)
    return found


def _helpers():
    return {"period": _period, "window": _window, "when": _when, "hours": fmt,
            "size": files.human_size, "cicpa": EnrollmentStatus.CICPA}


class TrainingView(BaseView):
    """协会培训班报名, 讲义下载 and 候补名单 of firm admins and members (staff may look)."""

    route_base = "/training"
    class_permission_name = "Training"
    chinese_name = "CPA专题培训"  # 用户权限 names the view and its permission so
    permission_labels = {"can_browse": "浏览培训班", "can_enroll": "报名", "can_self": "本人报名",
                         "can_wait": "登记候补", "can_respond": "答复候补"}
    default_view = "catalogue"
    method_permission_name = {
        "catalogue": "browse", "intro": "browse", "handouts": "browse",
        "handout_files": "browse", "handout_download": "browse",
        "enroll_form": "enroll", "tick": "enroll", "cert_lookup": "enroll", "roster": "enroll", "delete": "enroll",
        "roster_export": "enroll", "enroll_self": "self",
        "waitlist": "wait", "join": "wait", "accept": "wait", "decline": "wait",
    }

    # -- 协会培训班报名 --------------------------------------------------------------------

    @expose("/classes/")
    @has_access
    def catalogue(self):
        actor = current_user()
        keyword = (request.args.get("q") or "").strip()[:100]
        rows = classes.catalogue(actor, now(), keyword=keyword or None)
        is_member = bool(person_id_of(actor)) and MEMBER in role_names(actor)
        return self.render_template(
            "training/catalogue.html", title=MENU_ENROLL, rows=rows, keyword=keyword,
            member=is_member, firm=bool(_firm_of(actor)), **_helpers())

    @expose("/classes/<int:pk>")
    @has_access
    @scoped_id(TrainingClass)
    def intro(self, pk):
        actor = current_user()
        item = classes.get_class(actor, pk)
        row = classes.catalogue(actor, now(), class_ids=[item.id])[0]
        return self.render_template(
            "training/intro.html", title=item.name, item=item, row=row,
            handouts=classes.handouts_of([item.id])[item.id], firm=bool(_firm_of(actor)),
            member=bool(person_id_of(actor)), **_helpers())

    @expose("/classes/<int:pk>/enroll", methods=["GET", "POST"])
    @has_access
    @scoped_id(TrainingClass)
    def enroll_form(self, pk):
        """The manual's 面授班报名 form; after 提交 it is empty again for the next person."""
        actor = current_user()
        item = classes.get_class(actor, pk)
        values = {"person_kind": PersonKind.CPA}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip() for k in FORM_KEYS}
            try:
                row = enrollment.enroll(actor, now(), item.id, values)
                flash(f"已为{row.name}报名“{item.name}”，可继续增加报名人员", "success")
                return redirect(url_for(".enroll_form", pk=item.id))
            except DomainError as error:
                flash(error.message, "danger")
        row = classes.catalogue(actor, now(), class_ids=[item.id])[0]
        firm = db.session.get(Firm, _firm_of(actor)) if _firm_of(actor) else None
        return self.render_template(
            "training/enroll_form.html", title="面授班报名", item=item, row=row, values=values,
            kinds=PersonKind.ALL, reminder=enrollment.REMINDER, firm=firm, **_helpers())

    @expose("/cert-lookup")
    @has_access
    def cert_lookup(self):
        """姓名 and 性别 of a CPA of the firm by 证书编号 (the form fills them as the manual says)."""
        from flask import jsonify

        from app.models import Person, PersonStatus, PersonType
        from app.workflows.core.scoping import scoped_select

        cert = (request.args.get("cert") or "").strip()[:20]
        person = db.session.scalars(scoped_select(Person, current_user()).where(
            Person.cert_number == cert, Person.person_type == PersonType.CPA,
            Person.status == PersonStatus.ACTIVE)).first() if cert else None
        if person is None:
            response = jsonify(message=f"证书编号“{cert}”不是本所在册的注册会计师，请核对")
            response.status_code = 404
            return response
        return jsonify(name=person.name, gender=person.gender or "",
                       position=person.position or "")

    @expose("/classes/<int:pk>/tick", methods=["GET", "POST"])
    @has_access
    @scoped_id(TrainingClass)
    def tick(self, pk):
        """Seed 003: tick several of the firm's CPAs, fill the required fields, 报名."""
        actor = current_user()
        item = classes.get_class(actor, pk)
        chosen, typed = set(), {}
        if request.method == "POST":
            try:
                chosen = set(_ids(request.form.getlist("person")))
                rows = [{"person_id": pid,
                         "phone": (request.form.get(f"phone_{pid}") or "").strip(),
                         "position": (request.form.get(f"position_{pid}") or "").strip()}
                        for pid in sorted(chosen)]
                typed = {r["person_id"]: r for r in rows}
                done = enrollment.enroll_ticked(actor, now(), item.id, rows)
                flash(f"已报名{len(done)}人：{'、'.join(r.name for r in done)}", "success")
                return redirect(url_for(".roster", pk=item.id))
            except DomainError as error:
                flash(error.message, "danger")
        name = (request.args.get("name") or "").strip()[:64]
        cert = (request.args.get("cert") or "").strip()[:20]
        people = enrollment.firm_cpas(actor, item, name=name or None, cert=cert or None)
        taken = enrollment.enrolled_ids(actor, item.id)
        emails = _emails([p.id for p in people])
        row = classes.catalogue(actor, now(), class_ids=[item.id])[0]
        return self.render_template(
            "training/tick.html", title="勾选报名", item=item, row=row, people=people,
            taken=taken, chosen=chosen, typed=typed, emails=emails, name=name, cert=cert,
            **_helpers())

    @expose("/classes/<int:pk>/roster")
    @has_access
    @scoped_id(TrainingClass)
    def roster(self, pk):
        """本单位已报名人员 (seed 000 §5.1): search, 删除 until the class starts."""
        actor = current_user()
        item = classes.get_class(actor, pk)
        args = {k: (request.args.get(k) or "").strip()[:64]
                for k in ("cert", "name", "position", "phone")}
        rows = enrollment.firm_roster(actor, item.id, **{k: v or None for k, v in args.items()})
        return self.render_template(
            "training/roster.html", title=f"{item.name}-报名情况表", item=item, rows=rows,
            args=args, started=classes.class_started(item, now()), **_helpers())

    @expose("/classes/<int:pk>/roster/export")
    @has_access
    @scoped_id(TrainingClass)
    def roster_export(self, pk):
        fmt_ = request.args.get("fmt") or "xlsx"
        if fmt_ not in ("csv", "xlsx"):
            abort(400, description="导出格式须为 xlsx 或 csv")
        actor = current_user()
        item = classes.get_class(actor, pk)
        rows = list(exports.roster_rows(actor, item.id))
        return send_table(fmt_, rows, f"{item.name}-报名情况表", sheet="报名情况")

    @expose("/enrollments/<int:pk>/delete", methods=["POST"])
    @has_access
    @scoped_id(Enrollment)
    def delete(self, pk):
        actor = current_user()
        try:
            class_id = enrollment.delete_enrollment(actor, now(), pk)
            flash("已删除报名", "success")
            return redirect(url_for(".roster", pk=class_id))
        except NotFoundError:
            raise
        except DomainError as error:
            flash(error.message, "danger")
            row = db.session.get(Enrollment, pk)
            return redirect(url_for(".roster", pk=row.class_id) if row else url_for(".catalogue"))

    @expose("/classes/<int:pk>/self", methods=["POST"])
    @has_access
    @scoped_id(TrainingClass)
    def enroll_self(self, pk):
        """A CPA enrolls itself (seed 003 part 二)."""
        actor = current_user()
        try:
            enrollment.enroll_self(actor, now(), pk,
                                   phone=(request.form.get("phone") or "").strip() or None)
            flash("报名成功，报名确认状态为“待确认”，协会确认后显示为“已确认”", "success")
        except NotFoundError:
            raise
        except DomainError as error:
            flash(error.message, "danger")
        return redirect(url_for(".catalogue"))

    # -- 讲义下载 (seed 000 §5.2) ----------------------------------------------------------

    @expose("/handouts/")
    @has_access
    def handouts(self):
        actor = current_user()
        rows = classes.catalogue(actor, now())
        found = classes.handouts_of([r.item.id for r in rows])
        rows = [r for r in rows if found.get(r.item.id)]
        return self.render_template("training/handouts.html", title=MENU_HANDOUTS, rows=rows,
                                    **_helpers())

    @expose("/handouts/<int:pk>")
    @has_access
    @scoped_id(TrainingClass)
    def handout_files(self, pk):
        item = classes.get_class(current_user(), pk)
        return self.render_template(
            "training/handout_files.html", title=f"{item.name} 培训班-资料下载", item=item,
            files=classes.handouts_of([item.id])[item.id], **_helpers())

    @expose("/handouts/<int:pk>/download")
    @has_access
    @scoped_id(TrainingClass)
    def handout_download(self, pk):
        """One handout, streamed (Range honoured): ?file=<id>."""
        file_id = request.args.get("file", type=int)
        if not file_id:
            return redirect(url_for(".handout_files", pk=pk))
        return files.send(classes.handout(current_user(), pk, file_id))

    # -- 候补名单 ---------------------------------------------------------------------------

    @expose("/waitlist/")
    @has_access
    def waitlist(self):
        actor, moment = current_user(), now()
        entries = waitlist.entries(actor, moment)
        return self.render_template(
            "training/waitlist.html", title=MENU_WAITLIST, entries=entries, moment=moment,
            state=lambda e: waitlist.state(e, moment), position=waitlist.position_of,
            offered=waitlist.OFFERED, waiting=waitlist.WAITING, **_helpers())

    @expose("/classes/<int:pk>/waitlist", methods=["POST"])
    @has_access
    @scoped_id(TrainingClass)
    def join(self, pk):
        try:
            waitlist.join(current_user(), now(), pk)
            flash("已加入候补名单：有名额空出时将按先后顺序通知您，并为您保留48小时", "success")
            return redirect(url_for(".waitlist"))
        except NotFoundError:
            raise
        except DomainError as error:
            flash(error.message, "danger")
            return redirect(url_for(".catalogue"))

    @expose("/waitlist/<int:pk>/accept", methods=["POST"])
    @has_access
    @scoped_id(WaitlistEntry)
    def accept(self, pk):
        actor = current_user()
        try:
            entry = waitlist.own_entry(actor, pk)
        except NotFoundError:
            raise
        except DomainError as error:
            flash(error.message, "danger")
            return redirect(url_for(".waitlist"))
        if entry.person_id is None:  # a firm: the form, where the held seat is used
            if waitlist.state(entry, now()) != waitlist.OFFERED:
                flash("该候补名额已失效", "danger")
                return redirect(url_for(".waitlist"))
            return redirect(url_for(".enroll_form", pk=entry.class_id))
        try:
            waitlist.accept(actor, now(), pk)
            flash("已接受候补名额并完成报名", "success")
        except DomainError as error:
            flash(error.message, "danger")
        return redirect(url_for(".waitlist"))

    @expose("/waitlist/<int:pk>/decline", methods=["POST"])
    @has_access
    @scoped_id(WaitlistEntry)
    def decline(self, pk):
        try:
            waitlist.decline(current_user(), now(), pk)
            flash("已放弃候补", "success")
        except NotFoundError:
            raise
        except DomainError as error:
            flash(error.message, "danger")
        return redirect(url_for(".waitlist"))


def _firm_of(actor) -> int | None:
    account = account_of(actor)
    if account is not None and FIRM_ADMIN in role_names(actor) and account.firm_id:
        return account.firm_id
    return None


def _emails(person_ids) -> dict[int, str]:
    from flask_appbuilder.security.sqla.models import User

    from app.models import Account

    if not person_ids:
        return {}
    found = {}
    for person_id, bound, email in db.session.execute(
            select(Account.person_id, Account.notify_email, User.email)
            .join(User, User.id == Account.user_id).where(Account.person_id.in_(person_ids))):
        # the bound address, else the account's own; never the system's placeholder
        shown = bound or (email if email and not email.endswith(".invalid") else "")
        if shown:
            found[person_id] = shown
    return found


# --- 培训班管理 (staff) -------------------------------------------------------------------

CLASS_FORM_KEYS = tuple(classes.FIELDS)


class TrainingAdminView(BaseView):
    """培训班管理: the classes with their counts, the class form with handouts, review and
    results of one class, its exports."""

    route_base = "/training-admin"
    class_permission_name = "TrainingAdmin"
    chinese_name = "培训班管理"
    default_view = "list"
    method_permission_name = {name: "manage" for name in (
        "list", "new", "edit", "detail", "decide", "results", "remove_handout", "export",
        "cicpa", "enrollment")}

    @expose("/")
    @has_access
    def list(self):
        actor = current_user()
        keyword = (request.args.get("q") or "").strip()[:100]
        rows = classes.catalogue(actor, now(), keyword=keyword or None)
        return self.render_template("training/admin_list.html", title=MENU_ADMIN, rows=rows,
                                    keyword=keyword, **_helpers())

    def _form(self, item):
        actor = current_user()
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in CLASS_FORM_KEYS}
            try:
                saved = classes.save_class(actor, now(), values,
                                           class_id=item.id if item else None,
                                           handouts=uploads("handouts"))
                flash("培训班已保存", "success")
                return redirect(url_for(".detail", pk=saved.id))
            except DomainError as error:
                flash(error.message, "danger")
        elif item is not None:
            values = {k: getattr(item, k) for k in CLASS_FORM_KEYS}
            values.update(enroll_start=_when(item.enroll_start, "%Y-%m-%dT%H:%M"),
                          enroll_end=_when(item.enroll_end, "%Y-%m-%dT%H:%M"),
                          hours=fmt(item.hours), planned=item.planned or "")
        else:
            values = {"kind": classes.DEFAULT_KIND, "category": Category.PROFESSIONAL,
                      "audience": Audience.ALL_STAFF}
        return self.render_template(
            "training/class_form.html", title="修改培训班" if item else "添加培训班", item=item,
            values=values, labels=classes.FIELDS, categories=Category.ALL,
            audiences=Audience.ALL, handout=classes.HANDOUT,
            files=classes.handouts_of([item.id])[item.id] if item else [], **_helpers())

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @upload_limit(HANDOUT_LIMIT)
    def new(self):
        return self._form(None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    @upload_limit(HANDOUT_LIMIT)
    @scoped_id(TrainingClass)
    def edit(self, pk):
        return self._form(classes.get_class(current_user(), pk))

    @expose("/<int:pk>")
    @has_access
    @scoped_id(TrainingClass)
    def detail(self, pk):
        actor, moment = current_user(), now()
        item = classes.get_class(actor, pk)
        status = request.args.get("status") or ""
        rows = enrollment.firm_roster(actor, item.id)
        if status in EnrollmentStatus.ALL:
            rows = [r for r in rows if r.status == status]
        firms = dict(db.session.execute(select(Firm.id, Firm.name).where(
            Firm.id.in_({r.firm_id for r in rows if r.firm_id}))).all()) if rows else {}
        row = classes.catalogue(actor, moment, class_ids=[item.id])[0]
        return self.render_template(
            "training/admin_detail.html", title=item.name, item=item, row=row, rows=rows,
            firms=firms, status=status, statuses=EnrollmentStatus.ALL,
            results=TrainingResult.ALL, started=classes.class_started(item, moment),
            files=classes.handouts_of([item.id])[item.id],
            waiting=waitlist.entries(actor, moment, item.id),
            wstate=lambda e: waitlist.state(e, moment), **_helpers())

    @expose("/enrollment/<int:pk>")
    @has_access
    @scoped_id(Enrollment)
    def enrollment(self, pk):
        """One enrollment: what was typed, and its 流程跟踪 (the state machine's history)."""
        from app.workflows.core.scoping import get_scoped

        row = get_scoped(db.session, Enrollment, pk, current_user(), "报名记录不存在")
        return self.render_template(
            "training/admin_enrollment.html", title=f"{row.name}-报名详情", row=row,
            history=review.MACHINE.history(row), local_time=clock.display, **_helpers())

    @expose("/<int:pk>/decide", methods=["POST"])
    @has_access
    @scoped_id(TrainingClass)
    def decide(self, pk):
        actor = current_user()
        item = classes.get_class(actor, pk)
        event = request.form.get("event")
        try:
            count = review.decide_many(actor, now(), event, _ids(request.form.getlist("rowid")),
                                       remark=request.form.get("remark"))
            flash(f"已{'审核通过' if event == 'approve' else '审核未通过'}{count}人", "success")
        except DomainError as error:
            flash(error.message, "danger")
        return redirect(url_for(".detail", pk=item.id))

    @expose("/<int:pk>/results", methods=["POST"])
    @has_access
    @scoped_id(TrainingClass)
    def results(self, pk):
        actor = current_user()
        item = classes.get_class(actor, pk)
        chosen = {}
        try:
            for key, value in request.form.items():
                if key.startswith("result_") and value:
                    (row_id,) = _ids([key[len("result_"):]])
                    row = db.session.get(Enrollment, row_id)
                    if row is None or row.class_id != item.id:
                        raise ValidationError("所选报名记录不属于该培训班")
                    if row.result != value:
                        chosen[row_id] = value
            if not chosen:
                raise ValidationError("培训结果没有变化")
            review.set_results(actor, now(), chosen)
            flash(f"已记录{len(chosen)}人的培训结果（合格的注册会计师已计入学时）", "success")
        except DomainError as error:
            flash(error.message, "danger")
        return redirect(url_for(".detail", pk=item.id))

    @expose("/<int:pk>/handout/remove", methods=["POST"])
    @has_access
    @scoped_id(TrainingClass)
    def remove_handout(self, pk):
        actor = current_user()
        item = classes.get_class(actor, pk)
        try:
            (file_id,) = _ids([request.form.get("file")])
            classes.handout(actor, item.id, file_id)
            classes.remove_handout(actor, now(), file_id)
            flash("资料已删除", "success")
        except DomainError as error:
            flash(error.message, "danger")
        return redirect(url_for(".edit", pk=item.id))

    @expose("/<int:pk>/export")
    @has_access
    @scoped_id(TrainingClass)
    def export(self, pk):
        fmt_ = request.args.get("fmt") or "xlsx"
        if fmt_ not in ("csv", "xlsx"):
            abort(400, description="导出格式须为 xlsx 或 csv")
        actor = current_user()
        item = classes.get_class(actor, pk)
        return send_table(fmt_, list(exports.roster_rows(actor, item.id)),
                          f"{item.name}-报名名单", sheet="报名名单")

    @expose("/<int:pk>/cicpa")
    @has_access
    @scoped_id(TrainingClass)
    def cicpa(self, pk):
        from flask import send_file
        import io

        item = classes.get_class(current_user(), pk)
        from app.views.core.export import export_filename

        return send_file(io.BytesIO(exports.cicpa_workbook(db.session, item)),
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet",
                         as_attachment=True,
                         download_name=export_filename(f"{item.name}-中注协上报", "xlsx"))


# --- REST ----------------------------------------------------------------------------------

def _json_error(api, error: DomainError):
    db.session.rollback()
    body = {"message": error.message}
    if error.field:
        body["field"] = error.field
    return api.response(error.status, **body)


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("请求体须为JSON对象")
    return data


CLASS_LABELS = {"kind": "类型", "name": "培训班", "teacher": "主讲老师", "hours": "注册会计师可获学时",
                "category": "学时类别", "start_date": "培训开始日期", "end_date": "培训结束日期",
                "enroll_start": "报名开始时间", "enroll_end": "报名结束时间", "location": "培训地点",
                "capacity": "最大报名人数", "planned": "培训人数", "audience": "培训对象",
                "intro": "介绍"}


class TrainingClassApi(ScopedModelRestApi):
    """REST `training_class`: every signed-in user reads the catalogue; staff POST and PUT
    (the same rules as the form: times in Beijing time unless the value names its zone)."""

    resource_name = "training_class"
    datamodel = SQLAInterface(TrainingClass)
    allow_browser_login = True
    openapi_spec_tag = "Training class"
    base_permissions = ["can_get", "can_info", "can_post", "can_put"]
    list_columns = ["id", *CLASS_LABELS]
    show_columns = list_columns
    add_columns = list(CLASS_LABELS)
    edit_columns = add_columns
    search_columns = ["name", "category", "start_date", "audience"]
    order_columns = ["start_date", "name", "enroll_end"]
    base_order = ("start_date", "desc")
    label_columns = CLASS_LABELS

    def post_headless(self):
        try:
            item = classes.save_class(g.user, now(), _body())
        except DomainError as error:
            return _json_error(self, error)
        return self.response(201, id=item.id, name=item.name)

    def put_headless(self, pk):
        try:
            item = classes.save_class(g.user, now(), _body(), class_id=pk)
        except NotFoundError:
            return self.response_404()
        except DomainError as error:
            return _json_error(self, error)
        return self.response(200, id=item.id, name=item.name)


ENROLLMENT_COLUMNS = ["id", "class_id", "training_class.name", "firm_id", "person_id",
                      "person_kind", "cert_number", "name", "gender", "age", "ethnicity",
                      "position", "unit_name", "phone", "travel", "wechat", "remark", "status",
                      "result", "channel", "created_at"]


class EnrollmentApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `enrollment`: scoped reads (a firm its own, a member itself, staff all); a firm
    admin or member POSTs the manual's form ({class_id, person_kind, name, phone, …}) or
    {class_id, people: [{person_id, phone}]} for ticking; DELETE until the class starts;
    staff `approve`, `reject` (remark) and POST /<id>/result {result: 合格|不合格}."""

    resource_name = "enrollment"
    datamodel = SQLAInterface(Enrollment)
    allow_browser_login = True
    openapi_spec_tag = "Enrollment"
    base_permissions = ["can_get", "can_info", "can_post", "can_delete", "can_act",
                        "can_result"]
    method_permission_name = {"get": "get", "get_list": "get", "info": "info", "post": "post",
                              "delete": "delete", "set_result": "result"}
    permission_labels = {"can_result": "登记培训结果"}
    list_columns = ENROLLMENT_COLUMNS
    show_columns = ENROLLMENT_COLUMNS
    add_columns = ["class_id", "person_kind", "name", "age", "position", "phone", "cert_number",
                   "gender", "ethnicity", "unit_name", "travel", "remark", "wechat"]
    search_columns = ["class_id", "status", "result", "person_kind", "name", "cert_number"]
    order_columns = ["created_at", "name", "status"]
    base_order = ("created_at", "desc")
    machine = review.MACHINE
    verb_commands = review.COMMANDS

    def post_headless(self):
        try:
            data = _body()
            try:
                class_id = int(data.get("class_id"))
            except (TypeError, ValueError):
                raise ValidationError("请提供培训班（class_id）", "class_id") from None
            if "people" in data:
                people = data.get("people")
                if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
                    raise ValidationError("people 须为人员列表", "people")
                rows = enrollment.enroll_ticked(g.user, now(), class_id, people)
                return self.response(201, ids=[r.id for r in rows])
            if data.get("self"):
                row = enrollment.enroll_self(g.user, now(), class_id, phone=data.get("phone"))
            else:
                row = enrollment.enroll(g.user, now(), class_id, data)
        except NotFoundError as error:
            return self.response(404, message=error.message)
        except DomainError as error:
            return _json_error(self, error)
        return self.response(201, id=row.id, status=row.status)

    def delete_headless(self, pk):
        try:
            enrollment.delete_enrollment(g.user, now(), pk)
        except NotFoundError:
            return self.response_404()
        except DomainError as error:
            return _json_error(self, error)
        return self.response(200, message="已删除")

    @expose("/<int:pk>/result", methods=["POST"])
    @protect()
    def set_result(self, pk):
        """Record 合格 / 不合格 (staff, after the class starts); 合格 credits the hours.
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
                    result: {type: string, enum: [合格, 不合格, 尚未参加培训]}
          responses:
            200: {description: the result recorded}
            400: {description: refused, with the reason in Chinese}
            403: {description: not staff}
            404: {description: not a row you may see}
        """
        try:
            row = review.set_result(g.user, now(), pk, _body().get("result"))
        except NotFoundError:
            return self.response_404()
        except DomainError as error:
            return _json_error(self, error)
        return self.response(200, id=row.id, result=row.result)


class WaitlistEntryApi(ScopedModelRestApi):
    """REST `waitlist_entry`: a firm admin's or member's entries (staff all); POST
    {class_id} joins a full class's list; POST /<id>/accept (a firm sends the form's fields)
    and /<id>/decline. `state` is derived from the timestamps."""

    resource_name = "waitlist_entry"
    datamodel = SQLAInterface(WaitlistEntry)
    allow_browser_login = True
    openapi_spec_tag = "Waitlist entry"
    base_permissions = ["can_get", "can_info", "can_post", "can_respond"]
    method_permission_name = {"get": "get", "get_list": "get", "info": "info", "post": "post",
                              "accept": "respond", "decline": "respond"}
    list_columns = ["id", "class_id", "training_class.name", "firm_id", "person_id",
                    "joined_at", "offered_at", "offer_expires_at", "accepted_at", "declined_at",
                    "enrollment_id"]
    show_columns = list_columns
    add_columns = ["class_id"]
    search_columns = ["class_id", "joined_at"]
    order_columns = ["joined_at"]
    base_order = ("joined_at", "asc")

    def post_headless(self):
        try:
            data = _body()
            try:
                class_id = int(data.get("class_id"))
            except (TypeError, ValueError):
                raise ValidationError("请提供培训班（class_id）", "class_id") from None
            entry = waitlist.join(g.user, now(), class_id)
        except NotFoundError as error:
            return self.response(404, message=error.message)
        except DomainError as error:
            return _json_error(self, error)
        return self.response(201, id=entry.id, state=waitlist.state(entry, now()))

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    def accept(self, pk):
        """Accept the seat offered (a member is enrolled; a firm sends the form's fields).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object}
          responses:
            200: {description: enrolled}
            400: {description: refused, with the reason in Chinese}
            404: {description: not a row you may see}
        """
        try:
            body = request.get_json(silent=True)
            row = waitlist.accept(g.user, now(), pk, body if isinstance(body, dict) else None)
        except NotFoundError:
            return self.response_404()
        except DomainError as error:
            return _json_error(self, error)
        return self.response(200, enrollment_id=row.id, status=row.status)

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    def decline(self, pk):
        """Give up the offer, or leave the list.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: declined}
            400: {description: refused, with the reason in Chinese}
            404: {description: not a row you may see}
        """
        try:
            entry = waitlist.decline(g.user, now(), pk)
        except NotFoundError:
            return self.response_404()
        except DomainError as error:
            return _json_error(self, error)
        return self.response(200, id=entry.id, state=waitlist.state(entry, now()))


# --- CLI -------------------------------------------------------------------------------------

def _cli(app) -> None:
    group = app.cli.commands.get("export")
    if group is None:
        group = AppGroup("export", help="导出")
        app.cli.add_command(group)

    @group.command("class-cicpa")
    @click.option("--class", "class_id", required=True, type=int, help="培训班ID")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
                  help="输出的 .xlsx 文件")
    def class_cicpa(class_id, out):
        """Write a class's results in the CICPA upload template (docs/training.md)."""
        item = db.session.get(TrainingClass, class_id) if 0 < class_id < 2**31 else None
        if item is None:
            raise click.ClickException(f"培训班不存在：{class_id}")
        data = exports.cicpa_workbook(db.session, item)
        with open(out, "wb") as handle:
            handle.write(data)
        rows = sum(1 for _ in exports.cicpa_rows(db.session, item)) - 1
        click.echo(f"已导出“{item.name}”的中注协上报名单：{rows}人 → {out}")


def register(appbuilder, app) -> None:
    appbuilder.add_view_no_menu(TrainingView)
    appbuilder.add_view_no_menu(TrainingAdminView)
    for label, href, icon in ((MENU_ENROLL, "/training/classes/", "fa-pencil-square-o"),
                              (MENU_HANDOUTS, "/training/handouts/", "fa-download"),
                              (MENU_WAITLIST, "/training/waitlist/", "fa-hourglass-half"),
                              (MENU_ADMIN, "/training-admin/", "fa-university"),
                              (MENU_RESULTS, "/imports/training_results/", "fa-upload")):
        appbuilder.add_link(label, href=href, icon=icon, category=MENU,
                            category_icon="fa-graduation-cap")
    appbuilder.add_api(TrainingClassApi)
    appbuilder.add_api(EnrollmentApi)
    appbuilder.add_api(WaitlistEntryApi)


_READ = "can_(get|info)"
DOMAIN = Domain(
    name="training",
    register=register,
    permissions={
        STAFF: [["TrainingAdmin", "can_manage"], ["Training", "can_browse"],
                ["TrainingClassApi", "can_(get|info|post|put)"],
                ["EnrollmentApi", "can_(get|info|delete|act|result)"],
                ["WaitlistEntryApi", _READ],
                [f"{MENU}|{MENU_HANDOUTS}|{MENU_ADMIN}|{MENU_RESULTS}", "menu_access"]],
        FIRM_ADMIN: [["Training", "can_(browse|enroll|wait)"],
                     ["TrainingClassApi", _READ],
                     ["EnrollmentApi", "can_(get|info|post|delete)"],
                     ["WaitlistEntryApi", "can_(get|info|post|respond)"],
                     [f"{MENU}|{MENU_ENROLL}|{MENU_HANDOUTS}|{MENU_WAITLIST}", "menu_access"]],
        MEMBER: [["Training", "can_(browse|self|wait)"],
                 ["TrainingClassApi", _READ],
                 ["EnrollmentApi", "can_(get|info|post|delete)"],
                 ["WaitlistEntryApi", "can_(get|info|post|respond)"],
                 [f"{MENU}|{MENU_ENROLL}|{MENU_HANDOUTS}|{MENU_WAITLIST}", "menu_access"]],
    },
    audited={TrainingClass: {"seat_lock"}, Enrollment: set(), WaitlistEntry: set()},
    cli=_cli,
)
