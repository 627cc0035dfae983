"""网络学习, the member's page (seed 001 §2.2 在线学习 / 推荐学习, seed 002 §3-7): choose one
institute for the year (locked), see its courses with progress (未学习 / 待评价 / 已评价 /
已计学时 and why an evaluated lesson is not counted yet) and, for a 非执业会员, the fee."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app import clock
from app.models import ProgressStatus
from app.views.core.args import int_arg
from app.views.core.refusals import refusals
from app.views.core.scoping import current_user, now
from app.workflows.core.errors import ForbiddenError
from app.workflows.core.scoping import is_institute
from app.workflows.learning import member as learning_member
from app.workflows.learning import rules


class LearningView(BaseView):
    """网络学习 (a 注册会计师 or 非执业会员)."""

    route_base = "/learning"
    class_permission_name = "OnlineLearning"
    chinese_name = "网络学习"
    permission_labels = {"can_study": "选择会计学院"}
    default_view = "index"
    method_permission_name = {"index": "read", "choose": "study"}

    @expose("/")
    @has_access
    def index(self):
        years = rules.years(now())
        year = int_arg("year", years[-1], years[0]) or years[0]
        if is_institute(current_user()):  # staff: 网络学习概况
            return self.render_template(
                "learning/summary.html", title="网络学习概况", rows=learning_member.summary(year),
                years=years, year=year, states=ProgressStatus.LABELS)
        try:
            person = rules.learner_of(current_user())
        except ForbiddenError as error:  # e.g. 其他从业人员: the menu is shared, say why
            return self.render_template("learning/not_learner.html", title="网络学习",
                                        message=error.message)
        view = learning_member.overview(person, year, now())
        institutes = rules.active_institutes() if view.choice is None else []
        return self.render_template(
            "learning/index.html", title="网络学习", view=view, years=years, year=year,
            this_year=years[0], institutes=institutes,
            counts=learning_member.required_count([i.id for i in institutes], year),
            courses={i.id: learning_member.courses_of(i.id, year) for i in institutes},
            local_time=clock.display, locked=rules.LOCKED, states=ProgressStatus.LABELS,
            fee_pay=view.fee is not None and rules.FEE.permits(view.fee, "pay", current_user(),
                                                               now()),
            payment=learning_member.payment_instructions(view.fee)
            if view.fee is not None else None)

    @expose("/choose", methods=["POST"])
    @has_access
    @refusals(back=".index")
    def choose(self):
        user = current_user()
        try:
            rules.learner_of(user)
        except ForbiddenError as error:
            abort(error.status, description=error.message)
        choice = learning_member.choose_institute(user, now(), request.form.get("institute"))
        flash(f"已选择{choice.institute.name}作为{choice.year}年度的学习学院", "success")
        return redirect(url_for(".index"))
