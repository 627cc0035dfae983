"""帮助中心 content staff maintain (操作手册 / 演示视频, 知识库, 政策法规) and 意见建议."""
import datetime as dt
import re

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import FaqEntry, HelpDocument, PolicyText, Suggestion
from app.workflows.core.commands import command
from app.workflows.core.errors import ValidationError

MAX_SUGGESTION = 2000


class DocumentKind:
    MANUAL = "操作手册"
    VIDEO = "演示视频"
    ALL = (MANUAL, VIDEO)


# --- 操作手册 / 演示视频 ---------------------------------------------------------------------

def documents(kind: str, session=None) -> list[HelpDocument]:
    if kind not in DocumentKind.ALL:
        raise ValidationError("类别只能是：" + "、".join(DocumentKind.ALL), "kind")
    return list((session or db.session).execute(
        select(HelpDocument).where(HelpDocument.kind == kind)
        .order_by(HelpDocument.sort_order, HelpDocument.id)).scalars())


_SAFE_URL = re.compile(r"^(https?://\S+|/\S*)$", re.IGNORECASE)


def clean_document(document: HelpDocument, now: dt.datetime) -> None:
    """Staff-maintained 操作手册 / 演示视频 rows: a kind, a title, a safe link."""
    if document.kind not in DocumentKind.ALL:
        raise ValidationError("类别：只能是" + "、".join(DocumentKind.ALL), "kind")
    if not (document.title or "").strip():
        raise ValidationError("标题：请填写", "title")
    url = (document.url or "").strip() or None
    if url and not _SAFE_URL.match(url):
        raise ValidationError("链接：须以 http://、https:// 或 / 开头", "url")
    if not url and not (document.description or "").strip():
        raise ValidationError("链接和说明：至少填写一项", "url")
    document.url = url
    document.title = document.title.strip()
    if document.sort_order is None:
        document.sort_order = 0
    if document.created_at is None:
        document.created_at = now


def clean_faq(entry: FaqEntry, now: dt.datetime) -> None:
    if not (entry.question or "").strip():
        raise ValidationError("问题：请填写", "question")
    if not (entry.answer or "").strip():
        raise ValidationError("答案：请填写", "answer")
    entry.question = entry.question.strip()
    entry.answer = entry.answer.strip()
    if entry.created_at is None:
        entry.created_at = now
    entry.updated_at = now


def clean_policy(policy: PolicyText, now: dt.datetime) -> None:
    if not (policy.title or "").strip():
        raise ValidationError("标题：请填写", "title")
    if not (policy.body or "").strip():
        raise ValidationError("正文：请填写", "body")
    policy.title = policy.title.strip()
    policy.doc_number = (policy.doc_number or "").strip() or None
    policy.issuer = (policy.issuer or "").strip() or None
    if policy.created_at is None:
        policy.created_at = now
    policy.updated_at = now


# --- 意见建议 ------------------------------------------------------------------------------

@command
def submit_suggestion(actor, now: dt.datetime, content: str, anonymous: bool,
                      session=None) -> Suggestion:
    """Record a suggestion. Anonymous ones keep nothing that identifies the sender: no user
    id, and the time only to the day (a minute-exact time could be matched against the
    login records). Suggestions are not audited (app/audit.AUDITED), so no log row names
    the sender either."""
    session = session or db.session
    content = (content or "").strip()
    if not content:
        raise ValidationError("内容：请填写您的意见建议", "content")
    if len(content) > MAX_SUGGESTION:
        raise ValidationError(f"内容：不能超过{MAX_SUGGESTION}字", "content")
    if anonymous:
        local = clock.to_local(now)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        suggestion = Suggestion(content=content, user_id=None,
                                created_at=day.astimezone(dt.timezone.utc))
    else:
        user_id = getattr(actor, "id", None)
        if user_id is None:
            raise ValidationError("请登录后提交，或选择匿名提交", "anonymous")
        suggestion = Suggestion(content=content, user_id=user_id, created_at=now)
    session.add(suggestion)
    session.flush()
    return suggestion
