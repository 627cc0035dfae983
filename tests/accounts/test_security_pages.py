"""用户权限 in Chinese, 用户列表 edit saveable for our accounts, 用户统计 without the internet,
and the login of a revoked person (issue 14)."""
import re

from flask_appbuilder.security.sqla.models import User

from app.models import PersonStatus
from app.extensions import db
from app.models import Person
from app.views.core.security import permission_label, view_label
from app.workflows import accounts
from tests.helpers import make_user


def _text(html):
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_permission_and_view_names_read_in_chinese(app):
    with app.app_context():
        assert view_label("PersonView") == "人员信息"
        assert permission_label("can_list") == "查看列表"
        assert view_label("^(FirmView|PersonView)$") == "事务所信息、人员信息"
        assert permission_label("^(can_(list|show|export))$") == "查看列表、查看详情、导出"


def test_every_permission_of_every_domain_reads_in_chinese(app):
    """Each permission a domain declares (its rules and the rows they expand to) has a
    Chinese name on 用户权限: a new permission without one fails here, not in front of
    the administrator ("学时查询：操作：query")."""
    from flask_appbuilder.security.sqla.models import PermissionView

    from app.views.core.security import permission_view_label

    with app.app_context():
        pvs = db.session.query(PermissionView).all()
        assert len(pvs) > 100
        # CPA / CICPA as the manuals write them (CPA专题培训)
        english = sorted({permission_view_label(pv) for pv in pvs
                          if re.search(r"[A-Za-z]{2,}", re.sub(r"(CI)?CPA", "",
                                                               permission_view_label(pv)))})
        assert english == []
        assert permission_label("can_query") == "查询"


def test_admin_security_pages_show_chinese_names(app, world, client):
    client.login(world.admin)
    pvs = _text(client.get("/permissionviews/list/?psize_PermissionOnViewsView=100")
                .get_data(as_text=True))
    roles = _text(client.get("/roles/list/").get_data(as_text=True))
    assert "人员信息：查看列表" in roles  # a built-in role's rules, spelled out
    assert "事务所管理员" in roles and "协会工作人员" in roles
    assert "FirmAdmin" not in roles and "can_list" not in roles and "PersonView" not in roles
    assert "查看列表" in pvs and "can_list" not in pvs
    users = _text(client.get("/users/list/").get_data(as_text=True))
    assert " 是 " in users and "True" not in users and "[Staff]" not in users
    edit = client.get("/users/edit/1").get_data(as_text=True)
    assert "LDAP" not in edit and "OID" not in edit
    assert not re.search(r'<option[^>]*>\s*(Admin|Staff|FirmAdmin|Member|Public)\s*<', edit)


def test_a_seeded_account_can_be_edited_and_saved(app, world, client):
    """Every account we create has an empty 姓 (last_name); the form asks for one 姓名."""
    client.login(world.admin)
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.a.admin).one()
        uid, role_id, email = user.id, user.roles[0].id, user.email
        assert user.last_name == ""
    response = client.post_form(f"/users/edit/{uid}", {
        "first_name": "甲所管理员", "username": world.a.admin, "active": "y", "email": email,
        "roles": str(role_id)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, uid).first_name == "甲所管理员"
    blank = client.post_form(f"/users/edit/{uid}", {
        "first_name": "", "username": world.a.admin, "active": "y", "email": email,
        "roles": str(role_id)})
    assert blank.status_code == 200 and "请填写姓名" in blank.get_data(as_text=True)


def test_user_statistics_draw_without_a_chart_library_from_the_internet(app, world, client):
    client.login(world.admin)
    page = client.get("/userstatschartview/chart/").get_data(as_text=True)
    assert "用户统计" in page and "登录次数" in page and "<svg" in page
    assert "google" not in page.lower() and "jsapi" not in page
    assert world.admin in page  # the admin has logged in at least once


def test_a_revoked_person_with_the_right_password_is_told_so(app, world, client):
    make_user(app, "kj13800000002", "Member", firm_id=world.a.id, person_id=world.a_people[1])
    with app.app_context():
        person = db.session.get(Person, world.a_people[1])
        person.status = PersonStatus.REVOKED
        person.account.user.active = False
        db.session.commit()
    wrong = client.login("kj13800000002", "wrong-password1")
    assert not client.signed_in
    page = client.get(wrong.headers["Location"]).get_data(as_text=True)
    assert "已撤销" not in page and "无效的用户名或密码" in page
    right = client.login("kj13800000002")
    assert not client.signed_in
    page = client.get(right.headers["Location"]).get_data(as_text=True)
    assert "该账号已撤销" in page and "北京甲会计师事务所" in page and "协会工作人员" in page


def test_refusal_of_inactive_without_http(app, world):
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.staff).one()
        assert accounts.refusal_of_inactive(user, "Pass12345x") is None  # active
        user.active = False
        from tests.helpers import PASSWORD
        assert accounts.refusal_of_inactive(user, "nope") is None  # wrong password: nothing
        assert "已停用" in accounts.refusal_of_inactive(user, PASSWORD)
        db.session.rollback()


def test_user_list_and_details_show_beijing_times_and_who_made_the_account(app, world,
                                                                             make_client):
    """FAB keeps 最近登录 / 创建时间 naive in the server's time and no creator for accounts the
    system made: the pages say Beijing time and a name, never UTC or None."""
    import datetime as dt

    from app import clock
    with app.app_context():
        staff = db.session.query(User).filter_by(username=world.staff).one()
        moment = dt.datetime(2026, 12, 3, 2, 0, 0)  # as FAB stores it
        staff.last_login = staff.created_on = moment
        admin = db.session.query(User).filter_by(username=world.admin).one()
        staff.changed_by_fk, staff.created_by_fk = admin.id, None
        db.session.commit()
        staff_id, admin_name = staff.id, admin.first_name
    beijing = moment.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    client = make_client()
    client.login(world.admin)
    listing = _text(client.get("/users/list/?psize_UserView=100").get_data(as_text=True))
    assert beijing in listing
    show = _text(client.get(f"/users/show/{staff_id}").get_data(as_text=True))
    assert beijing in show and "None" not in show
    assert "系统自动创建" in show and f"{admin_name}（{world.admin}）" in show
