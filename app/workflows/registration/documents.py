"""下载模板: each form's template as a PDF, pre-filled from the case when one is given, for the
CPA and the firm to sign (seed 004 §3): 注册申请表, 注销(撤销)注册申请表, 转所表, 相关事项申请表,
补办申请, 任职资格检查申请表 — each with the fields its business needs.

Choices (注销原因, 是/否, 关系转移类型, 变更内容…) are drawn as boxes, a tick in the chosen one
(ReportLab shapes): ☑/☐ are not in the PDF's CID font and would print alike."""
import io
import types

from app.workflows.core.institute import identity
from app.workflows.core.scoping import account_of
from app.workflows.hours.certificates import _font
from app.workflows.registration import filers
from app.workflows.registration import types as TY


def cancel_notes() -> tuple[str, str]:
    where = identity()
    return (
        "1. 若注师为所在事务所股东(合伙人)，请到总所所在地区财政部门办理股东名单变更登记，将要注销注师"
        "从财政部系统中备案的股东名单中去除。",
        f"2. 需要本人或委托他人到协会现场提交本申请表及注师证书原件。地址：{where.address} "
        f"联系人：{where.contact}，{where.phone}")


def onsite_note() -> str:
    return ("请按模板填写、签字盖章后制作成图片或 PDF 文件上传；审核通过后预约到协会现场办理时携带原件。"
            f"地址：{identity().address}。")


ONLINE_NOTE = "请按模板填写、签字盖章后制作成图片或 PDF 文件上传，审核通过即办理完成。"
# spaces collapse in a PDF paragraph: the blanks to write in are lines
DATE = "＿＿＿＿年＿＿月＿＿日"
SIGN = f"申请人(签字)：＿＿＿＿＿＿＿＿　{DATE}"
FIRM_SIGN = f"负责人(签字)：＿＿＿＿＿＿＿＿（公章）　{DATE}"
CLERK = f"\n经办人：＿＿＿＿＿＿＿＿　{DATE}"
PROMISE = "本人对申请材料内容的真实性负责，如有虚假，愿承担由此产生的一切法律后果。"

TEMPLATE_TITLES = {
    "application_form": "注册会计师注册申请表", "cancel_form": "注册会计师注销(撤销)注册申请表",
    "transfer_form": "转所表", "matters_form": "注册会计师相关事项申请表",
    "reissue_request": "注册会计师证书补办申请", "check_form": "任职资格检查申请表",
}
BOX = 9  # points
BLANK = '<font color="#ffffff">一</font>'  # an empty line to write on (a space would collapse)


def _esc(text) -> str:
    return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Form:
    """Builds one form: rows of (label, value), a value being text (lines joined by \\n) or
    boxes of choices."""

    def __init__(self):
        from reportlab.lib.styles import ParagraphStyle

        font = _font()
        self.cell = ParagraphStyle("c", fontName=font, fontSize=10.5, leading=16,
                                   wordWrap="CJK")
        self.small = ParagraphStyle("s", fontName=font, fontSize=9, leading=14, wordWrap="CJK")
        self.font = font

    def text(self, value):
        from reportlab.platypus import Paragraph
        return Paragraph("<br/>".join(_esc(part) or BLANK for part in
                                      str(value or "").split("\n")), self.cell)

    @staticmethod
    def box(checked: bool):
        """A square; a tick drawn inside when chosen."""
        from reportlab.graphics.shapes import Drawing, PolyLine, Rect
        from reportlab.lib import colors

        drawing = Drawing(BOX + 2, BOX + 2)
        drawing.add(Rect(1, 1, BOX, BOX, strokeColor=colors.black, strokeWidth=0.8,
                         fillColor=None))
        if checked:
            drawing.add(PolyLine([2.6, 5.6, 4.6, 2.8, 8.8, 9.0], strokeColor=colors.black,
                                 strokeWidth=1.6))
        return drawing

    def choices(self, options, chosen, inline=False, suffix="", last=""):
        """Each option with its box; ``chosen`` a value or a list of them; ``suffix`` after
        each option's words (``last`` after the last one's)."""
        from reportlab.platypus import Table, TableStyle

        picked = set(chosen if isinstance(chosen, (list, tuple, set)) else [chosen])
        cells = [(self.box(option in picked),
                  self.text(option + (last if last and i == len(options) - 1 else suffix)))
                 for i, option in enumerate(options)]
        style = TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                            ("LEFTPADDING", (0, 0), (-1, -1), 1),
                            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                            ("TOPPADDING", (0, 0), (-1, -1), 1),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])
        if inline:
            row = [part for cell in cells for part in cell]
            widths = []
            for option in options:
                widths += [BOX + 5, (len(option + suffix) + 1) * 10.5]
            return Table([row], colWidths=widths, style=style, hAlign="LEFT")
        return Table([list(cell) for cell in cells], colWidths=[BOX + 5, None], style=style,
                     hAlign="LEFT")

    def build(self, title: str, rows: list, notes=()) -> bytes:
        from reportlab.lib import colors
        from reportlab.lib.enums import TA_CENTER
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

        head = ParagraphStyle("h", fontName=self.font, fontSize=18, leading=28,
                              alignment=TA_CENTER)
        data = [[self.text(label), value if not isinstance(value, str) else self.text(value)]
                for label, value in rows]
        table = Table(data, colWidths=[45 * mm, 125 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                   ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f3f7"))]))
        story = [Paragraph(_esc(title), head), Spacer(1, 6 * mm), table, Spacer(1, 6 * mm)]
        story += [Paragraph(_esc(n), self.small) for n in notes]
        buffer = io.BytesIO()
        SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                          topMargin=20 * mm, bottomMargin=18 * mm, title=title,
                          author=identity().name).build(story)
        return buffer.getvalue()


def _getter(case):
    if case is None:
        return lambda attr: ""
    return lambda attr: getattr(case, attr, "") or ""


def cancel_form(case=None, answers=None, firm_name="") -> bytes:
    """《注册会计师注销(撤销)注册申请表》 (§3.2), filled in from the case when one is given."""
    a, get, f = answers or {}, _getter(case), _Form()
    agent = a.get("agent_name") or "＿＿＿＿"
    rows = [
        ["注师姓名", get("name")], ["性别", f.choices(("男", "女"), a.get("gender"), inline=True)],
        ["手机号", get("mobile")], ["注师证书编号", get("cert_number")],
        ["注师身份证号", get("id_number")], ["所在事务所", a.get("firm_name") or firm_name],
        ["是否仍为所在事务所股东/合伙人", f.choices((TY.YES, TY.NO), a.get("partner"), inline=True)],
        ["受托人姓名", a.get("agent_name") or ""], ["受托人手机号", a.get("agent_mobile") or ""],
        ["注销(撤销)注册的情形(原因)",
         f.choices(TY.CANCEL_REASONS, a.get("reason"), suffix="；", last="。")],
        ["申请人委托", f"本人现委托 {agent} 作为我的代理人，全权代表我办理注册会计师注销(撤销)注册相关事项，"
                   "对受托人在办理上述事项过程中所签署的有关文件，我均予以认可，并承担相应的法律责任。"
                   "委托期限：自签字之日起至上述事项办完为止。"],
        ["申请人承诺", f"{PROMISE}\n{SIGN}"],
        ["事务所意见", f"同意注销(撤销)注册该同志注册会计师注册。\n{FIRM_SIGN}"],
    ]
    return f.build(TEMPLATE_TITLES["cancel_form"], rows, cancel_notes())


def application_form(case=None, answers=None, firm_name="") -> bytes:
    """《注册会计师注册申请表》 (§3.1)."""
    a, get, f = answers or {}, _getter(case), _Form()
    rows = [
        ["姓名", get("name")], ["身份证号", get("id_number")], ["手机号", get("mobile")],
        ["申请注册的会计师事务所", firm_name],
        ["是否退休", f.choices((TY.YES, TY.NO), a.get("retired"), inline=True)],
        ["全科合格证号（或考核文号）", ""],
        ["申请人承诺", f"本人在上述会计师事务所专职执业，{PROMISE}\n{SIGN}"],
        ["事务所意见", f"经审查，申请人在本所专职执业，同意申请注册。\n{FIRM_SIGN}"],
        ["协会审核意见", CLERK],
    ]
    return f.build(TEMPLATE_TITLES["application_form"], rows, (onsite_note(),))


def transfer_form(case=None, answers=None, firm_name="") -> bytes:
    """《转所表》 (§3.3): the five 关系转移类型, 人员类型, both firms and their opinions."""
    a, get, f = answers or {}, _getter(case), _Form()
    kind = a.get("transfer_type") or ""
    to_firm = a.get("to_firm") or ("协会代管" if kind in ("转入协会代管", "外省转入本市协会代管")
                                   else "")
    rows = [
        ["姓名", get("name")], ["注册会计师证号", get("cert_number")], ["手机号", get("mobile")],
        ["人员类型", f.choices(("退休", "非退休"), a.get("retired"), inline=True)],
        ["关系转移类型", f.choices(TY.TRANSFER_TYPES, kind)],
        ["转出事务所名称", a.get("from_firm") or (firm_name if case is not None and
                                               case.firm_id else "")],
        ["转入事务所名称", to_firm],
        ["申请人承诺", f"{PROMISE}\n{SIGN}"],
        ["转出事务所意见", f"同意该同志转出。\n{FIRM_SIGN}"],
        ["转入事务所意见", f"同意该同志转入本所执业。\n{FIRM_SIGN}"],
        ["协会意见", CLERK],
    ]
    return f.build(TEMPLATE_TITLES["transfer_form"], rows, (onsite_note(),))


def matters_form(case=None, answers=None, firm_name="") -> bytes:
    """《注册会计师相关事项申请表》 (§3.5 其他变更): the matters ticked as chosen."""
    a, get, f = answers or {}, _getter(case), _Form()
    rows = [
        ["姓名", get("name")], ["注册会计师证号", get("cert_number")],
        ["身份证号", get("id_number")], ["手机号", get("mobile")], ["所在事务所", firm_name],
        ["申请事项", f.choices(TY.OTHER_CHANGE_ITEMS, a.get("items") or [])],
        ["情况说明", "\n\n"],
        ["申请人承诺", f"{PROMISE}\n{SIGN}"],
        ["事务所意见", f"情况属实。\n{FIRM_SIGN}"],
    ]
    return f.build(TEMPLATE_TITLES["matters_form"], rows, (ONLINE_NOTE,))


def reissue_request(case=None, answers=None, firm_name="") -> bytes:
    """《注册会计师证书补办申请》 (§3.7): why, and the 登报挂失声明."""
    get, f = _getter(case), _Form()
    rows = [
        ["姓名", get("name")], ["身份证号", get("id_number")],
        ["注册会计师证号", get("cert_number")], ["手机号", get("mobile")],
        ["所在事务所", firm_name],
        ["补办原因", f.choices(("遗失", "损毁"), None, inline=True)],
        ["登报挂失情况", f"刊登报纸名称：＿＿＿＿＿＿＿＿　刊登日期：{DATE}"],
        ["申请人承诺", f"本人注册会计师证书因上述原因申请补办，原证书自挂失声明刊登之日起作废。{PROMISE}\n{SIGN}"],
        ["事务所意见", f"情况属实，同意补办。\n{FIRM_SIGN}"],
    ]
    return f.build(TEMPLATE_TITLES["reissue_request"], rows, (onsite_note(),))


def check_form(case=None, answers=None, firm_name="") -> bytes:
    """《任职资格检查申请表》: the position applied for, ticked as chosen."""
    a, get, f = answers or {}, _getter(case), _Form()
    rows = [
        ["姓名", get("name")], ["注册会计师证号", get("cert_number")],
        ["身份证号", get("id_number")], ["手机号", get("mobile")], ["所在事务所", firm_name],
        ["拟任职务", f.choices(TY.QUALIFICATION_KINDS, a.get("position"))],
        ["近三年执业经历", "（起止年月、所在事务所、职务，每段一行）\n\n\n\n"],
        ["近三年是否受到行政处罚、刑事处罚或行业惩戒", f.choices((TY.YES, TY.NO), None, inline=True)],
        ["申请人承诺", f"{PROMISE}\n{SIGN}"],
        ["事务所意见", f"同意该同志担任上述职务。\n{FIRM_SIGN}"],
    ]
    return f.build(TEMPLATE_TITLES["check_form"], rows, (ONLINE_NOTE,))


BUILDERS = {"application_form": application_form, "cancel_form": cancel_form,
            "transfer_form": transfer_form, "matters_form": matters_form,
            "reissue_request": reissue_request, "check_form": check_form}


def template(doc_key: str, case=None, answers=None, firm_name="") -> tuple[str, bytes]:
    """(file name, PDF) of a form's template, filled in from the case when one is given."""
    builder = BUILDERS.get(doc_key)
    if builder is None:
        raise KeyError(doc_key)
    name = TEMPLATE_TITLES[doc_key] + (f"_{case.name}" if case is not None else "")
    return name + ".pdf", builder(case, answers, firm_name)


COLUMNS = ("name", "id_number", "cert_number", "mobile")


def typed_template(actor, doc_key: str, case_type: str, typed: dict) -> tuple[str, bytes]:
    """A form filled in from what is typed in the filing form (not saved, not checked: the
    values are only printed, escaped), for its filer (the firm's name, or 协会代管)."""
    kind = filers.require_filer(actor)
    account = account_of(actor)
    firm_name = account.firm.name if kind == filers.FIRM and account.firm is not None else "协会代管"
    clean = {key: (value[:100] if isinstance(value, str) else [str(v)[:100] for v in value][:20])
             for key, value in typed.items()}
    person = types.SimpleNamespace(firm_id=account.firm_id if kind == filers.FIRM else None,
                                   **{key: clean.get(key, "") for key in COLUMNS})
    answers = {key: value for key, value in clean.items() if key not in COLUMNS}
    if kind == filers.MANAGED:
        managed = filers.managed_person(actor)
        person.name = managed.name
        person.id_number = managed.id_number or person.id_number
        person.cert_number = managed.cert_number or person.cert_number
    return template(doc_key, person if person.name else None, answers, firm_name)
