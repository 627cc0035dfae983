"""网络学习 REST (DESIGN §6): `lesson_progress` (read in scope; the institute's LMS posts
`completion` and `evaluation`), `learning_choice` (read in scope: an institute's LMS sees who
chose it), `learning_fee` (read in scope; staff's verbs mark_paid / unmark_paid)."""
from flask import g
from flask_appbuilder import expose
from flask_appbuilder.api import permission_name
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect

from app import clock
from app.models import InstituteChoice, LearningFee, LessonProgress
from app.views.core.args import json_body
from app.views.core.machines import MachineVerbsMixin
from app.views.core.scoping import ScopedModelRestApi, now
from app.workflows.core.labels import label
from app.workflows.learning import fees, lms, rules


class LessonProgressApi(ScopedModelRestApi):
    """学习进度: staff read all, a firm admin its firm's people, a member its own, an
    institute's LMS its own learners; the LMS reports completions and evaluations."""

    resource_name = "lesson_progress"
    datamodel = SQLAInterface(LessonProgress)
    allow_browser_login = True
    openapi_spec_tag = "Lesson progress"
    base_permissions = ["can_get", "can_info", "can_report"]
    list_columns = ["id", "person_id", "person.name", "person.cert_number", "year",
                    "institute_id", "course_id", "course.code", "course.title", "course.hours",
                    "status", "completed_at", "evaluated_at", "score", "credited_at"]
    show_columns = list_columns + ["comment"]
    search_columns = ["person_id", "year", "institute_id", "course_id", "status"]
    order_columns = ["year", "completed_at", "evaluated_at"]
    base_order = ("id", "desc")

    def _report(self, call, fields: tuple):
        """Call the LMS command with the body's `fields`; a refusal is answered by the app's
        handler as {message, field} with its status."""
        body = json_body()
        row = call(g.user, now(), **{k: body.get(k) for k in fields})
        message = {rules.ProgressStatus.TO_EVALUATE: "已记录学完，待学员评价",
                   rules.ProgressStatus.EVALUATED: "已记录评价，次日计入学时",
                   rules.ProgressStatus.CREDITED: "该课程已计入学时"}[row.status]
        return self.response(200, id=row.id, status=label(row), message=message,
                             completed_at=clock.display(row.completed_at),
                             evaluated_at=clock.display(row.evaluated_at))

    @expose("/completion", methods=["POST"])
    @protect()
    @permission_name("report")
    def completion(self):
        """The institute's LMS: a learner finished a lesson.
        ---
        post:
          summary: 报送学完课程（会计学院接口账号）
          description: >-
            学员须在该年度选择了本学院；同一课程重复报送不重复记录。completed_at 为 ISO 8601
            时间（缺省为当前时间），须在该年度内。
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [cert_number, year, course_code]
                  properties:
                    cert_number: {type: string, description: 证书编号}
                    year: {type: integer, description: 学习年度}
                    course_code: {type: string, description: 课程编号}
                    completed_at: {type: string, description: 完成时间}
          responses:
            200:
              description: recorded (or already recorded)
              content: {application/json: {schema: {type: object, required: [id, status, message], properties: {id: {type: integer}, status: {type: string}, message: {type: string}, completed_at: {type: string, nullable: true}, evaluated_at: {type: string, nullable: true}}}}}
            400: {description: "a field is missing or wrong: {message, field} in Chinese"}
            403: {description: "the learner did not choose your institute that year; nothing written"}
            404: {description: "your institute has no course with that code that year"}
        """
        return self._report(lms.report_completion,
                            ("cert_number", "year", "course_code", "completed_at"))

    @expose("/evaluation", methods=["POST"])
    @protect()
    @permission_name("report")
    def evaluation(self):
        """The institute's LMS: a learner evaluated a finished lesson (评价).
        ---
        post:
          summary: 报送课程评价（会计学院接口账号）
          description: >-
            评价后的课程由次日的定时任务计入学时；未学完的课程不能评价；重复评价以第一次为准。
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [cert_number, year, course_code, score]
                  properties:
                    cert_number: {type: string, description: 证书编号}
                    year: {type: integer, description: 学习年度}
                    course_code: {type: string, description: 课程编号}
                    score: {type: integer, minimum: 1, maximum: 5, description: 评分}
                    comment: {type: string, description: 评价内容}
                    evaluated_at: {type: string, description: 评价时间}
          responses:
            200:
              description: recorded (or already recorded)
              content: {application/json: {schema: {type: object, required: [id, status, message], properties: {id: {type: integer}, status: {type: string}, message: {type: string}, completed_at: {type: string, nullable: true}, evaluated_at: {type: string, nullable: true}}}}}
            400: {description: "a field is missing or wrong: {message, field} in Chinese"}
            403: {description: "the learner did not choose your institute that year; nothing written"}
            404: {description: "your institute has no course with that code that year"}
        """
        return self._report(lms.report_evaluation, ("cert_number", "year", "course_code",
                                                      "score", "comment", "evaluated_at"))


class InstituteChoiceApi(ScopedModelRestApi):
    """学院选择: who chose which institute (an institute's LMS: who chose it)."""

    resource_name = "learning_choice"
    datamodel = SQLAInterface(InstituteChoice)
    allow_browser_login = True
    openapi_spec_tag = "Learning choice"
    base_permissions = ["can_get", "can_info"]
    list_columns = ["id", "person_id", "person.name", "person.cert_number",
                    "person.person_type", "year", "institute_id", "institute.name", "chosen_at"]
    show_columns = list_columns
    search_columns = ["person_id", "year", "institute_id"]
    order_columns = ["year", "chosen_at"]
    base_order = ("id", "desc")


class LearningFeeApi(MachineVerbsMixin, ScopedModelRestApi):
    """学习费用: read in scope; staff confirm receipt (mark_paid) or take it back."""

    resource_name = "learning_fee"
    datamodel = SQLAInterface(LearningFee)
    allow_browser_login = True
    openapi_spec_tag = "Learning fee"
    base_permissions = ["can_get", "can_info", "can_act"]
    machine = rules.FEE
    verb_commands = fees.FEE_COMMANDS
    list_columns = ["id", "person_id", "person.name", "person.cert_number", "year",
                    "institute_id", "institute.name", "amount", "status", "created_at",
                    "paid_at", "receipt", "version"]
    show_columns = list_columns
    search_columns = ["person_id", "year", "institute_id", "status"]
    order_columns = ["year", "created_at", "paid_at"]
    base_order = ("id", "desc")
