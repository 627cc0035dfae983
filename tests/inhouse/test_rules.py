"""事务所内部培训 workflows without HTTP: qualification, classes (7-day rule), roster imports
(bulk / special with the manual's preview counts, 15-day rule), review crediting hours, the
CICPA workbook."""
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User
from openpyxl import load_workbook

from app.extensions import db
from app.models import (EntryStatus, HourRecord, HourYearTotal, InhouseClass,
                        InhouseQualification, InhouseRosterEntry, Message, ReviewStatus,
                        SourceKind)
from app.workflows.core import files
from app.workflows.core.errors import DomainError, ForbiddenError, ValidationError
from app.workflows.core.importing import batches
from app.workflows.core.sheets import simple_workbook
from app.workflows.inhouse import (cicpa, classes, importing, qualification, reports, review,
                                   roster)
from tests.helpers import NOW, id_number
from tests.inhouse.world import PDF, a_class, qualified, uploads

# NOW is 2026-11-23 10:00 Beijing


def _user(name):
    return db.session.query(User).filter_by(username=name).one()


@pytest.fixture
def w(app, world):
    with app.app_context():
        yield world, _user(world.a.admin), _user(world.staff)


def test_qualification_apply_review_reject_and_resubmit(w):
    world, admin, staff = w
    row = qualification.apply_qualification(admin, NOW, 2026, uploads())
    assert row.status == ReviewStatus.PENDING
    assert set(qualification.attachments_of([row.id])[row.id]) == {d.name for d in qualification.ATTACHMENTS}
    with pytest.raises(ValidationError, match="请填写原因|须填写"):
        qualification.reject_qualification(staff, NOW, row.id)
    qualification.reject_qualification(staff, NOW, row.id, remark="培训计划不完整")
    assert db.session.get(InhouseQualification, row.id).status == ReviewStatus.REJECTED
    message = db.session.query(Message).filter(Message.title.contains("审核未通过")).one()
    assert "培训计划不完整" in message.body
    # corrects one attachment and resubmits: the other three are kept
    plan = files.Upload.from_bytes("新计划.docx", uploads()[qualification.WORD.name].stream.read())
    qualification.apply_qualification(admin, NOW, 2026, {qualification.PLAN.name: plan})
    again = db.session.get(InhouseQualification, row.id)
    assert again.status == ReviewStatus.PENDING
    assert qualification.attachments_of([row.id])[row.id][qualification.PLAN.name].original_name == "新计划.docx"
    assert len(files.of_owner(qualification.OWNER_QUALIFICATION, [row.id])[row.id]) == 4
    qualification.approve_qualification(staff, NOW, row.id)
    assert qualification.has_qualification(world.a.id, 2026)
    with pytest.raises(ValidationError, match="已审核通过"):
        qualification.apply_qualification(admin, NOW, 2026, uploads())
    assert [h.to_state for h in qualification.QUALIFICATION.history(again)] == [
        ReviewStatus.PENDING, ReviewStatus.REJECTED, ReviewStatus.PENDING, ReviewStatus.APPROVED]


def test_qualification_needs_all_four_files_checked_by_content(w):
    world, admin, staff = w
    partial = uploads()
    del partial[qualification.POLICY.name]
    with pytest.raises(ValidationError, match="培训制度"):
        qualification.apply_qualification(admin, NOW, 2026, partial)
    renamed = uploads()
    renamed[qualification.SCAN.name] = files.Upload.from_bytes("扫描件.pdf", b"not a pdf at all")
    with pytest.raises(ValidationError, match="扫描件.pdf"):
        qualification.apply_qualification(admin, NOW, 2026, renamed)
    wrong = uploads()
    wrong[qualification.WORD.name] = files.Upload.from_bytes("申请表.pdf", PDF)
    with pytest.raises(ValidationError, match="类型不符合要求"):
        qualification.apply_qualification(admin, NOW, 2026, wrong)
    big = uploads()
    big[qualification.POLICY.name] = files.Upload.from_bytes("制度.pdf", PDF + b"0" * (10 * 2**20))
    with pytest.raises(ValidationError, match="10M"):
        qualification.apply_qualification(admin, NOW, 2026, big)
    assert db.session.query(InhouseQualification).count() == 0
    with pytest.raises(ForbiddenError):
        qualification.apply_qualification(staff, NOW, 2026, uploads())


def _form(**changes):
    values = dict(name="金融课程2026一期", category="专业课", hours="16", start_date="2026-12-01",
                  end_date="2026-12-02", address="公司会议室3021", leader="苗迈",
                  contact="15019982611")
    values.update(changes)
    return classes.ClassInput(**values)


def test_class_needs_qualification_and_seven_days(w):
    world, admin, staff = w
    with pytest.raises(ValidationError, match="尚无2026年度审核通过的内培资格"):
        classes.add_class(admin, NOW, _form())
    qualified(world.a.id, 2026, NOW)
    with pytest.raises(ValidationError) as late:
        classes.add_class(admin, NOW, _form(start_date="2026-11-29", end_date="2026-11-29"))
    assert late.value.message == "培训班需在开班前至少提前一周上报，逾期则无法上报。"
    with pytest.raises(ValidationError, match="专业、职业道德或思政"):
        classes.add_class(admin, NOW, _form(category="专业课,职业道德"))
    item = classes.add_class(admin, NOW, _form(start_date="2026-11-30", end_date="2026-11-30"))
    assert item.status == ReviewStatus.PENDING and item.year == 2026
    classes.update_class(admin, NOW, item.id, _form(name="改名", start_date="2026-12-05",
                                                  end_date="2026-12-05"))
    assert db.session.get(InhouseClass, item.id).name == "改名"
    classes.reject_class(staff, NOW, item.id, remark="地址不详")
    classes.update_class(admin, NOW, item.id, _form(address="科技园2号楼501",
                                                  start_date="2026-12-05",
                                                  end_date="2026-12-05"))
    assert db.session.get(InhouseClass, item.id).status == ReviewStatus.PENDING
    classes.approve_class(staff, NOW, item.id)
    with pytest.raises(ValidationError, match="不能修改"):
        classes.update_class(admin, NOW, item.id, _form())
    with pytest.raises(ValidationError, match="不能删除"):
        classes.delete_class(admin, NOW, item.id)
    other = classes.add_class(admin, NOW, _form(name="待删"))
    classes.delete_class(admin, NOW, other.id)
    assert db.session.get(InhouseClass, other.id) is None


def _sheet(rows, special=False):
    headers = importing.READERS["special" if special else "bulk"].headers
    return simple_workbook("学员名单", headers, rows)


def _setup(world, now=NOW):
    qualified(world.a.id, 2026, now)
    one = a_class(world.a.id, now, name="金融课程一期", start=dt.date(2026, 11, 16))
    two = a_class(world.a.id, now, name="金融课程二期", start=dt.date(2026, 11, 18), hours="8.0")
    three = a_class(world.a.id, now, name="职业道德专题", start=dt.date(2026, 11, 20),
                    hours="4.0", category="职业道德")
    return one, two, three


def test_bulk_preview_counts_every_category_and_commits_all_or_nothing(w, app):
    world, admin, staff = w
    one, two, three = _setup(world)
    # 张一 is the CPA 110100010001 of firm A; 张二 / 张三 are registered by 身份证号
    bad = _sheet([
        ["是", "110100010001", "张一", "", "合伙人"],
        ["是", "110199999999", "王五", "", "助理"],            # 证书编号不存在
        ["是", "110100010001", "张三", "", "助理"],            # 与姓名不匹配 (and the same cert)
        ["否", "", "张二", id_number(2), "项目经理"],
        ["否", "", "张二", id_number(2), "项目经理"],           # 重复导入 (twice in the file)
        ["否", "110100010001", "张三", id_number(3), "助理"],  # 否 with a cert number
        ["是", "", "李四", "", ""],                             # cert and 级别 missing
    ])
    batch = batches.upload(admin, NOW, "inhouse_roster", "名单.xlsx", bad,
                           {"class": [str(one), str(two)], "mode": "bulk"}, background=False)
    summary = batches.summary_of(batch)
    assert summary["counts"]["待导入总人数"] == 7
    assert summary["counts"]["证书编号不存在"] == 1
    assert summary["counts"]["证书编号与身份证号或姓名不匹配"] == 1
    assert summary["counts"]["重复导入"] == 1
    errors = {(e["row"], e["column"]) for e in summary["errors"]}
    assert {(3, "证书编号"), (4, "证书编号"), (6, "姓名"), (7, "证书编号"), (8, "证书编号"),
            (8, "级别")} <= errors
    assert not summary["committable"]
    with pytest.raises(DomainError):
        batches.commit(admin, NOW, batch.token)
    assert db.session.query(InhouseRosterEntry).count() == 0
    good = _sheet([["是", "110100010001", "张一", "", "合伙人"],
                   ["否", "", "张二", id_number(2), "项目经理"],
                   ["否", "", "张三", id_number(3), "助理"]])
    batch = batches.upload(admin, NOW, "inhouse_roster", "名单.xlsx", good,
                           {"class": [str(one), str(two)], "mode": "bulk"}, background=False)
    summary = batches.summary_of(batch)
    assert summary["committable"] and summary["counts"]["待导入总人数"] == 3
    result = batches.commit(admin, NOW, batch.token)
    assert result["imported"] == 3
    entries = db.session.query(InhouseRosterEntry).all()
    assert len(entries) == 6 and {e.status for e in entries} == {EntryStatus.ENROLLED}
    assert {(e.class_id, str(Decimal(e.hours))) for e in entries} == {
        (one, "16.0"), (two, "8.0")}
    zhang_yi = [e for e in entries if e.name == "张一"][0]
    assert zhang_yi.id_number == id_number(1)  # filled from the registry
    # the same people again: 重复导入
    batch = batches.upload(admin, NOW, "inhouse_roster", "名单.xlsx", good,
                           {"class": [str(one)], "mode": "bulk"}, background=False)
    assert batches.summary_of(batch)["counts"]["重复导入"] == 3


def test_special_upload_one_class_hours_within_the_class(w):
    world, admin, staff = w
    one, two, three = _setup(world)
    sheet = _sheet([["否", "", "张二", id_number(2), "注册会计师", "授课", "3"],
                    ["否", "", "张三", id_number(3), "项目经理", "执业机构内培", "4.5"]],
                   special=True)
    with pytest.raises(ValidationError) as several:
        batches.upload(admin, NOW, "inhouse_roster", "特殊.xlsx", sheet,
                       {"class": [str(one), str(two)], "mode": "special"}, background=False)
    assert several.value.message == importing.ONE_CLASS
    too_many = _sheet([["否", "", "张二", id_number(2), "注册会计师", "授课", "5"]], special=True)
    batch = batches.upload(admin, NOW, "inhouse_roster", "特殊.xlsx", too_many,
                           {"class": [str(three)], "mode": "special"}, background=False)
    assert {(e["row"], e["column"]) for e in batches.summary_of(batch)["errors"]} == {
        (2, "获得学时")}
    batch = batches.upload(admin, NOW, "inhouse_roster", "特殊.xlsx", sheet,
                           {"class": [str(one)], "mode": "special"}, background=False)
    batches.commit(admin, NOW, batch.token)
    got = {e.name: (e.acquisition, str(Decimal(e.hours)))
           for e in db.session.query(InhouseRosterEntry)}
    assert got == {"张二": ("授课", "3.0"), "张三": ("执业机构内培", "4.5")}
    # a bulk template (no 学时获得方式 column) is refused for a special upload
    batch = batches.upload(admin, NOW, "inhouse_roster", "错模板.xlsx",
                           _sheet([["否", "", "张二", id_number(2), "助理"]]),
                           {"class": [str(one)], "mode": "special"}, background=False)
    assert "表头不符合模板" in batches.summary_of(batch)["errors"][0]["message"]


def test_fifteen_day_window(w):
    world, admin, staff = w
    qualified(world.a.id, 2026, NOW)
    old = a_class(world.a.id, NOW, name="十月班", start=dt.date(2026, 11, 1), days=7)  # ends 11-07
    sheet = _sheet([["否", "", "张二", id_number(2), "助理"]])
    with pytest.raises(ValidationError) as refused:
        batches.upload(admin, NOW, "inhouse_roster", "名单.xlsx", sheet,
                       {"class": [str(old)], "mode": "bulk"}, background=False)
    assert "培训通过人员名单的导入需在培训结束后15天内完成，否则无法导入。" in refused.value.message
    with pytest.raises(ValidationError, match="15天内"):
        roster.add_entry(admin, NOW, old, roster.EntryInput(
            is_cpa="否", name="张二", id_number=id_number(2), level="助理"))
    last_day = a_class(world.a.id, NOW, name="末日班", start=dt.date(2026, 11, 8))  # ends 11-08
    roster.add_entry(admin, NOW, last_day, roster.EntryInput(
        is_cpa="否", name="张二", id_number=id_number(2), level="助理"))


def test_single_add_fills_from_certificate_and_refuses_duplicates(w):
    world, admin, staff = w
    one, two, three = _setup(world)
    entry = roster.add_entry(admin, NOW, one, roster.EntryInput(
        is_cpa="是", cert_number="110100010001", level="合伙人"))
    assert (entry.name, entry.id_number, entry.hours) == ("张一", id_number(1), Decimal("16.0"))
    with pytest.raises(ValidationError, match="不能重复录入"):
        roster.add_entry(admin, NOW, one, roster.EntryInput(
            is_cpa="否", name="张一", id_number=id_number(1), level="合伙人"))
    with pytest.raises(ValidationError, match="证书编号必填"):
        roster.add_entry(admin, NOW, one, roster.EntryInput(is_cpa="是", name="张二", level="助理"))
    with pytest.raises(ValidationError, match="不能超过本培训班的学时"):
        roster.add_entry(admin, NOW, three, roster.EntryInput(
            is_cpa="否", name="张二", id_number=id_number(2), level="助理", hours="4.5"))
    with pytest.raises(ValidationError, match="证书编号不存在"):
        roster.add_entry(admin, NOW, one, roster.EntryInput(
            is_cpa="是", cert_number="110199999999", level="助理"))
    roster.update_entry(admin, NOW, entry.id, roster.EntryInput(
        is_cpa="是", cert_number="110100010001", level="合伙人", acquisition="授课", hours="2"))
    assert db.session.get(InhouseRosterEntry, entry.id).acquisition == "授课"


def test_review_credits_and_withdraws_exactly_the_entry_hours(w):
    world, admin, staff = w
    one, two, three = _setup(world)
    entry = roster.add_entry(admin, NOW, three, roster.EntryInput(
        is_cpa="是", cert_number="110100010001", level="合伙人", acquisition="授课", hours="3"))
    other = roster.add_entry(admin, NOW, three, roster.EntryInput(
        is_cpa="否", name="张二", id_number=id_number(2), level="助理"))
    with pytest.raises(ValidationError, match="培训班尚未审核通过"):
        roster.approve_entry(staff, NOW, entry.id)
    classes.approve_class(staff, NOW, three)
    result = review.review_many(staff, NOW, "entry", [entry.id, other.id], "approve")
    assert (len(result.done), result.messages()) == (2, [])
    record = db.session.query(HourRecord).filter_by(source_kind=SourceKind.INHOUSE_ROSTER,
                                                    source_id=str(entry.id)).one()
    assert (record.person_id, record.year, record.category, record.delivery, record.hours) == (
        world.a_people[0], 2026, "职业道德", "授课", Decimal("3.0"))
    total = db.session.query(HourYearTotal).filter_by(person_id=world.a_people[0],
                                                      year=2026).one()
    assert (total.total, total.ethics, total.face_to_face) == (30, 30, 30)
    with pytest.raises(ValidationError, match="不能修改"):
        roster.update_entry(admin, NOW, entry.id, roster.EntryInput(
            is_cpa="是", cert_number="110100010001", level="合伙人"))
    with pytest.raises(ValidationError, match="须填写原因"):
        review.review_many(staff, NOW, "entry", [entry.id], "reject", remark=" ")
    roster.reject_entry(staff, NOW, entry.id, remark="未实际授课")
    assert db.session.query(HourRecord).filter_by(source_id=str(entry.id)).count() == 0
    assert db.session.query(HourYearTotal).filter_by(
        person_id=world.a_people[0], year=2026).one().total == 0
    # staff delete an approved entry: its credit goes with it, the other stays
    roster.delete_entry(staff, NOW, other.id)
    assert db.session.query(HourRecord).count() == 0
    messages = [m.title for m in db.session.query(Message)]
    assert any("学员审核通过（2人）" in t for t in messages)
    assert any("学员审核未通过" in t for t in messages)


def test_cicpa_workbook_sheets_columns_and_totals(w, app):
    world, admin, staff = w
    one, two, three = _setup(world)
    a = roster.add_entry(admin, NOW, one, roster.EntryInput(
        is_cpa="是", cert_number="110100010001", level="合伙人"))
    b = roster.add_entry(admin, NOW, one, roster.EntryInput(
        is_cpa="否", name="张二", id_number=id_number(2), level="助理", hours="4.5"))
    classes.approve_class(staff, NOW, one)
    roster.approve_entry(staff, NOW, a.id)
    roster.approve_entry(staff, NOW, b.id)
    firm = cicpa.firm_by_code(world.a.code)
    book = load_workbook(io.BytesIO(cicpa.workbook(admin, firm, 2026)), read_only=True)
    assert book.sheetnames == ["培训班", "学员学时"]
    class_rows = list(book["培训班"].iter_rows(values_only=True))
    assert list(class_rows[0]) == cicpa.CLASS_HEADERS
    first = [r for r in class_rows[1:] if r[4] == "金融课程一期"][0]
    assert (first[13], first[14], first[15]) == (2, 2, 20.5)
    people = list(book["学员学时"].iter_rows(values_only=True))
    assert list(people[0]) == cicpa.ENTRY_HEADERS and len(people) == 3
    b_admin = _user(world.b.admin)
    with pytest.raises(ForbiddenError):
        cicpa.workbook(b_admin, firm, 2026)


def test_year_end_report_and_reminders(w):
    world, admin, staff = w
    with pytest.raises(ValidationError, match="没有审核通过的内培资格"):
        reports.upload_report(admin, NOW, 2026, files.Upload.from_bytes("总结.pdf", PDF))
    qualified(world.a.id, 2026, NOW)
    december = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)
    assert reports.send_reminders(None, december)["report"] == 1
    assert reports.send_reminders(None, december)["report"] == 0  # once
    report = reports.upload_report(admin, NOW, 2026, files.Upload.from_bytes("总结.pdf", PDF))
    first = reports.report_file(report.id)
    reports.upload_report(admin, NOW, 2026, files.Upload.from_bytes("总结v2.pdf", PDF))
    assert reports.report_file(report.id).original_name == "总结v2.pdf"
    assert len(files.of_owner(reports.OWNER_REPORT, [report.id])[report.id]) == 1
    assert first.id != reports.report_file(report.id).id
    closed = dt.datetime(2027, 2, 1, 2, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(ValidationError, match="不能再上传或替换"):
        reports.upload_report(admin, closed, 2026, files.Upload.from_bytes("晚.pdf", PDF))
    # a class whose window closes in 3 days with an empty roster: one reminder
    item = a_class(world.a.id, NOW, name="空名单班", start=dt.date(2026, 11, 11))  # ends 11-12
    on = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.timezone.utc)  # closes 11-27
    assert reports.send_reminders(None, on)["roster"] == 1
    assert reports.send_reminders(None, on)["roster"] == 0
    assert item


def test_another_firms_people_are_never_found(w):
    """A roster names the firm's own people: firm B's CPA 李一 (110100020001) is 证书编号不存在
    for firm A, and B's 身份证号 is not in A's list — A never reads B's names or 身份证号."""
    world, admin, staff = w
    one, two, three = _setup(world)
    with pytest.raises(ValidationError) as cert:
        roster.add_entry(admin, NOW, one, roster.EntryInput(
            is_cpa="是", cert_number="110100020001", level="合伙人"))
    assert cert.value.message == "证书编号不存在"
    with pytest.raises(ValidationError, match="不在本所人员名单中"):
        roster.add_entry(admin, NOW, one, roster.EntryInput(
            is_cpa="否", name="李二", id_number=id_number(12), level="助理"))
    sheet = _sheet([["是", "110100020001", "李一", "", "合伙人"]])
    batch = batches.upload(admin, NOW, "inhouse_roster", "名单.xlsx", sheet,
                           {"class": [str(one)], "mode": "bulk"}, background=False)
    summary = batches.summary_of(batch)
    assert summary["counts"]["证书编号不存在"] == 1
    assert "李一" not in json.dumps(summary.get("listing"), ensure_ascii=False).replace(
        '"name": "李一"', "")  # only the name the firm typed itself
    assert db.session.query(InhouseRosterEntry).count() == 0


def test_batch_class_creation_checks_each_row_like_the_form(w):
    world, admin, staff = w
    qualified(world.a.id, 2026, NOW)
    headers = importing.InhouseClasses.columns
    sheet = simple_workbook("培训班", [c.header for c in headers], [
        ["审计准则专题一期", "专业", "16", "2026-12-10", "2026-12-11", "会议室3021", "苗迈",
         "15019982611"],
        ["职业道德专题", "职业道德", "4", "2026-12-12", "2026-12-12", "会议室3021", "苗迈",
         "15019982611"],
        ["太晚的班", "专业", "8", "2026-11-26", "2026-11-26", "会议室", "苗迈", "15019982611"],
        ["混合班", "专业、思政", "8", "2026-12-20", "2026-12-20", "会议室", "苗迈", "15019982611"],
        ["明年的班", "思政", "2", "2027-01-20", "2027-01-20", "会议室", "苗迈", "15019982611"],
    ])
    batch = batches.upload(admin, NOW, "inhouse_classes", "建班.xlsx", sheet, {},
                           background=False)
    errors = {(e["row"], e["column"]): e["message"]
              for e in batches.summary_of(batch)["errors"]}
    assert errors[(4, "培训开始时间")] == classes.LATE_CLASS
    assert (5, "培训类别") in errors
    assert "2027年度" in errors[(6, "培训开始时间")]
    assert len(errors) == 3
    good = simple_workbook("培训班", [c.header for c in headers], [
        ["审计准则专题一期", "专业", "16", "2026-12-10", "2026-12-11", "会议室3021", "苗迈",
         "15019982611"],
        ["职业道德专题", "职业道德", "4", "2026-12-12", "2026-12-12", "会议室3021", "苗迈",
         "15019982611"]])
    batch = batches.upload(admin, NOW, "inhouse_classes", "建班.xlsx", good, {},
                           background=False)
    assert batches.commit(admin, NOW, batch.token)["imported"] == 2
    made = {c.name: (c.category, c.status) for c in db.session.query(InhouseClass)}
    assert made == {"审计准则专题一期": ("专业课", ReviewStatus.PENDING),
                    "职业道德专题": ("职业道德", ReviewStatus.PENDING)}


def test_entries_of_a_class_not_yet_ended_are_not_approved(w):
    """「培训通过人员名单的导入需在培训结束后15天内完成」 — the list is of those who *passed*: a firm
    may report it before the class (the manual's own example creates it four days ahead), but
    staff approve its entries only after the class has ended, and are told from when (issue 23
    item 2: a class on 12-17~18 approved on 12-07 had counted 16 h dated in the future)."""
    world, admin, staff = w
    qualified(world.a.id, 2026, NOW)
    ahead = a_class(world.a.id, NOW, name="年末专题培训", start=dt.date(2026, 12, 17), days=2,
                    status=ReviewStatus.APPROVED)
    entry = roster.add_entry(admin, NOW, ahead, roster.EntryInput(
        is_cpa="是", cert_number="110100010001", level="合伙人"))
    with pytest.raises(ValidationError) as refused:
        roster.approve_entry(staff, NOW, entry.id)
    assert "培训班“年末专题培训”于2026-12-18结束，2026-12-19起才能审核通过其学员" in refused.value.message
    last_day = dt.datetime(2026, 12, 18, 15, 0, tzinfo=dt.timezone.utc)  # 23:00 Beijing
    result = review.review_many(staff, last_day, "entry", [entry.id], "approve")
    assert not result.done and "2026-12-19起才能审核通过其学员" in result.messages()[0]
    assert db.session.query(HourRecord).count() == 0
    after = dt.datetime(2026, 12, 18, 16, 0, tzinfo=dt.timezone.utc)  # 12-19 00:00 Beijing
    roster.approve_entry(staff, after, entry.id)
    record = db.session.query(HourRecord).one()
    assert record.obtained_at <= after and record.hours == Decimal("16.0")


@pytest.mark.parametrize("source_kind", ["training_result", "inhouse_roster", "application",
                                         "online_lesson", "import", "manual"])
def test_no_source_credits_hours_dated_after_now(w, source_kind):
    """One ledger rule for every source: no hour is credited with a 获得时间 after now
    (「培训通过人员名单」: hours follow what was passed, never precede it)."""
    from app.workflows.hours import ledger
    world, admin, staff = w
    tomorrow = dt.date(2026, 11, 24)  # NOW is 2026-11-23 10:00 Beijing
    for obtained in (tomorrow, dt.datetime(2026, 11, 23, 10, 0, 1)):
        with pytest.raises(ValidationError) as refused:
            ledger.credit(staff, NOW, source_kind=source_kind, source_id="x",
                          person_id=world.a_people[0], year=2026, title="未来的课",
                          category="专业课", delivery="面授", hours="8", obtained_at=obtained)
        assert refused.value.field == "obtained_at" and "晚于当前时间" in refused.value.message
    assert db.session.query(HourRecord).count() == 0
    ledger.credit(staff, NOW, source_kind=source_kind, source_id="x",
                  person_id=world.a_people[0], year=2026, title="今天的课", category="专业课",
                  delivery="面授", hours="8", obtained_at=dt.datetime(2026, 11, 23, 10, 0, 0))
    assert db.session.query(HourRecord).count() == 1
