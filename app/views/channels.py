"""Channels (issue 27): 设置 › 微信绑定 and 设置 › 通知方式 for every signed-in user, WeChat's
push endpoint (/wechat/push, public, signed), and for staff the 短信发送记录 and
微信发送记录 lists beside 邮件发送记录. Without WeChat configured the binding panel, its
pages and the push endpoint do not exist for anyone (404)."""
import re

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_wtf import FlaskForm

from app.clock import display
from app.domains import Domain
from app.extensions import csrf
from app.models import MessageKind, OutboxSms, OutboxWechat
from app.roles import FIRM_ADMIN, MEMBER, MENU_SYSTEM, STAFF
from app.views.core.qr import qr_svg
from app.views.core.refusals import refusals
from app.views.core.scoping import ScopedModelView, current_user, now
from app.workflows.core import sms, wechat
from app.workflows.core.scoping import SystemActor
from app.workflows.messages import channels

MENU_SMS = "短信发送记录"
MENU_WECHAT = "微信发送记录"


class ChannelSettingsView(BaseView):
    """设置 › 微信绑定 and 设置 › 通知方式 (permission `can_access` on `Channels`)."""

    route_base = "/settings"
    class_permission_name = "Channels"
    chinese_name = "通知方式与微信绑定"  # 用户权限 names the view so
    method_permission_name = {name: "access" for name in (
        "wechat", "wechat_bind", "wechat_unbind", "notify")}

    @expose("/wechat/")
    @has_access
    def wechat(self):
        if not wechat.configured():
            abort(404)
        ticket = wechat.open_ticket(g.user, now())
        account = g.user.account
        return self.render_template(
            "channels/wechat.html", title="微信绑定", account=account, ticket=ticket,
            qr=qr_svg(ticket.qr_url, scale=5, title="微信扫码绑定") if ticket else None,
            minutes=int(wechat.TICKET_TTL.total_seconds() // 60))

    @expose("/wechat/bind/", methods=["POST"])
    @has_access
    @refusals(back=".wechat")
    def wechat_bind(self):
        if not wechat.configured():
            abort(404)
        if FlaskForm().validate_on_submit():
            wechat.create_bind_ticket(g.user, now())
        return redirect(url_for(".wechat"))

    @expose("/wechat/unbind/", methods=["POST"])
    @has_access
    @refusals(back=".wechat")
    def wechat_unbind(self):
        if not wechat.configured():
            abort(404)
        if FlaskForm().validate_on_submit():
            wechat.unbind(g.user, now())
            flash("已解除微信绑定", "success")
        return redirect(url_for(".wechat"))

    @expose("/notify/", methods=["GET", "POST"])
    @has_access
    @refusals(form="_notify_form")
    def notify(self):
        form = FlaskForm()
        if request.method == "POST" and form.validate_on_submit():
            choices = {kind: request.form.getlist(f"channels-{kind}") for kind in MessageKind.ALL}
            channels.save_preferences(g.user, now(), choices)
            flash("通知方式已保存", "success")
            return redirect(url_for(".notify"))
        return self._notify_form(form)

    def _notify_form(self, form=None):
        bound = channels.bound(g.user)
        return self.render_template(
            "channels/notify.html", title="通知方式", form=form or FlaskForm(), kinds=channels.KIND_LABELS,
            labels=channels.CHANNELS, chosen=channels.preferences(g.user), bound=bound,
            wechat_enabled=wechat.configured(),
            mobile=sms.mask_mobile(channels.mobile_of(g.user)) if "sms" in bound else "")


class WechatPushView(BaseView):
    """WeChat's server calls this (GET: the URL check; POST: events). Public, signed."""

    route_base = "/wechat"
    chinese_name = "微信推送"

    @expose("/push", methods=["GET", "POST"])
    @csrf.exempt
    def push(self):
        if not wechat.configured():
            abort(404)
        if not wechat.signature_ok(request.args, current_app.config["WECHAT_TOKEN"]):
            abort(403, description="签名校验失败")
        if request.method == "GET":
            return request.args.get("echostr", ""), 200, {"Content-Type": "text/plain"}
        if not wechat.fresh_push(request.args, now()):
            abort(403, description="推送时间超出允许范围")
        # a push refused (unreadable XML) is answered by the app's handler: 400, its message
        reply = wechat.handle_push(SystemActor("微信推送"), now(), request.get_data()[:65536])
        kind = "text/plain" if reply == "success" else "application/xml"
        return reply, 200, {"Content-Type": f"{kind}; charset=utf-8"}


def error_summary(value) -> str:
    """The list shows what happened in Chinese; the detail page adds the provider's code."""
    return re.sub(r"（错误码 [^）]*）$", "", value or "")[:200]


_DATES = {"created_at": display, "next_attempt_at": display, "claimed_at": display,
          "sent_at": display}
_LABELS = {"status": "状态", "attempts": "尝试次数", "next_attempt_at": "下次尝试",
           "claimed_at": "开始发送", "claimed_by": "发送进程", "last_error": "最近错误",
           "created_at": "创建时间", "sent_at": "发送时间", "kind": "消息类型"}


class _Resend:
    requeue = None
    noun = "条"

    @action("resend", "重新发送",
            "将选中的发送失败消息重新放入待发送队列（发送中超过10分钟的消息可能已经送达，请先核实）？",
            "fa-repeat", multiple=True, single=True)
    def resend(self, items):
        items = items if isinstance(items, list) else [items]
        count = type(self).requeue(current_user(), now(), [item.id for item in items])
        if count:
            flash(f"已重新放入待发送队列：{count} {self.noun}", "success")
        if len(items) - count:
            flash(f"{len(items) - count} {self.noun}未处理：只有发送失败（或发送中超过10分钟）的消息可以重新发送",
                  "warning")
        return redirect(self.get_redirect())


class OutboxSmsView(_Resend, ScopedModelView):
    """短信发送记录: every text and its delivery state (a verification code's text is not shown)."""

    datamodel = SQLAInterface(OutboxSms)
    requeue = staticmethod(sms.requeue)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "短信发送记录"
    show_title = "短信详情"
    label_columns = {**_LABELS, "to_mobile": "手机号", "provider_ref": "服务商流水号",
                     "shown_body": "短信内容"}
    list_columns = ["created_at", "to_mobile", "kind", "shown_body", "status", "attempts",
                    "sent_at", "last_error"]
    show_columns = ["created_at", "to_mobile", "kind", "shown_body", "status", "attempts",
                    "next_attempt_at",
                    "claimed_at", "claimed_by", "sent_at", "provider_ref", "last_error"]
    export_columns = show_columns
    search_columns = ["status", "to_mobile", "kind", "created_at", "sent_at"]
    order_columns = ["created_at", "to_mobile", "status", "attempts", "sent_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {**_DATES, "to_mobile": sms.mask_mobile, "last_error": error_summary}


class OutboxWechatView(_Resend, ScopedModelView):
    """微信发送记录: every template message and its delivery state."""

    datamodel = SQLAInterface(OutboxWechat)
    requeue = staticmethod(wechat.requeue)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = "微信发送记录"
    show_title = "微信消息详情"
    label_columns = {**_LABELS, "openid": "接收人 openid", "title": "标题",
                     "template_id": "模板ID", "msgid": "微信消息ID", "url": "跳转链接"}
    list_columns = ["created_at", "title", "kind", "status", "attempts", "sent_at", "last_error"]
    show_columns = ["created_at", "openid", "kind", "title", "template_id", "url", "status",
                    "attempts", "next_attempt_at", "claimed_at", "claimed_by", "sent_at",
                    "msgid", "last_error"]
    export_columns = show_columns
    search_columns = ["status", "kind", "title", "created_at", "sent_at"]
    order_columns = ["created_at", "status", "attempts", "sent_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {**_DATES, "last_error": error_summary}


def _wechat_context():
    return {"wechat_enabled": wechat.configured}


def register(appbuilder, app) -> None:
    appbuilder.add_view_no_menu(ChannelSettingsView)
    appbuilder.add_view_no_menu(WechatPushView)
    appbuilder.add_view(OutboxSmsView, MENU_SMS, icon="fa-mobile", category=MENU_SYSTEM)
    appbuilder.add_view(OutboxWechatView, MENU_WECHAT, icon="fa-weixin", category=MENU_SYSTEM)
    app.context_processor(_wechat_context)


_EVERY_ROLE = [["Channels", "can_access"]]
DOMAIN = Domain(
    name="channels",
    register=register,
    permissions={
        STAFF: _EVERY_ROLE + [
            ["OutboxSmsView|OutboxWechatView", "can_(list|show|export)|resend"],
            [f"{MENU_SMS}|{MENU_WECHAT}", "menu_access"]],
        FIRM_ADMIN: _EVERY_ROLE, MEMBER: _EVERY_ROLE},
)
