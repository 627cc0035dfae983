"""A button or menu entry is shown only to whom it works for (issue 23, item 8).

Team rule: 「a button is shown only to whom it works for」. Seed 003 part 二: a 注册会计师
enrolls itself; a 非执业会员 or 其他从业人员 is enrolled by its firm's administrator
(enrollment.enroll_self: 「只有持有证书编号的注册会计师可以自行报名」). 学时申请 is for
注册会计师 and 非执业会员 only (applications.rules.applicant_of: 「只有注册会计师和非执业会员可以
申请学时」). One mechanism (app/views/core/visibility.only_for) serves menus and buttons.
"""
from unittest import mock

from app.extensions import db
from app.models import Person, PersonType
from app.roles import MEMBER
from app.workflows import accounts
from tests.helpers import NOW, PASSWORD, make_person
from tests.training.common import make_class


def _member(app, firm_id, name, kind, phone, serial, cert=None):
    person_id = make_person(app, firm_id, name, person_type=kind, phone=phone, serial=serial,
                            cert_number=cert)
    with app.app_context():
        person = db.session.get(Person, person_id)
        accounts.create_account(username="kj" + phone, display_name=name, role_name=MEMBER,
                                password=PASSWORD, now=NOW, firm=person.firm, person=person,
                                must_change_password=False)
        db.session.commit()
    return "kj" + phone


def _pages(make_client, login, cls):
    client = make_client()
    assert client.login(login).status_code == 302 and client.signed_in
    with mock.patch("app.clock.now", return_value=NOW):
        home = client.get("/").get_data(as_text=True)
        catalogue = client.get("/training/classes/").get_data(as_text=True)
        applications = client.get("/applications/")
    return home, catalogue, applications


def test_other_staff_meet_no_enroll_button_no_waitlist_and_no_hour_applications(
        app, world, make_client):
    with app.app_context():
        cls = make_class()
    other = _member(app, world.a.id, "周其他", PersonType.OTHER, "13700000011", 311)
    home, catalogue, applications = _pages(make_client, other, cls)
    assert f"/training/classes/{cls}/self" not in catalogue
    assert "由本所管理员报名" in catalogue
    assert 'href="/training/waitlist/"' not in home
    assert 'href="/applications/"' not in home and "我的学时申请" not in home
    assert 'href="/learning/"' not in home  # learner_of: 注册会计师 and 非执业会员 only
    text = applications.get_data(as_text=True)
    assert 'id="new-' not in text and "只有注册会计师和非执业会员可以申请学时" in text


def test_a_non_practising_member_files_hours_but_is_enrolled_by_its_firm(
        app, world, make_client):
    with app.app_context():
        cls = make_class()
        make_class(name="注册会计师专场", audience="注册会计师")
    login = _member(app, world.a.id, "吴非执", PersonType.NON_PRACTICING, "13700000012", 312,
                    cert="210000000312")
    home, catalogue, applications = _pages(make_client, login, cls)
    assert f"/training/classes/{cls}/self" not in catalogue and "由本所管理员报名" in catalogue
    assert catalogue.count("由本所管理员报名") == 1 and "仅限注册会计师" in catalogue
    assert 'href="/applications/"' in home and "我的学时申请" in home
    assert 'href="/learning/"' in home
    assert 'id="new-' in applications.get_data(as_text=True)


def test_a_cpa_sees_its_enroll_button_menus_and_new_buttons(app, world, make_client):
    with app.app_context():
        cls = make_class()
    home, catalogue, applications = _pages(make_client, world.member, cls)
    assert f"/training/classes/{cls}/self" in catalogue and "由本所管理员报名" not in catalogue
    assert 'href="/training/waitlist/"' in home and 'href="/applications/"' in home
    assert 'id="new-' in applications.get_data(as_text=True)


def test_staff_keep_the_hour_application_menu_and_see_no_new_buttons(app, world, make_client):
    client = make_client()
    client.login(world.staff)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/applications/review/"' in home  # the 学时申请 category stays for staff
    assert 'id="new-' not in client.get("/applications/").get_data(as_text=True)


def test_a_cpa_only_class_offers_the_firm_no_other_kind(app, world, make_client):
    """A class 只允许注册会计师报名 (enrollment.CPA_ONLY): the firm's form offers no 其他."""
    with app.app_context():
        open_to_all = make_class()
        cpa_only = make_class(name="注册会计师专场", audience="注册会计师")
    client = make_client()
    client.login(world.a.admin)
    with mock.patch("app.clock.now", return_value=NOW):
        both = client.get(f"/training/classes/{open_to_all}/enroll").get_data(as_text=True)
        only = client.get(f"/training/classes/{cpa_only}/enroll").get_data(as_text=True)
    assert 'name="person_kind" value="其他"' in both
    assert 'name="person_kind" value="其他"' not in only
    assert 'name="person_kind" value="注册会计师"' in only


def test_every_page_says_it_is_chinese(app, world, make_client):
    """`<html>` carried no lang (issue 23, small things): every page, the login page, a list,
    a custom page and an error page, says lang="zh-CN"."""
    client = make_client()
    assert '<html lang="zh-CN">' in client.get("/login/").get_data(as_text=True)
    client.login(world.staff)
    for path in ("/", "/personview/list/", "/training-admin/", "/no-such-page/"):
        page = client.get(path).get_data(as_text=True)
        assert '<html lang="zh-CN">' in page, path
        assert "<html>" not in page, path
