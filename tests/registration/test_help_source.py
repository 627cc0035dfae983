"""智能客服 answers what a case type needs from the requirements table itself: the answer
follows when staff edit the table; a question about something else is left to the FAQ."""
from app.models import DocRequirement
from app.workflows.help import search
from app.workflows.registration import requirements
from tests.registration.common import setup_tables


def test_the_answer_is_the_requirements_table(ctx, world):
    setup_tables(ctx)
    reply = search.ask("注册申请需要哪些材料？", ctx)
    answer = next(a for a in reply.answers if a.kind == "registration")
    assert answer.title == "注册申请需要哪些材料"
    assert "存档证明" in answer.text and "退休证或退休证明扫描件［是否退休为“是”时需要］" in answer.text
    assert "所需材料设置" in answer.source
    row = ctx.query(DocRequirement).filter_by(case_type="注册申请", doc_key="archive_proof").one()
    row.label = "人事档案存档证明"
    ctx.commit()
    again = next(a for a in search.ask("办理注册申请要提交什么材料", ctx).answers
                 if a.kind == "registration")
    assert "人事档案存档证明" in again.text
    transfer = [a.title for a in search.ask("京内转所需要哪些材料", ctx).answers
                if a.kind == "registration"]
    assert transfer == ["关系转移（关系转移类型为“京内转所”）需要哪些材料"]
    assert not [a for a in search.ask("继续教育学时怎么查", ctx).answers
                if a.kind == "registration"]


# how people say it: a business and the form's answers in their own words
TYPE_PLAIN = {"注册申请": "申请注册", "注销(撤销)": "注销注册", "关系转移": "办理关系转移",
              "信息变更": "变更证书信息", "其他变更": "其他变更", "信息补录": "信息补录",
              "证书补办": "证书丢了补办", "任职资格检查": "任职资格检查"}
ANSWER_PLAIN = {
    ("注册申请", "retired", "是"): "退休人员", ("注册申请", "retired", "否"): "在职人员",
    ("关系转移", "retired", "退休"): "已经退休的", ("关系转移", "retired", "非退休"): "没退休的",
    ("关系转移", "transfer_type", "京内转所"): "北京市内转所",
    ("关系转移", "transfer_type", "转入协会代管"): "转到协会代管",
    ("关系转移", "transfer_type", "外省转入本市事务所"): "从外省转入北京的事务所",
    ("关系转移", "transfer_type", "外省转入本市协会代管"): "从外省转入北京由协会代管",
    ("关系转移", "transfer_type", "本市转外省事务所/协会代管"): "从北京转到外省",
    ("信息变更", "items", "身份证号 (证书信息)"): "改身份证号",
    ("信息变更", "items", "姓名 (证书信息)"): "改名字",
    ("信息变更", "items", "将军官证等证件变更为身份证 (证书信息)"): "军官证换成身份证",
    ("信息变更", "items", "通过方式"): "改通过方式",
    ("信息变更", "items", "注册会计师编号"): "改注册会计师编号",
    ("信息变更", "items", "资格取得方式"): "改资格取得方式",
    ("信息变更", "items", "考核文号"): "改考核文号",
    ("信息变更", "items", "全科合格证号"): "改全科合格证号",
    ("信息变更", "items", "注册日期"): "改注册日期",
    ("其他变更", "items", "统一监管平台绑定手机号"): "更换监管平台绑定手机号",
    ("其他变更", "items", "将行业统一监管平台转所申请退回"): "把转所申请退回",
    ("其他变更", "items", "将行业统一监管平台注册申请退回"): "把注册申请退回",
    ("任职资格检查", "position", "首席合伙人（主任会计师）"): "当主任会计师",
    ("任职资格检查", "position", "合伙人（股东）"): "当合伙人",
    ("任职资格检查", "position", "分所负责人"): "当分所负责人",
}


def _combinations(case_type):
    """Every combination of the answers the type's conditions test (one item at a time for
    a list of ticks), as the form would be answered."""
    import itertools

    from app.workflows.registration import types as TY
    keys = sorted({key for row in requirements.rows_of(case_type)
                   for key, _op, _value in requirements.parse_condition(row.condition)}
                  | {key for type_, key, _value in ANSWER_PLAIN if type_ == case_type})
    fields = {f.key: f for f in TY.fields_of(case_type)}
    values = [[(key, [v] if fields[key].kind == "checks" else v) for v in fields[key].choices]
              for key in keys]
    return [dict(combo) for combo in itertools.product(*values)] if values else [{}]


def test_every_business_and_answer_in_plain_words_gets_the_forms_list(ctx, world):
    """For each business type and each combination of the answers its documents depend on,
    asked in plain words, the 智能客服 lists exactly the documents the form asks for."""
    from app.workflows.registration import help_source
    from app.workflows.registration import types as TY
    setup_tables(ctx)
    asked = 0
    for case_type in TY.ALL:
        for answers in _combinations(case_type):
            words = "".join(ANSWER_PLAIN[(case_type, key, value[0] if isinstance(value, list)
                                          else value)] for key, value in answers.items())
            question = f"{TYPE_PLAIN[case_type]}{words}要交什么材料"
            found = [a for a in search.ask(question, ctx).answers if a.kind == "registration"]
            assert [a.title.split("（")[0].split("需要")[0] for a in found] == [case_type], question
            form = [r.label for r in requirements.documents_for(case_type, answers)]
            assert help_source.listed_documents(found[0].text) == form, question
            assert not [a for a in search.ask(question, ctx).answers if a.kind == "faq"]
            asked += 1
    assert asked >= 30


def test_the_retired_applicant_and_the_faq_never_lists_documents(ctx, world):
    from app.models import FaqEntry
    from tests.registration.common import NOW
    setup_tables(ctx)
    ctx.add(FaqEntry(question="北京市内转所需要哪些材料？\n市内关系转移怎么办理",
                     answer="选择“市内转所”，上传与原事务所解除劳动关系的证明……",
                     source="注册管理常见问题", created_at=NOW))
    ctx.commit()
    reply = search.ask("注册申请退休人员要交什么", ctx)
    [answer] = [a for a in reply.answers if a.kind == "registration"]
    assert "退休证或退休证明扫描件" in answer.text and "聘用协议" in answer.text
    assert "劳动合同" not in answer.text and "是否退休为“是”" in answer.title
    reply = search.ask("北京市内转所需要哪些材料", ctx)
    assert [a.kind for a in reply.answers] == ["registration"]
    assert "关系转移类型为“京内转所”" in reply.answers[0].title
    assert "市内转所”" not in reply.answers[0].text
    # a question about something else is still the FAQ's
    assert [a.kind for a in search.ask("市内关系转移怎么办理", ctx).answers] == ["faq"]
