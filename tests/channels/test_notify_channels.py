"""One notify with channels (issue 27 §5): a message lands in the 消息中心 and, once each, on
the channels the user bound and chose in 设置 › 通知方式 (default: mail and WeChat where
bound, no SMS)."""
import re

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Message, MessageKind, OutboxMail, OutboxSms, OutboxWechat, Person
from app.workflows.core.errors import ValidationError
from app.workflows.messages import channels, notify
from tests.channels.test_wechat import CONFIG, api  # noqa: F401  (the loopback fixture)
from tests.helpers import NOW


def _member(app, world):
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.member).one()
        user.account.notify_email = "zhang@member.example"
        user.account.wechat_openid = "oCHANNELS"
        db.session.get(Person, world.a_people[0]).phone = "13912345678"
        db.session.commit()


def _counts():
    return (db.session.query(Message).count(), db.session.query(OutboxMail).count(),
            db.session.query(OutboxSms).count(), db.session.query(OutboxWechat).count())


def test_by_default_mail_and_wechat_once_each_and_no_sms(app, world, api):  # noqa: F811
    _member(app, world)
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.member).one()
        assert channels.bound(user) == {"mail", "sms", "wechat"}
        notify([user], "【进度提醒】材料已审核通过", "请在30天内预约。", NOW)
        db.session.commit()
        assert _counts() == (1, 1, 0, 1)


def test_without_wechat_configured_no_wechat_row(app, world):
    _member(app, world)
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.member).one()
        assert "wechat" not in channels.bound(user)
        notify([user], "标题", "正文", NOW)
        db.session.commit()
        assert _counts() == (1, 1, 0, 0)


def test_the_choices_of_the_notify_page_decide_per_kind(app, world, client, api):  # noqa: F811
    _member(app, world)
    client.login(world.member)
    page = client.get("/settings/notify/").get_data(as_text=True)
    assert "通知方式" in page and "139****5678" in page
    response = client.post_form("/settings/notify/", data={
        f"channels-{MessageKind.SYSTEM}": ["sms"],
        f"channels-{MessageKind.NOTICE}": ["mail", "wechat"],
        f"channels-{MessageKind.CONSULTATION}": []})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.member).one()
        assert channels.preferences(user) == {MessageKind.SYSTEM: {"sms"},
                                              MessageKind.NOTICE: {"mail", "wechat"},
                                              MessageKind.CONSULTATION: set()}
        notify([user], "【进度提醒】已预约", "正文", NOW)
        notify([user], "【咨询回复】", "正文", NOW, kind=MessageKind.CONSULTATION)
        db.session.commit()
        assert _counts() == (2, 0, 1, 0)
        assert db.session.query(OutboxSms).one().body == "【北京注协】【进度提醒】已预约"
        with pytest.raises(ValidationError, match="未知的通知方式"):
            channels.save_preferences(user, NOW, {MessageKind.SYSTEM: ["fax"]})
    page = client.get("/settings/notify/").get_data(as_text=True)
    checked = re.findall(r'name="channels-([^"]+)" value="(\w+)"\s+checked', page)
    assert sorted(checked) == sorted([(MessageKind.SYSTEM, "sms"), (MessageKind.NOTICE, "mail"),
                                      (MessageKind.NOTICE, "wechat")])


def test_the_notify_page_tells_every_unknown_channel_at_once_and_saves_nothing(
        app, world, client):
    client.login(world.member)
    response = client.post_form("/settings/notify/", data={
        f"channels-{MessageKind.SYSTEM}": ["fax"], f"channels-{MessageKind.NOTICE}": ["mail"],
        f"channels-{MessageKind.CONSULTATION}": ["pigeon"]})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "通知方式" in text
    assert "业务进度提醒：未知的通知方式“fax”" in text
    assert "咨询消息：未知的通知方式“pigeon”" in text
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.member).one()
        assert channels.preferences(user)[MessageKind.NOTICE] == channels.DEFAULT  # unsaved
