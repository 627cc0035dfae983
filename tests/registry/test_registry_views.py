"""事务所 and 人员 through the UI: CRUD, validation messages, writes into another firm."""
import json
import re

from app.models import PersonStatus
from app.models import FirmStatus
from app.extensions import db
from app.models import Firm, Person
from tests.helpers import id_number


def _person_form(**overrides):
    form = {"person_type": "其他从业人员", "name": "王新", "gender": "", "id_number": "",
            "phone": "13700000009", "birth_date": "", "ethnicity": "汉族", "position": "助理",
            "cert_number": "", "firm": "", "status": PersonStatus.ACTIVE}
    form.update(overrides)
    return form


def _count(app, model, **filters):
    with app.app_context():
        return db.session.query(model).filter_by(**filters).count()


def test_firm_admin_adds_person_into_its_own_firm_by_default(app, world, client):
    client.login(world.a.admin)
    response = client.post_form("/personview/add", _person_form())
    assert response.status_code == 302
    with app.app_context():
        person = db.session.query(Person).filter_by(phone="13700000009").one()
        assert person.firm_id == world.a.id


def test_firm_admin_cannot_add_or_move_a_person_into_another_firm(app, world, client):
    client.login(world.a.admin)
    # the form has no firm field for a firm admin: a firm slipped into the post is not read
    client.post_form("/personview/add", _person_form(firm=str(world.b.id)))
    assert _count(app, Person, phone="13700000009", firm_id=world.b.id) == 0
    assert _count(app, Person, phone="13700000009", firm_id=world.a.id) == 1
    own = world.a_people[1]
    client.post_form(f"/personview/edit/{own}", _person_form(name="张二", phone="13800000002",
                                                              firm=str(world.b.id)))
    with app.app_context():
        assert db.session.get(Person, own).firm_id == world.a.id


def test_the_firm_field_and_its_hint_are_for_staff_only(app, world, client, make_client):
    """A firm admin's people are its own: its person form has no 所在事务所 (nor the hint
    about it); staff choose any firm or none (协会代管)."""
    client.login(world.a.admin)
    for url in ("/personview/add", f"/personview/edit/{world.a_people[1]}"):
        page = client.get(url).get_data(as_text=True)
        assert 'name="firm"' not in page and "协会代管" not in page, url
        assert world.b.name not in page, url
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/personview/add").get_data(as_text=True)
    assert 'name="firm"' in page and "不选择即为协会代管人员" in page
    assert world.a.name in page and world.b.name in page


def test_person_form_names_the_bad_field_in_chinese(app, world, client):
    client.login(world.a.admin)
    bad_id = id_number(77)[:-1] + ("0" if id_number(77)[-1] != "0" else "1")
    page = client.post_form("/personview/add", _person_form(id_number=bad_id, phone="12345"))
    text = page.get_data(as_text=True)
    assert "身份证号校验位不正确" in text
    assert "手机号应为11位中国大陆手机号码" in text
    assert _count(app, Person, name="王新") == 0


def test_duplicate_mobile_is_refused_with_a_message(app, world, client):
    client.login(world.a.admin)
    response = client.post_form("/personview/add", _person_form(phone="13900000001"))
    assert response.get_data(as_text=True).count("已经存在") == 1  # under the 手机号 field
    assert _count(app, Person, phone="13900000001") == 1


def test_cpa_needs_a_certificate_number(app, world, client):
    client.login(world.staff)
    response = client.post_form("/personview/add", _person_form(person_type="注册会计师"),
                                follow_redirects=True)
    assert "注册会计师须填写证书编号" in response.get_data(as_text=True)


def test_staff_creates_a_firm_and_its_admin_can_sign_in(app, world, client, make_client):
    client.login(world.staff)
    response = client.post_form("/firmview/add", {"code": "11019999", "name": "北京新设会计师事务所",
                                                  "status": PersonStatus.ACTIVE})
    assert response.status_code == 302
    assert _count(app, Firm, code="11019999") == 1
    admin = make_client()
    assert admin.login("P11019999", "019999").status_code == 302 and admin.signed_in
    assert admin.get("/personview/list/").headers["Location"].endswith("/account/first-login/")


def test_firm_code_must_be_eight_digits(app, world, client):
    client.login(world.staff)
    page = client.post_form("/firmview/add", {"code": "1101", "name": "某所", "status": FirmStatus.ACTIVE})
    assert "事务所编号应为8位数字" in page.get_data(as_text=True)
    assert _count(app, Firm, name="某所") == 0


def test_firm_with_people_cannot_be_deleted(app, world, client):
    client.login(world.staff)
    response = client.post_form(f"/firmview/delete/{world.b.id}", follow_redirects=True)
    assert "下还有人员，不能删除" in response.get_data(as_text=True)
    assert _count(app, Firm, id=world.b.id) == 1


def test_list_filters_and_orders(app, world, client):
    client.login(world.staff)
    page = client.get("/personview/list/?_flt_0_name=张&_oc_PersonView=name&_od_PersonView=desc")
    html = page.get_data(as_text=True)
    table = html[html.index("<table"):]
    assert "张三" in table and "李一" not in table
    assert ">None<" not in table.replace(" ", "").replace("\n", "")  # empty cells stay empty
    expected = sorted(["张一", "张二", "张三"], reverse=True)  # code-point order, as the database
    positions = [table.index(name) for name in expected]
    assert positions == sorted(positions)


def test_revoked_member_cannot_sign_in(app, world, client, make_client):
    client.login(world.staff)
    member_person = world.a_people[0]
    response = client.post_form(f"/personview/edit/{member_person}", _person_form(
        person_type="注册会计师", name="张一", phone="13800000001", id_number=id_number(1),
        cert_number="110100010001", firm=str(world.a.id), status=PersonStatus.REVOKED))
    assert response.status_code == 302
    member = make_client()
    assert "/login/" in member.login(world.member).headers["Location"]
    assert not member.signed_in


def test_person_with_an_account_is_not_deleted(app, world, client):
    client.login(world.staff)
    page = client.post_form(f"/personview/delete/{world.a_people[0]}", follow_redirects=True)
    assert "已有登录账号，不能删除" in page.get_data(as_text=True)
    assert _count(app, Person, id=world.a_people[0]) == 1


def test_a_made_up_filter_index_is_a_clear_400_not_a_crash(app, world, client):
    client.login(world.staff)
    for path in ("/personview/list/?_flt_5_firm=1", "/personview/export/csv/?_flt_5_firm=1"):
        response = client.get(path)
        assert response.status_code == 400
        assert "筛选条件无效" in response.get_data(as_text=True)


def _people_on(page):

    return set(re.findall(r"[张李]一|[张李]二|[张李]三|丙所甲", page))


def test_the_firm_search_is_a_text_box_not_every_firm_as_an_option(app, world, make_client):
    """人员信息's 所在事务所 search (issue 28): a firm's name (contains) or its code, typed —
    the page lists no firm as an option (3,000 of them at national size made a 423 KB page),
    staff find each firm's people by it, and a firm admin sees no other firm's name and finds
    nothing outside its own firm whatever it types."""
    with app.app_context():
        for n in range(3, 40):
            db.session.add(Firm(code=f"110100{n:02d}", name=f"北京第{n}会计师事务所",
                                status=FirmStatus.ACTIVE))
        db.session.commit()
        far = db.session.query(Firm).filter_by(code="11010039").one()
        db.session.add(Person(person_type="其他从业人员", name="丙所甲", firm_id=far.id,
                              phone="13700000039", position="助理", status=PersonStatus.ACTIVE))
        db.session.commit()
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/personview/list/").get_data(as_text=True)
    assert "北京第38会计师事务所" not in page  # a firm none of the listed people is in
    # FAB writes the filters' inputs and names as JSON: a text input, searched 名称或编号
    assert json.dumps('name="firm" placeholder="所在事务所" type="text"')[1:-1] in page
    assert json.dumps("名称或编号")[1:-1] in page
    assert f'<option value="{world.b.id}"' not in page
    by_words = staff.get("/personview/list/?_flt_0_firm=乙会计师").get_data(as_text=True)
    assert _people_on(by_words) == {"李一", "李二", "李三"}
    by_code = staff.get("/personview/list/?_flt_0_firm=11010039").get_data(as_text=True)
    assert _people_on(by_code) == {"丙所甲"}
    assert _people_on(staff.get("/personview/list/?_flt_0_firm=1101003").get_data(
        as_text=True)) == set()  # a code matches whole, the name by its words
    exported = staff.get("/personview/export/csv/?_flt_0_firm=11010039").get_data(as_text=True)
    assert "丙所甲" in exported and "张一" not in exported
    firm_admin = make_client()
    firm_admin.login(world.a.admin)
    own = firm_admin.get("/personview/list/").get_data(as_text=True)
    assert "北京乙会计师事务所" not in own and "北京第3会计师事务所" not in own
    assert _people_on(own) == {"张一", "张二", "张三"}
    for typed in ("乙会计师", "11010002", "11010039", "北京"):
        found = firm_admin.get(f"/personview/list/?_flt_0_firm={typed}").get_data(as_text=True)
        assert _people_on(found) <= {"张一", "张二", "张三"}, typed
        assert "北京乙会计师事务所" not in found, typed
    mine = firm_admin.get("/personview/list/?_flt_0_firm=甲会计师").get_data(as_text=True)
    assert _people_on(mine) == {"张一", "张二", "张三"}
