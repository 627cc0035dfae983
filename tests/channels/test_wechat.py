"""微信绑定 and WeChat template messages (issue 27 §3) against a WeChat API on loopback
(tests/channels/wechat_server.py): the QR ticket, the signed event push that binds, 解绑,
the member who binds receiving seed 004 §6's appointment text, the token cache with its
expiry, WeChat's error codes (40001 → fresh token and retry; 45009 → later; 43004 → failed)
and exactly-once delivery when a worker dies mid-send."""
import datetime as dt
import hashlib
import json

import pytest
import segno  # noqa: F401  (the QR on the page is segno's drawing of the ticket url)

from app import clock
from app.extensions import db
from app.models import Account, OutboxStatus, OutboxWechat, WechatToken
from app.views.core.qr import qr_svg
from app.workflows.core import wechat
from app.workflows.core.scoping import SystemActor
from tests.channels import wechat_server
from tests.helpers import NOW

PUSH_TOKEN = "push-token-2026"
CONFIG = {"WECHAT_APP_ID": wechat_server.APP_ID, "WECHAT_APP_SECRET": wechat_server.SECRET,
          "WECHAT_TOKEN": PUSH_TOKEN, "WECHAT_TEMPLATE_PROGRESS": "TPL-PROGRESS",
          "WECHAT_TEMPLATE_NOTICE": "TPL-NOTICE", "WECHAT_TEMPLATE_CONSULTATION": "TPL-CONSULT",
          "WECHAT_TIMEOUT": 5}


@pytest.fixture
def api(app):
    server, state, base = wechat_server.start()
    saved = {k: app.config.get(k) for k in [*CONFIG, "WECHAT_API_BASE"]}
    app.config.update(CONFIG, WECHAT_API_BASE=base)
    try:
        yield state
    finally:
        app.config.update(saved)
        server.shutdown()
        server.server_close()


def _user(username):
    from flask_appbuilder.security.sqla.models import User

    return db.session.query(User).filter_by(username=username).one()


def _signed(timestamp, nonce="n0nce", token=PUSH_TOKEN):
    signature = hashlib.sha1("".join(sorted([token, str(timestamp), nonce])).encode()).hexdigest()
    return f"signature={signature}&timestamp={timestamp}&nonce={nonce}"


def _scan_xml(openid, scene, event="SCAN"):
    key = scene if event == "SCAN" else "qrscene_" + scene
    return (f"<xml><ToUserName><![CDATA[gh_bjicpa]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
            f"</FromUserName><CreateTime>1765000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>")


def _push(client, xml, when=None, **kwargs):
    stamp = int((when or dt.datetime.now(dt.timezone.utc)).timestamp())
    return client.post(f"/wechat/push?{_signed(stamp, **kwargs)}", data=xml.encode(),
                       content_type="text/xml")


def test_without_configuration_wechat_binding_is_hidden(app, world, client):
    client.login(world.member)
    page = client.get("/settings/").get_data(as_text=True)
    assert "微信绑定" not in page and "通知方式" in page
    assert client.get("/settings/wechat/").status_code == 404
    assert client.get(f"/wechat/push?{_signed(1)}&echostr=x").status_code == 404


def test_a_member_binds_by_scanning_the_qr_and_unbinds(app, world, client, api):
    client.login(world.member)
    assert "还没有绑定微信" in client.get("/settings/").get_data(as_text=True)
    response = client.post_form("/settings/wechat/bind/")
    assert response.status_code == 302
    page = client.get("/settings/wechat/").get_data(as_text=True)
    [scene] = api.scenes
    assert scene.startswith("bind:") and len(scene) > 30  # a one-time random token
    with app.test_request_context():
        expected = str(qr_svg("http://weixin.qq.com/q/02bind1", scale=5, title="微信扫码绑定"))
    assert expected in page  # the QR on the page is WeChat's ticket url
    # WeChat checks the URL first (GET with echostr), then pushes the scan event
    stamp = int(dt.datetime.now(dt.timezone.utc).timestamp())
    assert client.get(f"/wechat/push?{_signed(stamp)}&echostr=abc123").get_data(as_text=True) == "abc123"
    assert _push(client, _scan_xml("oOPENID-member", scene), token="forged").status_code == 403
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    assert _push(client, _scan_xml("oOPENID-member", scene), when=old).status_code == 403
    with app.app_context():
        assert _user(world.member).account.wechat_openid is None
    reply = _push(client, _scan_xml("oOPENID-member", scene, event="subscribe"))
    assert reply.status_code == 200 and "绑定成功" in reply.get_data(as_text=True)
    assert "<ToUserName>oOPENID-member</ToUserName>" in reply.get_data(as_text=True)
    with app.app_context():
        account = _user(world.member).account
        assert account.wechat_openid == "oOPENID-member" and account.wechat_bound_at is not None
    assert "已绑定微信" in client.get("/settings/wechat/").get_data(as_text=True)
    # the ticket is spent: scanning it again (with another WeChat) binds nothing
    again = _push(client, _scan_xml("oOTHER", scene)).get_data(as_text=True)
    assert "已失效" in again
    # 解绑
    client.post_form("/settings/wechat/unbind/")
    with app.app_context():
        assert _user(world.member).account.wechat_openid is None


def test_one_wechat_cannot_bind_two_accounts(app, world, api):
    with app.app_context():
        member, admin = _user(world.member), _user(world.a.admin)
        first = wechat.create_bind_ticket(member, NOW)
        second = wechat.create_bind_ticket(admin, NOW)
        tokens = (first.token, second.token)
        wechat.handle_push(SystemActor("微信推送"), NOW, _scan_xml("oSAME", "bind:" + tokens[0]).encode())
        reply = wechat.handle_push(SystemActor("微信推送"), NOW,
                                   _scan_xml("oSAME", "bind:" + tokens[1]).encode())
        assert "该微信已绑定其他账号" in reply
        assert db.session.get(Account, _user(world.a.admin).id).wechat_openid is None


def _bind(app, username, openid):
    with app.app_context():
        account = _user(username).account
        account.wechat_openid, account.wechat_bound_at = openid, NOW
        db.session.commit()


def test_the_member_who_bound_wechat_receives_the_appointment_text_of_seed_004(app, world, api):
    from app.workflows.core import jobs
    from app.workflows.core.jobs import run_job
    from app.workflows.registration import booking
    from tests.registration.common import NOW as BOOKED_AT, register_case, setup_tables
    from app.workflows.registration import cases

    _bind(app, world.member, "oMEMBER-zhang")
    with app.app_context():
        setup_tables(db.session)
        admin, staff = _user(world.a.admin), _user(world.staff)
        case = register_case(db.session, admin, name="张三", serial=611, person_id=world.a_people[0])
        cases.submit(admin, BOOKED_AT, case.id)
        cases.approve(staff, BOOKED_AT, case.id)
        booking.book(admin, BOOKED_AT, [case.id], "2026-12-04", "10:00")
        [row] = db.session.query(OutboxWechat).filter_by(openid="oMEMBER-zhang").all()
        assert row.status == OutboxStatus.PENDING
        run = run_job("deliver_wechat", BOOKED_AT)
        assert (run.outcome, json.loads(run.counts)["sent"]) == (jobs.OK, 1), run.error
    [sent] = [p for p in api.sent if p["touser"] == "oMEMBER-zhang"]
    assert sent["template_id"] == "TPL-PROGRESS"
    name = sent["data"]["remark"]["value"][:2]
    assert sent["data"]["remark"]["value"] == (
        f"{name}您好，您办理的(北京甲会计师事务所（特殊普通合伙）)执业注册会计师注册业务已预约成功，"
        "预约时间为(2026-12-04 星期五 10:00)，请您本人携带(1份注册会计师注册申请表)按时前往"
        "北京注协会员服务部602办理。如未按照预约时间到场可能导致办理时间延长，或当天无法成功办理"
        "(需联系事务所重新预约)")
    assert sent["data"]["first"]["value"] == "【进度提醒】预约成功"
    with app.app_context():
        row = db.session.query(OutboxWechat).filter_by(openid="oMEMBER-zhang").one()
        assert (row.status, row.msgid) == (OutboxStatus.SENT, str(200000 + len(api.sent)))


def _queue(app, username, title="【进度提醒】材料已审核通过"):
    from app.models import MessageKind

    with app.app_context():
        row = wechat.queue_template(_user(username), MessageKind.SYSTEM, title, "请在30天内预约。", NOW)
        db.session.commit()
        return row.id


def _row(app, row_id):
    with app.app_context():
        row = db.session.get(OutboxWechat, row_id)
        db.session.expunge(row)
        return row


def test_the_token_is_cached_until_it_expires_and_refreshed_on_40001(app, world, api):
    _bind(app, world.member, "oM1")
    first = _queue(app, world.member)
    with app.app_context():
        assert wechat.deliver(NOW)["sent"] == 1
        assert api.issued == ["ACCESS_TOKEN_1"]
        token = db.session.get(WechatToken, wechat_server.APP_ID)
        assert token.expires_at == NOW + dt.timedelta(seconds=7200)
    second = _queue(app, world.member)
    with app.app_context():  # an hour later: the cached token still serves
        assert wechat.deliver(NOW + dt.timedelta(hours=1))["sent"] == 1
    assert api.issued == ["ACCESS_TOKEN_1"]
    # WeChat dropped the token early (another server fetched one): 40001 → fetch, retry once
    api.expire_all()
    third = _queue(app, world.member)
    with app.app_context():
        assert wechat.deliver(NOW + dt.timedelta(hours=1))["sent"] == 1
    assert api.issued == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    # past its expiry (less the margin) a new one is fetched before any call
    fourth = _queue(app, world.member)
    with app.app_context():
        assert wechat.deliver(NOW + dt.timedelta(hours=3))["sent"] == 1
    assert api.issued[-1] == "ACCESS_TOKEN_3"
    assert all(_row(app, i).status == OutboxStatus.SENT for i in (first, second, third, fourth))
    assert [p["touser"] for p in api.sent] == ["oM1"] * 4


def test_wechat_error_codes_retry_later_or_fail_for_good(app, world, api):
    _bind(app, world.member, "oM2")
    quota = _queue(app, world.member, "额度")
    with app.app_context():
        api.script = [45009]
        counts = wechat.deliver(NOW)
    assert counts["retry"] == 1 and api.sent == []
    row = _row(app, quota)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at == NOW + wechat.QUOTA_WAIT and "45009" in row.last_error
    with app.app_context():  # not due before then; due after
        assert wechat.deliver(NOW + dt.timedelta(minutes=30))["sent"] == 0
        assert wechat.deliver(NOW + dt.timedelta(hours=2))["sent"] == 1
    gone = _queue(app, world.member, "已取消关注")
    with app.app_context():
        api.script = [43004]
        assert wechat.deliver(NOW + dt.timedelta(hours=2))["failed"] == 1
    row = _row(app, gone)
    assert row.status == OutboxStatus.FAILED and "43004" in row.last_error
    # a wrong secret: the token fetch fails, the row waits for a retry
    wrong = _queue(app, world.member, "密钥错误")
    app.config["WECHAT_APP_SECRET"] = "wrong"
    try:
        with app.app_context():
            db.session.query(WechatToken).delete()
            db.session.commit()
            assert wechat.deliver(NOW + dt.timedelta(hours=2))["failed"] == 1
    finally:
        app.config["WECHAT_APP_SECRET"] = wechat_server.SECRET
    assert "40125" in _row(app, wrong).last_error


def test_a_worker_that_dies_mid_send_never_causes_a_second_send(app, world, api):
    from app.workflows.core import outbox

    _bind(app, world.member, "oM3")
    ids = [_queue(app, world.member, f"消息{i}") for i in range(3)]
    with app.app_context():
        # a worker claims the rows, sends the first, and dies before marking it
        claimed = outbox.claim_due(OutboxWechat, NOW, "dead-host:1:abc")
        assert [r.id for r in claimed] == ids
        wechat.call("/cgi-bin/message/template/send", {"touser": "oM3", "template_id": "T",
                                                      "data": {}}, NOW)
        db.session.commit()
        # the next runs see nothing due: a claimed row is never sent again by itself
        assert wechat.deliver(NOW + dt.timedelta(minutes=1))["sent"] == 0
        assert wechat.deliver(NOW + dt.timedelta(minutes=20))["stuck"] == 3
    assert len(api.sent) == 1
    # staff check and resend the two that never left
    with app.app_context():
        staff = _user(world.staff)
        assert wechat.requeue(staff, NOW + dt.timedelta(minutes=20), ids[1:]) == 2
        assert wechat.deliver(NOW + dt.timedelta(minutes=21))["sent"] == 2
    assert len(api.sent) == 3
    assert [_row(app, i).status for i in ids] == [OutboxStatus.SENDING, OutboxStatus.SENT,
                                                   OutboxStatus.SENT]


def test_template_data_carries_the_whole_text_in_utf8(app, world, api):
    _bind(app, world.member, "oM4")
    _queue(app, world.member, "【协会通知】关于2026年度注册会计师任职资格检查的通知")
    with app.app_context():
        wechat.deliver(NOW)
    [sent] = api.sent
    assert sent["data"]["first"]["value"] == "【协会通知】关于2026年度注册会计师任职资格检查的通知"
    assert sent["data"]["keyword1"]["value"] == "业务进度提醒"
    assert sent["data"]["keyword2"]["value"] == clock.display(NOW)  # Beijing time
