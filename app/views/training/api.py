"""REST of CPA专题培训: training_class, enrollment (verbs approve, reject; POST /<id>/result), waitlist_entry (accept, decline)."""
from flask import g, request
from flask_appbuilder import expose
from flask_appbuilder.api import protect
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Enrollment, TrainingClass, WaitlistEntry
from app.views.core.args import json_body as _body
from app.views.core.machines import MachineVerbsMixin
from app.views.core.scoping import ScopedModelRestApi, now
from app.workflows.core.errors import ValidationError
from app.workflows.core.labels import label
from app.workflows.training import classes, enrollment, review, waitlist

# A refusal (DomainError) is answered with its status and the one JSON body {message, field?,
# errors?}: by the app's handler (app/views/core/hardening.py) for the verbs exposed here, by
# ScopedModelRestApi._domain_errors for the create/update/delete FAB runs under its @safe.


def _class_id(data: dict) -> int:
    try:
        return int(data.get("class_id"))
    except (TypeError, ValueError):
        raise ValidationError("请提供培训班（class_id）", "class_id") from None


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
        return self._domain_errors(self._save)

    def put_headless(self, pk):
        return self._domain_errors(self._save, pk)

    def _save(self, pk=None):
        item = classes.save_class(g.user, now(), _body(), class_id=pk)
        return self.response(201 if pk is None else 200, id=item.id, name=item.name)


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
        return self._domain_errors(self._enroll)

    def delete_headless(self, pk):
        return self._domain_errors(self._delete, pk)

    def _enroll(self):
        data = _body()
        class_id = _class_id(data)
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
        return self.response(201, id=row.id, status=label(row))

    def _delete(self, pk):
        enrollment.delete_enrollment(g.user, now(), pk)
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
            200:
              description: the result recorded
              content: {application/json: {schema: {type: object, required: [id], properties: {id: {type: integer}, result: {type: string, nullable: true}}}}}
            400: {description: refused, with the reason in Chinese}
            403: {description: not staff}
            404: {description: not a row you may see}
        """
        row = review.set_result(g.user, now(), pk, _body().get("result"))
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
        return self._domain_errors(self._join)

    def _join(self):
        entry = waitlist.join(g.user, now(), _class_id(_body()))
        return self.response(201, id=entry.id, state=label(entry, now=now()))

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
            200:
              description: enrolled
              content: {application/json: {schema: {type: object, required: [enrollment_id, status], properties: {enrollment_id: {type: integer}, status: {type: string}}}}}
            400: {description: refused, with the reason in Chinese}
            404: {description: not a row you may see}
        """
        body = request.get_json(silent=True)
        row = waitlist.accept(g.user, now(), pk, body if isinstance(body, dict) else None)
        return self.response(200, enrollment_id=row.id, status=label(row))

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    def decline(self, pk):
        """Give up the offer, or leave the list.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: declined
              content: {application/json: {schema: {type: object, required: [id, state], properties: {id: {type: integer}, state: {type: string}}}}}
            400: {description: refused, with the reason in Chinese}
            404: {description: not a row you may see}
        """
        entry = waitlist.decline(g.user, now(), pk)
        return self.response(200, id=entry.id, state=label(entry, now=now()))
