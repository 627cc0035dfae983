"""Mail delivery through a real SMTP server on loopback (aiosmtpd): what arrives, and how often."""
import datetime as dt
import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import OutboxMail, OutboxStatus
from app.workflows.core import jobs, mail, outbox
from tests.helpers import NOW


class Inbox:
    """aiosmtpd handler keeping every message it accepted; refuses rcpt 'reject*@…'."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def subjects(self):
        return sorted(str(message["Subject"]) for _rcpt, message in self.messages)


def free_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_TLS", False)
    monkeypatch.setitem(app.config, "SMTP_USER", "")
    monkeypatch.setitem(app.config, "SMTP_FROM", "noreply@cicpa.example")
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_down(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(app.config, "SMTP_TLS", False)
    monkeypatch.setitem(app.config, "SMTP_USER", "")


def queue(app, *mails, now=NOW):
    """Queue (to, subject) pairs in one transaction; returns their ids."""
    with app.app_context():
        rows = [mail.queue_mail(to, subject, f"正文：{subject}\n第二行", now) for to, subject in mails]
        db.session.commit()
        return [row.id for row in rows]


def deliver(app, now=NOW):
    """One run of the delivery job, as the scheduler makes it; returns (outcome, counts)."""
    import json

    with app.app_context():
        run = jobs.run_job("deliver_outbox", now, jobs.TRIGGER_SCHEDULE)
        return run.outcome, json.loads(run.counts)


def rows(app):
    with app.app_context():
        found = {m.id: m for m in db.session.query(OutboxMail)}
        db.session.expunge_all()
        return found


def test_queued_mail_arrives_once_with_its_subject_and_body(app, smtp):
    [mail_id] = queue(app, ("zhang@firm.example", "【注协】邮箱绑定验证码"))
    assert deliver(app) == (jobs.OK, {"sent": 1, "retry": 0, "failed": 0, "stuck": 0})
    assert len(smtp.messages) == 1
    rcpt, message = smtp.messages[0]
    assert rcpt == ["zhang@firm.example"]
    assert message["Subject"] == "【注协】邮箱绑定验证码"
    assert message["From"] == "noreply@cicpa.example"
    assert "正文：【注协】邮箱绑定验证码" in message.get_content()
    row = rows(app)[mail_id]
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENT, 1, NOW)
    # later runs find nothing to send
    assert deliver(app, NOW + dt.timedelta(minutes=5))[1]["sent"] == 0
    assert len(smtp.messages) == 1


def test_mail_is_queued_in_the_callers_transaction(app, smtp):
    """A rolled-back event leaves no mail behind."""
    with app.app_context():
        mail.queue_mail("li@firm.example", "不会发出", "x", NOW)
        db.session.rollback()
    assert deliver(app)[1]["sent"] == 0
    assert smtp.messages == []


def test_queue_mail_refuses_a_malformed_address_and_header_injection(app):
    from app.workflows.core.errors import ValidationError

    with app.app_context():
        for bad in ("", "no-at-sign", "a@b", "x@y.com\nBcc: evil@z.com", "两个 <a@b.com>"):
            with pytest.raises(ValidationError):
                mail.queue_mail(bad, "s", "b", NOW)
        row = mail.queue_mail("ok@firm.example", "主题\r\nBcc: evil@z.com", "b", NOW)
        assert "\n" not in row.subject and "\r" not in row.subject
        db.session.rollback()


def test_two_deliveries_at_the_same_time_send_each_mail_exactly_once(app, smtp, monkeypatch):
    """Both runs see the same rows due; the first claims them while the second still
    believes they are free, then the second tries to claim them: each mail goes once."""
    ids = queue(app, *[(f"user{i}@firm.example", f"通知{i:02d}") for i in range(20)])
    both_selected = threading.Barrier(2, timeout=20)
    first_claimed = threading.Event()
    due_ids, claim_due = outbox.due_ids, mail.claim_due

    def due_ids_then_wait(model, now, limit):
        found = due_ids(model, now, limit)
        if both_selected.wait() == 1:  # the second run claims only after the first did
            assert first_claimed.wait(20)
        return found

    def claim_then_signal(now, token, *args):
        try:
            return claim_due(now, token, *args)
        finally:
            first_claimed.set()

    monkeypatch.setattr(outbox, "due_ids", due_ids_then_wait)
    monkeypatch.setattr(mail, "claim_due", claim_then_signal)
    results = []

    def run():
        results.append(deliver(app))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [outcome for outcome, _ in results] == [jobs.OK, jobs.OK], results
    assert sum(counts["sent"] for _, counts in results) == 20
    assert smtp.subjects() == [f"通知{i:02d}" for i in range(20)]  # each once, none twice
    assert {row.status for row in rows(app).values()} == {OutboxStatus.SENT}
    assert set(rows(app)) == set(ids)


def test_server_down_backs_off_then_gives_up_visible_to_admin(app, smtp_down):
    [mail_id] = queue(app, ("wang@firm.example", "审核结果通知"))
    now = NOW
    waits = []
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        outcome, counts = deliver(app, now)
        assert outcome == jobs.OK  # a mail that fails is the mail's failure, not the job's
        row = rows(app)[mail_id]
        assert row.attempts == attempt
        assert "Connection" in row.last_error or "refused" in row.last_error.lower()
        # in Chinese first: what failed, then what happens next
        assert row.last_error.startswith("无法连接发信服务器")
        if attempt < mail.MAX_ATTEMPTS:
            assert f"自动重试（已尝试{attempt}次，最多{mail.MAX_ATTEMPTS}次）" in row.last_error
        else:
            assert "不再自动重试" in row.last_error and "重新发送" in row.last_error
        if attempt < mail.MAX_ATTEMPTS:
            assert counts["retry"] == 1 and row.status == OutboxStatus.PENDING
            waits.append(row.next_attempt_at - now)
            # not due again before its back-off has passed: no attempt is made
            deliver(app, row.next_attempt_at - dt.timedelta(seconds=1))
            assert rows(app)[mail_id].attempts == attempt
            now = row.next_attempt_at
        else:
            assert counts["failed"] == 1 and row.status == OutboxStatus.FAILED
    assert waits == [dt.timedelta(minutes=2 ** i) for i in range(mail.MAX_ATTEMPTS - 1)]
    # 发送失败 stays failed: no more attempts, however late
    deliver(app, now + dt.timedelta(days=3))
    assert rows(app)[mail_id].attempts == mail.MAX_ATTEMPTS


def test_a_refused_recipient_fails_alone_and_the_rest_go_out(app, smtp):
    ok_id, bad_id = queue(app, ("ok@firm.example", "甲"), ("reject@firm.example", "乙"))
    outcome, counts = deliver(app)
    assert counts == {"sent": 1, "retry": 1, "failed": 0, "stuck": 0}
    found = rows(app)
    assert found[ok_id].status == OutboxStatus.SENT
    assert found[bad_id].status == OutboxStatus.PENDING and "550" in found[bad_id].last_error
    assert smtp.subjects() == ["甲"]


def test_a_mail_left_sending_by_a_crashed_process_is_never_resent_automatically(app, smtp):
    [mail_id] = queue(app, ("zhao@firm.example", "可能已发出"))
    with app.app_context():
        # a process claimed it, (perhaps) sent it, and died before marking it sent
        assert [m.id for m in mail.claim_due(NOW, "dead-host:123:abc")] == [mail_id]
    later = NOW + dt.timedelta(hours=2)
    outcome, counts = deliver(app, later)
    assert counts["sent"] == 0 and counts["stuck"] == 1
    assert smtp.messages == []
    assert rows(app)[mail_id].status == OutboxStatus.SENDING


def test_jobs_run_as_of_a_date_sends_what_was_due_by_then(app, smtp, monkeypatch):
    """`jobs run deliver_outbox --today D` acts as of D: a retry due later waits."""
    from app import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)  # 2026-11-23 10:00 Asia/Shanghai
    early, late = queue(app, ("a@firm.example", "早"), ("b@firm.example", "晚"),
                        now=NOW - dt.timedelta(days=30))
    with app.app_context():
        db.session.get(OutboxMail, late).next_attempt_at = NOW + dt.timedelta(days=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run", "deliver_outbox",
                                                "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "成功" in result.output and '"sent": 1' in result.output
    assert smtp.subjects() == ["早"]
    result = app.test_cli_runner().invoke(args=["jobs", "run", "deliver_outbox",
                                                "--today", "2026-11-24"])
    assert result.exit_code == 0 and '"sent": 1' in result.output
    assert smtp.subjects() == ["早", "晚"]
    assert rows(app)[late].sent_at == NOW + dt.timedelta(days=1)


# --- the admin's pages ----------------------------------------------------------------------
def _failed_and_sent(app):
    with app.app_context():
        failed = OutboxMail(to_addr="fail@firm.example", subject="退信的邮件", body="秘密验证码 123456",
                            status=OutboxStatus.FAILED, attempts=5, next_attempt_at=NOW,
                            last_error="ConnectionRefusedError: [Errno 111]", created_at=NOW)
        sent = OutboxMail(to_addr="ok@firm.example", subject="已送达的邮件", body="b",
                          status=OutboxStatus.SENT, attempts=1, next_attempt_at=NOW,
                          sent_at=NOW, created_at=NOW)
        db.session.add_all([failed, sent])
        db.session.commit()
        return failed.id, sent.id


def test_staff_sees_failures_filtered_and_resends_them(app, world, make_client, smtp):
    failed_id, sent_id = _failed_and_sent(app)
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/outboxmailview/list/").get_data(as_text=True)
    assert "邮件发送记录" in page and "退信的邮件" in page and "已送达的邮件" in page
    # what failed in words (the technical text only small beside it)
    assert "无法连接发信服务器：对方拒绝连接" in page
    assert "123456" not in page  # bodies may carry one-time codes: never shown
    assert "123456" not in staff.get(f"/outboxmailview/show/{failed_id}").get_data(as_text=True)
    only_failed = staff.get("/outboxmailview/list/?_flt_0_status=发送失败").get_data(as_text=True)
    assert "退信的邮件" in only_failed and "已送达的邮件" not in only_failed
    response = staff.post_form("/outboxmailview/action_post",
                               {"action": "resend", "rowid": [str(failed_id), str(sent_id)]})
    assert response.status_code == 302
    found = rows(app)
    assert (found[failed_id].status, found[failed_id].attempts) == (OutboxStatus.PENDING, 0)
    assert found[sent_id].status == OutboxStatus.SENT  # only failures go back to the queue
    from app import clock  # the view requeues as of the real clock

    assert deliver(app, clock.now() + dt.timedelta(minutes=1))[1]["sent"] == 1
    assert smtp.subjects() == ["退信的邮件"]


def test_staff_sees_the_job_run_log_and_firms_do_not(app, world, make_client):
    with app.app_context():
        jobs.run_job("deliver_outbox", NOW, jobs.TRIGGER_CLI)
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/jobrunview/list/").get_data(as_text=True)
    assert "发送待发邮件" in page and "命令行" in page and "成功" in page  # Chinese names (issue 14)
    home = staff.get("/").get_data(as_text=True)
    assert "定时任务" in home and "邮件发送记录" in home
    firm_admin = make_client()
    firm_admin.login(world.a.admin)
    assert firm_admin.get("/jobrunview/list/").status_code in (302, 403)
    assert firm_admin.get("/outboxmailview/list/").status_code in (302, 403)
    assert "定时任务" not in firm_admin.get("/").get_data(as_text=True)


def test_staff_read_the_sms_outbox_and_nobody_else(app, world, make_client):
    """短信发送记录: what was texted to whom (预约成功, 改约, 取消), newest first, read-only."""
    from app.models import OutboxSms
    from app.workflows.core import sms
    from app.workflows.core.sms import send_sms
    with app.app_context():
        send_sms("13800000001", "张一您好，您的预约已取消", NOW)
        send_sms("13800000002", "张二您好，您的预约时间已改为周五", NOW + dt.timedelta(minutes=1))
        db.session.commit()
        sms_id = db.session.query(OutboxSms.id).filter_by(to_mobile="13800000001").scalar()
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/outboxsmsview/list/").get_data(as_text=True)
    assert "短信发送记录" in page and "张一您好，您的预约已取消" in page
    # newest first; numbers shown masked (search takes the whole number)
    assert page.index(sms.mask_mobile("13800000002")) < page.index(sms.mask_mobile("13800000001"))
    assert "2026-11-23 10:00:00" in page  # Beijing time
    assert staff.get(f"/outboxsmsview/show/{sms_id}").status_code == 200
    assert staff.get("/outboxsmsview/add").status_code in (302, 403, 404)
    assert staff.get(f"/outboxsmsview/edit/{sms_id}").status_code in (302, 403, 404)
    firm = make_client()
    firm.login(world.a.admin)
    assert firm.get("/outboxsmsview/list/").status_code in (302, 403, 404)
