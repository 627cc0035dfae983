"""Tencent Cloud SMS (SMS_PROVIDER=tencent; issue 27 §4): the job deliver_sms sends what
waits in outbox_sms through the maintained SDK (tencentcloud-sdk-python-sms, API
2021-01-11 SendSms), one row at a time, exactly once (app/workflows/core/outbox.py).

Config: TENCENT_SECRET_ID, TENCENT_SECRET_KEY, TENCENT_SMS_APP_ID (SmsSdkAppId),
TENCENT_SMS_SIGN (签名), TENCENT_SMS_TEMPLATES ("验证码=1234567,预约成功=1234568,通知=…":
a template id per kind; "通知" is the generic one), TENCENT_SMS_REGION, TENCENT_SMS_ENDPOINT
(sms.tencentcloudapi.com; a test points it at a server on loopback), SMS_DAILY_LIMIT (texts
per number per Beijing day), SMS_MAX_ATTEMPTS.

Outcomes: Code "Ok" → 已发送 with the SerialNo; a daily limit reached (ours or Tencent's
LimitExceeded.PhoneNumberDailyLimit), a wrong number or template (InvalidParameterValue.*,
FailedOperation.*) → 发送失败 at once; anything else (network, InternalError, the
30-second per-number limit, AuthFailure while an operator fixes the keys) → retried with
back-off until SMS_MAX_ATTEMPTS.
"""
import datetime as dt
import json

from flask import current_app
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import OutboxSms, OutboxStatus
from app.workflows.core import outbox
from app.workflows.core.jobs import job
from app.workflows.core.sms import GENERIC

MAX_ATTEMPTS = 5
DAILY_LIMIT = 10
FINAL_PREFIXES = ("InvalidParameterValue.", "FailedOperation.", "MissingParameter.",
                  "LimitExceeded.PhoneNumberDailyLimit", "UnsupportedOperation.")


ERROR_LABELS = {
    "InvalidParameterValue.IncorrectPhoneNumber": "手机号格式错误",
    "FailedOperation.TemplateIncorrectOrUnapproved": "短信模板未审核通过或内容不符",
    "FailedOperation.SignatureIncorrectOrUnapproved": "短信签名未审核通过或不符",
    "FailedOperation.InsufficientBalanceInSmsPackage": "短信套餐包余量不足",
    "LimitExceeded.PhoneNumberDailyLimit": "该号码今日接收短信已达腾讯云上限",
    "LimitExceeded.PhoneNumberThirtySecondLimit": "该号码30秒内接收短信过多",
    "LimitExceeded.PhoneNumberOneHourLimit": "该号码1小时内接收短信过多",
    "AuthFailure.SignatureFailure": "腾讯云密钥错误（签名校验失败）",
    "AuthFailure.SecretIdNotFound": "腾讯云密钥不存在",
    "InternalError.Timeout": "短信服务请求超时",
    "ClientNetworkError": "无法连接短信服务",
    "MissingParameter.Template": "没有配置该类短信的模板ID",
}


class SmsRefused(Exception):
    def __init__(self, code: str, message: str):
        text = ERROR_LABELS.get(code) or f"短信服务商返回错误：{message}"
        super().__init__(f"{text}（错误码 {code}）")
        self.code = code

    @property
    def final(self) -> bool:
        return self.code.startswith(FINAL_PREFIXES)


def templates(config) -> dict[str, str]:
    pairs = (item.partition("=") for item in (config.get("TENCENT_SMS_TEMPLATES") or "").split(","))
    return {k.strip(): v.strip() for k, _, v in pairs if k.strip() and v.strip()}


def enabled(config) -> bool:
    return (config.get("SMS_PROVIDER") or "").strip().lower() == "tencent"


class TencentSms:
    """One SmsClient for a delivery run."""

    def __init__(self, config):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        endpoint = config.get("TENCENT_SMS_ENDPOINT") or "sms.tencentcloudapi.com"
        scheme, _, host = endpoint.rpartition("://")
        profile = HttpProfile(protocol=scheme or "https", endpoint=host,
                              reqTimeout=int(config.get("TENCENT_SMS_TIMEOUT") or 10))
        self.client = sms_client.SmsClient(
            credential.Credential(config.get("TENCENT_SECRET_ID") or "",
                                  config.get("TENCENT_SECRET_KEY") or ""),
            config.get("TENCENT_SMS_REGION") or "ap-guangzhou", ClientProfile(httpProfile=profile))
        self.app_id = config.get("TENCENT_SMS_APP_ID") or ""
        self.sign = config.get("TENCENT_SMS_SIGN") or ""
        self.templates = templates(config)

    def send(self, mobile: str, kind: str, params: list[str]) -> str:
        """The provider's SerialNo; SmsRefused with its code otherwise."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException)
        from tencentcloud.sms.v20210111 import models

        template = self.templates.get(kind) or self.templates.get(GENERIC)
        if not template:
            raise SmsRefused("MissingParameter.Template", f"没有配置“{kind}”短信的模板ID")
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{mobile}"]
        request.SmsSdkAppId, request.SignName, request.TemplateId = self.app_id, self.sign, template
        request.TemplateParamSet = [str(p) for p in params]
        request.SessionContext = kind
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            raise SmsRefused(error.get_code() or "ClientError", error.get_message() or "") from None
        [status] = response.SendStatusSet
        if status.Code != "Ok":
            raise SmsRefused(status.Code, status.Message or "")
        return status.SerialNo


def sent_today(mobile: str, now: dt.datetime) -> int:
    """Texts sent to this number since midnight, Beijing time."""
    midnight = dt.datetime.combine(clock.local_today(now), dt.time(), tzinfo=clock.LOCAL_TZ)
    return db.session.scalar(select(func.count(OutboxSms.id)).where(
        OutboxSms.to_mobile == mobile, OutboxSms.status == OutboxStatus.SENT,
        OutboxSms.sent_at >= midnight)) or 0


def deliver(now: dt.datetime, config, token: str | None = None) -> dict:
    token = token or outbox.run_token()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    rows = [(r.id, r.attempts, r.to_mobile, r.kind or GENERIC,
             json.loads(r.params) if r.params else [r.body])
            for r in outbox.claim_due(OutboxSms, now, token)]
    db.session.rollback()
    if not rows:
        counts["stuck"] = outbox.stuck_count(OutboxSms, now)
        return counts
    provider = TencentSms(config)
    limit = int(config.get("SMS_DAILY_LIMIT") or DAILY_LIMIT)
    max_attempts = int(config.get("SMS_MAX_ATTEMPTS") or MAX_ATTEMPTS)
    for row_id, attempts, mobile, kind, params in rows:
        if sent_today(mobile, now) >= limit:
            outbox.count(counts, outbox.mark_failed(
                OutboxSms, row_id, attempts, token, now,
                f"该号码今日已发送{limit}条短信，达到每日上限，未发送", max_attempts, final=True))
            continue
        try:
            serial = provider.send(mobile, kind, params)
        except SmsRefused as error:
            outbox.count(counts, outbox.mark_failed(OutboxSms, row_id, attempts, token, now,
                                                    str(error), max_attempts, final=error.final))
            continue
        outbox.mark_sent(OutboxSms, row_id, token, now, provider_ref=serial[:64])
        counts["sent"] += 1
    counts["stuck"] = outbox.stuck_count(OutboxSms, now)
    return counts


@job("deliver_sms", schedule="interval:30", description="发送短信（腾讯云短信）",
     labels={"sent": "已发送", "retry": "待重试", "failed": "发送失败", "stuck": "发送中未确认"})
def deliver_sms(now: dt.datetime) -> dict:
    config = current_app.config
    if not enabled(config):
        return {}  # the default: texts wait in outbox_sms
    return deliver(now, config)
