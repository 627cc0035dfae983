"""协会代管注册会计师 are their own firm: the first login asks to confirm the mobile on file,
设置 lets them change it (the number the appointment SMS goes to), staff can open a 咨询 with
them, and a notice to 全部事务所 reaches them."""
import pytest

from app.models import ConsultationStatus
from app.models import PersonStatus
from app.extensions import db
from app.models import Consultation, Message, Person, PersonType
from app.workflows import accounts
from tests.helpers import NOW, id_number


def _managed(app, serial, name, phone, cert, *, must_change=True):
    with app.app_context():
        person = Person(person_type=PersonType.CPA, name=name, id_number=id_number(serial),
                        cert_number=cert, phone=phone, firm_id=None, status=PersonStatus.ACTIVE)
        db.session.add(person)
        db.session.flush()
        user = accounts.provision_managed_cpa(person, NOW)
        user.account.must_change_password = must_change
        db.session.commit()
        return person.id, person.id_number


def test_the_first_login_asks_to_confirm_the_mobile_on_file(app, client):
    _pid, password = _managed(app, 941, "吴代管", "13822220941", "110100099941")
    assert client.login("110100099941", password).status_code == 302
    page = client.get("/account/first-login/").get_data(as_text=True)
    assert 'value="13822220941"' in page and "请核对" in page
    bad = client.post_form("/account/first-login/", {
        "mobile": "1382222", "new_password": "abc12345", "repeat": "abc12345"})
    assert "本人手机号应为11位中国大陆手机号码" in bad.get_data(as_text=True)
    done = client.post_form("/account/first-login/", {
        "mobile": "13822229999", "new_password": "abc12345", "repeat": "abc12345"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.query(Person).filter_by(name="吴代管").one().phone == "13822229999"


def test_settings_edits_the_own_mobile(app, world, client):
    _pid, password = _managed(app, 942, "郑代管", "13822220942", "110100099942",
                              must_change=False)
    client.login("110100099942", password)
    page = client.get("/settings/").get_data(as_text=True)
    assert "13822220942" in page and "/settings/mobile/" in page
    taken = client.post_form("/settings/mobile/", {"mobile": "13800000001"})  # 张一's
    text = taken.get_data(as_text=True)
    assert taken.status_code == 400 and "该手机号已被其他人员使用" in text
    assert 'value="13800000001"' in text  # the refused form keeps what was typed
    done = client.post_form("/settings/mobile/", {"mobile": "13822228888"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/settings/")
    with app.app_context():
        assert db.session.query(Person).filter_by(name="郑代管").one().phone == "13822228888"
    # a firm's member and a firm admin have no such page (their firm keeps it)
    for login in (world.member, world.a.admin):
        client.logout()
        client.login(login)
        assert client.get("/settings/mobile/").status_code == 404
        assert "/settings/mobile/" not in client.get("/settings/").get_data(as_text=True)


def test_update_own_mobile_is_refused_for_others(app, world, ctx):
    from app.workflows.accounts import settings
    from app.workflows.core.errors import ForbiddenError
    from tests.registration.common import user
    with pytest.raises(ForbiddenError):
        settings.update_own_mobile(user(ctx, world.member), NOW, "13822227777")


def test_staff_open_a_consultation_with_a_managed_cpa(app, world, make_client):
    pid, password = _managed(app, 943, "王代管", "13822220943", "110100099943",
                             must_change=False)
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/messages/consultation/new").get_data(as_text=True)
    assert "协会代管注册会计师" in page and f'value="person-{pid}"' in page and "王代管" in page
    response = staff.post_form("/messages/consultation/new", data={
        "firm": f"person-{pid}", "business_type": "关系转移", "body": "请补充转所表原件"})
    assert response.status_code == 302
    with app.app_context():
        thread = db.session.query(Consultation).one()
        assert (thread.person_id, thread.firm_id, thread.status) == (pid, None, ConsultationStatus.AWAITING_USER)
        thread_id = thread.id
    cpa = make_client()
    cpa.login("110100099943", password)
    page = cpa.get(f"/messages/consultation/{thread_id}").get_data(as_text=True)
    assert "请补充转所表原件" in page
    # another member does not see it
    other = make_client()
    other.login(world.member)
    assert other.get(f"/messages/consultation/{thread_id}").status_code == 404
    # a person who is not under the institute's care cannot be chosen that way
    refused = staff.post_form("/messages/consultation/new", data={
        "firm": f"person-{world.a_people[0]}", "business_type": "其他", "body": "问"})
    assert "请选择事务所或协会代管注册会计师" in refused.get_data(as_text=True)


def test_a_notice_to_all_firms_reaches_managed_cpas(app, world, ctx):
    from app.models import Audience
    from app.workflows import messages
    from app.workflows.messages.notices import NoticeInput
    from tests.registration.common import user
    pid, _ = _managed(app, 944, "冯代管", "13822220944", "110100099944", must_change=False)
    staff = user(ctx, world.staff)
    notice = messages.save_notice(staff, NOW, NoticeInput(
        title="年检通知", body="<p>请按时年检</p>", audience=Audience.ALL_FIRMS,
        publish_at=NOW, firm_ids=[], person_types=[]))
    messages.publish_notice(notice, NOW)
    ctx.commit()
    reached = {m.user_id for m in ctx.query(Message).filter_by(title="年检通知")}
    assert user(ctx, "110100099944").id in reached
    assert user(ctx, world.a.admin).id in reached and user(ctx, world.b.admin).id in reached
    assert user(ctx, world.member).id not in reached  # a firm's CPA: through its firm
