"""A 非执业会员's 待缴费 fee says how to pay it (issue 23, item 10).

Seed 002: 「每年只能选择一家会计学院进行学习，当年不可更改」 and the member pays that institute's
fee; the fee order (LearningFee) now carries a 缴费编号, and staff keep each 会计学院's
交费说明 (收款单位, 开户银行, 收款账号, 其他说明) beside its 咨询电话 and fee.
"""
from unittest import mock

from sqlalchemy import select

from app.extensions import db
from app.models import LearningFee, LearningInstitute, Message
from tests.helpers import NOW
from tests.learning.world import build


def _clock(at=NOW):
    return mock.patch("app.clock.now", return_value=at)


def test_staff_keep_the_instructions_and_the_member_sees_them_with_its_reference(
        app, world, make_client):
    extra = build(app, world)
    staff = make_client()
    staff.login(world.staff)
    form = staff.get(f"/learninginstituteview/edit/{extra.snai}").get_data(as_text=True)
    for label in ("收款单位", "开户银行", "收款账号", "其他交费说明"):
        assert label in form
    refused = staff.post_form(f"/learninginstituteview/edit/{extra.snai}", {
        "code": "SNAI", "name": "上海国家会计学院", "phone": "021-69768000", "fee": "150.00",
        "active": "y", "pay_payee": "上海国家会计学院", "pay_account": "账号见官网"},
        follow_redirects=True).get_data(as_text=True)
    assert "收款账号“账号见官网”应为6至32位数字（可含空格）" in refused
    saved = staff.post_form(f"/learninginstituteview/edit/{extra.snai}", {
        "code": "SNAI", "name": "上海国家会计学院", "phone": "021-69768000", "fee": "150.00",
        "active": "y", "pay_payee": "上海国家会计学院", "pay_bank": "中国建设银行上海青浦支行",
        "pay_account": "3105 0174 3600 0000 1234", "pay_note": "可开具电子发票"})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(LearningInstitute, extra.snai).pay_account \
            == "3105 0174 3600 0000 1234"

    member = make_client()
    member.login(extra.np)
    with _clock():
        member.post_form("/learning/choose", {"institute": extra.snai})
        page = member.get("/learning/").get_data(as_text=True)
    with app.app_context():
        fee = db.session.scalars(select(LearningFee)).one()
        reference = fee.reference
        told = db.session.scalars(select(Message).where(
            Message.title == "网络学习：已选择会计学院")).one()
    assert reference == f"SNAI2026{fee.id:06d}"
    assert f"缴费编号：{reference}" in told.body
    assert 'id="payment-instructions"' in page
    for value in ("上海国家会计学院", "中国建设银行上海青浦支行", "3105 0174 3600 0000 1234",
                  "150.00元", "021-69768000", "可开具电子发票"):
        assert value in page, value
    assert f'id="fee-reference">{reference}<' in page
    assert "汇款时请务必在附言中填写缴费编号" in page
    # staff find the order by the reference the payment carried
    listing = staff.get(f"/learningfeeview/list/?_flt_0_reference={reference}")
    assert reference in listing.get_data(as_text=True) and "王非执" in listing.get_data(
        as_text=True)


def test_an_institute_without_an_account_tells_the_member_whom_to_call(app, world, make_client):
    extra = build(app, world)
    member = make_client()
    member.login(extra.np)
    with _clock():
        member.post_form("/learning/choose", {"institute": extra.bnai})
        page = member.get("/learning/").get_data(as_text=True)
    assert 'id="payment-missing"' in page and "010-00000000" in page
    assert "200.00元" in page
