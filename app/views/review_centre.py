"""审核中心 (staff, issue 26): every queue waiting on the institute on one page, decided
one queue at a time in bulk with a reason. Thin: the queues and decisions are
app/workflows/review_centre.py, which reads each domain's declared queues."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import Firm
from app.roles import STAFF
from app.views.core.args import int_arg, shown_versions
from app.views.core.machines import flash_outcomes
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now
from app.workflows import review_centre
from app.workflows.core.errors import ValidationError

MENU_REVIEW_CENTRE = "审核中心"


def _kinds() -> list[str]:
    return [k for k in request.args.getlist("kind") if k][:20]


def _ids() -> list[int]:
    ids = []
    for value in request.form.getlist("ids"):
        if not value.isdigit() or len(value) > 9:
            raise ValidationError("所选事项编号无效", "ids")
        ids.append(int(value))
    return ids


class ReviewCentreView(BaseView):
    """审核中心: counts per queue, items oldest first (days waited, past due in red),
    filters by firm and kind, bulk decisions with a reason."""

    route_base = "/review-centre"
    class_permission_name = "ReviewCentre"
    chinese_name = MENU_REVIEW_CENTRE
    permission_labels = {"can_review": "审核"}
    method_permission_name = {"index": "review", "decide": "review"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        firm_id = int_arg("firm", 1, 2 ** 31 - 1)
        kinds = _kinds()
        queues = review_centre.assemble(current_user(), now(), firm_id=firm_id, kinds=kinds)
        firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).order_by(Firm.code)
                                   .limit(500)).all()
        return self.render_template(
            "review_centre/index.html", title=MENU_REVIEW_CENTRE, queues=queues,
            firms=firms, firm_id=firm_id, kinds=kinds, groups=review_centre.groups(),
            every=review_centre.chosen(), total=sum(q.count for q in queues),
            local_time=clock.display, back=request.full_path)

    @expose("/decide", methods=["POST"])
    @has_access
    @refusals(back="referrer")
    def decide(self):
        """One decision on the ticked items of one queue: each item's outcome flashed."""
        queue, event = request.form.get("queue") or "", request.form.get("decision") or ""
        ids = _ids()
        if not ids:
            flash("请先勾选要处理的事项", "warning")
            return redirect(self._back())
        result = review_centre.decide(current_user(), now(), queue, event, ids,
                                      remark=request.form.get("remark"),
                                      versions=shown_versions())
        flash_outcomes(result, f"已{review_centre.decision_label(queue, event)} {{n}} 项")
        return redirect(self._back())

    def _back(self) -> str:
        back = request.form.get("back") or ""
        return back if back.startswith("/review-centre/") else url_for(".index")


QUEUE_SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "label": {"type": "string"}, "group": {"type": "string"},
    "count": {"type": "integer"}, "past_due": {"type": "integer"},
    "oldest_days": {"type": "integer", "nullable": True},
    "decisions": {"type": "array", "items": {"type": "object"}},
    "items": {"type": "array", "items": {"type": "object"}}}}


class ReviewCentreApi(BaseApi):
    """REST of the 审核中心: `GET /api/v1/review_centre/` the queues, `POST
    /api/v1/review_centre/decide` one bulk decision (each item's outcome in the answer)."""

    resource_name = "review_centre"
    class_permission_name = "ReviewCentreApi"
    chinese_name = "审核中心接口"
    method_permission_name = {"queues": "get", "decide": "act"}
    allow_browser_login = True
    openapi_spec_tag = "Review centre"

    @expose("/", methods=["GET"])
    @protect()
    def queues(self):
        """Every queue waiting on the institute, its count and oldest items.
        ---
        get:
          parameters:
          - {in: query, name: firm, schema: {type: integer}}
          - {in: query, name: kind, schema: {type: string}}
          responses:
            200:
              description: the queues, oldest items first
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      queues: {type: array, items: {type: object}}
        """
        # a refusal (DomainError) is answered by the app's one handler: {message} + status
        queues = review_centre.assemble(current_user(), now(), firm_id=int_arg(
            "firm", 1, 2 ** 31 - 1), kinds=_kinds())
        return self.response(200, queues=[{
            "name": q.name, "label": q.label, "group": q.group, "count": q.count,
            "past_due": q.past_due, "oldest_days": q.oldest_days,
            "decisions": [{"event": e, "label": label, "remark": r}
                          for e, label, r in q.decisions],
            "items": [{"id": i.id, "title": i.title, "firm": i.firm,
                       "since": clock.display(i.since), "days": i.days,
                       "past_due": i.past_due, "version": i.version, "link": i.link}
                      for i in q.items]} for q in queues])

    @expose("/decide", methods=["POST"])
    @protect()
    def decide(self):
        """One decision on several items of one queue (each item its own outcome).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [queue, decision, ids]
                  properties:
                    queue: {type: string}
                    decision: {type: string}
                    ids: {type: array, items: {type: integer}}
                    remark: {type: string}
                    versions: {type: object, additionalProperties: {type: integer}}
          responses:
            200:
              description: each item done, refused (why) or taken (decided by someone else)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      done: {type: integer}
                      refused: {type: integer}
                      taken: {type: integer}
                      outcomes: {type: array, items: {type: object}}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationError("请求须为 JSON 对象")
        ids, versions, remark = body.get("ids"), body.get("versions") or {}, body.get("remark")
        if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValidationError("ids 须为整数列表", "ids")
        if not isinstance(versions, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in versions.values()):
            raise ValidationError("versions 须为 {编号: 版本号}", "versions")
        if remark is not None and not isinstance(remark, str):
            raise ValidationError("remark（原因）须为文本", "remark")
        try:
            versions = {int(k): v for k, v in versions.items()}
        except ValueError:
            raise ValidationError("versions 须为 {编号: 版本号}", "versions") from None
        result = review_centre.decide(current_user(), now(), str(body.get("queue") or ""),
                                      str(body.get("decision") or ""), ids, remark=remark,
                                      versions=versions)
        return self.response(200, **result.as_json())


def register(appbuilder, app) -> None:
    appbuilder.add_view(ReviewCentreView, MENU_REVIEW_CENTRE, href="/review-centre/",
                        icon="fa-check-square-o")
    appbuilder.add_api(ReviewCentreApi)


DOMAIN = Domain(
    name="review_centre",
    register=register,
    permissions={STAFF: [["ReviewCentre", "can_review"], ["ReviewCentreApi", "can_(get|act)"],
                         [MENU_REVIEW_CENTRE, "menu_access"]]},
)
