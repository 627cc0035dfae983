"""Menus shaped like the manuals (issue 26): each demo role's navbar holds at most eight
top-level entries in the manuals' order and words; 消息中心 is a top-level entry with its
unread count; a member sees only what applies to its kind; staff's 审核中心 comes first.

The navbar kept across requests (app/views/core/navigation.py: its permitted entries under
the request's access signature, its drawing under the entries shown) shows exactly what a
navbar built and drawn afresh shows: for every demo role, in turn in one process; a database
role's permission given or taken shows at the very next page; a member's kind changed does
too (an `only_for` rule, asked on every page)."""
import re

import pytest

from tests.helpers import past_first_login

from app.roles import MENU_ORDER

LEFT_RE = re.compile(r'<ul class="nav navbar-nav">(.*?)<ul class="nav navbar-nav navbar-right">',
                     re.S)
TOP_RE = re.compile(r'<li class="(?:dropdown )?nav-top">\s*<a [^>]*>([^<]+)')
ACCOUNTS = re.compile(r"^(?:Admin|Staff|FirmAdmin|Member)\s+(\S+)\s+(\S+)", re.M)
FIRM_ADMIN_ORDER = ["信息查询", "会员管理", "CPA专题培训", "事务所内部培训", "注册业务", "消息中心",
                    "系统管理"]


@pytest.fixture
def demo(app, demo_data):

    past_first_login(app)  # its own tests cover the first login
    return dict(ACCOUNTS.findall(demo_data))


def _login(make_client, accounts, login):
    client = make_client()
    client.login(login, accounts[login])
    return client


def _tops(html):
    """The left side's top-level entries, as the navbar writes them."""
    return [t.strip() for t in TOP_RE.findall(LEFT_RE.search(html).group(1))]


def _kj(accounts):
    return next(login for login in accounts if login.startswith("kj"))


def test_every_demo_role_has_at_most_eight_entries_in_the_manuals_order(app, demo, make_client):
    logins = ["admin", "staff", "P11010001", "110100010001", "210080552815", _kj(demo),
              "110000990001"]
    for login in logins:
        html = _login(make_client, demo, login).get("/").get_data(as_text=True)
        tops = _tops(html)
        assert 3 <= len(tops) <= 8, (login, tops)
        known = [t for t in tops if t in MENU_ORDER]
        assert known == sorted(known, key=MENU_ORDER.index), (login, tops)
        assert "帮助中心" not in tops and "帮助中心" in html  # on the right, beside the account
        assert 'id="assistant-fab"' in html  # 智能客服 at the bottom right of every page


def test_firm_admin_navbar_follows_seed_000_with_the_message_centre_on_top(
        app, demo, make_client):
    client = _login(make_client, demo, "P11010001")
    html = client.get("/").get_data(as_text=True)
    tops = [t for t in _tops(html) if t != "首页"]  # the home page's entry may lead
    assert tops == FIRM_ADMIN_ORDER
    left = LEFT_RE.search(html).group(1)
    # 消息中心 is a link of its own with the unread count, no longer under 信息查询
    link = re.search(r'<li class="nav-top"><a href="/messages/">消息中心\s*'
                     r'<span class="badge unread-dot" id="unread-dot-messages"[^>]*>(\d+)<', left)
    assert link and int(link.group(1)) > 0
    # its people's online learning is queried under 信息查询; seed 004's three pages together
    query = left[left.index(">信息查询"):left.index(">会员管理")]
    assert "网络学习" in query and "/lessonprogressview/list/" in query
    registration = left[left.index(">注册业务"):left.index(">消息中心")]
    assert [m for m in re.findall(r'href="(/registration/[^"]*)"', registration)] == [
        "/registration/", "/registration/records/", "/registration/appointments/"]


def test_staff_open_on_the_review_centre_and_find_cpe_in_one_group(app, demo, make_client):
    html = _login(make_client, demo, "staff").get("/").get_data(as_text=True)
    tops = [t for t in _tops(html) if t != "首页"]
    assert tops == ["审核中心", "信息查询", "会员管理", "继续教育", "注册业务", "消息中心", "系统管理"]
    left = LEFT_RE.search(html).group(1)
    cpe = left[left.index(">继续教育"):left.index(">注册业务")]
    for header in ("学时申请", "网络学习", "CPA专题培训", "事务所内部培训"):
        assert f'<li class="dropdown-header">{header}</li>' in cpe
    messages = left[left.index(">消息中心"):left.index(">系统管理")]
    assert "/notice-admin/" in messages and "/consultationadminview/list/" in messages


@pytest.mark.parametrize("login, shown, hidden", [
    # a firm's CPA: its cases are filed by the firm (办理记录, no 业务办理)
    ("110100010001", ["/applications/", "/learning/", "/registration/records/"],
     ['href="/registration/"']),
    # 非执业会员: no registration affairs at all
    ("210080552815", ["/applications/", "/learning/"], ["/registration/"]),
    # 其他从业人员: neither hour applications, online learning nor registration
    ("kj", ["/hours/mine/"], ["/applications/", "/learning/", "/registration/"]),
    # 协会代管注册会计师: files its own cases
    ("110000990001", ['href="/registration/"', "/registration/records/"], []),
])
def test_a_member_sees_only_what_applies_to_its_kind(app, demo, make_client, login, shown,
                                                      hidden):
    login = _kj(demo) if login == "kj" else login
    html = _login(make_client, demo, login).get("/").get_data(as_text=True)
    left = LEFT_RE.search(html).group(1)
    for needle in shown:
        assert needle in left, (login, needle)
    for needle in hidden:
        assert needle not in left, (login, needle)
    assert "审核中心" not in left and "继续教育" in _tops(html)


NAVBAR_RE = re.compile(r'<div class="navbar .*?<!-- /navbar -->', re.S)
CSRF_RE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*"')


def _navbar(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return CSRF_RE.sub(r'\1"', NAVBAR_RE.search(html).group(0))  # the logout form's token


def _fresh(app, client, path):
    """The page with FAB's own checks on every call and nothing kept."""
    app.config["PERMISSION_MEMO"] = False
    try:
        return _navbar(client.get(path))
    finally:
        app.config["PERMISSION_MEMO"] = True


def test_a_kept_navbar_is_the_fresh_one_for_every_demo_role(app, demo, make_client):
    # a CPA, then a 其他从业人员 and a 协会代管 member: one role (Member), three navbars
    logins = ["admin", "staff", "P11010001", "110100010001", _kj(demo), "110000990001",
              "210080552815"]
    seen = set()
    for login in logins:
        client = _login(make_client, demo, login)
        for path in ("/", "/messages/"):
            client.get(path)  # what the next page draws from is kept now
            kept = _navbar(client.get(path))
            assert kept == _fresh(app, client, path), (login, path)
            seen.add(kept)
    anonymous = make_client()
    assert _navbar(anonymous.get("/login/")) == _fresh(app, anonymous, "/login/")
    assert len(seen) >= 6  # the roles and kinds really draw different navbars


def test_a_database_roles_permission_shows_and_leaves_at_the_next_page(app, demo, make_client):
    from app.extensions import db

    client = _login(make_client, demo, "P11010001")
    assert "审核中心" not in LEFT_RE.search(client.get("/").get_data(as_text=True)).group(1)
    sm = app.appbuilder.sm
    with app.app_context():
        role = sm.add_role("核对员")
        user = sm.find_user(username="P11010001")
        user.roles.append(role)
        db.session.commit()
        menu = sm.find_permission_view_menu("menu_access", "审核中心")
        sm.add_permission_role(role, menu)
    left = LEFT_RE.search(client.get("/").get_data(as_text=True)).group(1)
    assert "审核中心" in left  # the role's new pair changed the signature: built afresh
    with app.app_context():
        role = sm.find_role("核对员")
        sm.del_permission_role(role, sm.find_permission_view_menu("menu_access", "审核中心"))
    left = LEFT_RE.search(client.get("/").get_data(as_text=True)).group(1)
    assert "审核中心" not in left


@pytest.mark.parametrize("kind", ["其他从业人员"])
def test_a_member_whose_kind_changes_sees_its_menus_change_at_once(app, demo, make_client,
                                                                    kind):
    from app.extensions import db
    from app.models import Person

    client = _login(make_client, demo, "110100010001")
    left = LEFT_RE.search(client.get("/").get_data(as_text=True)).group(1)
    assert "/applications/" in left
    with app.app_context():
        person = db.session.query(Person).filter_by(cert_number="110100010001").one()
        person.person_type = kind
        db.session.commit()
    left = LEFT_RE.search(client.get("/").get_data(as_text=True)).group(1)
    assert "/applications/" not in left
