"""Province-neutral (issue 25 item 8): the institute's name, short name, address and phone
come from configuration — the Beijing values are the defaults; another institute's values
reach pages, messages and PDFs without a code change."""
import pytest

from app.extensions import db
from app.models import OutboxSms
from app.workflows.accounts import codes
from app.workflows.core.institute import identity
from app.workflows.registration import documents
from tests.helpers import NOW

OTHER = {"INSTITUTE_NAME": "上海市注册会计师协会", "INSTITUTE_SHORT_NAME": "上海注协",
         "INSTITUTE_ABBREVIATION": "上注协", "INSTITUTE_ADDRESS": "上海市示例路1号",
         "INSTITUTE_SERVICE_DESK": "上海注协服务大厅", "INSTITUTE_PHONE": "021-12345678",
         "INSTITUTE_CONTACT": "王老师"}


@pytest.fixture
def shanghai(app, monkeypatch):
    for key, value in OTHER.items():
        monkeypatch.setitem(app.config, key, value)


def test_the_beijing_values_are_the_defaults(ctx):
    beijing = identity()
    assert (beijing.name, beijing.short_name, beijing.abbreviation) == (
        "北京注册会计师协会", "北京注协", "北注协")
    assert beijing.address == "北京市海淀区西四环中路16号院7号楼602室"
    assert beijing.service_desk == "北京注协会员服务部602" and beijing.sms_prefix == "【北京注协】"


def test_another_institute_is_shown_on_a_page_and_in_a_message(app, world, client, shanghai):
    client.login(world.staff)
    page = client.get("/help/assistant/").get_data(as_text=True)
    assert "我是上海注协智能客服" in page and "北京注协" not in page
    with app.app_context():
        codes.text_issued("246810", "13812345678", NOW, doing="找回密码")
        db.session.commit()
        sms = db.session.query(OutboxSms).one()
        assert sms.body.startswith("【上海注协】您正在找回密码") and "北京" not in sms.body
        notes = " ".join(documents.cancel_notes()) + documents.onsite_note()
        assert "上海市示例路1号" in notes and "王老师，021-12345678" in notes
