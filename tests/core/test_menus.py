"""Menus in Chinese, per role, following the manuals' structure, with no dead links."""
import re

import pytest

NAV_RE = re.compile(r'<div class="navbar-collapse collapse">(.*?)</header>', re.S)
TOP_RE = re.compile(r'dropdown-toggle" data-toggle="dropdown" href="#">\s*(?:<i[^>]*></i>&nbsp;)?\s*'
                    r'([^<\s][^<]*?)<b class="caret">')
LINK_RE = re.compile(r'href="(/[^"#]*)"')

EXPECTED = {
    "firm_admin": (["信息查询", "会员管理", "系统管理"], ["审计日志", "用户权限"]),
    # a member's 学时 pages are its manual's 继续教育 module; 消息中心 is a top-level link
    "member": (["会员管理", "继续教育", "系统管理"], ["事务所信息", "审计日志", "用户权限"]),
    "staff": (["信息查询", "会员管理", "继续教育", "系统管理"], ["用户权限"]),
    "admin": (["信息查询", "会员管理", "继续教育", "系统管理"], []),
}


def _login_of(world, who):
    return {"firm_admin": world.a.admin, "member": world.member, "staff": world.staff,
            "admin": world.admin}[who]


@pytest.mark.parametrize("who", list(EXPECTED))
def test_menu_per_role_in_chinese_and_every_link_opens(app, world, make_client, who):
    client = make_client()
    client.login(_login_of(world, who))
    html = client.get("/").get_data(as_text=True)
    nav = NAV_RE.search(html).group(1)
    categories = [c.strip() for c in TOP_RE.findall(nav)]
    present, absent = EXPECTED[who]
    # the manuals' order: 信息查询 … 会员管理 … 系统管理 (app.roles.MENU_ORDER)
    assert [c for c in categories if c in present] == present, categories
    for label in absent:
        assert label not in nav
    links = set(LINK_RE.findall(nav)) - {"/"}
    assert links, "no menu links at all"
    if who == "admin":  # FAB's security menu, Admin only: a section of its 系统管理
        assert "用户权限" in nav and "/users/list/" in nav
    for link in sorted(links):
        if "/logout" in link:
            continue
        response = client.get(link)
        assert response.status_code == 200, (who, link, response.status_code)


def test_staff_sees_the_audit_log_and_firm_admin_does_not(app, world, make_client):
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/auditlogview/list/").get_data(as_text=True)
    assert "审计日志" in page and "乙所录入员" in page
    firm_admin = make_client()
    firm_admin.login(world.a.admin)
    assert firm_admin.get("/auditlogview/list/").status_code in (302, 403)


def test_login_page_speaks_chinese(client):
    html = client.get("/login/").get_data(as_text=True)
    assert "登录" in html and "用户名" in html and "密码" in html
