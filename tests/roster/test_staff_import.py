"""从业人员 whole-list import, without HTTP: the framework's bad-input handling and the rules."""
import datetime as dt
import io
import json
import zipfile

import pytest
from flask_appbuilder.security.sqla.models import User
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import PersonStatus
from app.models import AuditLog, ImportStatus, Person, PersonTransfer, PersonType
from app.roles import STAFF
from app.workflows import accounts
from app.workflows import staff_list
from app.workflows.registry import transfers
from app.workflows.core import importing
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from tests.helpers import NOW, admin_of, id_number, new_firm
from tests.xlsx import csv_bytes, xlsx

LATER = NOW + dt.timedelta(minutes=5)




@pytest.fixture
def firms(ctx):
    return new_firm(ctx, "11010051"), new_firm(ctx, "11010052")


@pytest.fixture
def staff_user(ctx):
    user = accounts.create_account(username="staffx", display_name="协会", role_name=STAFF,
                                   password="Staff12345", now=NOW, must_change_password=False)
    ctx.commit()
    return user


def _preview(ctx, actor, firm, data, name="名单.xlsx"):
    return staff_list.preview(actor, NOW, firm, name, data)


def _summary(batch):
    return staff_list.summary_of(batch)


def _errors(batch):
    return [(e["row"], e["column"], e["message"]) for e in _summary(batch)["errors"]]


ROWS = [
    ["张三", "13800000001", id_number(1), "其他从业人员", "审计员"],
    ["李四", "13800000002", None, None, "助理"],
    ["王五", "13800000003", id_number(3), "非执业会员", None],
]


# --- the rules -------------------------------------------------------------------
def test_first_import_creates_people_and_kj_accounts(ctx, firms, staff_user):
    """「从业人员用户名为“kj+手机号”; 从业人员初始密码为手机号后六位」 (seed 000 §3)."""
    a, _ = firms
    batch = _preview(ctx, admin_of(ctx, a), a, xlsx(ROWS))
    summary = _summary(batch)
    assert summary["total"] == 3 and summary["valid"] == 3 and summary["errors"] == []
    assert summary["counts"]["新增"] == 3 and summary["created"] == 3
    assert ctx.query(Person).count() == 0  # the preview changes nothing
    result = staff_list.commit(admin_of(ctx, a), LATER, batch.token)
    assert result["counts"]["新增"] == 3
    people = {p.phone: p for p in ctx.query(Person).all()}
    assert people["13800000002"].person_type == PersonType.OTHER  # 类型 defaults
    assert people["13800000003"].person_type == PersonType.NON_PRACTICING
    assert all(p.firm_id == a.id and p.imported_at == LATER for p in people.values())
    user = ctx.execute(select(User).where(User.username == "kj13800000001")).scalar_one()
    assert accounts.verify_password(user, "000001") and user.account.must_change_password
    assert not accounts.verify_password(user, "13800000001")
    assert people["13800000001"].login_name == "kj13800000001"
    audit_rows = ctx.query(AuditLog).filter_by(entity="person", action="create").count()
    assert audit_rows == 3


def test_reimport_updates_moves_revokes_and_restores(ctx, firms, staff_user):
    """「若从业人员手机号已经存在, 将保留原账号同时修改其他信息」; 「每次必须导入全部从业人员名单,
    不在名单中的将会被撤销。」 (seed 000 §3) — and a person of another firm waits for consent."""
    a, b = firms
    staff_list.commit(staff_user, LATER, _preview(ctx, staff_user, a, xlsx(ROWS)).token)
    staff_list.commit(staff_user, LATER, _preview(
        ctx, staff_user, b, xlsx([["赵六", "13900000009", None, None, None]])).token)
    # A's new whole list: 张三 renamed, 李四 missing (→ revoked), 赵六 of B listed by A
    second = [["张三丰", "13800000001", id_number(1), "其他从业人员", "项目经理"],
              ["王五", "13800000003", id_number(3), "非执业会员", None],
              ["赵六", "13900000009", None, None, "审计员"]]
    batch = _preview(ctx, staff_user, a, xlsx(second))
    counts = _summary(batch)["counts"]
    assert (counts["新增"], counts["更新"], counts["撤销"], counts["不变"]) == (0, 1, 1, 1)
    assert counts["转入待确认"] == 1 and _summary(batch)["transfer_rows"] == [4]
    staff_list.commit(staff_user, LATER, batch.token, confirm_mass_revoke=True)
    people = {p.phone: p for p in ctx.query(Person).all()}
    assert people["13800000001"].name == "张三丰" and people["13800000001"].position == "项目经理"
    # a move between firms waits for the person's (or the institute's) consent
    assert people["13900000009"].firm_id == b.id
    transfer = ctx.query(PersonTransfer).filter_by(person_id=people["13900000009"].id).one()
    transfers.approve(staff_user, LATER, transfer.id)
    ctx.commit()
    assert people["13900000009"].firm_id == a.id  # moved, same account
    assert people["13900000009"].account.firm_id == a.id
    assert people["13800000002"].status == PersonStatus.REVOKED
    revoked_user = people["13800000002"].account.user
    assert revoked_user.active is False  # can no longer sign in; data stay
    # listed again → restored
    third = second + [["李四", "13800000002", None, None, "助理"]]
    batch = _preview(ctx, staff_user, a, xlsx(third))
    assert _summary(batch)["counts"]["恢复"] == 1
    staff_list.commit(staff_user, LATER, batch.token)
    ctx.expire_all()
    assert ctx.get(Person, people["13800000002"].id).status == PersonStatus.ACTIVE
    assert ctx.get(User, revoked_user.id).active is True


def test_revoking_more_than_a_fifth_needs_a_second_confirmation(ctx, firms, staff_user):
    a, _ = firms
    staff_list.commit(staff_user, LATER, _preview(ctx, staff_user, a, xlsx(ROWS)).token)
    batch = _preview(ctx, staff_user, a, xlsx(ROWS[:1]))  # 2 of 3 would be revoked
    summary = _summary(batch)
    assert summary["needs_confirmation"] and summary["revoked"] == 2
    with pytest.raises(ValidationError, match="超过20%"):
        staff_list.commit(staff_user, LATER, batch.token)
    assert ctx.query(Person).filter_by(status=PersonStatus.REVOKED).count() == 0
    staff_list.commit(staff_user, LATER, batch.token, confirm_mass_revoke=True)
    assert ctx.query(Person).filter_by(status=PersonStatus.REVOKED).count() == 2


def test_people_not_on_the_roster_are_not_revoked(ctx, firms, staff_user):
    a, _ = firms
    cpa = Person(person_type=PersonType.CPA, name="注师", cert_number="110100510001",
                 firm_id=a.id, status=PersonStatus.ACTIVE)
    ctx.add(cpa)
    ctx.commit()
    staff_list.commit(staff_user, LATER, _preview(ctx, staff_user, a, xlsx(ROWS)).token)
    assert ctx.get(Person, cpa.id).status == PersonStatus.ACTIVE


def test_a_cpa_row_needs_a_registered_certificate(ctx, firms, staff_user):
    a, _ = firms
    batch = _preview(ctx, staff_user, a, xlsx([["新注师", "13800000011", None, "注册会计师", None]]))
    assert _errors(batch) == [(2, "类型", "注册会计师须有证书编号：请先在人员信息中登记，或填写其他类型")]


# --- who may import, and the token ----------------------------------------------------
def test_firm_admin_imports_only_for_its_ownnew_firm(ctx, firms):
    a, b = firms
    with pytest.raises(ForbiddenError):
        _preview(ctx, admin_of(ctx, a), b, xlsx(ROWS))
    batch = _preview(ctx, admin_of(ctx, b), b, xlsx(ROWS))
    with pytest.raises(NotFoundError):
        staff_list.commit(admin_of(ctx, a), LATER, batch.token)
    assert ctx.query(Person).count() == 0


def test_a_preview_commits_once_and_expires(ctx, firms, staff_user):
    a, _ = firms
    batch = _preview(ctx, staff_user, a, xlsx(ROWS))
    staff_list.commit(staff_user, LATER, batch.token)
    with pytest.raises(ValidationError, match="不能重复提交"):
        staff_list.commit(staff_user, LATER, batch.token)
    late = _preview(ctx, staff_user, a, xlsx(ROWS[:2] + [["钱七", "13800000007", None, None, None]]))
    with pytest.raises(ValidationError, match="30分钟"):
        staff_list.commit(staff_user, NOW + dt.timedelta(minutes=31), late.token,
                            confirm_mass_revoke=True)
    assert ctx.query(Person).filter_by(phone="13800000007").count() == 0
    assert ctx.get(type(late), late.id).status == ImportStatus.EXPIRED


def test_a_change_after_the_preview_requires_a_new_preview(ctx, firms, staff_user):
    a, _ = firms
    staff_list.commit(staff_user, LATER, _preview(ctx, staff_user, a, xlsx(ROWS)).token)
    batch = _preview(ctx, staff_user, a, xlsx(ROWS + [["钱七", "13800000007", None, None, None]]))
    person = ctx.query(Person).filter_by(phone="13800000002").one()
    person.name = "李四（改）"  # someone edits the firm's data meanwhile
    ctx.commit()
    with pytest.raises(ValidationError, match="请重新上传预览"):
        staff_list.commit(staff_user, LATER, batch.token)
    assert ctx.query(Person).filter_by(phone="13800000007").count() == 0
    assert ctx.get(type(batch), batch.id).status == ImportStatus.PREVIEWED


def test_commit_is_all_or_nothing(ctx, firms, staff_user):
    a, _ = firms
    batch = _preview(ctx, staff_user, a, xlsx(ROWS))
    # a login taken after the preview: the account insert fails half-way through the plan
    accounts.create_account(username="kj13800000003", display_name="占用", role_name=STAFF,
                            password="Abc12345x", now=NOW)
    ctx.commit()
    with pytest.raises(ValidationError, match="导入未生效"):
        staff_list.commit(staff_user, LATER, batch.token)
    assert ctx.query(Person).count() == 0
    assert ctx.execute(select(User).where(User.username.like("kj%"))).all() == [
        (ctx.execute(select(User).where(User.username == "kj13800000003")).scalar_one(),)]
    assert ctx.get(type(batch), batch.id).status == ImportStatus.PREVIEWED


# --- bad input: each names the row and column, nothing is imported ------------------------
def _problem(ctx, actor, firm, data, name="名单.xlsx"):
    batch = _preview(ctx, actor, firm, data, name)
    assert batch.status == ImportStatus.FAILED
    with pytest.raises(ValidationError):
        staff_list.commit(actor, LATER, batch.token)
    assert ctx.query(Person).count() == 0
    return _errors(batch)


def test_missing_or_renamed_headers(ctx, firms, staff_user):
    a, _ = firms
    [(row, column, message)] = _problem(ctx, staff_user, a, xlsx(
        ROWS, headers=["姓名", "手机", "身份证号", "类型", "职位"]))
    assert row is None and "缺少列：手机号" in message and "无法识别的列：手机" in message


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(ctx, firms, staff_user):
    a, _ = firms
    data = xlsx([ROWS[0], [None] * 5, ["", " ", None, None, None], ["赵", "123", None, None, None]])
    assert _problem(ctx, staff_user, a, data) == [(5, "手机号", "手机号应为11位中国大陆手机号码")]


def test_duplicate_mobiles_within_the_file(ctx, firms, staff_user):
    a, _ = firms
    data = xlsx([ROWS[0], ["张三二", "13800000001", None, None, None]])
    assert _problem(ctx, staff_user, a, data) == [
        (3, "手机号", "“手机号”13800000001与第2行重复")]


def test_bad_id_checksum_and_bad_mobile(ctx, firms, staff_user):
    a, _ = firms
    wrong = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
    problems = _problem(ctx, staff_user, a, xlsx([["甲", "1380000000", None, None, None],
                                                  ["乙", "13800000002", wrong, None, None]]))
    assert problems == [(2, "手机号", "手机号应为11位中国大陆手机号码"),
                        (3, "身份证号", "身份证号校验位不正确，请核对")]


def test_numbers_stored_by_excel_as_floats_and_scientific_notation(ctx, firms, staff_user):
    a, _ = firms
    ok = _preview(ctx, staff_user, a, xlsx([["甲", 13900139000.0, None, None, None]]))
    assert _summary(ok)["valid"] == 1  # 13900139000.0 is exactly the mobile
    problems = _problem(ctx, staff_user, a, xlsx([
        ["乙", "13800000002", 1.41121e17, None, None],
        ["丙", "13800000003", "1.41121E+17", None, None]]))
    assert [(r, c) for r, c, _ in problems] == [(2, "身份证号"), (3, "身份证号")]
    assert all("精度已丢失" in m for _, _, m in problems)


def test_full_width_digits_and_spaces_are_normalised(ctx, firms, staff_user):
    a, _ = firms
    batch = _preview(ctx, staff_user, a, xlsx([["  张三 ", "１３８ ００００ ０００１", None, "其他从业人员 ", " 审计员"]]))
    assert _summary(batch)["errors"] == []
    staff_list.commit(staff_user, LATER, batch.token)
    person = ctx.query(Person).one()
    assert (person.name, person.phone, person.position) == ("张三", "13800000001", "审计员")


def test_formulas_are_refused(ctx, firms, staff_user):
    a, _ = firms
    data = xlsx([["甲", None, None, None, None]], formulas=[(2, 2, '="1380000"&"0001"')])
    assert _problem(ctx, staff_user, a, data) == [
        (2, "手机号", "“手机号”是公式，请复制后“粘贴为数值”再上传")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk_is_read(ctx, firms, staff_user, encoding):
    a, _ = firms
    batch = _preview(ctx, staff_user, a, csv_bytes(ROWS, encoding=encoding), "名单.csv")
    assert _summary(batch)["valid"] == 3
    assert _summary(batch)["errors"] == []


@pytest.mark.parametrize("name, data, words", [
    ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    ("名单.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le")
     + b"\0" * 600, "打开密码"),
    ("名单.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "改了扩展名"),
    ("名单.xlsx", b"PK\x03\x04 this zip is cut short", "已损坏"),
    ("名单.xlsx", b"", "空文件"),
])
def test_files_that_are_not_usable_workbooks(ctx, firms, staff_user, name, data, words):
    a, _ = firms
    [(row, column, message)] = _problem(ctx, staff_user, a, data, name)
    assert words in message and name in message


def test_a_zip_that_is_not_a_workbook(ctx, firms, staff_user):
    a, _ = firms
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    [(_, _, message)] = _problem(ctx, staff_user, a, buffer.getvalue())
    assert "不是 Excel 工作簿" in message


def test_empty_sheet_and_header_only(ctx, firms, staff_user):
    a, _ = firms
    [(_, _, empty)] = _problem(ctx, staff_user, a, xlsx([], headers=None))
    assert "为空" in empty
    [(_, _, header_only)] = _problem(ctx, staff_user, a, xlsx([]))
    assert "没有数据行" in header_only


def test_too_large_and_too_many_rows(ctx, firms, staff_user, monkeypatch):
    a, _ = firms
    [(_, _, big)] = _problem(ctx, staff_user, a, b"PK" + b"\0" * (10 * 1024 * 1024))
    assert "超过10MB" in big
    monkeypatch.setattr(importing.reading, "MAX_ROWS", 3)
    [(_, _, many)] = _problem(ctx, staff_user, a, csv_bytes(ROWS + [["赵", "13800000009", None,
                                                                      None, None]]), "名单.csv")
    assert "超过3行" in many


def test_fifty_thousand_rows_is_the_real_limit(ctx, firms, staff_user):
    a, _ = firms
    rows = [[f"人{i}", f"138{i:08d}", None, None, None] for i in range(importing.MAX_ROWS + 1)]
    [(_, _, message)] = _problem(ctx, staff_user, a, csv_bytes(rows), "名单.csv")
    assert "超过50,000行" in message


def test_excel_serial_dates_are_converted():
    column = importing.Column("日期", "day", kind="date")
    assert importing.cell_value(column, 45658)[0] == dt.date(2025, 1, 1)
    assert importing.cell_value(column, "2025/01/31")[0] == dt.date(2025, 1, 31)
    assert importing.cell_value(column, "31号")[1] == ("“日期”不是有效日期（应为 2025-01-31 或 "
                                                       "2025-01-31 12:22:52 格式）")


def test_error_report_holds_the_original_rows_and_an_explanation(ctx, firms, staff_user):
    a, _ = firms
    batch = _preview(ctx, staff_user, a, xlsx([ROWS[0], ["乙", "12345", None, None, None]]))
    report = load_workbook(io.BytesIO(importing.error_report(
        staff_list.IMPORTER, json.loads(batch.rows))), read_only=True)
    rows = list(report.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("姓名", "手机号", "身份证号", "类型", "职位", "错误说明")
    assert rows[1][:2] == ("张三", "13800000001") and not rows[1][5]
    assert rows[2][:2] == ("乙", "12345") and "手机号应为11位" in rows[2][5]


def test_template_has_the_headers_an_example_and_text_cells():
    sheet = load_workbook(io.BytesIO(importing.template(staff_list.IMPORTER))).active
    assert [c.value for c in sheet[1]] == ["姓名", "手机号", "身份证号", "类型", "职位"]
    assert sheet["B2"].value == "13800138000" and sheet["B2"].number_format == "@"
    assert sheet["C10"].number_format == "@"


def test_the_templates_example_row_is_not_imported(ctx, firms, staff_user):
    a, _ = firms
    problems = _problem(ctx, staff_user, a, xlsx([
        ["张三", "13800138000", "11010519491231002X", "其他从业人员", "审计员"], ROWS[0]]))
    assert problems == [(2, "手机号", "这是模板中的示例行，请删除后再上传")]


# --- the preview names the people behind each count (issue 14) ----------------------
def test_the_preview_lists_who_is_added_updated_restored_and_revoked(ctx, firms, staff_user):
    a, _ = firms
    staff_list.commit(staff_user, LATER, _preview(ctx, staff_user, a, xlsx(ROWS)).token)
    # 张三 renamed and promoted, 李四 left out (revoked), 王五 unchanged, 钱七 new
    second = [["张三丰", "13800000001", id_number(1), "其他从业人员", "项目经理"],
              ["王五", "13800000003", id_number(3), "非执业会员", None],
              ["钱七", "13800000007", None, None, None]]
    staff_list.commit(staff_user, LATER, _preview(ctx, staff_user, a, xlsx(second)).token,
                  confirm_mass_revoke=True)
    third = second + [["李四", "13800000002", None, None, "助理"]]
    listing = _summary(_preview(ctx, staff_user, a, xlsx(third[:1] + third[2:])))["listing"]
    by_name = {item["name"]: item for item in listing}
    assert by_name["李四"]["category"] == "恢复" and "状态：撤销 → 正常" in by_name["李四"]["detail"]
    assert by_name["王五"]["category"] == "撤销" and by_name["王五"]["row"] is None
    assert "钱七" not in by_name and "张三丰" not in by_name  # unchanged: not listed

    listing = _summary(_preview(ctx, staff_user, a, xlsx(
        [["张三", "13800000001", id_number(1), "其他从业人员", "合伙人"],
         ["孙八", "13800000008", None, None, None]] + third[1:3])))["listing"]
    by_name = {item["name"]: item for item in listing}
    assert by_name["张三"]["category"] == "更新" and by_name["张三"]["row"] == 2
    assert "姓名：张三丰 → 张三" in by_name["张三"]["detail"]
    assert "职位：项目经理 → 合伙人" in by_name["张三"]["detail"]
    assert by_name["孙八"]["category"] == "新增" and "kj13800000008" in by_name["孙八"]["detail"]


def test_the_mass_revocation_names_whom_it_revokes(ctx, firms, staff_user):
    a, _ = firms
    staff_list.commit(staff_user, LATER, _preview(ctx, staff_user, a, xlsx(ROWS)).token)
    summary = _summary(_preview(ctx, staff_user, a, xlsx(ROWS[:1])))
    assert summary["needs_confirmation"] and summary["confirmation_category"] == "撤销"
    revoked = [item["name"] for item in summary["listing"] if item["category"] == "撤销"]
    assert sorted(revoked) == ["李四", "王五"]


def test_the_error_report_carries_the_listing_of_the_valid_rows(ctx, firms, staff_user):
    a, _ = firms
    batch = _preview(ctx, staff_user, a, xlsx([ROWS[0], ["乙", "12345", None, None, None]]))
    report = load_workbook(io.BytesIO(importing.error_report(
        staff_list.IMPORTER, json.loads(batch.rows), _summary(batch)["listing"])), read_only=True)
    assert report.sheetnames[1] == "预览名单"
    rows = list(report.worksheets[1].iter_rows(values_only=True))
    assert rows[0] == ("分类", "行号", "姓名", "说明")
    assert rows[1][0] == "新增" and rows[1][2] == "张三"
