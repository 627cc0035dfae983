"""协会培训班报名, 讲义下载 and 候补名单 (seed 000 §5.1–§5.2, seed 003) — the pages of firm admins
and members."""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import (Account, Enrollment, Firm, Person, PersonKind, PersonStatus, PersonType,
                        TrainingAudience as Audience, TrainingClass, WaitlistEntry)
from app.roles import MEMBER
from app.views.core.args import paged
from app.views.core.calendar import send_ics
from app.views.core.export import send_table
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now, scoped_id
from app.views.training.common import (FORM_KEYS, MENU_ENROLL, MENU_HANDOUTS, MENU_WAITLIST,
                                       _helpers, _ids)
from app.workflows.core import files
from app.workflows.core.acting import acting_firm_id
from app.workflows.core.scoping import person_id_of, role_names, scoped_select
from app.workflows.training import classes, enrollment, exports, waitlist
from app.workflows.training.calendar import class_event, has_enrollment


def _ticked() -> list[int]:
    """The ids ticked on the form (anything not an id is left out: the command names it)."""
    found = []
    for value in request.form.getlist("person"):
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**31:
            found.append(number)
    return found


class TrainingView(BaseView):
    """协会培训班报名, 讲义下载 and 候补名单 of firm admins and members (staff may look)."""

    route_base = "/training"
    class_permission_name = "Training"
    chinese_name = "CPA专题培训"  # 用户权限 names the view and its permission so
    permission_labels = {"can_browse": "浏览培训班", "can_enroll": "报名", "can_self": "本人报名",
                         "can_wait": "登记候补", "can_respond": "答复候补"}
    default_view = "catalogue"
    method_permission_name = {
        "catalogue": "browse", "intro": "browse", "handouts": "browse", "class_ics": "browse",
        "handout_files": "browse", "handout_download": "browse",
        "enroll_form": "enroll", "tick": "enroll", "cert_lookup": "enroll",
        "class_list": "enroll", "delete": "enroll", "class_list_export": "enroll",
        "enroll_self": "self",
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
            member=is_member, firm=bool(acting_firm_id(actor)), cpa_only=Audience.CPA_ONLY,
            **_helpers())

    @expose("/classes/<int:pk>")
    @has_access
    @scoped_id(TrainingClass)
    def intro(self, pk):
        actor = current_user()
        item = classes.get_class(actor, pk)
        row = classes.catalogue(actor, now(), class_ids=[item.id])[0]
        return self.render_template(
            "training/intro.html", title=item.name, item=item, row=row,
            handouts=classes.handouts_of([item.id])[item.id], firm=bool(acting_firm_id(actor)),
            enrolled=has_enrollment(actor, item.id),
            member=bool(person_id_of(actor)), **_helpers())

    @expose("/classes/<int:pk>/calendar.ics")
    @has_access
    @scoped_id(TrainingClass)
    def class_ics(self, pk):
        """加入日历: an enrolled class as an .ics (refused enrolments cancel it)."""
        return send_ics(class_event(current_user(), pk, now()), f"培训班{pk}.ics")

    @expose("/classes/<int:pk>/enroll", methods=["GET", "POST"])
    @has_access
    @refusals(form="_enroll_page")
    @scoped_id(TrainingClass)
    def enroll_form(self, pk):
        """The manual's 面授班报名 form; after 提交 it is empty again for the next person."""
        if request.method == "POST":
            actor = current_user()
            item = classes.get_class(actor, pk)
            values = {k: (request.form.get(k) or "").strip() for k in FORM_KEYS}
            row = enrollment.enroll(actor, now(), item.id, values)
            flash(f"已为{row.name}报名“{item.name}”，可继续增加报名人员", "success")
            return redirect(url_for(".enroll_form", pk=item.id))
        return self._enroll_page(pk)

    def _enroll_page(self, pk):
        """The form, with what was typed when a submission was refused."""
        actor = current_user()
        item = classes.get_class(actor, pk)
        values = {"person_kind": PersonKind.CPA}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip() for k in FORM_KEYS}
        row = classes.catalogue(actor, now(), class_ids=[item.id])[0]
        firm_id = acting_firm_id(actor)
        firm = db.session.get(Firm, firm_id) if firm_id else None
        return self.render_template(
            "training/enroll_form.html", title="面授班报名", item=item, row=row, values=values,
            kinds=PersonKind.ALL, cpa_only=Audience.CPA_ONLY, reminder=enrollment.REMINDER,
            firm=firm, **_helpers())

    @expose("/cert-lookup")
    @has_access
    def cert_lookup(self):
        """姓名 and 性别 of a CPA of the firm by 证书编号 (the form fills them as the manual says)."""
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
    @refusals(form="_tick_page")
    @scoped_id(TrainingClass)
    def tick(self, pk):
        """Seed 003: tick several of the firm's CPAs, fill the required fields, 报名."""
        if request.method == "POST":
            actor = current_user()
            item = classes.get_class(actor, pk)
            _ids(request.form.getlist("person"))  # 所选记录无效 if one is not an id
            done = enrollment.enroll_ticked(actor, now(), item.id, self._ticked_rows())
            flash(f"已报名{len(done)}人：{'、'.join(r.name for r in done)}", "success")
            return redirect(url_for(".class_list", pk=item.id))
        return self._tick_page(pk)

    @staticmethod
    def _ticked_rows() -> list[dict]:
        return [{"person_id": pid,
                 "phone": (request.form.get(f"phone_{pid}") or "").strip(),
                 "position": (request.form.get(f"position_{pid}") or "").strip()}
                for pid in sorted(set(_ticked()))]

    def _tick_page(self, pk):
        """The firm's CPAs to tick, with what was ticked and typed when refused."""
        actor = current_user()
        item = classes.get_class(actor, pk)
        chosen, typed = set(), {}
        if request.method == "POST":
            typed = {r["person_id"]: r for r in self._ticked_rows()}
            chosen = set(typed)
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
    def class_list(self, pk):
        """The class's enrollment list — 本单位已报名人员 (seed 000 §5.1): search, 删除 until
        the class starts."""
        actor = current_user()
        item = classes.get_class(actor, pk)
        args = {k: (request.args.get(k) or "").strip()[:64]
                for k in ("cert", "name", "position", "phone")}
        listed = paged(enrollment.class_list_select(
            actor, item.id, **{k: v or None for k, v in args.items()}))
        return self.render_template(
            "training/class_list.html", title=f"{item.name}-报名情况表", item=item,
            **listed.args(), args=args, started=classes.class_started(item, now()),
            page_link=lambda p: url_for(".class_list", pk=item.id, **{**args, "page": p}),
            **_helpers())

    @expose("/classes/<int:pk>/roster/export")
    @has_access
    @scoped_id(TrainingClass)
    def class_list_export(self, pk):
        fmt_ = request.args.get("fmt") or "xlsx"
        if fmt_ not in ("csv", "xlsx"):
            abort(400, description="导出格式须为 xlsx 或 csv")
        actor = current_user()
        item = classes.get_class(actor, pk)
        rows = list(exports.attendance_sheet(actor, item.id))
        return send_table(fmt_, rows, f"{item.name}-报名情况表", sheet="报名情况")

    def _back_to_class_list(self, pk):
        row = db.session.get(Enrollment, pk)
        return url_for(".class_list", pk=row.class_id) if row else url_for(".catalogue")

    @expose("/enrollments/<int:pk>/delete", methods=["POST"])
    @has_access
    @refusals(back=_back_to_class_list)
    @scoped_id(Enrollment)
    def delete(self, pk):
        class_id = enrollment.delete_enrollment(current_user(), now(), pk)
        flash("已删除报名", "success")
        return redirect(url_for(".class_list", pk=class_id))

    @expose("/classes/<int:pk>/self", methods=["POST"])
    @has_access
    @refusals(back=lambda self, pk: url_for(".catalogue"))
    @scoped_id(TrainingClass)
    def enroll_self(self, pk):
        """A CPA enrolls itself (seed 003 part 二)."""
        enrollment.enroll_self(current_user(), now(), pk,
                               phone=(request.form.get("phone") or "").strip() or None)
        flash("报名成功，报名确认状态为“待确认”，协会确认后显示为“已确认”", "success")
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
        places = waitlist.positions(entries, moment)  # one query for the whole list
        machine = waitlist.MACHINE
        return self.render_template(
            "training/waitlist.html", title=MENU_WAITLIST, entries=entries, moment=moment,
            state=lambda e: machine.state(e, moment),
            position=lambda e: places.get(e.id, 0),
            held=lambda e: machine.permits(e, "hold_seat", actor, moment),
            verbs=lambda e: {t.event for t in machine.allowed(e, actor, moment)},
            labels=waitlist.LABELS,
            **_helpers())

    @expose("/classes/<int:pk>/waitlist", methods=["POST"])
    @has_access
    @refusals(back=lambda self, pk: url_for(".catalogue"))
    @scoped_id(TrainingClass)
    def join(self, pk):
        waitlist.join(current_user(), now(), pk)
        flash("已加入候补名单：有名额空出时将按先后顺序通知您，并为您保留48小时", "success")
        return redirect(url_for(".waitlist"))

    @expose("/waitlist/<int:pk>/accept", methods=["POST"])
    @has_access
    @refusals(back=lambda self, pk: url_for(".waitlist"))
    @scoped_id(WaitlistEntry)
    def accept(self, pk):
        actor = current_user()
        # e.g. 当前状态为“已过期”，不能接受名额
        entry = waitlist.offer_to_answer(actor, now(), pk)
        if entry.person_id is None:  # a firm: the form, where the held seat is used
            return redirect(url_for(".enroll_form", pk=entry.class_id))
        waitlist.accept(actor, now(), pk)
        flash("已接受候补名额并完成报名", "success")
        return redirect(url_for(".waitlist"))

    @expose("/waitlist/<int:pk>/decline", methods=["POST"])
    @has_access
    @refusals(back=lambda self, pk: url_for(".waitlist"))
    @scoped_id(WaitlistEntry)
    def decline(self, pk):
        waitlist.decline(current_user(), now(), pk)
        flash("已放弃候补", "success")
        return redirect(url_for(".waitlist"))


def _emails(person_ids) -> dict[int, str]:
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
