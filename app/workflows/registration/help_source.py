"""智能客服: "注册申请退休人员要交什么？" answered from the requirements table itself, so the
answer is always what the form and the submit check ask for (registration's DOMAIN lists
`answer` in answer_sources; create_app registers it with the help search). Documents are answered from here only:
when this source answers, the knowledge base's FAQ entries are not added (they would list
documents of their own).

A question is read in the words people type: the business (注册申请, 北京市内转所 → 关系转移)
and the form's answers (退休 → 是否退休“是”, 市内转所 → 关系转移类型“京内转所”, 改名 → 变更内容
“姓名 (证书信息)”). The documents are those the form asks for with those answers; a condition
on an answer the question does not give stays in words beside its document."""
from app.workflows.help import search
from app.workflows.registration import requirements
from app.workflows.registration import types as TY

ASKING = ("材料", "需要", "要求", "提交", "上传", "准备", "附件", "资料", "要交", "交什么", "交哪些",
          "带什么", "什么证明", "哪些证明", "要什么", "需什么", "文件")

# phrases naming a business, longest first when read (a longer phrase hides those inside it:
# "注册申请退回" is 其他变更, not 注册申请)
TYPE_WORDS = {
    TY.REGISTER: ("注册申请", "申请注册", "首次注册", "办理注册", "初次注册", "非执业转执业",
                  "转为执业", "转执业", "注册成为执业", "注册为执业"),
    TY.CANCEL: ("注销", "撤销注册", "撤销"),
    TY.TRANSFER: ("关系转移", "转所", "转入", "转出", "转到", "调到", "调入", "换事务所",
                  "换所", "换个事务所", "换一家事务所", "转外省", "转往外省", "去外省"),
    TY.CHANGE: ("信息变更", "证书信息", "变更证书", "改名", "更名", "名字改", "姓名变更",
                "身份证号变更", "改身份证", "身份证号改", "换身份证", "军官证"),
    TY.OTHER_CHANGE: ("其他变更", "监管平台", "绑定手机", "注册申请退回", "转所申请退回",
                      "申请退回"),
    TY.SUPPLEMENT: ("信息补录", "补录"),
    TY.REISSUE: ("证书补办", "补办", "遗失", "丢失", "丢了", "补发", "损毁"),
    TY.QUALIFICATION: ("任职资格", "资格检查"),
}
ALIASES = TYPE_WORDS  # the name the earlier module used

# plain words for the form's answers: (case types, phrase, field key, value)
_NO = ("非退休", "未退休", "没退休", "没有退休", "不是退休", "非退休人员", "在职", "尚未退休")
ANSWER_WORDS = [
    ((TY.REGISTER,), _NO, "retired", TY.NO),
    ((TY.REGISTER,), ("退休",), "retired", TY.YES),
    ((TY.TRANSFER,), _NO, "retired", "非退休"),
    ((TY.TRANSFER,), ("退休",), "retired", "退休"),
    ((TY.TRANSFER,), ("外省转入本市协会代管", "外省转入北京协会代管", "外省转入协会代管",
                      "从外省转入北京由协会代管", "外地转入协会代管", "外省转到北京协会代管"),
     "transfer_type", "外省转入本市协会代管"),
    ((TY.TRANSFER,), ("外省转入本市事务所", "外省转入北京的事务所", "外省转入北京事务所",
                      "从外省转入北京", "外省转入本市", "外省转入", "外地转入", "外省转到北京",
                      "从外省转"), "transfer_type", "外省转入本市事务所"),
    ((TY.TRANSFER,), ("本市转外省", "北京转外省", "转到外省", "转往外省", "转外省", "去外省",
                      "转出北京", "转到外地", "调往外省", "从北京转到外省"),
     "transfer_type", "本市转外省事务所/协会代管"),
    ((TY.TRANSFER,), ("转入协会代管", "转到协会代管", "转为协会代管", "交给协会代管",
                      "改为协会代管", "协会代管"), "transfer_type", "转入协会代管"),
    ((TY.TRANSFER,), ("京内转所", "北京市内转所", "市内转所", "北京市内", "本市转所", "京内",
                      "市内", "北京内部转所", "在北京换个事务所", "在北京换一家事务所",
                      "北京换事务所"),
     "transfer_type", "京内转所"),
    ((TY.CHANGE,), ("军官证换成身份证", "军官证换身份证", "军官证变更为身份证", "军官证改为身份证",
                    "军官证"), "items", "将军官证等证件变更为身份证 (证书信息)"),
    ((TY.CHANGE,), ("身份证号", "身份证"), "items", "身份证号 (证书信息)"),
    ((TY.CHANGE,), ("姓名", "改名", "更名", "名字"), "items", "姓名 (证书信息)"),
    ((TY.CHANGE,), ("全科合格证号", "合格证号", "合格证编号"), "items", "全科合格证号"),
    ((TY.CHANGE,), ("注册会计师编号", "注师编号", "证书编号"), "items", "注册会计师编号"),
    ((TY.CHANGE,), ("资格取得方式",), "items", "资格取得方式"),
    ((TY.CHANGE,), ("通过方式",), "items", "通过方式"),
    ((TY.CHANGE,), ("考核文号",), "items", "考核文号"),
    ((TY.CHANGE,), ("注册日期",), "items", "注册日期"),
    ((TY.OTHER_CHANGE,), ("绑定手机号", "绑定手机", "手机号"), "items", "统一监管平台绑定手机号"),
    ((TY.OTHER_CHANGE,), ("转所申请退回",), "items", "将行业统一监管平台转所申请退回"),
    ((TY.OTHER_CHANGE,), ("注册申请退回",), "items", "将行业统一监管平台注册申请退回"),
    ((TY.QUALIFICATION,), ("首席合伙人", "主任会计师"), "position", "首席合伙人（主任会计师）"),
    ((TY.QUALIFICATION,), ("分所负责人",), "position", "分所负责人"),
    ((TY.QUALIFICATION,), ("合伙人", "股东"), "position", "合伙人（股东）"),
    ((TY.CANCEL,), ("仍是合伙人", "仍为合伙人", "还是合伙人", "仍是股东", "还是股东"),
     "partner", TY.YES),
]


def _take(text: str, phrase: str) -> tuple[bool, str]:
    """Whether `phrase` is in `text`, and the text with it blanked out (so the words inside a
    longer phrase already read do not count again)."""
    if phrase in text:
        return True, text.replace(phrase, "　" * len(phrase))
    return False, text


def types_in(question: str) -> list[str]:
    text, found = question, []
    for phrase, case_type in sorted(((p, t) for t, ps in TYPE_WORDS.items() for p in ps),
                                    key=lambda pair: -len(pair[0])):
        hit, text = _take(text, phrase)
        if hit and case_type not in found:
            found.append(case_type)
    # 京内转所 / 转入协会代管 name a 关系转移 however else they are read
    return [t for t in TY.ALL if t in found]


def answers_in(case_type: str, question: str) -> dict:
    """The form's answers the question gives for this business, in the form's own values."""
    choices = {f.key: f for f in TY.fields_of(case_type) if f.choices}
    rules = [(phrase, key, value) for types, phrases, key, value in ANSWER_WORDS
             if case_type in types and key in choices for phrase in phrases]
    # the form's own wording counts too (a value typed as it is listed)
    rules += [(value, key, value) for key, field in choices.items() for value in field.choices
              if len(value) > 1]
    text, answers = question, {}
    for phrase, key, value in sorted(rules, key=lambda rule: -len(rule[0])):
        hit, text = _take(text, phrase)
        if not hit:
            continue
        if choices[key].kind == "checks":
            answers.setdefault(key, [])
            if value not in answers[key]:
                answers[key].append(value)
        else:
            answers.setdefault(key, value)
    return answers


def _clause_known(clause, answers) -> bool:
    return clause[0] in answers


def documents_for_question(case_type: str, answers: dict) -> list[tuple]:
    """(row, the conditions left in words) of what the form asks for with `answers`: a row
    whose condition the answers break is left out; one on answers not given keeps them."""
    found, seen = [], set()
    for row in requirements.rows_of(case_type):
        clauses = requirements.parse_condition(row.condition)
        known = [c for c in clauses if _clause_known(c, answers)]
        if not requirements.applies(requirements.join_condition(known), answers):
            continue
        left = requirements.join_condition([c for c in clauses if not _clause_known(c, answers)])
        if (row.doc_key, left) in seen:
            continue
        seen.add((row.doc_key, left))
        found.append((row, requirements.condition_words(left, case_type) if left else ""))
    return found


def answer_words(case_type: str, answers: dict) -> str:
    labels = {f.key: f.label for f in TY.fields_of(case_type)}
    parts = []
    for key, value in answers.items():
        shown = "、".join(value) if isinstance(value, list) else value
        parts.append(f"{labels.get(key, key)}为“{shown}”")
    return "，".join(parts)


def answer(question: str, terms) -> list[search.Answer]:
    if not any(word in question for word in ASKING):
        return []
    found = []
    for case_type in types_in(question):
        given = answers_in(case_type, question)
        rows = documents_for_question(case_type, given)
        if not rows:
            continue
        listed = "；".join(
            f"{n}. {row.label}" + ("［选填］" if not row.required else "")
            + (f"［{words}时需要］" if words else "")
            for n, (row, words) in enumerate(rows, 1))
        which = f"（{answer_words(case_type, given)}）" if given else ""
        found.append(search.Answer(
            kind="registration", id=None, title=f"{case_type}{which}需要哪些材料",
            text=f"办理{case_type}业务{which}需上传以下材料：{listed}。"
                 f"材料支持 .jpg、.png、.pdf 格式，每份不超过5MB。"
                 + ("材料审核通过后须在30天内预约到协会现场办理。"
                    if TY.is_onsite(case_type, given) or case_type in TY.ONSITE else ""),
            source="注册业务所需材料设置（业务办理表单与提交审核使用同一份材料清单）", score=100.0))
    return found


def listed_documents(text: str) -> list[str]:
    """The document labels of an answer's text, in order (for tests and the page)."""
    body = text.split("需上传以下材料：", 1)[1].split("。材料支持", 1)[0]
    return [part.split(". ", 1)[-1].split("［", 1)[0] for part in body.split("；")]
