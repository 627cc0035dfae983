"""注册业务 through HTTP: a firm files a 注册申请 with documents through the pages, staff reject
it with reasons per document, the firm fixes and resubmits, staff approve; two people are
booked into one slot through the REST API, rescheduled, checked in and processed to 办理完成;
an institute-managed CPA signs in with its certificate number and files its own 证书补办; the
pre-filled 注销 form opens; another firm sees none of it."""
import datetime as dt
import io

import pytest

from app import clock
from app.extensions import db
from app.models import CaseStatus, RegistrationCase, SlotUsage
from app.workflows.registration import booking, requirements
from tests.helpers import id_number
from tests.registration.common import PDF, managed_cpa, setup_tables
from tests.registry.test_api import bearer

S = CaseStatus


@pytest.fixture
def ready(app, world):
    with app.app_context():
        setup_tables(db.session)
    return world


def _open_day(app):
    with app.app_context():
        days = [d for d in booking.grid(clock.now()) if d["open"]]
    return days[0]["date"], days[-1]["date"]


def _file(client, data, uploads):
    form = {**data, "csrf_token": client.token()}
    for key, name in uploads.items():
        form[f"doc_{key}"] = (io.BytesIO(PDF), name)
    return client.post("/registration/save", data=form, content_type="multipart/form-data")


def _case(app, name):
    with app.app_context():
        return db.session.query(RegistrationCase).filter_by(name=name).one()


def test_file_reject_fix_approve_book_reschedule_and_finish(app, ready, make_client):
    world = ready
    firm = make_client()
    firm.login(world.a.admin)
    assert "注册申请" in firm.get("/registration/").get_data(as_text=True)
    # 承诺书 first; without it the form sends back to it
    assert firm.get("/registration/new/注册申请/form").status_code == 302
    page = firm.get("/registration/new/注册申请").get_data(as_text=True)
    assert "我承诺在本业务办理过程中提供的信息真实、完整、有效。" in page and "存档证明" in page
    assert firm.post_form("/registration/new/注册申请").status_code == 302
    form = firm.get("/registration/new/注册申请/form").get_data(as_text=True)
    assert "注册会计师本人手机号" in form and "是否退休" in form and "下载模板" in form
    with app.app_context():
        docs = {r.doc_key: f"{r.label}.pdf"
                for r in requirements.documents_for("注册申请", {"retired": "否"})}
    base = {"case_type": "注册申请", "name": "张三", "id_number": id_number(71),
            "mobile": "13700000071", "retired": "否"}
    partial = dict(list(docs.items())[:3])
    response = _file(firm, {**base, "action": "submit"}, partial)
    assert response.status_code == 302
    case = _case(app, "张三")
    assert case.status == S.DRAFT  # saved, not submitted: what is missing is named
    shown = firm.get(f"/registration/case/{case.id}", follow_redirects=True).get_data(as_text=True)
    assert "尚缺材料" in shown and "【存档证明】" in shown
    rest = dict(list(docs.items())[3:])
    response = _file(firm, {**base, "case_id": case.id, "action": "submit"}, rest)
    assert _case(app, "张三").status == S.SUBMITTED
    # 撤回 and submit again
    firm.post_form(f"/registration/case/{case.id}/step", {"verb": "withdraw"})
    assert _case(app, "张三").status == S.DRAFT
    firm.post_form(f"/registration/case/{case.id}/step", {"verb": "submit"})
    # staff: reasons per document
    staff = make_client()
    staff.login(world.staff)
    queue = staff.get("/registration/records/?status=已提交待北注协审核&waited=0").get_data(
        as_text=True)
    assert "张三" in queue
    with app.app_context():
        row = db.session.get(RegistrationCase, case.id)
        archive = next(d.id for d in row.documents if d.label == "存档证明")
        documents_ = [d.id for d in db.session.get(RegistrationCase, case.id).documents]
    inline = staff.get(f"/registration/document/{archive}?inline=1")
    assert inline.data == PDF
    # the preview's own policy reaches the response (the page policy used to replace it)
    policy = inline.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "nonce-" not in policy
    staff.post_form(f"/registration/case/{case.id}/review",
                    {"verb": "reject", f"reason_{archive}": "没有单位的盖章"})
    assert _case(app, "张三").status == S.REJECTED
    detail = firm.get(f"/registration/case/{case.id}").get_data(as_text=True)
    assert "【存档证明】没有单位的盖章" in detail and "用户主动撤回" in detail
    # fix: replace the archive proof, resubmit; approve
    _file(firm, {**base, "case_id": case.id, "action": "submit"},
          {"archive_proof": "存档证明（已盖章）.pdf"})
    assert _case(app, "张三").status == S.SUBMITTED
    staff.post_form(f"/registration/case/{case.id}/review", {"verb": "approve"})
    assert _case(app, "张三").status == S.APPROVED
    # a second person, approved through the REST verbs
    firm.post_form("/registration/new/注册申请")
    _file(firm, {**base, "name": "李四", "id_number": id_number(72), "action": "submit"}, docs)
    second = _case(app, "李四")
    headers = bearer(staff, world.staff)
    assert staff.post(f"/api/v1/registration_case/{second.id}/approve", json={},
                      headers=headers).get_json()["status"] == "审核通过待预约"  # REST shows the words
    # book both into one slot through the API; the grid shows the seats taken
    firm_headers = bearer(firm, world.a.admin)
    first_day, last_day = _open_day(app)
    response = firm.post("/api/v1/appointment/", headers=firm_headers, json={
        "cases": [case.id, second.id], "slot": {"date": first_day, "start": "10:00"}})
    assert response.status_code == 201, response.get_json()
    appointment = response.get_json()["id"]
    grid = firm.get("/api/v1/appointment/slots?type=注册申请", headers=firm_headers).get_json()
    slot = next(s for d in grid["days"] if d["date"] == first_day for s in d["slots"]
                if s["start"] == "10:00")
    assert slot["left"] == 10
    page = firm.get(f"/registration/booking/slots?cases={case.id}").get_data(as_text=True)
    assert "公休日" in page or "余" in page
    # mixed types are refused, in Chinese
    refused = firm.post("/api/v1/appointment/", headers=firm_headers, json={
        "cases": [case.id], "slot": {"date": "x", "start": "10:00"}})
    assert refused.status_code == 400 and "不能预约" in refused.get_json()["message"]
    if last_day != first_day:
        moved = firm.post(f"/api/v1/appointment/{appointment}/reschedule", headers=firm_headers,
                          json={"slot": {"date": last_day, "start": "13:30"}})
        assert moved.status_code == 200, moved.get_json()
        with app.app_context():
            assert db.session.query(SlotUsage.taken).filter_by(start="10:00").scalar() == 0
    records = firm.get("/registration/appointments/").get_data(as_text=True)
    assert "改约" in records and "注册申请" in records
    # the 预约记录 of firm B is empty and its id pages are 404
    other = make_client()
    other.login(world.b.admin)
    assert "张三" not in other.get("/registration/appointments/").get_data(as_text=True)
    assert other.get(f"/registration/appointments/{appointment}").status_code == 404
    assert other.get(f"/registration/case/{case.id}").status_code == 404
    assert other.get(f"/registration/document/{documents_[0]}").status_code == 404
    # the day comes: staff check in (workflow clock), then the stages
    with app.app_context():
        from app.workflows.registration import booking as b, cases as c
        from tests.registration.common import user
        row = db.session.get(b.Appointment, appointment)
        # 10:00 Beijing time on the appointment's day (02:00 UTC), whatever the hour now
        on_the_day = dt.datetime.combine(row.day, dt.time(2, 0), tzinfo=dt.timezone.utc)
        actor = user(db.session, world.staff)
        b.check_in(actor, on_the_day, appointment)
        for pk in (case.id, second.id):
            c.make_certificate(actor, on_the_day, pk)
    staff.post_form(f"/registration/case/{case.id}/review", {"verb": "collect"})
    assert _case(app, "张三").status == S.DONE
    export = firm.get("/registration/records/export/xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_a_managed_cpa_signs_in_with_its_certificate_number_and_files_its_reissue(
        app, ready, make_client):
    with app.app_context():
        person = managed_cpa(db.session)
        cert = person.cert_number
    cpa = make_client()
    cpa.login(cert)
    assert cpa.signed_in
    cpa.post_form("/registration/new/证书补办")
    form = cpa.get("/registration/new/证书补办/form").get_data(as_text=True)
    assert "赵代管" in form and "登报挂失声明" in form
    response = _file(cpa, {"case_type": "证书补办", "name": "赵代管", "id_number": id_number(901),
                           "mobile": "13700009901", "action": "submit"},
                     {"reissue_request": "补办申请.pdf", "loss_notice": "挂失声明.pdf"})
    assert response.status_code == 302
    case = _case(app, "赵代管")
    assert case.status == S.SUBMITTED and case.firm_id is None and case.person_id == person.id
    records = cpa.get("/registration/records/").get_data(as_text=True)
    assert "证书补办" in records and "已提交待北注协审核" in records


def test_the_cancellation_form_comes_back_pre_filled(app, ready, make_client):
    world = ready
    firm = make_client()
    firm.login(world.a.admin)
    firm.post_form("/registration/new/注销(撤销)")
    _file(firm, {"case_type": "注销(撤销)", "name": "张一", "gender": "男",
                 "id_number": id_number(1), "cert_number": "110100010001",
                 "mobile": "13800000001", "partner": "否", "reason": "自行停止执行注册会计师业务满1年的",
                 "agent_name": "王受托", "action": "save"}, {})
    case = _case(app, "张一")
    response = firm.get(f"/registration/template/cancel_form?case={case.id}")
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    assert "attachment" in response.headers["Content-Disposition"]
    blank = firm.get("/registration/template/cancel_form")
    assert blank.status_code == 200 and blank.data != response.data
    other = make_client()
    other.login(world.b.admin)
    assert other.get(f"/registration/template/cancel_form?case={case.id}").status_code == 404
    assert firm.get("/registration/template/nonsense").status_code == 404


def test_firm_names_are_suggested_for_the_transfer_form(app, ready, make_client):
    world = ready
    firm = make_client()
    firm.login(world.a.admin)
    names = firm.get("/registration/suggest?q=乙会计师").get_json()
    assert names == ["北京乙会计师事务所有限公司"]
    assert firm.get("/registration/suggest?q=").get_json() == []
    assert firm.get("/registration/suggest?q=%25").get_json() == []  # a typed % is literal


def test_the_requirements_list_speaks_its_conditions_in_words(app, world, make_client, ready):
    """所需材料设置 lists each row's condition as a sentence, not its rule (retired=否), and
    leaves the material code to the edit form."""
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/docrequirementview/list/?psize_DocRequirementView=100").get_data(
        as_text=True)
    assert "是否退休为“否”时需要" in page and "总是需要" in page
    assert "retired=" not in page and "labor_contract" not in page and "材料代码" not in page


def test_cancel_and_reschedule_ask_before_they_are_sent(app, ready, make_client):
    """取消 and 改约 tell people, so the page asks first (a static script: CSP allows no
    inline handler); the 改约 then shows in the case's 流程跟踪."""
    from tests.registration.common import approved_case, user
    world = ready
    with app.app_context():
        admin, staff = user(db.session, world.a.admin), user(db.session, world.staff)
        case = approved_case(db.session, admin, staff, name="问确认", serial=631, now=clock.now())
        first, last = _open_day(app)
        appointment = booking.book(admin, clock.now(), [case.id], first, "10:00")
        pk, case_id = appointment.id, case.id
    firm = make_client()
    firm.login(world.a.admin)
    for path in (f"/registration/appointments/{pk}", "/registration/appointments/"):
        page = firm.get(path).get_data(as_text=True)
        assert 'data-confirm="确定取消' in page and "js/confirm_forms.js" in page
    page = firm.get(f"/registration/appointments/{pk}?change=1").get_data(as_text=True)
    assert page.count('data-confirm="确定将预约由') >= 5
    if first != last:  # (a day later than the first open one to move to)
        response = firm.post_form(f"/registration/appointments/{pk}/reschedule",
                                  data={"date": last, "start": "13:30"})
        assert response.status_code == 302
        page = firm.get(f"/registration/case/{case_id}").get_data(as_text=True)
        assert f"改约：由{first}" in page and f"改为{last}" in page
