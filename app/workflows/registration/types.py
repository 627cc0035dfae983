"""The case types of 业务办理 (seed 004 §3.1–§3.7) and their forms' fields, as data.

Each type names its fields (key, label, kind, choices, required), whether it is handled on site
(then it is booked after approval) and which stages follow the on-site visit.
"""
import dataclasses

REGISTER = "注册申请"
CANCEL = "注销(撤销)"
TRANSFER = "关系转移"
CHANGE = "信息变更"
OTHER_CHANGE = "其他变更"
SUPPLEMENT = "信息补录"
REISSUE = "证书补办"
QUALIFICATION = "任职资格检查"
ALL = (REGISTER, CANCEL, TRANSFER, CHANGE, OTHER_CHANGE, SUPPLEMENT, REISSUE, QUALIFICATION)

YES, NO = "是", "否"
TRANSFER_TYPES = ("京内转所", "转入协会代管", "外省转入本市事务所", "外省转入本市协会代管",
                  "本市转外省事务所/协会代管")
CANCEL_REASONS = (
    "不在会计师事务所专职执业的", "死亡或者丧失行为能力的", "受刑事处罚的",
    "自行停止执行注册会计师业务满1年的", "以欺骗、贿赂等不正当手段取得注册会计师证书的",
    "因在财务、会计、审计、企业管理或者其他经济管理工作中犯有严重错误受行政处罚、撤职以上处分的",
    "依法被吊销注册会计师证书的")
CHANGE_ITEMS = ("身份证号 (证书信息)", "姓名 (证书信息)", "通过方式", "注册会计师编号",
                "资格取得方式", "考核文号", "全科合格证号", "将军官证等证件变更为身份证 (证书信息)",
                "注册日期")
CERTIFICATE_ITEMS = tuple(item for item in CHANGE_ITEMS if "证书信息" in item)
OTHER_CHANGE_ITEMS = ("统一监管平台绑定手机号", "将行业统一监管平台转所申请退回",
                      "将行业统一监管平台注册申请退回")
QUALIFICATION_KINDS = ("首席合伙人（主任会计师）", "合伙人（股东）", "分所负责人")


@dataclasses.dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text | id_number | mobile | cert | radio | select | checks | firm
    choices: tuple = ()
    required: bool = True
    hint: str = ""


NAME = Field("name", "姓名")
ID_NUMBER = Field("id_number", "身份证号", "id_number")
CERT = Field("cert_number", "注册会计师证号", "cert")
MOBILE = Field("mobile", "注册会计师本人手机号", "mobile", hint="用于接收预约短信使用")

FIELDS = {
    REGISTER: (NAME, ID_NUMBER, MOBILE, Field("retired", "是否退休", "radio", (YES, NO))),
    CANCEL: (NAME, Field("gender", "性别", "radio", ("男", "女")), ID_NUMBER, CERT, MOBILE,
             Field("firm_name", "所在事务所名称", "firm", required=False),
             Field("partner", "是否仍为所在事务所股东或合伙人", "radio", (YES, NO)),
             Field("reason", "注销(撤销)原因", "select", CANCEL_REASONS),
             Field("agent_name", "受托人姓名", required=False),
             Field("agent_mobile", "受托人手机号", "mobile", required=False)),
    TRANSFER: (NAME, CERT, MOBILE, Field("retired", "人员类型", "radio", ("退休", "非退休")),
               Field("transfer_type", "关系转移类型", "select", TRANSFER_TYPES),
               Field("from_firm", "转出事务所名称", "firm", required=False),
               Field("to_firm", "转入事务所名称", "firm", required=False)),
    CHANGE: (NAME, CERT, MOBILE, Field("items", "变更内容", "checks", CHANGE_ITEMS)),
    OTHER_CHANGE: (NAME, CERT, MOBILE, Field("items", "变更内容", "checks", OTHER_CHANGE_ITEMS)),
    SUPPLEMENT: (NAME, CERT, MOBILE),
    REISSUE: (NAME, ID_NUMBER, MOBILE),
    QUALIFICATION: (NAME, CERT, MOBILE,
                    Field("position", "拟任职务", "select", QUALIFICATION_KINDS)),
}

GUIDES = {
    REGISTER: "申请注册须在会计师事务所专职执业，提交注册申请表、全科合格证、劳动合同、身份证、"
              "社保及存档材料；材料审核通过后30天内预约到协会现场办理，领取注册会计师证书。",
    CANCEL: "注册会计师有法定情形的，由所在事务所或本人申请注销(撤销)注册；下载预填的申请表，"
            "由注师本人签字、事务所负责人签字盖章后上传，审核通过后预约到现场交回证书原件。",
    TRANSFER: "注册会计师变更执业事务所或转入/转出协会代管，须提交转所表、证书、年检二维码、"
              "劳动合同、社保权益记录与存档证明，审核通过后预约到现场办理。",
    CHANGE: "变更证书信息（身份证号、姓名等）须审核通过后预约到现场换发证书；其他事项审核通过即办理完成。",
    OTHER_CHANGE: "统一监管平台的手机号绑定、申请退回等事项，审核通过即办理完成。",
    SUPPLEMENT: "行业管理系统中缺失的注册信息，提交补录申请及相关证明，审核通过即办理完成。",
    REISSUE: "证书遗失或损毁的，提交补办申请及登报挂失声明，审核通过后预约到现场办理。",
    QUALIFICATION: "拟任首席合伙人、合伙人（股东）或分所负责人的注册会计师，提交任职资格检查材料，"
                   "审核通过即办理完成。",
}
PLEDGE = "我承诺在本业务办理过程中提供的信息真实、完整、有效。"

# types handled on site after approval (信息变更 only when a certificate item changes)
ONSITE = {REGISTER, CANCEL, TRANSFER, REISSUE}
# on-site types whose certificate is then made and collected (the others end at the visit)
CERTIFICATE_MADE = {REGISTER, TRANSFER, REISSUE, CHANGE}

# what the person brings, for the booking message (seed 004 §6)
BRING = {REGISTER: "1份注册会计师注册申请表", CANCEL: "注册会计师注销(撤销)注册申请表及注师证书原件",
         TRANSFER: "转所表及注册会计师证书原件", CHANGE: "注册会计师证书原件及有效身份证件",
         REISSUE: "补办申请及登报挂失声明原件"}


def is_onsite(case_type: str, answers: dict) -> bool:
    if case_type == CHANGE:
        return any(item in CERTIFICATE_ITEMS for item in answers.get("items") or [])
    return case_type in ONSITE


def makes_certificate(case_type: str) -> bool:
    return case_type in CERTIFICATE_MADE


def fields_of(case_type: str) -> tuple:
    return FIELDS[case_type]
