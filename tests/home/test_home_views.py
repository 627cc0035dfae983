"""The landing page after sign-in is the role's home page (issue 26), scoped to the role."""
import re

from tests.helpers import past_first_login


def _accounts(demo_data):
    return dict(re.findall(r"^\w+\s+(\S+)\s+(\S+)", demo_data, flags=re.M))


def _signed_in(app, make_client, login, password):
    past_first_login(app)  # its own tests cover the first login
    client = make_client()
    client.login(login, password)
    return client


def test_each_demo_role_lands_on_its_home_page(app, demo_data, make_client):
    accounts = _accounts(demo_data)
    expected = {"admin": "系统管理 · 首页", "staff": "协会工作台 · 首页",
                "P11010001": "待办事项", "110100010001": "年继续教育学时"}
    for login, words in expected.items():
        client = _signed_in(app, make_client, login, accounts[login])
        page = client.get("/")
        assert page.status_code == 200, login
        text = page.get_data(as_text=True)
        assert words in text, login
        assert "请从上方菜单选择业务" not in text
        assert 'class="home-chart"' in text and "echarts.min.js" in text


def test_a_firm_admin_reads_only_its_own_firm_on_its_home_page(app, world, make_client):
    from app.extensions import db
    from app.models.inhouse import ReviewStatus
    from tests.helpers import NOW
    from tests.inhouse.world import a_class

    with app.app_context():
        import datetime as dt
        from app import clock
        today = clock.local_today(clock.now())
        a_class(world.a.id, NOW, name="甲所名单将截止", start=today - dt.timedelta(days=10),
                status=ReviewStatus.APPROVED)
        a_class(world.b.id, NOW, name="乙所名单将截止", start=today - dt.timedelta(days=10),
                status=ReviewStatus.APPROVED)
        db.session.commit()
    client = make_client()
    client.login(world.b.admin)
    text = client.get("/").get_data(as_text=True)
    assert "乙所名单将截止" in text and "甲所名单将截止" not in text
    assert "李一" in text and "张一" not in text  # people at risk: its own CPA only
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/").get_data(as_text=True)
    firms = page[page.index("home-firms"):]
    for firm in (world.a, world.b):  # each has its CPA short: a row with its code and link
        assert f"<td>{firm.code}</td><td>{firm.name}</td><td>1</td><td>1</td>" in firms
        assert f"firm={firm.id}&amp;verdict=未通过" in firms or \
            f"firm={firm.id}&verdict=未通过" in firms
    member = make_client()
    member.login(world.member)
    page = member.get("/").get_data(as_text=True)
    assert "张一 · 首页" in page and "乙所" not in page


def test_signed_out_the_index_asks_to_sign_in(client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "请先" in text and "home-chart" not in text


def test_the_demo_gives_every_home_page_something_in_each_section(app, demo_data, make_client):
    """Issue 26's 「the demo seed giving every home page something in each section」: the
    first firm's 待办 holds every kind, staff's queues each wait on something, and the demo
    member listed as short of face-to-face hours reads how many."""
    from flask_appbuilder.security.sqla.models import User

    from app import clock
    from app.extensions import db
    from app.workflows.home.pages import home_for

    now = clock.now()
    with app.app_context():
        users = {u.username: u for u in db.session.query(User)}
        _kind, firm = home_for(users["P11010001"], now)
        kinds = {t.kind for t in firm.todos}
        assert {"内部培训班待重新上报", "学员名单导入截止", "内培学员审核未通过", "注册业务审核不通过",
                "注册业务待预约", "本周预约", "人员转入待确认", "咨询待回复", "未读通知"} <= kinds, kinds
        assert firm.at_risk and firm.rates and len(firm.charts) == 2
        _kind, staff = home_for(users["staff"], now)
        assert {q.label: q.count for q in staff.queues if not q.count} == {}
        assert staff.classes and staff.firms
    short = re.search(r"^Member\s+(\d{12})\s+(\d{6})\s+.*面授学时不足", demo_data, flags=re.M)
    assert short, demo_data
    client = _signed_in(app, make_client, short.group(1), short.group(2))
    text = client.get("/").get_data(as_text=True)
    assert "还差面授 8 学时、职业道德 2 学时" in text
    assert "面授：已完成 8.0 学时，要求 16 学时" in text
