"""Message centre (issue 3): notify, notices, consultations, reminders, views, REST."""
import datetime as dt
import re

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import (
    StoredFile,
    AuditLog,
    Consultation,
    ConsultationStatus,
    Message,
    MessageKind,
    Notice,
    OutboxMail,
    PersonType,
    ReminderLog,
)
from app.workflows import messages
from app.workflows.core.errors import DomainError, ForbiddenError, NotFoundError
from app.workflows.core.jobs import run_job
from tests.helpers import NOW, PASSWORD

HOUR = dt.timedelta(hours=1)
DOT_RE = re.compile(r'id="unread-dot-(messages|category)"[^>]*>\s*(\d+)\s*<')


def _user(username):
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _notice(actor, *, audience="指定事务所", firm_ids=(), person_types=(), publish_at=NOW,
            title="关于年度培训计划的通知", body="<p>请按时参加</p>", files=(), now=NOW):
    return messages.save_notice(actor, now, messages.NoticeInput(
        title=title, body=body, audience=audience, publish_at=publish_at,
        firm_ids=list(firm_ids), person_types=list(person_types)), files)


def _inbox(username, kind=None):
    return db.session.scalars(messages.inbox_query(_user(username), kind)).all()


# --- workflows, no HTTP ----------------------------------------------------------

def test_notify_writes_one_message_per_recipient_and_mails_bound_addresses(ctx, world):
    a_admin, b_admin = _user(world.a.admin), _user(world.b.admin)
    a_admin.account.notify_email = "a@example.com"
    messages.notify([a_admin, b_admin], "【进度提醒】业务已办理完成", "正文", NOW)
    ctx.commit()
    assert [m.title for m in _inbox(world.a.admin)] == ["【进度提醒】业务已办理完成"]
    assert _inbox(world.a.admin)[0].firm_id == world.a.id
    assert len(_inbox(world.b.admin)) == 1
    mails = ctx.scalars(select(OutboxMail)).all()
    assert [(m.to_addr, m.subject) for m in mails] == [("a@example.com", "【进度提醒】业务已办理完成")]
    assert messages.unread_counts(a_admin)[MessageKind.SYSTEM] == 1


def test_notice_to_chosen_firms_reaches_only_their_admins(ctx, world):
    staff = _user(world.staff)
    notice = _notice(staff, firm_ids=[world.a.id])
    ctx.commit()
    assert notice.published_at == NOW
    assert [m.notice_id for m in _inbox(world.a.admin, MessageKind.NOTICE)] == [notice.id]
    assert _inbox(world.b.admin) == [] and _inbox(world.member) == []
    assert messages.unread_counts(_user(world.a.admin))[MessageKind.NOTICE] == 1
    assert messages.unread_counts(_user(world.b.admin))[MessageKind.NOTICE] == 0
    assert messages.notice_read_counts([notice.id]) == {notice.id: (0, 1)}
    message = _inbox(world.a.admin)[0]
    messages.mark_read(_user(world.a.admin), NOW + HOUR, message.id)
    ctx.commit()
    assert messages.notice_read_counts([notice.id]) == {notice.id: (1, 1)}
    assert messages.unread_counts(_user(world.a.admin))[MessageKind.NOTICE] == 0


@pytest.mark.parametrize("audience, expected", [
    ("全部事务所", {"a_admin", "b_admin"}),
    ("指定人员类型", {"member"}),
    ("所有用户", {"a_admin", "b_admin", "member", "staff", "admin"}),
])
def test_notice_audiences(ctx, world, audience, expected):
    _notice(_user(world.staff), audience=audience, person_types=[PersonType.CPA])
    ctx.commit()
    names = {"a_admin": world.a.admin, "b_admin": world.b.admin, "member": world.member,
             "staff": world.staff, "admin": world.admin}
    got = {key for key, login in names.items() if _inbox(login, MessageKind.NOTICE)}
    assert got == expected


def test_future_notice_is_published_by_the_job_once(ctx, world):
    staff = _user(world.staff)
    later = NOW + dt.timedelta(days=2)
    notice = _notice(staff, audience="全部事务所", publish_at=later)
    notice_id = notice.id
    ctx.commit()
    assert _inbox(world.a.admin) == [] and notice.published_at is None
    run = run_job("publish_notices", later - dt.timedelta(minutes=1))
    assert run.outcome == "成功" and _inbox(world.a.admin) == []
    run = run_job("publish_notices", later)
    assert run.outcome == "成功", run.error
    assert '"notices": 1' in run.counts
    assert len(_inbox(world.a.admin)) == 1 and len(_inbox(world.b.admin)) == 1
    # a second run (or a run catching up after downtime) adds nothing
    run_job("publish_notices", later + HOUR)
    # even a forced re-publication cannot duplicate: (notice, user) is unique
    assert messages.publish_notice(ctx.get(Notice, notice_id), later + HOUR) == 0
    ctx.commit()
    assert ctx.query(Message).filter_by(notice_id=notice_id).count() == 2


def test_notice_body_is_sanitised_and_fields_are_checked(ctx, world):
    staff = _user(world.staff)
    notice = _notice(staff, audience="全部事务所",
                     body='<p onclick="x()">好<script>alert(1)</script><a href="javascript:x">'
                          'l</a><b>b</b></p>')
    assert "script" not in notice.body and "onclick" not in notice.body
    assert "javascript" not in notice.body and "<b>b</b>" in notice.body
    with pytest.raises(DomainError, match="标题") as error:
        _notice(staff, title=" ")
    assert error.value.field == "title"
    with pytest.raises(DomainError, match="事务所") as error:
        _notice(staff, audience="指定事务所", firm_ids=[])
    assert error.value.field == "firms"
    with pytest.raises(ForbiddenError):
        _notice(_user(world.a.admin), audience="全部事务所")


def test_consultation_goes_back_and_forth_and_the_starter_closes_it(ctx, world):
    a_admin, staff, b_admin = _user(world.a.admin), _user(world.staff), _user(world.b.admin)
    thread = messages.start_consultation(a_admin, NOW, "关系转移", "外省转入的注师需要继续教育证明吗?")
    ctx.commit()
    assert thread.status == ConsultationStatus.AWAITING_INSTITUTE
    assert messages.unread_counts(staff)[MessageKind.CONSULTATION] == 1
    assert messages.unread_counts(a_admin)[MessageKind.CONSULTATION] == 0
    messages.reply_consultation(staff, NOW + HOUR, thread.id, "上传年检二维码就行")
    ctx.commit()
    assert thread.status == ConsultationStatus.AWAITING_USER
    assert messages.unread_counts(a_admin)[MessageKind.CONSULTATION] == 1
    assert messages.awaits(a_admin, thread) and not messages.awaits(staff, thread)
    with pytest.raises(NotFoundError):
        messages.reply_consultation(b_admin, NOW, thread.id, "我是乙所")
    messages.reply_consultation(a_admin, NOW + 2 * HOUR, thread.id, "在哪儿下载年检二维码?")
    ctx.commit()
    assert thread.status == ConsultationStatus.AWAITING_INSTITUTE
    with pytest.raises(ForbiddenError, match="发起人"):
        messages.close_consultation(staff, NOW, thread.id)
    messages.close_consultation(a_admin, NOW + 3 * HOUR, thread.id)
    ctx.commit()
    assert thread.status == ConsultationStatus.CLOSED and thread.closed_at == NOW + 3 * HOUR
    with pytest.raises(DomainError, match="已办结"):
        messages.reply_consultation(staff, NOW, thread.id, "再补充一点")
    assert [r.from_institute for r in thread.replies] == [False, True, False]
    states = [(r.from_state, r.to_state, r.username) for r in ctx.scalars(
        select(AuditLog).where(AuditLog.entity == "consultation").order_by(AuditLog.id))]
    assert states == [
        (None, "待协会回复", world.a.admin), ("待协会回复", "待用户回复", world.staff),
        ("待用户回复", "待协会回复", world.a.admin), ("待协会回复", "已办结", world.a.admin)]
    assert messages.unread_counts(staff)[MessageKind.CONSULTATION] == 0


def test_staff_starts_a_consultation_with_a_firm(ctx, world):
    staff = _user(world.staff)
    with pytest.raises(DomainError) as error:
        messages.start_consultation(staff, NOW, "其他", "请核对贵所信息")
    assert error.value.field == "firm"
    thread = messages.start_consultation(staff, NOW, "其他", "请核对贵所信息", firm_id=world.b.id)
    ctx.commit()
    assert thread.status == ConsultationStatus.AWAITING_USER
    assert messages.unread_counts(_user(world.b.admin))[MessageKind.CONSULTATION] == 1
    assert messages.unread_counts(_user(world.a.admin))[MessageKind.CONSULTATION] == 0
    with pytest.raises(ForbiddenError):
        messages.close_consultation(_user(world.b.admin), NOW, thread.id)
    messages.close_consultation(staff, NOW, thread.id)


def test_reminders_are_sent_once_and_only_the_latest_due(ctx, world):
    user = _user(world.a.admin)

    def remind(target, due, at):
        return messages.remind(user, "case_expiry", target, due, at, f"提醒 {due[-1]}", "正文")

    assert remind("case-1", ["30天"], NOW) is not None
    assert remind("case-1", ["30天"], NOW + HOUR) is None  # the job ran twice
    assert remind("case-1", ["30天", "7天"], NOW + 2 * HOUR) is not None
    # down for weeks: catching up sends only the latest threshold due
    assert remind("case-2", ["30天", "7天", "1天"], NOW) is not None
    assert remind("case-2", ["30天", "7天", "1天"], NOW) is None
    ctx.commit()
    titles = sorted(m.title for m in _inbox(world.a.admin))
    assert titles == ["提醒 1天", "提醒 30天", "提醒 7天"]
    log = {(r.target, r.threshold): r.superseded for r in ctx.scalars(select(ReminderLog))}
    assert log == {("case-1", "30天"): False, ("case-1", "7天"): False,
                   ("case-2", "30天"): True, ("case-2", "7天"): True, ("case-2", "1天"): False}


# --- views through the test client ---------------------------------------------------

def _dots(html):
    return dict(DOT_RE.findall(html))


def test_staff_publish_to_chosen_firm_red_dot_until_read(app, world, make_client):
    staff = make_client()
    staff.login(world.staff)
    response = staff.post_form("/notice-admin/new", {
        "title": "2026年度培训计划", "body": "<p>见附件</p><script>x</script>",
        "audience": "指定事务所", "firms": [str(world.a.id)], "publish_at": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    a_admin, b_admin = make_client(), make_client()
    a_admin.login(world.a.admin)
    b_admin.login(world.b.admin)
    home = a_admin.get("/").get_data(as_text=True)
    # 消息中心 is a top-level link of the firm admin's navbar, with its count (issue 26)
    assert _dots(home) == {"messages": "1"}
    assert _dots(b_admin.get("/").get_data(as_text=True)) == {}
    listing = a_admin.get("/messages/?tab=协会通知").get_data(as_text=True)
    assert "2026年度培训计划" in listing and "未读" in listing
    assert "2026年度培训计划" not in b_admin.get("/messages/?tab=协会通知").get_data(as_text=True)
    with app.app_context():
        message_id = db.session.scalars(select(Message.id)).one()
    assert b_admin.get(f"/messages/show/{message_id}").status_code == 404
    assert "0/1" in staff.get("/notice-admin/").get_data(as_text=True)
    page = a_admin.get(f"/messages/show/{message_id}").get_data(as_text=True)
    assert "见附件" in page and "<script>x" not in page
    assert _dots(page) == {}  # read on opening: the dot is gone on this very page
    assert "已读" in a_admin.get("/messages/?tab=协会通知").get_data(as_text=True)
    assert "1/1" in staff.get("/notice-admin/").get_data(as_text=True)


def test_notice_form_names_the_field_in_error(app, world, make_client):
    staff = make_client()
    staff.login(world.staff)
    page = staff.post_form("/notice-admin/new", {
        "title": "标题", "body": "正文", "audience": "指定事务所", "publish_at": ""},
        follow_redirects=True).get_data(as_text=True)
    assert "请选择至少一个事务所" in page
    page = staff.post_form("/notice-admin/new", {
        "title": "标题", "body": "正文", "audience": "全部事务所", "publish_at": "明天"},
        follow_redirects=True).get_data(as_text=True)
    assert "发布时间格式不正确" in page
    with app.app_context():
        assert db.session.query(Notice).count() == 0


def test_firm_admin_cannot_manage_notices(app, world, make_client):
    client = make_client()
    client.login(world.a.admin)
    assert client.get("/notice-admin/").status_code in (302, 403)
    assert client.post_form("/notice-admin/new", {"title": "x", "body": "y",
                                                  "audience": "所有用户"}).status_code in (302, 403)
    with app.app_context():
        assert db.session.query(Notice).count() == 0


def test_consultation_thread_through_the_ui(app, world, make_client):
    a_admin, staff, b_admin = make_client(), make_client(), make_client()
    a_admin.login(world.a.admin)
    staff.login(world.staff)
    b_admin.login(world.b.admin)
    page = a_admin.post_form("/messages/consultation/new", {"business_type": "", "body": "x"},
                             follow_redirects=True).get_data(as_text=True)
    assert "请选择业务类型" in page
    response = a_admin.post_form("/messages/consultation/new", {
        "business_type": "关系转移", "body": "外省转入的注师需要继续教育证明吗?",
        "attachments": [(_bytes(b"%PDF-1.4 question"), "问题.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    pk = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert b_admin.get(f"/messages/consultation/{pk}").status_code == 404
    listing = staff.get("/consultationadminview/list/").get_data(as_text=True)
    assert "外省转入的注师" in listing
    assert _dots(staff.get("/").get_data(as_text=True)).get("messages") == "1"
    staff.post_form(f"/messages/consultation/{pk}/reply", {"body": "上传年检二维码就行"})
    listing = a_admin.get("/messages/?tab=咨询消息").get_data(as_text=True)
    assert "新消息" in listing
    a_admin.post_form(f"/messages/consultation/{pk}/reply", {"body": "在哪儿下载年检二维码?"})
    page = staff.get(f"/messages/consultation/{pk}").get_data(as_text=True)
    assert page.index("上传年检二维码就行") < page.index("在哪儿下载年检二维码?")
    assert 'id="consultation-close"' not in page  # staff did not start it
    page = a_admin.get(f"/messages/consultation/{pk}").get_data(as_text=True)
    assert 'id="consultation-close"' in page
    staff.post_form(f"/messages/consultation/{pk}/close")
    with app.app_context():
        assert db.session.get(Consultation, pk).status == ConsultationStatus.AWAITING_INSTITUTE
    a_admin.post_form(f"/messages/consultation/{pk}/close")
    with app.app_context():
        assert db.session.get(Consultation, pk).status == ConsultationStatus.CLOSED
    page = a_admin.get(f"/messages/consultation/{pk}").get_data(as_text=True)
    assert "已办结" in page and 'id="reply-form"' not in page


def _bytes(data):
    import io

    return io.BytesIO(data)


def test_attachments_download_only_for_recipients_and_thread_sides(app, world, make_client):
    staff, a_admin, b_admin, member = make_client(), make_client(), make_client(), make_client()
    for client, login in ((staff, world.staff), (a_admin, world.a.admin),
                          (b_admin, world.b.admin), (member, world.member)):
        client.login(login)
    staff.post_form("/notice-admin/new", {
        "title": "附件通知", "body": "见附件", "audience": "指定事务所",
        "firms": [str(world.a.id)], "attachments": [(_bytes(b"%PDF-1.4 plan"), "计划.pdf")]},
        content_type="multipart/form-data")
    a_admin.post_form("/messages/consultation/new", {
        "business_type": "其他", "body": "甲所的问题",
        "attachments": [(_bytes(b"%PDF-1.4 secret"), "甲所材料.pdf")]},
        content_type="multipart/form-data")
    with app.app_context():
        ids = {a.original_name: a.id for a in db.session.query(StoredFile)}
    assert set(ids) == {"计划.pdf", "甲所材料.pdf"}
    for name, data in (("计划.pdf", b"%PDF-1.4 plan"), ("甲所材料.pdf", b"%PDF-1.4 secret")):
        response = a_admin.get(f"/messages/attachment/{ids[name]}")
        assert response.status_code == 200 and response.data == data
        assert staff.get(f"/messages/attachment/{ids[name]}").status_code == 200
        assert b_admin.get(f"/messages/attachment/{ids[name]}").status_code == 404
        # a member of A is neither a recipient of the notice nor a side of A's thread
        assert member.get(f"/messages/attachment/{ids[name]}").status_code == 404
    assert b_admin.get("/messages/attachment/999999").status_code == 404


def test_member_reaches_the_message_centre(app, world, make_client):
    client = make_client()
    client.login(world.member)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/messages/"' in html
    assert client.get("/messages/?tab=咨询消息").status_code == 200


# --- REST ---------------------------------------------------------------------------

def _token(app, login):
    return app.test_client().post("/api/v1/security/login", json={
        "username": login, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]


def test_message_api_lists_own_messages_and_marks_read(app, world):
    with app.app_context():
        messages.notify([_user(world.a.admin)], "甲所的消息", "正文", NOW)
        messages.notify([_user(world.member)], "会员的消息", "正文", NOW)
        db.session.commit()
        mine = db.session.scalars(select(Message.id).where(Message.title == "甲所的消息")).one()
        theirs = db.session.scalars(select(Message.id).where(Message.title == "会员的消息")).one()
    http = app.test_client()
    headers = {"Authorization": f"Bearer {_token(app, world.a.admin)}"}
    listing = http.get("/api/v1/message/", headers=headers).get_json()
    assert listing["ids"] == [mine]
    assert http.post(f"/api/v1/message/{theirs}/read", headers=headers).status_code == 404
    response = http.post(f"/api/v1/message/{mine}/read", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["unread"]["系统消息"] == 0
    assert http.get(f"/api/v1/message/{mine}", headers=headers).get_json()["result"]["read_at"]
    with app.app_context():
        assert db.session.get(Message, theirs).read_at is None
    spec = http.get("/api/v1/_openapi", headers=headers).get_json()
    assert "/api/v1/message/{pk}/read" in spec["paths"]
    assert "/api/v1/message/" in spec["paths"]


def test_staff_edit_a_published_notice_and_delete_it(app, world, make_client):
    staff = make_client()
    staff.login(world.staff)
    staff.post_form("/notice-admin/new", {"title": "旧标题", "body": "正文",
                                          "audience": "全部事务所", "publish_at": ""})
    with app.app_context():
        notice_id = db.session.scalars(select(Notice.id)).one()
    page = staff.get(f"/notice-admin/edit/{notice_id}").get_data(as_text=True)
    assert "旧标题" in page and "0/2" in page
    response = staff.post_form(f"/notice-admin/edit/{notice_id}", {
        "title": "新标题", "body": "更正后的正文", "audience": "全部事务所"})
    assert response.status_code == 302
    page = staff.post_form(f"/notice-admin/edit/{notice_id}", {
        "title": "新标题", "body": "正文", "audience": "所有用户"},
        follow_redirects=True).get_data(as_text=True)
    assert "不能再修改发送对象" in page
    with app.app_context():
        assert {m.title for m in db.session.query(Message)} == {"新标题"}
        assert db.session.query(Message).count() == 2
    staff.post_form(f"/notice-admin/delete/{notice_id}")
    with app.app_context():
        assert db.session.query(Notice).count() == 0 and db.session.query(Message).count() == 0


def test_the_institutes_reply_is_mailed_to_a_bound_user_side(ctx, world):
    a_admin, staff = _user(world.a.admin), _user(world.staff)
    a_admin.account.notify_email = "a@example.com"
    thread = messages.start_consultation(a_admin, NOW, "关系转移", "需要哪些材料？")
    ctx.commit()
    assert ctx.scalars(select(OutboxMail)).all() == []  # the user's own question: no mail
    messages.reply_consultation(staff, NOW + HOUR, thread.id, "请上传年检二维码")
    ctx.commit()
    [mail] = ctx.scalars(select(OutboxMail)).all()
    assert mail.to_addr == "a@example.com" and "咨询回复" in mail.subject
    assert "请上传年检二维码" in mail.body


def test_notice_admin_list_filters_by_title_and_state(app, world, make_client):
    staff = make_client()
    staff.login(world.staff)
    for title, publish_at in (("年度培训计划", ""), ("明年的通知", "2099-01-01 09:00")):
        response = staff.post_form("/notice-admin/new", {
            "title": title, "body": "<p>正文</p>", "audience": "全部事务所",
            "publish_at": publish_at})
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]

    def titles(query):
        html = staff.get(f"/notice-admin/?{query}").get_data(as_text=True)
        return {t for t in ("年度培训计划", "明年的通知") if t in html.split('id="notice-list"')[1]}

    assert titles("") == {"年度培训计划", "明年的通知"}
    assert titles("q=培训") == {"年度培训计划"}
    assert titles("state=pending") == {"明年的通知"}
    assert titles("state=published") == {"年度培训计划"}


def test_a_system_message_prints_its_text_once(app, world, make_client):
    """A 进度提醒's title is the start of its text: the detail page shows the text once."""
    from app.workflows import messages
    text = "【进度提醒】您提交的注册会计师[张一][注册申请]业务申请已提交，请等待北注协审核。"
    with app.app_context():
        member = db.session.query(User).filter_by(username=world.member).one()
        [message] = messages.notify([member], text[:200], text, NOW)
        db.session.commit()
        pk = message.id
    client = make_client()
    client.login(world.member)
    page = client.get(f"/messages/show/{pk}").get_data(as_text=True)
    assert page.count("请等待北注协审核") == 1


# --- issue 25: one error mapping, bounded paging, the machine's permits --------------------

def test_the_notice_form_tells_every_mistake_at_once(app, world, make_client):
    staff = make_client()
    staff.login(world.staff)
    response = staff.post_form("/notice-admin/new", {
        "title": " ", "body": "", "audience": "指定事务所", "publish_at": "明天"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("请填写通知标题", "请填写通知内容", "请选择至少一个事务所", "发布时间格式不正确"):
        assert message in page
    with app.app_context():
        assert db.session.query(Notice).count() == 0


def test_the_message_centre_pages_are_bounded(app, world, make_client):
    with app.app_context():
        for i in range(45):  # three pages of 20
            messages.notify([_user(world.a.admin)], f"第{i:02d}条消息", "正文", NOW + i * HOUR)
        db.session.commit()
    client = make_client()
    client.login(world.a.admin)
    for asked in ("3", "4", "999", str(10**40)):  # past the last page: the last page
        response = client.get(f"/messages/?page={asked}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200, asked
        assert "第00条消息" in page and "第04条消息" in page and "第05条消息" not in page
    first = client.get("/messages/?page=-3").get_data(as_text=True)
    assert "第44条消息" in first and "第24条消息" not in first
    staff = make_client()
    staff.login(world.staff)
    assert staff.get(f"/notice-admin/?page={10**40}").status_code == 200


def test_the_thread_awaits_the_side_the_machine_permits_to_answer(ctx, world):
    staff, a_admin = _user(world.staff), _user(world.a.admin)
    thread = messages.start_consultation(a_admin, NOW, "其他", "问题")
    assert messages.awaits(staff, thread) and not messages.awaits(a_admin, thread)
    error = messages.MACHINE.refusal(thread, "answer", a_admin, NOW)
    assert error.message == "当前状态为“待协会回复”，只有协会工作人员可以回复"
    messages.reply_consultation(staff, NOW, thread.id, "答复")
    assert messages.awaits(a_admin, thread) and not messages.awaits(staff, thread)
    messages.close_consultation(a_admin, NOW, thread.id)
    assert messages.MACHINE.refusal(thread, "answer", staff, NOW).message == \
        "当前状态为“已办结”，不能回复"


def test_reading_a_message_not_mine_answers_the_apps_404_body(app, world):
    with app.app_context():
        messages.notify([_user(world.member)], "会员的消息", "正文", NOW)
        db.session.commit()
        theirs = db.session.scalars(select(Message.id)).one()
    http = app.test_client()
    headers = {"Authorization": f"Bearer {_token(app, world.a.admin)}"}
    response = http.post(f"/api/v1/message/{theirs}/read", headers=headers)
    assert response.status_code == 404 and response.get_json() == {"message": "消息不存在"}
