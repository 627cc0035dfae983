"""Every decision on a class enrollment tells who filed it (issue 23, item 9).

Team rule: 「every decision on something a user filed tells the filer」 — and, for a firm's
people, the firm's administrator — by 系统消息, and by mail where an address is bound.
"""
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Message, OutboxMail
from app.workflows.messages import quoted
from app.workflows.training import enrollment, review
from tests.helpers import NOW
from tests.training.common import AFTER, form, make_class, user


def _messages(user_id):
    return [m.title for m in db.session.scalars(
        select(Message).where(Message.user_id == user_id).order_by(Message.id))]


def test_approve_reject_and_results_tell_the_filer_the_person_and_the_firm_admin(ctx, world):
    cls = make_class()
    staff, admin, member = user("staff1"), user(world.a.admin), user(world.member)
    db.session.get(Account, member.id).notify_email = "zhangyi@example.com"
    db.session.commit()
    cpa = enrollment.enroll(admin, NOW, cls, {
        "person_kind": "注册会计师", "cert_number": "110100010001", "phone": "13800000001"})
    other = enrollment.enroll(admin, NOW, cls, form())
    assert _messages(member.id) == [] and _messages(admin.id) == []  # filing tells nobody

    review.approve(staff, NOW, cpa.id)
    review.reject(staff, NOW, other.id, remark="非本所人员")
    name = "2026年第二期新批注册会计师诚信教育培训班"
    assert _messages(member.id) == [f"【培训报名】张一报名“{name}”审核通过"]
    assert _messages(admin.id) == [f"【培训报名】张一报名“{name}”审核通过",
                                   f"【培训报名】孙助理报名“{name}”审核未通过"]
    refused = db.session.scalars(select(Message).where(
        Message.user_id == admin.id, Message.title.contains("未通过"))).one()
    assert "原因：非本所人员" in refused.body and refused.link == f"/training/classes/{cls}"

    review.set_result(staff, AFTER, cpa.id, "合格")
    review.set_result(staff, AFTER, cpa.id, "合格")  # no change: nobody is told twice
    result = db.session.scalars(select(Message).where(
        Message.user_id == member.id, Message.title.contains("培训结果"))).one()
    assert result.title == f"【培训结果】张一：“{name}”合格"
    assert "已计入2026年度面授学时16.0学时（职业道德）" in result.body
    review.set_result(staff, AFTER, cpa.id, "不合格")
    assert _messages(admin.id)[-1] == f"【培训结果】张一：“{name}”不合格"
    assert "原已计入的学时已撤回" in db.session.scalars(select(Message).where(
        Message.user_id == member.id).order_by(Message.id.desc())).first().body
    # mail where bound: the member bound an address, the firm admin did not
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [m.to_addr for m in mails] == ["zhangyi@example.com"] * 3
    assert [m.subject for m in mails] == _messages(member.id)


def test_a_member_who_enrolled_itself_is_told_and_so_is_its_firm_admin(ctx, world):
    cls = make_class()
    row = enrollment.enroll_self(user(world.member), NOW, cls)
    review.reject(user("staff1"), NOW, row.id, remark="名额调整")
    for login in (world.member, world.a.admin):
        assert any("审核未通过" in t for t in _messages(user(login).id)), login
    assert _messages(user(world.b.admin).id) == []  # another firm hears nothing


def test_a_name_with_its_own_quotes_is_quoted_once():
    """【候补名额】““数智赋能…” read doubled: the name's own quotes nest as ‘…’."""
    assert quoted("“数智赋能·人才重塑”——分享会") == "“‘数智赋能·人才重塑’——分享会”"
    assert quoted(" 诚信教育 ") == "“诚信教育”"
