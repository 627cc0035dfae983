"""下载模板: each form's template as a PDF, and the 注销(撤销) application form pre-filled with
the case's data for the CPA and the firm to sign (seed 004 §3.2)."""
import io

from app.workflows.hours.certificates import _font
from app.workflows.registration import types as TY

CANCEL_NOTES = (
    "1. 若注师为所在事务所股东(合伙人)，请到总所所在地区财政部门办理股东名单变更登记，将要注销注师"
    "从财政部系统中备案的股东名单中去除。",
    "2. 需要本人或委托他人到协会现场提交本申请表及注师证书原件。地址：北京市海淀区西四环中路16号院"
    "7号楼603 联系人：周老师，010-88221092")

TEMPLATE_TITLES = {
    "application_form": "注册会计师注册申请表", "cancel_form": "注册会计师注销(撤销)注册申请表",
    "transfer_form": "转所表", "matters_form": "注册会计师相关事项申请表",
    "reissue_request": "注册会计师证书补办申请", "check_form": "任职资格检查申请表",
}


def _esc(text) -> str:
    return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _build(title: str, rows: list[list], notes=()) -> bytes:
    return _build_raw(title, [[label, _esc(value)] for label, value in rows], notes)


def cancel_form(case=None, answers=None, firm_name="") -> bytes:
    """《注册会计师注销(撤销)注册申请表》, filled in from the case when one is given."""
    a = answers or {}
    get = (lambda attr: getattr(case, attr, "") or "") if case is not None else (lambda attr: "")
    chosen = a.get("reason")
    reasons = "\n".join(("☑ " if r == chosen else "☐ ") + r + "；" for r in TY.CANCEL_REASONS)
    partner = a.get("partner")
    agent = a.get("agent_name") or "＿＿＿＿"
    rows = [
        ["注师姓名", get("name")], ["性别", a.get("gender") or ""], ["手机号", get("mobile")],
        ["注师证书编号", get("cert_number")], ["注师身份证号", get("id_number")],
        ["所在事务所", a.get("firm_name") or firm_name],
        ["是否仍为所在事务所股东/合伙人",
         ("☑ 是　☐ 否" if partner == "是" else "☐ 是　☑ 否" if partner == "否" else "☐ 是　☐ 否")],
        ["受托人姓名", a.get("agent_name") or ""], ["受托人手机号", a.get("agent_mobile") or ""],
        ["注销(撤销)注册的情形(原因)", reasons],
        ["申请人委托", f"本人现委托 {agent} 作为我的代理人，全权代表我办理注册会计师注销(撤销)注册相关事项，"
                   "对受托人在办理上述事项过程中所签署的有关文件，我均予以认可，并承担相应的法律责任。"
                   "委托期限：自签字之日起至上述事项办完为止。"],
        ["申请人承诺", "本人对申请材料内容的真实性负责，如有虚假，愿承担由此产生的一切法律后果。\n"
                   "申请人(签字)：　　　　　　　年　　月　　日"],
        ["事务所意见", "同意注销(撤销)注册该同志注册会计师注册。\n"
                   "负责人(签字)：　　　　　　(公章)　　年　　月　　日"],
    ]
    rows = [[label, str(value).replace("\n", "<br/>")] for label, value in rows]
    return _build_html("注册会计师注销(撤销)注册申请表", rows, CANCEL_NOTES)


def _build_html(title, rows, notes):
    # values may carry <br/> line breaks; everything else is escaped
    safe = [[label, "<br/>".join(_esc(part) for part in value.split("<br/>"))]
            for label, value in rows]
    return _build_raw(title, safe, notes)


def _build_raw(title, rows, notes):
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    head = ParagraphStyle("h", fontName=font, fontSize=18, leading=28, alignment=TA_CENTER)
    cell = ParagraphStyle("c", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    small = ParagraphStyle("s", fontName=font, fontSize=9, leading=14, wordWrap="CJK")
    data = [[Paragraph(_esc(label), cell), Paragraph(value, cell)] for label, value in rows]
    table = Table(data, colWidths=[45 * mm, 125 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f3f7"))]))
    story = [Paragraph(_esc(title), head), Spacer(1, 6 * mm), table, Spacer(1, 6 * mm)]
    story += [Paragraph(_esc(n), small) for n in notes]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                      topMargin=20 * mm, bottomMargin=18 * mm, title=title,
                      author="北京注册会计师协会").build(story)
    return buffer.getvalue()


def template(doc_key: str, case=None, answers=None, firm_name="") -> tuple[str, bytes]:
    """(file name, PDF) of a form's template; 注销 comes back filled in from the case."""
    if doc_key == "cancel_form":
        body = cancel_form(case, answers, firm_name)
        name = "注册会计师注销(撤销)注册申请表" + (f"_{case.name}" if case is not None else "")
        return name + ".pdf", body
    title = TEMPLATE_TITLES.get(doc_key)
    if title is None:
        raise KeyError(doc_key)
    get = (lambda attr: getattr(case, attr, "") or "") if case is not None else (lambda attr: "")
    rows = [["姓名", get("name")], ["身份证号", get("id_number")],
            ["注册会计师证号", get("cert_number")], ["手机号", get("mobile")],
            ["所在事务所", firm_name], ["申请事项", ""], ["申请人(签字)", "　　　　　年　　月　　日"],
            ["事务所意见", "负责人(签字)：　　　　(公章)　　年　　月　　日"]]
    return title + ".pdf", _build(title, rows)
