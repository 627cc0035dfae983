"""人员转入确认 (the person) and 人员转入审核 (staff): the consent step of a move between
firms that a roster import asked for (app/workflows/transfers.py)."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access

from app import clock, roles
from app.extensions import db
from app.models import PersonTransfer
from app.views.scoping import ScopedModelView, current_user, now
from app.workflows import transfers
from app.workflows.core.errors import DomainError, NotFoundError


def _local(value):
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


class TransferConfirmView(BaseView):
    """The signed-in person's pending transfers: 确认转入 / 拒绝."""

    route_base = "/transfers"
    class_permission_name = "TransferConfirm"
    method_permission_name = {"index": "access", "decide": "access"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        user = current_user()
        pending = transfers.pending_for(user, now())
        return self.render_template(
            "transfers/confirm.html", title=roles.MENU_TRANSFER_CONFIRM, pending=pending,
            local=_local, can_confirm=lambda t: transfers.can_confirm_itself(user, t))

    @expose("/<int:pk>/<string:decision>", methods=["POST"])
    @has_access
    def decide(self, pk, decision):
        user = current_user()
        call = {"confirm": transfers.confirm, "refuse": transfers.refuse}.get(decision)
        if call is None:
            abort(404)
        try:
            call(user, now(), pk)
            db.session.commit()
        except NotFoundError:
            db.session.rollback()
            abort(404)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash("已确认转入" if decision == "confirm" else "已拒绝转入，您的信息保持不变",
                  "success")
        return redirect(url_for(".index"))


def _decide(items, call, label):
    items = items if isinstance(items, list) else [items]
    done = 0
    for item in items:
        try:
            call(current_user(), now(), item.id, request.form.get("remark"))
            db.session.commit()
            done += 1
        except DomainError as error:
            db.session.rollback()
            flash(f"{item.person.name}：{error.message}", "danger")
    if done:
        flash(f"已{label} {done} 条转入申请", "success")


class PersonTransferView(ScopedModelView):
    """人员转入审核 (staff): every move a roster import asked for, with its outcome."""

    datamodel = SQLAInterface(PersonTransfer)
    base_permissions = ["can_list", "can_show", "can_export", "can_decide"]
    method_permission_name = {"approve": "decide", "decline": "decide"}
    list_title = "人员转入审核"
    show_title = "转入申请详情"
    label_columns = {"person": "人员", "person.phone": "手机号", "from_firm": "原单位",
                     "to_firm": "申请转入单位", "position": "新单位填写的职位",
                     "person_type": "新单位填写的类型", "requested_at": "申请时间",
                     "expires_at": "有效期至", "status": "状态", "decided_at": "处理时间",
                     "remark": "说明"}
    list_columns = ["person", "person.phone", "from_firm", "to_firm", "position", "requested_at",
                    "expires_at", "status"]
    show_columns = list_columns + ["person_type", "decided_at", "remark"]
    export_columns = show_columns
    search_columns = ["person", "from_firm", "to_firm", "status", "requested_at"]
    order_columns = ["requested_at", "expires_at", "status"]
    base_order = ("requested_at", "desc")
    formatters_columns = {"requested_at": _local, "expires_at": _local, "decided_at": _local,
                          "from_firm": lambda f: f.name if f else "协会代管"}

    @action("approve", "批准转入", "确定批准所选人员转入申请的单位吗？", "fa-check")
    def approve(self, items):
        _decide(items, transfers.approve, "批准")
        return redirect(self.get_redirect())

    @action("decline", "不予批准", "确定不批准所选转入申请吗？人员将留在原单位。", "fa-times")
    def decline(self, items):
        _decide(items, transfers.decline, "不批准")
        return redirect(self.get_redirect())


def register(appbuilder, app) -> None:
    appbuilder.add_view(TransferConfirmView, roles.MENU_TRANSFER_CONFIRM, href="/transfers/",
                        icon="fa-exchange", category=roles.MENU_MEMBERS)
    appbuilder.add_view(PersonTransferView, roles.MENU_TRANSFER_REVIEW, icon="fa-exchange",
                        category=roles.MENU_MEMBERS)
