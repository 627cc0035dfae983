"""业务办理 without HTTP: drafts with missing documents, 提交审核 naming what is missing, the
requirements table deciding the documents (是否退休 changes them), 撤回, 审核不通过 with reasons
per document, resubmission, approval to 待预约 or straight to 办理完成, the 流程跟踪 and the
【进度提醒】 messages."""
import json

import pytest

from app.models import CaseStatus, DocRequirement, Message, StatusHistory
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from app.workflows.registration import cases, requirements
from tests.registration.common import (NOW, all_documents, managed_cpa, pdf, register_case,
                                       setup_tables, user)

S = CaseStatus


@pytest.fixture
def actors(ctx, world):
    setup_tables(ctx)
    return (user(ctx, world.a.admin), user(ctx, world.b.admin), user(ctx, world.staff))


def test_a_draft_keeps_missing_documents_and_submit_names_them(ctx, actors):
    a_admin, _b, staff = actors
    case = register_case(ctx, a_admin, complete=False)
    assert case.status == S.DRAFT and case.firm_id == a_admin.account.firm_id
    with pytest.raises(ValidationError) as refused:
        cases.submit(a_admin, NOW, case.id)
    message = refused.value.message
    for label in ("注册会计师注册申请表", "全科合格证（或考核通过文件）扫描件", "存档证明",
                  "在会计师事务所累计两年的社保记录"):
        assert f"【{label}】" in message
    assert "退休证" not in message
    assert ctx.get(type(case), case.id).status == S.DRAFT
    uploads = all_documents("注册申请", {"retired": "否"})
    assert len(uploads) == 7  # the manual's seven documents
    cases.save_case(a_admin, NOW, case.id, data={"name": "王五", "retired": "否",
                                                  "id_number": case.id_number,
                                                  "mobile": case.mobile}, uploads=uploads)
    cases.submit(a_admin, NOW, case.id)
    assert case.status == S.SUBMITTED


def test_retirement_changes_the_documents_from_the_table(ctx, actors):
    retired = {r.label for r in requirements.documents_for("注册申请", {"retired": "是"})}
    working = {r.label for r in requirements.documents_for("注册申请", {"retired": "否"})}
    assert "退休证或退休证明扫描件" in retired - working
    assert "在会计师事务所累计两年的社保记录" in working - retired


def test_staff_edit_the_table_and_the_check_follows(ctx, actors):
    a_admin, _b, _staff = actors
    case = register_case(ctx, a_admin)
    ctx.add(DocRequirement(case_type="注册申请", doc_key="photo", label="近期免冠照片",
                           required=True, condition="", sort=99))
    ctx.commit()
    with pytest.raises(ValidationError, match="【近期免冠照片】"):
        cases.submit(a_admin, NOW, case.id)
    assert "近期免冠照片" in requirements.describe("注册申请")


def test_bad_fields_and_files_are_named_and_nothing_is_saved(ctx, actors):
    a_admin, *_ = actors
    with pytest.raises(ValidationError, match="身份证号"):
        cases.save_case(a_admin, NOW, case_type="注册申请", pledged_at=NOW,
                        data={"name": "王五", "id_number": "123"})
    with pytest.raises(ValidationError, match="承诺书"):
        cases.save_case(a_admin, NOW, case_type="注册申请", data={"name": "王五"})
    with pytest.raises(ValidationError, match=r"【存档证明】.*5MB"):
        cases.save_case(a_admin, NOW, case_type="注册申请", pledged_at=NOW,
                        data={"name": "王五", "retired": "否"},
                        uploads={"archive_proof": pdf("存档.png")})
    with pytest.raises(ValidationError, match="不需要上传"):
        cases.save_case(a_admin, NOW, case_type="注册申请", pledged_at=NOW,
                        data={"name": "王五"}, uploads={"nonsense": pdf()})
    assert ctx.query(cases.RegistrationCase).count() == 0


def test_withdraw_reject_with_reasons_resubmit_and_the_history(ctx, actors):
    a_admin, _b, staff = actors
    case = register_case(ctx, a_admin, name="张三")
    cases.submit(a_admin, NOW, case.id)
    cases.withdraw(a_admin, NOW, case.id)
    assert case.status == S.DRAFT
    cases.submit(a_admin, NOW, case.id)
    with pytest.raises(ForbiddenError):
        cases.approve(a_admin, NOW, case.id)
    with pytest.raises(ForbiddenError):
        cases.withdraw(staff, NOW, case.id)
    archive = next(d for d in case.documents if d.label == "存档证明")
    form = next(d for d in case.documents if d.label == "注册会计师注册申请表")
    with pytest.raises(ValidationError, match="原因"):
        cases.reject(staff, NOW, case.id)
    cases.reject(staff, NOW, case.id, reasons={form.id: "没有事务所的盖章",
                                                archive.id: "没有单位的盖章"})
    assert case.status == S.REJECTED and archive.reject_reason == "没有单位的盖章"
    rows = cases.history(case)
    assert [(h.to_state, h.remark) for h in rows] == [
        (S.DRAFT, None), (S.SUBMITTED, None), (S.DRAFT, "用户主动撤回"), (S.SUBMITTED, None),
        (S.REJECTED, "【注册会计师注册申请表】没有事务所的盖章；【存档证明】没有单位的盖章")]
    assert rows[2].actor_name == "北京甲会计师事务所（特殊普通合伙）"
    # fix the archive proof and resubmit: the replaced document keeps its place
    order = [d.doc_key for d in case.documents]
    assert order[0] == "application_form" and order[-1] != "application_form"
    old_file = archive.file_id
    cases.save_case(a_admin, NOW, case.id, data={"name": "张三", "retired": "否",
                                                  "id_number": case.id_number,
                                                  "mobile": case.mobile},
                    uploads={"archive_proof": pdf("存档证明（盖章）.pdf"),
                             "application_form": pdf("注册申请表（盖章）.pdf")})
    assert [d.doc_key for d in case.documents] == order
    archive = next(d for d in case.documents if d.doc_key == "archive_proof")
    assert archive.file_id != old_file and archive.reject_reason is None
    assert archive.file.original_name == "存档证明（盖章）.pdf"
    cases.submit(a_admin, NOW, case.id)
    cases.approve(staff, NOW, case.id)
    assert case.status == S.APPROVED and case.approved_at == NOW
    texts = [m.body for m in ctx.query(Message).filter_by(user_id=a_admin.id).order_by(Message.id)]
    assert any("审核未通过" in t and "【存档证明】没有单位的盖章" in t for t in texts)
    assert texts[-1].startswith("【进度提醒】您提交的注册会计师[张三][注册申请]业务申请材料已审核通过，"
                                "请在30天内")


def test_types_handled_without_a_visit_end_at_approval(ctx, actors):
    a_admin, _b, staff = actors
    data = {"name": "李四", "cert_number": "110100010009", "mobile": "13700000009",
            "items": ["统一监管平台绑定手机号"]}
    case = cases.save_case(a_admin, NOW, case_type="其他变更", data=data, pledged_at=NOW,
                           uploads=all_documents("其他变更", {}))
    cases.submit(a_admin, NOW, case.id)
    cases.approve(staff, NOW, case.id)
    assert case.status == S.DONE
    change = cases.save_case(a_admin, NOW, case_type="信息变更", pledged_at=NOW, data={
        **data, "items": ["姓名 (证书信息)"]})
    docs = all_documents("信息变更", {"items": ["姓名 (证书信息)"]})
    assert "name_change_proof" in docs
    cases.save_case(a_admin, NOW, change.id, data={**data, "items": ["姓名 (证书信息)"]},
                    uploads=docs)
    cases.submit(a_admin, NOW, change.id)
    cases.approve(staff, NOW, change.id)
    assert change.status == S.APPROVED  # a certificate item: handled on site
    assert json.loads(change.answers)["items"] == ["姓名 (证书信息)"]


def test_another_firm_never_reaches_the_case(ctx, actors, world):
    a_admin, b_admin, staff = actors
    case = register_case(ctx, a_admin)
    for action in (cases.submit, cases.withdraw):
        with pytest.raises(NotFoundError):
            action(b_admin, NOW, case.id)
    with pytest.raises(NotFoundError):
        cases.save_case(b_admin, NOW, case.id, data={"name": "x"})
    with pytest.raises(ForbiddenError):
        cases.save_case(staff, NOW, case_type="注册申请", pledged_at=NOW, data={"name": "x"})
    member = user(ctx, world.member)  # a CPA of a firm files through its firm
    with pytest.raises(ForbiddenError, match="事务所"):
        cases.save_case(member, NOW, case_type="证书补办", pledged_at=NOW, data={"name": "x"})
    with pytest.raises(NotFoundError):
        cases.save_case(a_admin, NOW, case_type="注册申请", pledged_at=NOW,
                        data={"name": "x"}, person_id=world.b_people[0])


def test_an_institute_managed_cpa_files_its_own_reissue(ctx, actors):
    _a, b_admin, staff = actors
    person = managed_cpa(ctx)
    cpa = user(ctx, person.cert_number)
    case = cases.save_case(cpa, NOW, case_type="证书补办", pledged_at=NOW,
                           data={"name": "别人", "mobile": "13700009901"},
                           uploads=all_documents("证书补办", {}))
    assert (case.name, case.person_id, case.firm_id) == ("赵代管", person.id, None)
    assert case.cert_number == person.cert_number  # 证书补办's form has no such field
    cases.submit(cpa, NOW, case.id)
    cases.approve(staff, NOW, case.id)
    assert case.status == S.APPROVED
    with pytest.raises(NotFoundError):
        cases.get_case(b_admin, case.id)
    assert ctx.query(StatusHistory).filter_by(entity="registration_case",
                                              entity_id=case.id).count() == 3


def test_a_cpa_of_the_firm_sees_its_case_but_does_not_act_on_it(ctx, actors, world):
    """The member is the person of the firm's case: it reads it, the firm acts on it."""
    from app.workflows.registration import booking
    a_admin, _b, staff = actors
    member = user(ctx, world.member)
    case = register_case(ctx, a_admin, name="张一", person_id=world.a_people[0])
    assert cases.get_case(member, case.id).id == case.id
    with pytest.raises(ForbiddenError, match="提交该业务的事务所或注册会计师本人"):
        cases.submit(member, NOW, case.id)
    with pytest.raises(ForbiddenError):
        cases.save_case(member, NOW, case.id, data={"name": "张一"})
    cases.submit(a_admin, NOW, case.id)
    with pytest.raises(ForbiddenError):
        cases.withdraw(member, NOW, case.id)
    cases.approve(staff, NOW, case.id)
    with pytest.raises(ForbiddenError, match="预约"):
        booking.book(member, NOW, [case.id], "2026-12-04", "09:00")
    assert case.status == S.APPROVED


def test_the_review_queue_has_no_drafts_and_the_longest_waiting_first(ctx, actors):
    import datetime as dt
    firm, staff = actors[0], actors[-1]
    draft = register_case(ctx, firm, name="草稿", serial=801)
    late = register_case(ctx, firm, name="后交", serial=802)
    early = register_case(ctx, firm, name="先交", serial=803)
    done = register_case(ctx, firm, name="已过", serial=804)
    cases.submit(firm, NOW - dt.timedelta(days=1), late.id)
    cases.submit(firm, NOW - dt.timedelta(days=5), early.id)
    cases.submit(firm, NOW - dt.timedelta(days=9), done.id)
    cases.approve(staff, NOW - dt.timedelta(days=8), done.id)
    statement, order = cases.records_select(staff)
    names = [c.name for c in ctx.scalars(statement.order_by(*order))]
    assert names == ["先交", "后交", "已过"] and draft.name not in names
    statement, order = cases.records_select(firm)  # the filer sees its drafts, newest first
    assert [c.name for c in ctx.scalars(statement.order_by(*order))] == [
        "已过", "先交", "后交", "草稿"]
