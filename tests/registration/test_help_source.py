"""智能客服 answers what a case type needs from the requirements table itself: the answer
follows when staff edit the table; a question about something else is left to the FAQ."""
from app.models import DocRequirement
from app.workflows.help import search
from tests.registration.common import setup_tables


def test_the_answer_is_the_requirements_table(ctx, world):
    setup_tables(ctx)
    reply = search.ask("注册申请需要哪些材料？", ctx)
    answer = next(a for a in reply.answers if a.kind == "registration")
    assert answer.title == "注册申请需要哪些材料"
    assert "存档证明" in answer.text and "退休证或退休证明扫描件（是否退休为“是”时）" in answer.text
    assert "所需材料设置" in answer.source
    row = ctx.query(DocRequirement).filter_by(case_type="注册申请", doc_key="archive_proof").one()
    row.label = "人事档案存档证明"
    ctx.commit()
    again = next(a for a in search.ask("办理注册申请要提交什么材料", ctx).answers
                 if a.kind == "registration")
    assert "人事档案存档证明" in again.text
    transfer = [a.title for a in search.ask("京内转所需要哪些材料", ctx).answers
                if a.kind == "registration"]
    assert transfer == ["关系转移需要哪些材料"]
    assert not [a for a in search.ask("继续教育学时怎么查", ctx).answers
                if a.kind == "registration"]
