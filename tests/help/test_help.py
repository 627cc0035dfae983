"""帮助中心: 智能客服 ranking with sources, policy search, anonymous suggestions, permissions."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.demo.help import seed_help
from app.extensions import db
from app.models import AuditLog, FaqEntry, HelpDocument, PolicyText, Suggestion
from app.workflows import help
from app.workflows.help import search as help_search
from app.workflows.core.errors import ValidationError
from tests.helpers import NOW


@pytest.fixture
def kb(ctx):
    """The demo knowledge base (12 FAQ entries, 4 policy summaries, 2 manuals)."""
    seed_help(NOW)
    ctx.commit()
    return ctx


def _faq(session, question_start):
    return session.execute(select(FaqEntry).where(
        FaqEntry.question.startswith(question_start))).scalar_one()


# --- 智能客服 -------------------------------------------------------------------------------

@pytest.mark.parametrize("question, expected", [
    # paraphrases: none of these is the entry's question word for word
    ("在北京换个事务所工作，怎么办理", "北京市内转所怎么办理？"),
    ("我想成立一家会计师事务所，需要准备什么材料", "新办会计师事务所需要哪些材料？"),
    ("非执业会员怎样转为执业注册会计师", "非执业会员转执业会员如何办理？"),
    ("CPA一年要修多少学分", "注册会计师每年需要完成多少继续教育学时？"),
    ("证书遗失了如何补发", "注册会计师证书丢失了怎么补办？"),
    ("忘了登录密码", "忘记密码怎么办？"),
    ("在协会授课可以折算多少学时", "产出式学时如何计算？"),
])
def test_assistant_answers_paraphrased_questions_from_the_right_entry(kb, question, expected):
    reply = help.ask(question)
    assert reply.found, question
    best = reply.answers[0]
    assert best.kind == "faq" and best.title == expected, (question, best.title)
    entry = _faq(kb, expected)
    assert best.id == entry.id and best.text == entry.answer
    assert f"常见问题 #{entry.id}" in best.source and entry.source in best.source


def test_documents_are_answered_from_the_requirements_table_not_the_faq(kb):
    """Issue 24: the FAQ listed documents of its own beside the form's list."""
    from app.workflows.registration import requirements
    requirements.install_defaults(kb)
    reply = help.ask("在北京换个事务所工作，要交哪些资料？")
    assert [a.kind for a in reply.answers] == ["registration"]
    assert "京内转所" in reply.answers[0].title
    for entry in kb.execute(select(FaqEntry)).scalars():  # the demo FAQ lists none
        assert "劳动合同" not in entry.answer and "身份证件" not in entry.answer, entry.question


def test_assistant_answers_from_a_policy_paragraph_with_its_doc_number(kb):
    reply = help.ask("有哪些情形不予注册")
    best = reply.answers[0]
    assert best.kind == "policy"
    assert "不予注册" in best.text and "刑事处罚" in best.text
    assert best.doc_number == "财政部令第25号"
    assert "《注册会计师注册办法（要点摘编）》" in best.source and "财政部令第25号" in best.source


def test_assistant_shows_the_source_of_each_answer(kb):
    reply = help.ask("注册会计师继续教育面授学时有什么要求")
    assert reply.found and len(reply.answers) >= 2
    for answer in reply.answers:
        assert answer.source
    sources = " ".join(a.source for a in reply.answers)
    assert "会协〔2021〕46号" in sources


@pytest.mark.parametrize("question", ["今天中午食堂吃什么", "北京明天天气怎么样", "事务所附近哪里停车方便"])
def test_assistant_says_honestly_when_nothing_matches(kb, question):
    reply = help.ask(question)
    assert not reply.found
    assert reply.message == "未找到相关答案，可发起咨询"


def test_assistant_on_an_empty_knowledge_base_finds_nothing(ctx):
    assert help.ask("注册会计师每年要多少学时").message == help.NOT_FOUND


def test_assistant_refuses_an_empty_question(kb):
    with pytest.raises(ValidationError, match="请输入您的问题"):
        help.ask("   ")


def test_staff_edits_reach_the_next_answer(kb):
    """The cached index is keyed by the tables' state: an edit is seen at once."""
    before = help.indexes().builds
    help.ask("注册会计师每年要多少学时")
    assert help.indexes().builds == before  # unchanged data: no rebuild
    entry = _faq(kb, "忘记密码怎么办")
    entry.answer = "请携带身份证到协会前台办理密码重置。"
    help.clean_faq(entry, NOW + dt.timedelta(minutes=5))
    kb.commit()
    reply = help.ask("忘了登录密码")
    assert reply.answers[0].text == "请携带身份证到协会前台办理密码重置。"
    assert help.indexes().builds == before + 1
    # a new entry is found; a deleted one is gone
    new = FaqEntry(question="年检什么时候开始？", answer="每年3月1日开始年检。", source="年检通知")
    help.clean_faq(new, NOW)
    kb.add(new)
    kb.commit()
    assert help.ask("年检几月份开始").answers[0].id == new.id
    kb.delete(new)
    kb.commit()
    assert all(a.id != new.id for a in help.ask("年检几月份开始").answers)


def test_registration_material_questions_go_to_registered_answer_sources(kb, monkeypatch):
    """The hook the registration requirements table will use (DESIGN §3: one table for
    the form, the validator and the help bot)."""
    monkeypatch.setattr(help_search, "_answer_sources", [])

    def from_requirements(question, terms):
        if "材料" in terms and "转所" in terms:
            return [help.Answer("requirements", None, "关系转移（市内转所）所需材料",
                                    "1. 解除劳动关系证明", "业务办理材料要求表")]
        return None

    help.register_answer_source(from_requirements)
    reply = help.ask("市内转所要交什么资料")
    assert reply.answers[0].source == "业务办理材料要求表"
    assert reply.answers[0].kind == "requirements"


# --- 行业政策法规 ------------------------------------------------------------------------------

def test_policy_search_ranks_by_relevance(kb):
    hits = help.search_policies("继续教育 面授")
    assert hits[0].policy.doc_number == "会协〔2021〕46号"
    assert "面授" in hits[0].snippet
    titles = [h.policy.title for h in help.search_policies("执业许可 合伙人")]
    assert titles[0] == "会计师事务所执业许可和监督管理办法（要点摘编）"


@pytest.mark.parametrize("query", ["会协〔2021〕46号", "会协[2021]46号", "会协(2021)46号", "2021〕46"])
def test_policy_search_finds_a_doc_number_in_any_bracket_spelling(kb, query):
    assert help.search_policies(query)[0].policy.doc_number == "会协〔2021〕46号"


def test_policy_search_by_issuer_and_nothing_found(kb):
    issuers = {h.policy.issuer for h in help.search_policies("北京注册会计师协会")[:1]}
    assert issuers == {"北京注册会计师协会"}
    assert help.search_policies("量子计算机") == []
    assert len(help.search_policies("")) == 4  # an empty query lists the library


# --- 意见建议 ----------------------------------------------------------------------------------

def test_anonymous_suggestion_stores_no_user_id_and_no_audit_row(app, world, ctx):
    from flask_appbuilder.security.sqla.models import User

    user = ctx.execute(select(User).where(User.username == world.member)).scalar_one()
    audit_before = ctx.scalar(select(func.count(AuditLog.id)))
    at = dt.datetime(2026, 11, 23, 7, 41, 13, tzinfo=dt.timezone.utc)
    suggestion = help.submit_suggestion(user, at, "建议增加夜间预约时段", anonymous=True)
    ctx.commit()
    row = ctx.get(Suggestion, suggestion.id)
    assert row.user_id is None
    # the time only to the (Shanghai) day: a minute-exact time could be matched to a login
    assert row.created_at == dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.timezone.utc)
    assert ctx.scalar(select(func.count(AuditLog.id))) == audit_before
    assert ctx.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.entity == "suggestion")) == 0


def test_named_suggestion_keeps_its_sender(app, world, ctx):
    from flask_appbuilder.security.sqla.models import User

    user = ctx.execute(select(User).where(User.username == world.member)).scalar_one()
    suggestion = help.submit_suggestion(user, NOW, "  希望增加直播课程  ", anonymous=False)
    ctx.commit()
    assert suggestion.user_id == user.id and suggestion.content == "希望增加直播课程"
    assert suggestion.created_at == NOW


@pytest.mark.parametrize("content, message", [("", "内容：请填写"), ("字" * 2001, "内容：不能超过2000字")])
def test_suggestion_content_is_checked(ctx, content, message):
    with pytest.raises(ValidationError, match=message) as error:
        help.submit_suggestion(None, NOW, content, anonymous=True)
    assert error.value.field == "content"


# --- staff-maintained rows --------------------------------------------------------------------

@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x/y", "data:text/html,x"])
def test_help_document_links_must_be_web_addresses(url):
    document = HelpDocument(kind="演示视频", title="预约演示", url=url)
    with pytest.raises(ValidationError, match="链接") as error:
        help.clean_document(document, NOW)
    assert error.value.field == "url"


# --- views ---------------------------------------------------------------------------------------

READER_PAGES = ["/help/", "/help/manuals/", "/help/videos/", "/help/policies/",
                "/help/assistant/", "/help/suggest/"]
STAFF_VIEWS = ["/helpdocumentview/list/", "/policytextview/list/", "/faqentryview/list/",
               "/suggestionview/list/"]


def _seed(app):
    with app.app_context():
        seed_help(NOW)
        db.session.add(HelpDocument(kind="演示视频", title="预约办理演示",
                                    url="https://video.example.org/booking.mp4", sort_order=1,
                                    created_at=NOW))
        db.session.commit()
        return db.session.execute(select(PolicyText.id).where(
            PolicyText.doc_number == "会协〔2021〕46号")).scalar_one()


@pytest.mark.parametrize("who", ["firm_admin", "member", "staff"])
def test_every_role_reads_the_help_pages(app, world, make_client, who):
    policy_id = _seed(app)
    client = make_client()
    client.login({"firm_admin": world.a.admin, "member": world.member, "staff": world.staff}[who])
    for path in READER_PAGES + [f"/help/policies/{policy_id}"]:
        response = client.get(path)
        assert response.status_code == 200, (who, path, response.status_code)
    home = client.get("/help/").get_data(as_text=True)
    for label in ("帮助中心", "操作手册", "演示视频", "行业政策法规", "智能客服", "意见建议"):
        assert label in home
    for path in READER_PAGES[1:]:
        assert f'href="{path}"' in home  # the 帮助中心 menu links every reader page
    maintenance = ("知识库维护", "政策法规维护", "手册视频维护", "意见建议处理")
    assert all((label in home) == (who == "staff") for label in maintenance)
    assert "业务办理操作手册：注册申请" in client.get("/help/manuals/").get_data(as_text=True)
    assert "booking.mp4" in client.get("/help/videos/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["firm_admin", "member"])
def test_firm_admin_and_member_cannot_open_the_staff_maintenance_views(app, world, make_client,
                                                                       who):
    _seed(app)
    client = make_client()
    client.login({"firm_admin": world.a.admin, "member": world.member}[who])
    menu = client.get("/help/").get_data(as_text=True)
    for path in STAFF_VIEWS + ["/faqentryview/add", "/suggestionview/export/csv/"]:
        response = client.get(path)
        assert response.status_code in (302, 403), (path, response.status_code)
        assert path.split("/")[1] not in menu
    for label in ("知识库维护", "意见建议处理", "政策法规维护", "手册视频维护"):
        assert label not in menu


def test_staff_opens_the_maintenance_views_and_adds_an_faq_entry(app, world, make_client):
    _seed(app)
    client = make_client()
    client.login(world.staff)
    for path in STAFF_VIEWS:
        assert client.get(path).status_code == 200, path
    response = client.post_form("/faqentryview/add", {
        "question": "协会地址在哪里？\n协会办公地点", "answer": "北京市海淀区（示例地址），工作日9:00-16:30。",
        "source": "协会公告"}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        entry = db.session.execute(select(FaqEntry).where(
            FaqEntry.question.startswith("协会地址"))).scalar_one()
        assert entry.created_at is not None and entry.updated_at is not None
        # knowledge-base changes are audited with who made them
        logged = db.session.execute(select(AuditLog).where(
            AuditLog.entity == "faq_entry", AuditLog.entity_id == str(entry.id))).scalar_one()
        assert logged.username == world.staff and logged.action == "create"
    page = client.get("/help/assistant/", query_string={"q": "协会办公地点在哪"})
    assert "北京市海淀区（示例地址）" in page.get_data(as_text=True)


def test_staff_cannot_save_a_script_link(app, world, make_client):
    client = make_client()
    client.login(world.staff)
    response = client.post_form("/helpdocumentview/add", {
        "kind": "演示视频", "title": "坏链接", "url": "javascript:alert(1)", "sort_order": "0"},
        follow_redirects=True)
    assert "链接：须以" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(HelpDocument.id))) == 0


def test_assistant_page_shows_answers_with_sources_and_the_not_found_message(app, world,
                                                                             make_client):
    _seed(app)
    client = make_client()
    client.login(world.member)
    html = client.get("/help/assistant/", query_string={
        "q": "注册会计师一年要修满多少学时"}).get_data(as_text=True)
    assert "不少于40学时" in html and "来源：" in html and "会协〔2021〕46号" in html
    html = client.get("/help/assistant/", query_string={"q": "食堂几点开饭"}).get_data(as_text=True)
    assert "未找到相关答案，可发起咨询" in html
    assert "assistant-answer" not in html


def test_policy_search_page_ranks_and_escapes(app, world, make_client):
    _seed(app)
    client = make_client()
    client.login(world.a.admin)
    html = client.get("/help/policies/", query_string={"q": "转所"}).get_data(as_text=True)
    assert "注册会计师注册办法" in html and "<mark>转所</mark>" in html
    html = client.get("/help/policies/", query_string={
        "q": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_policy_detail_marks_terms_from_the_url_escaped(app, world, make_client):
    policy_id = _seed(app)
    client = make_client()
    client.login(world.member)
    html = client.get(f"/help/policies/{policy_id}", query_string=[
        ("t", "面授"), ("t", "<img src=x onerror=alert(1)>")]).get_data(as_text=True)
    assert "<mark>面授</mark>" in html and "<img src=x" not in html


def test_policy_detail_of_a_missing_policy_is_404(app, world, make_client):
    client = make_client()
    client.login(world.member)
    assert client.get("/help/policies/999999").status_code == 404


def test_anonymous_suggestion_through_the_form_stores_no_user(app, world, make_client):
    client = make_client()
    client.login(world.a.admin)
    with app.app_context():
        audit_before = db.session.scalar(select(func.count(AuditLog.id)))
    response = client.post_form("/help/suggest/", {"content": "希望开放周六预约", "anonymous": "1"},
                                follow_redirects=True)
    assert "已提交（匿名）" in response.get_data(as_text=True)
    response = client.post_form("/help/suggest/", {"content": "希望增加直播课程"},
                                follow_redirects=True)
    assert "已提交" in response.get_data(as_text=True)
    with app.app_context():
        rows = {s.content: s.user_id for s in db.session.query(Suggestion)}
        from flask_appbuilder.security.sqla.models import User

        me = db.session.execute(select(User).where(User.username == world.a.admin)).scalar_one()
        assert rows == {"希望开放周六预约": None, "希望增加直播课程": me.id}
        # nothing in the audit log was written by these submissions
        assert db.session.scalar(select(func.count(AuditLog.id))) == audit_before
    staff = make_client()
    staff.login(world.staff)
    html = staff.get("/suggestionview/list/").get_data(as_text=True)
    assert "匿名" in html and world.a.admin in html


def test_empty_suggestion_names_the_field(app, world, make_client):
    client = make_client()
    client.login(world.member)
    html = client.post_form("/help/suggest/", {"content": "  "}).get_data(as_text=True)
    assert "内容：请填写您的意见建议" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Suggestion.id))) == 0


def test_an_empty_document_list_tells_each_role_what_it_can_do(app, world, make_client):
    """Staff maintain the manuals themselves (where to add them); everyone else is told
    that the institute will upload them — not the other way round."""
    expected = {world.staff: "可在“帮助中心 → 手册视频维护”中添加",
                world.a.admin: "协会工作人员上传后将在此显示",
                world.member: "协会工作人员上传后将在此显示"}
    for login, hint in expected.items():
        client = make_client()
        client.login(login)
        page = client.get("/help/manuals/").get_data(as_text=True)
        assert 'id="help-documents-empty"' in page and hint in page, login
        other = set(expected.values()) - {hint}
        assert not any(h in page for h in other), login


def test_the_suggestion_list_shows_an_anonymous_ones_day_not_a_made_up_midnight(
        app, world, make_client):
    from flask_appbuilder.security.sqla.models import User
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == world.member)).scalar_one()
        at = dt.datetime(2026, 11, 23, 7, 41, 13, tzinfo=dt.timezone.utc)
        help.submit_suggestion(user, at, "匿名的建议", anonymous=True)
        help.submit_suggestion(user, at, "署名的建议", anonymous=False)
        db.session.commit()
    staff = make_client()
    staff.login(world.staff)
    for path in ("/suggestionview/list/", "/suggestionview/export/csv/"):
        response = staff.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert "2026-11-23 15:41:13" in text and "00:00:00" not in text, path
        assert "2026-11-23" in text.replace("2026-11-23 15:41:13", ""), path
