"""智能客服: "注册申请需要哪些材料？" answered from the requirements table itself, so the
answer is always what the form and the submit check ask for (registered with the help
search's `register_answer_source` hook at import)."""
from app.extensions import db
from app.workflows.help import search
from app.workflows.registration import requirements
from app.workflows.registration import types as TY

ASKING = ("材料", "需要", "要求", "提交", "上传", "准备", "附件")
# words a question may use for a type, beyond the type's own name
ALIASES = {TY.REGISTER: ("注册申请", "申请注册", "首次注册", "办理注册"),
           TY.CANCEL: ("注销", "撤销"), TY.TRANSFER: ("关系转移", "转所", "转入", "转出"),
           TY.CHANGE: ("信息变更", "证书信息"), TY.OTHER_CHANGE: ("其他变更", "监管平台"),
           TY.SUPPLEMENT: ("信息补录", "补录"), TY.REISSUE: ("证书补办", "补办", "遗失"),
           TY.QUALIFICATION: ("任职资格",)}


def types_in(question: str) -> list[str]:
    return [t for t in TY.ALL if any(word in question for word in ALIASES[t])]


def answer(question: str, terms) -> list[search.Answer]:
    if not any(word in question for word in ASKING):
        return []
    found = []
    for case_type in types_in(question):
        text = requirements.describe(case_type, db.session)
        if not text:
            continue
        found.append(search.Answer(
            kind="registration", id=None, title=f"{case_type}需要哪些材料",
            text=f"办理{case_type}业务需上传：{text}。材料支持 .jpg、.png、.pdf 格式，每份不超过5MB。"
                 + ("材料审核通过后须在30天内预约到协会现场办理。" if case_type in TY.ONSITE else ""),
            source="注册业务所需材料设置（业务办理表单与提交审核使用同一份材料清单）", score=100.0))
    return found


search.register_answer_source(answer)
