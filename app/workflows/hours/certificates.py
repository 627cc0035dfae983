"""学时证明 (seed 001 §2.2 学时证明下载): a PDF certificate of one person's hours for chosen
years, recorded as an HourCertificate with a random verification code anyone can check on
the public 学时证明验证 page.

    years_with_hours(session, person)                  # the years a certificate may cover
    issue_certificate(actor, now, person_id, years)    # @command: the row, totals snapshotted
    find_by_code(session, text)                        # exact code (grouping/case ignored)
    render_pdf(certificate, verify_url)                # the PDF bytes (ReportLab, STSong-Light)
    public_view(certificate)                           # what the verification page may show

Who may issue: whoever may see the person (`get_scoped`): the member itself, its firm's
admin, institute staff. The totals are taken at issue and stored on the row, so a
certificate (PDF and verification page) always shows what was certified.
"""
import datetime as dt
import io
import json
import secrets
from decimal import Decimal

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Category, Delivery, HourCertificate, Person
from app.workflows.core.commands import command
from app.workflows.core.errors import ValidationError
from app.workflows.core.scoping import get_scoped
from app.workflows.core.institute import identity
from app.workflows.hours.rules import TENTH, ZERO, person_year, years_with_hours  # noqa: F401

# no 0/O, 1/I/L: a code read aloud or retyped from paper is not misread
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
MAX_YEARS = 6  # columns that fit an A4 page
NO_CODE = "未找到该验证码"


# ---- codes ---------------------------------------------------------------------------------

def new_code() -> str:
    """16 characters from a 31-symbol alphabet: ~79 bits, never guessed or enumerated."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def group_code(code: str) -> str:
    """ABCD-EFGH-JKMN-PQRS, as printed and shown."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalize_code(text: str | None) -> str | None:
    """The code typed by a reader (any case, spaces or dashes), or None if it cannot be one."""
    code = "".join(ch for ch in str(text or "").upper() if ch not in " -\t\r\n")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def find_by_code(session, text: str | None) -> HourCertificate | None:
    """Exactly one code through the unique index; nothing is listed or matched by prefix."""
    code = normalize_code(text)
    if code is None:
        return None
    return session.execute(select(HourCertificate).where(HourCertificate.code == code)).scalar()


# ---- what a certificate says ---------------------------------------------------------------

def one_place(value) -> str:
    return str(Decimal(value or 0).quantize(TENTH))


def year_totals(session, person: Person, year: int) -> dict:
    """One year of the certificate: totals by category and by delivery, 已获 and 有效学时,
    face-to-face, ethics, 思政, the verdict and the manual's sentence — all from the one
    computation of the year (rules.person_year → rules.compute), which the queries share: the
    table's 面授学时 line, the sentence and the verification page cannot disagree."""
    result = person_year(session, person, year)
    by_category, by_delivery = result.by_category, result.by_delivery
    return {"year": year, "obtained": one_place(result.obtained),
            "counted": one_place(result.counted),
            "face_to_face": one_place(result.face_to_face), "ethics": one_place(result.ethics),
            "sizheng": one_place(result.sizheng),
            "by_category": {k: one_place(v) for k, v in by_category.items()},
            "by_delivery": {k: one_place(v) for k, v in by_delivery.items()},
            "passed": result.passed, "reasons": list(result.reasons),
            "sentence": result.sentence}


def _parse_years(years) -> list[int]:
    parsed = set()
    for value in years or []:
        try:
            year = int(str(value).strip())
        except ValueError:
            raise ValidationError(f"年度“{value}”无效", "years") from None
        parsed.add(year)
    if not parsed:
        raise ValidationError("请勾选要开具学时证明的年度", "years")
    if len(parsed) > MAX_YEARS:
        raise ValidationError(f"每份学时证明最多包含{MAX_YEARS}个年度，请分次开具", "years")
    return sorted(parsed)


def _actor_name(actor) -> str | None:
    if actor is None:
        return None
    return getattr(actor, "username", None) or str(actor)


@command
def issue_certificate(actor, now: dt.datetime, person_id, years) -> HourCertificate:
    """Record a certificate of `person_id`'s hours for `years` (each must have hours)."""
    person = get_scoped(db.session, Person, person_id, actor, "人员不存在")
    chosen = _parse_years(years)
    available = set(years_with_hours(db.session, person))
    missing = [y for y in chosen if y not in available]
    if missing:
        raise ValidationError(
            f"{'、'.join(str(y) for y in missing)}年没有学时记录，不能开具学时证明", "years")
    code = new_code()
    while db.session.execute(select(HourCertificate.id)
                             .where(HourCertificate.code == code)).first() is not None:
        code = new_code()  # 31^16 codes: practically never taken
    certificate = HourCertificate(
        code=code, person_id=person.id, person=person, years=",".join(map(str, chosen)),
        person_name=person.name, cert_number=person.cert_number,
        firm_name=person.firm.name if person.firm is not None else None,
        totals=json.dumps([year_totals(db.session, person, y) for y in chosen],
                          ensure_ascii=False),
        issued_at=now, issued_by_id=getattr(actor, "id", None),
        issued_by_name=_actor_name(actor))
    db.session.add(certificate)
    db.session.flush()
    return certificate


def totals_of(certificate: HourCertificate) -> list[dict]:
    return json.loads(certificate.totals)


def issued_on(certificate: HourCertificate) -> dt.date:
    return clock.local_today(certificate.issued_at)


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明: enough to match a paper, not to harvest."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def public_view(certificate: HourCertificate) -> dict:
    """Only what the public verification page shows: masked name, years, totals, issue date."""
    return {"name": mask_name(certificate.person_name),
            "years": [int(y) for y in certificate.years.split(",")],
            "issued_on": chinese_date(issued_on(certificate)),
            "totals": [{k: t[k] for k in ("year", "obtained", "counted", "face_to_face",
                                          "ethics", "sizheng", "by_category")}
                       for t in totals_of(certificate)]}


# ---- the PDF -------------------------------------------------------------------------------

FONT = "STSong-Light"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def render_pdf(certificate: HourCertificate, verify_url: str) -> bytes:
    """The certificate as an A4 PDF: ReportLab's built-in CID font STSong-Light renders the
    Chinese with no font file. `verify_url` is printed (and as a QR code) beside the code."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    totals = totals_of(certificate)
    style = lambda size, **kw: ParagraphStyle(  # noqa: E731
        f"s{size}{sorted(kw.items())}", fontName=font, fontSize=size, leading=size * 1.6,
        wordWrap="CJK", **kw)
    title, body, small = style(22, alignment=TA_CENTER), style(11), style(9)
    right = style(11, alignment=TA_RIGHT)
    esc = lambda text: (str(text or "").replace("&", "&amp;")  # noqa: E731
                        .replace("<", "&lt;").replace(">", "&gt;"))

    story = [Paragraph("继续教育学时证明", title), Spacer(1, 6 * mm)]
    info = [["姓名", certificate.person_name, "证书编号", certificate.cert_number or "—"],
            ["所在单位", certificate.firm_name or "协会代管", "", ""],
            ["证明年度", "、".join(f"{t['year']}年" for t in totals), "", ""]]
    info_table = Table([[Paragraph(esc(c), body) for c in row] for row in info],
                       colWidths=[22 * mm, 78 * mm, 22 * mm, 48 * mm])
    info_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                    ("SPAN", (1, 1), (3, 1)), ("SPAN", (1, 2), (3, 2))]))
    story += [info_table, Spacer(1, 5 * mm)]

    header = ["项目", ""] + [f"{t['year']}年" for t in totals]
    rows = [header]
    for index, category in enumerate(Category.ALL):
        rows.append(["按分类" if index == 0 else "", category]
                    + [t["by_category"].get(category, "0.0") for t in totals])
    # 面授学时 is every face-to-face kind (DESIGN §3a: 面授, 执业机构内培, 授课, 面授(视同)) —
    # the sum the sentence and the verification page say — with its parts beneath it
    lines = [("面授学时（合计）", lambda t: t["face_to_face"])]
    lines += [(f"其中：{d}" if i == 0 else f"　　　{d}",
               lambda t, d=d: t["by_delivery"].get(d, "0.0"))
              for i, d in enumerate(Delivery.FACE_TO_FACE_KINDS)]
    lines += [(d, lambda t, d=d: t["by_delivery"].get(d, "0.0"))
              for d in Delivery.ALL if d not in Delivery.FACE_TO_FACE_KINDS]
    for index, (label, value) in enumerate(lines):
        rows.append(["按学时类型" if index == 0 else "", label] + [value(t) for t in totals])
    rows.append(["已获学时", ""] + [t["obtained"] for t in totals])
    rows.append(["有效学时", ""] + [t["counted"] for t in totals])
    rows.append(["年度结论", ""] + ["已通过" if t["passed"] else "未通过" for t in totals])
    first_delivery = 1 + len(Category.ALL)
    last = len(rows) - 1
    year_width = (170 * mm - 60 * mm) / max(1, len(totals))
    table = Table(rows, colWidths=[24 * mm, 36 * mm] + [year_width] * len(totals),
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 10.5),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("BACKGROUND", (0, last - 2), (-1, last), colors.HexColor("#f5f5f5")),
        ("SPAN", (0, 0), (1, 0)),
        ("SPAN", (0, 1), (0, first_delivery - 1)),
        ("SPAN", (0, first_delivery), (0, first_delivery + len(lines) - 1)),
        ("SPAN", (0, last - 2), (1, last - 2)), ("SPAN", (0, last - 1), (1, last - 1)),
        ("SPAN", (0, last), (1, last)),
        ("ALIGN", (2, 0), (-1, -1), "CENTER"), ("ALIGN", (0, 0), (1, 0), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story += [table, Spacer(1, 5 * mm)]
    for t in totals:
        story.append(Paragraph(esc(t["sentence"]), body))
        if t.get("reasons"):
            story.append(Paragraph("未通过原因：" + esc("；".join(t["reasons"])), small))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(identity().name, right))
    story.append(Paragraph(f"开具日期：{chinese_date(issued_on(certificate))}", right))
    story.append(Spacer(1, 8 * mm))

    qr = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    side = 28 * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    verify = [Paragraph(f"验证码：{group_code(certificate.code)}", style(13)),
              Paragraph(f"验证网址：{esc(verify_url)}", small),
              Paragraph("扫描二维码或访问上述网址、在“学时证明验证”页面输入验证码，"
                        "可核验本证明的姓名、年度和学时。", small)]
    box = Table([[drawing, verify]], colWidths=[32 * mm, 138 * mm])
    box.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                             ("BOX", (0, 0), (-1, -1), 0.5, colors.grey)]))
    story.append(box)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm,
        bottomMargin=18 * mm, title=f"继续教育学时证明 {certificate.person_name}",
        author=identity().name, subject=f"验证码 {group_code(certificate.code)}")
    document.build(story)
    return buffer.getvalue()
