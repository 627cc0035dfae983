"""SMS through Tencent Cloud (issue 27 §4): SMS_PROVIDER=tencent sends outbox_sms rows with
the maintained SDK to a server on loopback speaking the SendSms API (2021-01-11, TC3
signed): the template id per kind and its values, the serial number on the row, retries
with back-off, failures for good, a per-number daily limit, and still nothing sent twice.
Without SMS_PROVIDER the rows wait in the table."""
import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.extensions import db
from app.models import OutboxSms, OutboxStatus
from app.workflows.core import sms, sms_tencent
from app.workflows.core.jobs import JOBS
from tests.helpers import NOW

SECRET_ID, SECRET_KEY = "AKIDtest0000000000000000", "test-secret-key"


class Tencent:
    def __init__(self):
        self.received, self.script = [], []


def _signature_ok(headers, body: bytes) -> bool:
    """TC3-HMAC-SHA256 as Tencent checks it (content-type;host signed)."""
    auth = headers["Authorization"]
    stamp = int(headers["X-TC-Timestamp"])
    date = dt.datetime.fromtimestamp(stamp, dt.timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(["POST", "/", "", f"content-type:{headers['Content-Type']}",
                           f"host:{headers['Host']}", "", "content-type;host",
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date}/sms/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(stamp), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = hmac.new(("TC3" + SECRET_KEY).encode(), date.encode(), hashlib.sha256).digest()
    key = hmac.new(key, b"sms", hashlib.sha256).digest()
    key = hmac.new(key, b"tc3_request", hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return auth == (f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, "
                    f"SignedHeaders=content-type;host, Signature={signature}")


@pytest.fixture
def tencent(app):
    state = Tencent()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            payload = json.loads(body)
            if not _signature_ok(self.headers, body):
                answer = {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "签名错误"}}
            elif state.script and state.script[0] == "RequestError":
                state.script.pop(0)
                answer = {"Error": {"Code": "InternalError.Timeout", "Message": "请求超时"}}
            else:
                code = state.script.pop(0) if state.script else "Ok"
                state.received.append((self.headers["X-TC-Action"], payload))
                answer = {"SendStatusSet": [{
                    "SerialNo": f"2640:{len(state.received):06d}", "PhoneNumber": payload["PhoneNumberSet"][0],
                    "Fee": 1, "SessionContext": payload.get("SessionContext", ""), "Code": code,
                    "Message": "send success" if code == "Ok" else "scripted", "IsoCode": "CN"}]}
            out = json.dumps({"Response": {**answer, "RequestId": "req-1"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = {"SMS_PROVIDER": "tencent", "TENCENT_SECRET_ID": SECRET_ID,
              "TENCENT_SECRET_KEY": SECRET_KEY, "TENCENT_SMS_APP_ID": "1400123456",
              "TENCENT_SMS_SIGN": "北京注协", "TENCENT_SMS_TEMPLATES": "验证码=100001,预约成功=100002,通知=100003",
              "TENCENT_SMS_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
              "SMS_DAILY_LIMIT": 3, "SMS_MAX_ATTEMPTS": 3}
    saved = {k: app.config.get(k) for k in config}
    app.config.update(config)
    try:
        yield state
    finally:
        app.config.update(saved)
        server.shutdown()
        server.server_close()


def _queue(app, mobile="13812345678", text="【北京注协】验证码：246810", kind="验证码",
           params=("246810", 10)):
    with app.app_context():
        row = sms.send_sms(mobile, text, NOW, kind=kind, params=list(params))
        db.session.commit()
        return row.id


def _row(app, pk):
    with app.app_context():
        row = db.session.get(OutboxSms, pk)
        db.session.expunge(row)
        return row


def _deliver(app, now=NOW):
    with app.app_context():
        return JOBS["deliver_sms"].func(now)


def test_without_a_provider_texts_wait_in_the_table(app):
    pk = _queue(app)
    assert _deliver(app) == {}
    assert _row(app, pk).status == OutboxStatus.PENDING


def test_a_code_goes_through_the_sdk_with_its_template_and_values(app, tencent):
    pk = _queue(app)
    counts = _deliver(app)
    assert counts["sent"] == 1
    [(action, payload)] = tencent.received
    assert action == "SendSms"
    assert payload["PhoneNumberSet"] == ["+8613812345678"]
    assert (payload["SmsSdkAppId"], payload["SignName"], payload["TemplateId"]) == (
        "1400123456", "北京注协", "100001")
    assert payload["TemplateParamSet"] == ["246810", "10"]
    row = _row(app, pk)
    assert (row.status, row.provider_ref, row.attempts) == (OutboxStatus.SENT, "2640:000001", 1)
    assert _deliver(app, NOW + dt.timedelta(minutes=5))["sent"] == 0  # never twice


def test_the_appointment_text_uses_its_own_template_and_others_the_generic_one(app, tencent):
    _queue(app, text="张三您好…", kind="预约成功",
           params=["张三", "北京甲会计师事务所", "注册", "2026-12-04 星期五 10:00", "1份注册会计师注册申请表"])
    with app.app_context():
        sms.send_sms("13812345679", "【北京注协】您的转入申请已确认", NOW)
        db.session.commit()
    _deliver(app)
    assert [(p["TemplateId"], p["TemplateParamSet"]) for _a, p in tencent.received] == [
        ("100002", ["张三", "北京甲会计师事务所", "注册", "2026-12-04 星期五 10:00", "1份注册会计师注册申请表"]),
        ("100003", ["【北京注协】您的转入申请已确认"])]


def test_a_busy_provider_is_retried_and_a_wrong_number_fails_for_good(app, tencent):
    busy = _queue(app)
    tencent.script = ["RequestError"]
    assert _deliver(app)["retry"] == 1
    row = _row(app, busy)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "InternalError.Timeout" in row.last_error
    assert row.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert _deliver(app, NOW + dt.timedelta(minutes=2))["sent"] == 1
    wrong = _queue(app, mobile="13900000000")
    tencent.script = ["InvalidParameterValue.IncorrectPhoneNumber"]
    assert _deliver(app, NOW + dt.timedelta(minutes=3))["failed"] == 1
    row = _row(app, wrong)
    assert row.status == OutboxStatus.FAILED and "IncorrectPhoneNumber" in row.last_error


def test_the_daily_limit_per_number(app, tencent):
    ids = [_queue(app) for _ in range(4)]
    other = _queue(app, mobile="13712345678")
    counts = _deliver(app)
    assert (counts["sent"], counts["failed"]) == (4, 1)  # 3 to the first number, 1 to the other
    rows = [_row(app, pk) for pk in ids]
    assert [r.status for r in rows] == [OutboxStatus.SENT] * 3 + [OutboxStatus.FAILED]
    assert "每日上限" in rows[3].last_error
    assert _row(app, other).status == OutboxStatus.SENT
    # the next Beijing day the number may receive texts again
    again = _queue(app)
    assert _deliver(app, NOW + dt.timedelta(days=1))["sent"] == 1
    assert _row(app, again).status == OutboxStatus.SENT


def test_wrong_keys_are_refused_by_the_signature_and_retried(app, tencent):
    pk = _queue(app)
    app.config["TENCENT_SECRET_KEY"] = "not-the-key"
    try:
        assert _deliver(app)["retry"] == 1
    finally:
        app.config["TENCENT_SECRET_KEY"] = SECRET_KEY
    assert "AuthFailure.SignatureFailure" in _row(app, pk).last_error
    assert tencent.received == []
