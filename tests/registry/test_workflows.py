"""Business rules without HTTP: identifiers, accounts, scoping, firm and person rules, audit."""
import datetime as dt
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.models import PersonStatus
from app.models import FirmStatus
from app.workflows.core import audit
from app.models import Account, AuditLog, Firm, Person, PersonType
from app.passwords import check_password
from app.roles import FIRM_ADMIN, MEMBER, STAFF
from app.workflows import accounts, registry
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.identifiers import (
    gender_from_id,
    validate_firm_code,
    validate_id_number,
    validate_mobile,
)
from app.workflows.core.scoping import enforce_owner, scope_condition
from tests.helpers import NOW, admin_of, id_number, new_firm

LATER = NOW + dt.timedelta(days=1)


# --- identifiers -------------------------------------------------------------
def test_valid_id_number_with_x_check_char_is_accepted():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize("bad, message", [
    ("110105194912310021", "校验位不正确"),
    ("11010519491331002X", "出生日期无效"),
    ("1101051949123100", "应为18位"),
    ("1.10105E+17", "应为18位"),
])
def test_bad_id_numbers_are_refused_with_the_reason(bad, message):
    with pytest.raises(ValidationError, match=message):
        validate_id_number(bad)


def test_full_width_digits_and_spaces_are_normalised():
    assert validate_mobile(" １３８００１３８０００ ") == "13800138000"
    assert validate_firm_code("１１０１０００１") == "11010001"


@pytest.mark.parametrize("bad", ["12345678901", "1380013800", "138001380001", "abc"])
def test_bad_mobiles_are_refused(bad):
    with pytest.raises(ValidationError, match="11位中国大陆手机号码"):
        validate_mobile(bad)


def test_gender_follows_the_seventeenth_digit():
    assert gender_from_id(validate_id_number("11010519491231002X")) == "女"
    assert gender_from_id(id_number(1)) == "男"


# --- accounts ----------------------------------------------------------------


def test_creating_a_firm_creates_its_admin_with_the_initial_password(ctx):
    firm = new_firm(ctx)
    user = admin_of(ctx, firm)
    assert [r.name for r in user.roles] == [FIRM_ADMIN]
    assert user.account.firm_id == firm.id and user.account.must_change_password
    assert check_password(user.password, "010077")


@pytest.mark.parametrize("new, repeat, message", [
    ("abc12345", "abc12346", "两次输入的新密码不一致"),
    ("abc123", "abc123", "至少8位"),
    ("abcdefgh", "abcdefgh", "同时包含字母和数字"),
    ("12345678", "12345678", "同时包含字母和数字"),
])
def test_password_policy(ctx, new, repeat, message):
    user = admin_of(ctx, new_firm(ctx))
    with pytest.raises(ValidationError, match=message):
        accounts.change_password(user, NOW, "010077", new, repeat)
    assert check_password(user.password, "010077")


def test_new_password_may_not_be_the_initial_one(ctx):
    firm = Firm(code="11010088", name="测试所", status=FirmStatus.ACTIVE)
    registry.on_firm_created(firm, NOW)
    ctx.add(firm)
    ctx.commit()
    user = admin_of(ctx, firm)
    accounts.change_password(user, NOW, "010088", "abc12345", "abc12345")
    # the initial password "010088" fails the policy anyway; check the hash comparison directly
    user.account.initial_password_hash = user.password
    with pytest.raises(ValidationError, match="不能与初始密码相同|不能与当前密码相同"):
        accounts.check_password_policy(user, "abc12345", "abc12345")


def test_wrong_old_password_changes_nothing(ctx):
    """「修改密码输入原密码、新密码、确认新密码，验证通过后密码将改为新密码。」 (seed 004 §10)"""
    user = admin_of(ctx, new_firm(ctx))
    with pytest.raises(ValidationError, match="旧密码不正确"):
        accounts.change_password(user, NOW, "wrong", "abc12345", "abc12345")
    assert user.account.must_change_password


def test_first_login_sets_contact_and_password_together(ctx):
    """「首次登录须补充登记会计师事务所联系人姓名及手机号，并修改登录密码。」 (seed 004 §1)"""
    firm = new_firm(ctx)
    user = admin_of(ctx, firm)
    assert accounts.needs_first_login(user) and accounts.needs_contact_info(user)
    with pytest.raises(ValidationError, match="联系人手机号"):
        accounts.complete_first_login(user, NOW, new_password="abc12345", repeat="abc12345",
                                      contact_name="王五", contact_phone="123")
    assert check_password(user.password, "010077") and firm.contact_name is None
    with pytest.raises(ValidationError, match="请填写联系人姓名"):
        accounts.complete_first_login(user, NOW, new_password="abc12345", repeat="abc12345",
                                      contact_name=" ", contact_phone="13812345678")
    accounts.complete_first_login(user, LATER, new_password="abc12345", repeat="abc12345",
                                  contact_name="王五", contact_phone="13812345678")
    assert not accounts.needs_first_login(user)
    assert firm.contact_phone == "13812345678"
    assert user.account.password_changed_at == LATER


# --- scoping -----------------------------------------------------------------
def _fake_user(role, firm_id=None, person_id=None):
    return SimpleNamespace(
        is_authenticated=True, roles=[SimpleNamespace(name=role)],
        account=SimpleNamespace(firm_id=firm_id, person_id=person_id, firm=None))


def _visible_ids(ctx, model, user):
    return set(ctx.execute(select(model.id).where(scope_condition(model, user))).scalars())


def test_scope_condition_per_role(ctx):
    a, b = new_firm(ctx, "11010071"), new_firm(ctx, "11010072")
    pa = Person(person_type=PersonType.OTHER, name="甲", firm_id=a.id, status=PersonStatus.ACTIVE)
    pb = Person(person_type=PersonType.OTHER, name="乙", firm_id=b.id, status=PersonStatus.ACTIVE)
    ctx.add_all([pa, pb])
    ctx.commit()
    assert _visible_ids(ctx, Person, _fake_user(STAFF)) == {pa.id, pb.id}
    assert _visible_ids(ctx, Person, _fake_user(FIRM_ADMIN, firm_id=a.id)) == {pa.id}
    assert _visible_ids(ctx, Firm, _fake_user(FIRM_ADMIN, firm_id=a.id)) == {a.id}
    assert _visible_ids(ctx, Person, _fake_user(MEMBER, firm_id=a.id, person_id=pb.id)) == {pb.id}
    assert _visible_ids(ctx, Person, None) == set()
    assert _visible_ids(ctx, AuditLog, _fake_user(FIRM_ADMIN, firm_id=a.id)) == set()
    assert _visible_ids(ctx, Person, _fake_user("Public")) == set()


def test_enforce_owner_stamps_and_refuses(ctx):
    a, b = new_firm(ctx, "11010071"), new_firm(ctx, "11010072")
    user = _fake_user(FIRM_ADMIN, firm_id=a.id)
    user.account.firm = a
    new = Person(person_type=PersonType.OTHER, name="新")
    enforce_owner(new, user)
    assert new.firm_id == a.id
    with pytest.raises(ForbiddenError, match="其他事务所"):
        enforce_owner(Person(person_type=PersonType.OTHER, name="越界", firm=b), user)
    mine = Person(person_type=PersonType.OTHER, name="已有", firm_id=a.id, status=PersonStatus.ACTIVE)
    ctx.add(mine)
    ctx.commit()
    mine.firm = b  # a form assigns the relationship; firm_id is stale until flush
    with pytest.raises(ForbiddenError):
        enforce_owner(mine, user)
    enforce_owner(Person(person_type=PersonType.OTHER, name="任意", firm=b), _fake_user(STAFF))


# --- firm and person rules ---------------------------------------------------------
def test_clean_person_derives_birth_date_and_gender_and_checks_uniqueness(ctx):
    firm = new_firm(ctx)
    person = Person(person_type=PersonType.CPA, name=" 张　三 ", id_number=id_number(5).lower(),
                    phone="13800000005", cert_number="110100770001", firm_id=firm.id)
    registry.clean_person(person, NOW)
    assert person.name == "张 三"
    assert person.birth_date == dt.date(1985, 3, 12) and person.gender == "男"
    ctx.add(person)
    ctx.commit()
    twin = Person(person_type=PersonType.OTHER, name="李四", phone="13800000005")
    with pytest.raises(ValidationError, match="手机号“13800000005”已被登记"):
        registry.clean_person(twin, NOW)


def test_cpa_without_certificate_number_is_refused(ctx):
    with pytest.raises(ValidationError, match="注册会计师须填写证书编号"):
        registry.clean_person(Person(person_type=PersonType.CPA, name="张三"), NOW)


def test_firm_names_keep_full_width_brackets(ctx):
    firm = Firm(code="11010066", name="北京某会计师事务所（特殊普通合伙）")
    registry.clean_firm(firm, creating=True)
    assert firm.name == "北京某会计师事务所（特殊普通合伙）" and firm.status == PersonStatus.ACTIVE


def test_firm_with_people_is_not_deletable(ctx):
    firm = new_firm(ctx)
    ctx.add(Person(person_type=PersonType.OTHER, name="甲", firm_id=firm.id, status=PersonStatus.ACTIVE))
    ctx.commit()
    with pytest.raises(ValidationError, match="下还有人员，不能删除"):
        registry.check_firm_deletable(firm)


# --- audit -------------------------------------------------------------------
def test_every_change_writes_an_audit_row_with_actor_and_states(ctx):
    with audit.acting_as("审计测试"):
        person = Person(person_type=PersonType.OTHER, name="甲", status=PersonStatus.ACTIVE)
        ctx.add(person)
        ctx.commit()
        person.status = PersonStatus.REVOKED
        ctx.commit()
        ctx.delete(person)
        ctx.commit()
    rows = ctx.execute(select(AuditLog).where(AuditLog.entity == "person")
                       .order_by(AuditLog.id)).scalars().all()
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(r.username == "审计测试" and r.entity_id == str(person.id) for r in rows)
    assert (rows[1].from_state, rows[1].to_state) == ("正常", "撤销")
    assert json.loads(rows[1].changes) == {"status": ["正常", "撤销"]}
    assert rows[0].at.tzinfo is not None


def test_audit_never_records_password_hashes(ctx):
    user = admin_of(ctx, new_firm(ctx))
    accounts.change_password(user, NOW, "010077", "abc12345", "abc12345")
    texts = [r.changes for r in ctx.execute(select(AuditLog)).scalars()]
    assert texts and not any("pbkdf2" in t or "scrypt" in t for t in texts)
    account_rows = ctx.execute(select(AuditLog).where(AuditLog.entity == "account",
                                                      AuditLog.action == "update")).scalars().all()
    assert any('"must_change_password": [true, false]' in r.changes for r in account_rows)
    assert ctx.get(Account, user.id).must_change_password is False


def test_revoking_a_person_stops_its_account_and_restoring_reopens_it(ctx):
    firm = new_firm(ctx)
    person = Person(person_type=PersonType.CPA, name="甲", firm_id=firm.id, status=PersonStatus.ACTIVE,
                    cert_number="110100779999")
    ctx.add(person)
    ctx.flush()
    user = accounts.create_account(username="110100779999", display_name="甲", role_name=MEMBER,
                                   password="123456", now=NOW, firm=firm, person=person)
    ctx.commit()
    person.status = PersonStatus.REVOKED
    registry.clean_person(person, NOW)
    assert user.active is False
    with pytest.raises(ValidationError, match="已有登录账号，不能删除"):
        registry.check_person_deletable(person)
    person.status = PersonStatus.ACTIVE
    registry.clean_person(person, NOW)
    assert user.active is True
