"""Demo 注册业务: the first firm's cases in every state of the machine (a draft missing
documents, submitted, rejected with reasons per document, approved and waiting, booked,
processed, certificate ready, done, expired), appointments (booked, cancelled, done), a
second firm's case, and a 协会代管注册会计师 (login 证书编号, initial password 身份证号) with
its own 证书补办 — all through the workflows, as users would have done it."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (CalendarDay, DocRequirement, Firm, Person, PersonStatus, PersonType,
                        SlotTemplate)
from app.workflows import accounts
from app.workflows.core import files
from app.workflows.core.identifiers import id_check_char
from app.workflows.core.scoping import SystemActor
from app.workflows.registration import booking, cases, requirements

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
MANAGED = ("周代管", "110000990001")


def _id(serial: int, birth: str = "19800101") -> str:
    first17 = f"110108{birth}{serial:03d}"
    return first17 + id_check_char(first17)


def _documents(case_type, answers, skip=()):
    return {row.doc_key: files.Upload.from_bytes(f"{row.label}.pdf", PDF)
            for row in requirements.documents_for(case_type, answers)
            if row.required and row.doc_key not in skip}


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _file(actor, now, case_type, data, answers_skip=(), person_id=None):
    answers = {k: v for k, v in data.items() if k not in ("name", "id_number", "mobile",
                                                           "cert_number")}
    return cases.save_case(actor, now, case_type=case_type, data=data, pledged_at=now,
                           person_id=person_id,
                           uploads=_documents(case_type, answers, answers_skip))


def _open_days(now):
    return [d for d in booking.window(now) if booking.is_open(d)]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=clock.LOCAL_TZ).astimezone(
        dt.timezone.utc)


def _settings(now) -> None:
    """What staff set on the three settings screens: a 临时闭馆 day and a 调休上班 day beyond
    the booking window (the demo's bookings keep their days), a slot kept but not offered,
    and an optional document without a template."""
    today = clock.local_today(now)
    closed = next(d for d in (today + dt.timedelta(days=n) for n in range(20, 40))
                  if booking.is_open(d))
    db.session.add_all([CalendarDay(day=closed, open=False, note="临时闭馆（大厅设备检修）"),
                        CalendarDay(day=next(d for d in (today + dt.timedelta(days=n)
                                                          for n in range(40, 47))
                                             if d.weekday() == 5),
                                    open=True, note="调休上班")])
    db.session.add(SlotTemplate(start="12:00", end="12:30", seats=4, active=False))
    db.session.add(DocRequirement(case_type="注册申请", doc_key="resume",
                                  label="个人简历（可选，便于核实执业经历）", required=False,
                                  condition="", has_template=False, sort=90))
    db.session.flush()


def seed(now) -> list[tuple[str, str, str, str]]:
    requirements.install_defaults()
    booking.install_default_slots()
    firms = db.session.scalars(select(Firm).order_by(Firm.code).limit(2)).all()
    if not firms:
        return []
    first, second = firms[0], firms[1] if len(firms) > 1 else firms[0]
    filer, other = _user(first.admin_username), _user(second.admin_username)
    staff = _user("staff") or SystemActor("协会工作人员")
    cpas = db.session.scalars(select(Person).where(
        Person.firm_id == first.id, Person.person_type == PersonType.CPA)
        .order_by(Person.id)).all()
    earlier = now - dt.timedelta(days=12)

    def reg(name, serial, when, retired="否"):
        return _file(filer, when, "注册申请", {"name": name, "id_number": _id(serial),
                                               "mobile": f"1391000{serial:04d}",
                                               "retired": retired})

    # 未提交: a draft still missing its 存档证明 and 社保记录
    cases.save_case(filer, now, case_type="注册申请", pledged_at=now, data={
        "name": "陈草稿", "id_number": _id(101), "mobile": "13910000101", "retired": "否"},
        uploads=_documents("注册申请", {"retired": "否"}, ("archive_proof", "social_security")))
    # 已提交待北注协审核 (one withdrawn once first)
    waiting = reg("林待审", 102, now - dt.timedelta(days=3))
    cases.submit(filer, now - dt.timedelta(days=3), waiting.id)
    cases.withdraw(filer, now - dt.timedelta(days=3), waiting.id)
    cases.submit(filer, now - dt.timedelta(days=2), waiting.id)
    # 审核不通过 with reasons per document
    rejected = reg("张三", 103, now - dt.timedelta(days=2))
    cases.submit(filer, now - dt.timedelta(days=2), rejected.id)
    by_label = {d.label: d.id for d in rejected.documents}
    cases.reject(staff, now - dt.timedelta(days=1), rejected.id, reasons={
        by_label["注册会计师注册申请表"]: "没有事务所的盖章",
        by_label["有效身份证正反面扫描件"]: "正反面放在一起上传",
        by_label["存档证明"]: "没有单位的盖章"})
    # 审核通过待预约: two 注册申请 and a 关系转移 of a CPA of the firm
    for name, serial in (("李四", 104), ("王明", 105)):
        case = reg(name, serial, now - dt.timedelta(days=1))
        cases.submit(filer, now - dt.timedelta(days=1), case.id)
        cases.approve(staff, now - dt.timedelta(hours=20), case.id)
    if cpas:
        person = cpas[0]
        transfer = _file(filer, now - dt.timedelta(days=1), "关系转移", {
            "name": person.name, "cert_number": person.cert_number,
            "mobile": person.phone or "13910000106", "retired": "非退休",
            "transfer_type": "京内转所", "from_firm": first.name, "to_firm": second.name},
            person_id=person.id)
        cases.submit(filer, now - dt.timedelta(days=1), transfer.id)
        cases.approve(staff, now - dt.timedelta(hours=20), transfer.id)
    if len(cpas) > 1:  # 已提交: a CPA leaving the firm for 协会代管 (no contract with a new firm)
        person = cpas[1]
        managed = _file(filer, now - dt.timedelta(days=2), "关系转移", {
            "name": person.name, "cert_number": person.cert_number,
            "mobile": person.phone or "13910000116", "retired": "非退休",
            "transfer_type": "转入协会代管", "from_firm": first.name}, person_id=person.id)
        cases.submit(filer, now - dt.timedelta(days=2), managed.id)
    # 预约成功: one booked in the coming days, one cancelled booking
    upcoming = [reg(n, s, now - dt.timedelta(days=2)) for n, s in (("赵六", 107), ("钱七", 108))]
    for case in upcoming:
        cases.submit(filer, now - dt.timedelta(days=2), case.id)
        cases.approve(staff, now - dt.timedelta(days=1), case.id)
    days = _open_days(now)
    if days:
        booking.book(filer, now, [c.id for c in upcoming], days[0], "10:00")
        cancelled = reg("孙八", 109, now - dt.timedelta(days=2))
        cases.submit(filer, now - dt.timedelta(days=2), cancelled.id)
        cases.approve(staff, now - dt.timedelta(days=1), cancelled.id)
        appointment = booking.book(filer, now, [cancelled.id], days[-1], "14:30")
        booking.cancel(filer, now, appointment.id)
    # booked yesterday for today: staff check them in on 现场办理
    today = clock.local_today(now)
    if booking.is_open(today):
        yesterday = now - dt.timedelta(days=1)
        todays = [reg(n, s, yesterday - dt.timedelta(days=1)) for n, s in (("蒋今", 117),)]
        for case in todays:
            cases.submit(filer, yesterday - dt.timedelta(days=1), case.id)
            cases.approve(staff, yesterday - dt.timedelta(days=1), case.id)
        booking.book(filer, yesterday, [c.id for c in todays], today, "15:30")
    # visited 10 days ago: 已办理待制证, 已制证待取证, 办理完成
    visited = [reg(n, s, earlier) for n, s in (("周九", 110), ("吴十", 111), ("郑一", 112))]
    for case in visited:
        cases.submit(filer, earlier, case.id)
        cases.approve(staff, earlier, case.id)
    past_days = _open_days(earlier)
    if past_days:
        appointment = booking.book(filer, earlier, [c.id for c in visited], past_days[0], "09:00")
        visit = _at(past_days[0], 9)
        booking.check_in(staff, visit, appointment.id)
        cases.make_certificate(staff, visit + dt.timedelta(days=1), visited[1].id)
        cases.make_certificate(staff, visit + dt.timedelta(days=1), visited[2].id)
        cases.collect(staff, visit + dt.timedelta(days=2), visited[2].id)
    # 其他变更: done at approval
    change = _file(filer, now - dt.timedelta(days=4), "其他变更", {
        "name": "冯二", "cert_number": "110000010112", "mobile": "13910000113",
        "items": ["统一监管平台绑定手机号"]})
    cases.submit(filer, now - dt.timedelta(days=4), change.id)
    cases.approve(staff, now - dt.timedelta(days=3), change.id)
    # 已过期: approved 31 days ago, never booked
    old = now - dt.timedelta(days=31)
    stale = reg("褚过期", 114, old)
    cases.submit(filer, old, stale.id)
    cases.approve(staff, old, stale.id)
    booking.run_expiry(SystemActor("注册业务到期处理"), now)
    # another firm's case, waiting for review
    if other is not None and other.id != filer.id:
        theirs = _file(other, now - dt.timedelta(days=5), "证书补办", {
            "name": "卫乙所", "id_number": _id(115), "mobile": "13910000115"})
        cases.submit(other, now - dt.timedelta(days=5), theirs.id)
    # 协会代管注册会计师 with its own 证书补办 (approved, waiting for a booking)
    name, cert = MANAGED
    person = Person(person_type=PersonType.CPA, name=name, gender="女", id_number=_id(116),
                    cert_number=cert, phone="13910000116", firm_id=None,
                    status=PersonStatus.ACTIVE, created_at=now)
    db.session.add(person)
    db.session.flush()
    account = accounts.provision_managed_cpa(person, now)
    db.session.flush()
    reissue = _file(account, now - dt.timedelta(days=2), "证书补办", {
        "name": name, "id_number": person.id_number, "mobile": person.phone})
    cases.submit(account, now - dt.timedelta(days=2), reissue.id)
    cases.approve(staff, now - dt.timedelta(days=1), reissue.id)
    if isinstance(staff, User):  # staff ask the managed CPA, as they would a firm
        from app.workflows import messages
        messages.start_consultation(
            staff, now - dt.timedelta(hours=5), "证书补办",
            "您的证书补办已审核通过，请在30天内预约到现场办理，并携带登报挂失声明原件。",
            person_id=person.id)
    _settings(now)
    return [("Member", cert, person.id_number, f"{name}（协会代管注册会计师，初始密码为身份证号）")]
