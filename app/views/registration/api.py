"""REST of 注册业务 — registration_case and appointment (+ /slots), with the machines' verbs."""
from flask import g, request
from flask_appbuilder import expose
from flask_appbuilder.api import protect
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Appointment, RegistrationCase
from app.views.core.args import json_body
from app.views.core.machines import MachineVerbsMixin
from app.views.core.scoping import ScopedModelRestApi, now
from app.workflows.core.errors import Problems, ValidationError
from app.workflows.registration import booking, cases, types as TY
from app.workflows.core.labels import label


# ---- REST ------------------------------------------------------------------------------------

CASE_LABELS = {"case_type": "办理事项", "status": "状态", "name": "姓名", "id_number": "身份证号",
               "cert_number": "注册会计师证号", "mobile": "手机号", "firm_id": "事务所",
               "submitted_at": "提交时间", "approved_at": "审核通过时间", "created_at": "创建时间",
               "answers": "表单内容", "appointment_id": "预约", "version": "版本"}


class RegistrationCaseApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `registration_case`: read in scope; the machine's verbs (submit, withdraw,
    approve, reject, handle, make_certificate, collect)."""

    resource_name = "registration_case"
    datamodel = SQLAInterface(RegistrationCase)
    allow_browser_login = True
    openapi_spec_tag = "Registration case"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = cases.MACHINE
    verb_commands = cases.COMMANDS
    list_columns = ["id", "case_type", "status", "name", "cert_number", "id_number", "firm_id",
                    "submitted_at", "approved_at", "appointment_id", "version"]
    show_columns = list_columns + ["mobile", "answers", "created_at"]
    search_columns = ["case_type", "status", "name", "cert_number"]
    order_columns = ["id", "submitted_at", "approved_at", "status"]
    base_order = ("id", "desc")
    label_columns = CASE_LABELS


class AppointmentApi(MachineVerbsMixin, ScopedModelRestApi):
    """REST `appointment`: `POST /` books {cases: [ids], slot: {date, start}}; `/slots` the
    7-day grid; `/<id>/reschedule` {slot}; verbs cancel and check_in (staff)."""

    resource_name = "appointment"
    datamodel = SQLAInterface(Appointment)
    allow_browser_login = True
    openapi_spec_tag = "Appointment"
    base_permissions = ["can_get", "can_info", "can_book", "can_act"]
    method_permission_name = {"get": "get", "get_list": "get", "info": "info", "post": "book",
                              "slots": "get", "reschedule_slot": "book"}
    machine = booking.MACHINE
    verb_commands = booking.COMMANDS
    list_columns = ["id", "case_type", "day", "start", "end", "seats", "names", "status",
                    "firm_id", "version"]
    show_columns = list_columns + ["created_at"]
    search_columns = ["case_type", "day", "status"]
    order_columns = ["id", "day", "start"]
    base_order = ("day", "desc")
    label_columns = {"case_type": "办理事项", "day": "预约日期", "start": "开始", "end": "结束",
                     "seats": "人数", "names": "姓名", "status": "状态"}

    # a refusal (DomainError) is answered by the app's handler: {message, field?, errors?}
    # with its status, nothing of the refused request kept

    @staticmethod
    def _slot_of(body):
        slot = body.get("slot")
        if not isinstance(slot, dict):
            raise ValidationError("请提供预约时段 slot: {date, start}", "slot")
        return slot.get("date"), slot.get("start")

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Book cases of one type into one slot.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    cases: {type: array, items: {type: integer}}
                    slot: {type: object, properties: {date: {type: string, format: date}, start: {type: string}}}
          responses:
            201:
              description: the appointment
              content: {application/json: {schema: {type: object, required: [id, day, start, seats, status], properties: {id: {type: integer}, day: {type: string, format: date}, start: {type: string}, seats: {type: integer}, status: {type: string}}}}}
            400: {description: refused, with the reason}
            409: {description: the slot is full}
        """
        body = json_body()
        problems, ids, day, start = Problems(), None, None, None
        with problems.field("cases"):
            ids = body.get("cases")
            if not isinstance(ids, list):
                raise ValidationError("请提供要预约的业务 cases: [id, …]", "cases")
        with problems.field("slot"):
            day, start = self._slot_of(body)
        problems.raise_any()  # the shape of the request; the command names the rest at once
        appointment = booking.book(g.user, now(), ids[:50], day, start)
        return self.response(201, id=appointment.id, day=appointment.day.isoformat(),
                             start=appointment.start, seats=appointment.seats,
                             status=label(appointment))

    @expose("/slots", methods=["GET"])
    @protect()
    def slots(self):
        """The next seven days' slots with seats left.
        ---
        get:
          parameters:
          - {in: query, name: type, required: false, schema: {type: string}}
          responses:
            200:
              description: the next seven days, each slot with the seats left
              content: {application/json: {schema: {type: object, required: [days], properties: {type: {type: string, nullable: true}, days: {type: array, items: {type: object, required: [date, weekday, open, slots], properties: {date: {type: string, format: date}, weekday: {type: string}, open: {type: boolean}, slots: {type: array, items: {type: object, properties: {start: {type: string}, end: {type: string}, seats: {type: integer}, left: {type: integer}, noon: {type: string}, late: {type: boolean}}}}}}}}}}}
            400: {description: unknown type}
        """
        case_type = request.args.get("type")
        if case_type and case_type not in TY.ALL:
            return self.response(400, message="办理事项不在可选范围内")
        return self.response(200, type=case_type, days=booking.grid(now()))

    @expose("/<int:pk>/reschedule", methods=["POST"])
    @protect()
    def reschedule_slot(self, pk):
        """改约: the new slot's seats are taken first; a full slot keeps the old booking.
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
                    slot: {type: object, properties: {date: {type: string, format: date}, start: {type: string}}}
          responses:
            200:
              description: the appointment
              content: {application/json: {schema: {type: object, required: [id, day, start, status], properties: {id: {type: integer}, day: {type: string, format: date}, start: {type: string}, status: {type: string}}}}}
            400: {description: refused}
            404: {description: not yours}
            409: {description: the new slot is full}
        """
        day, start = self._slot_of(json_body())
        appointment = booking.reschedule(g.user, now(), pk, day, start)
        return self.response(200, id=appointment.id, day=appointment.day.isoformat(),
                             start=appointment.start, status=label(appointment))
