"""Rows of the help centre: suggestions are the institute's; manuals, policies and the
knowledge base are read by everyone (through /help/), maintained by staff only."""
import datetime as dt

from app.extensions import db
from app.models import FaqEntry, HelpDocument, PolicyText, Suggestion
from app.roles import FIRM_ADMIN, MEMBER

MOMENT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


def rows(world, app):
    with app.app_context():
        if db.session.query(Suggestion).filter_by(content="乙所的私密建议").first() is None:
            db.session.add_all([
                Suggestion(content="乙所的私密建议", user_id=None, created_at=MOMENT),
                HelpDocument(kind="操作手册", title="维护视图中的手册", url="/x", created_at=MOMENT),
                PolicyText(title="维护视图中的政策", body="正文", created_at=MOMENT),
                FaqEntry(question="维护视图中的问答", answer="答案", created_at=MOMENT),
            ])
            db.session.commit()
        pick = lambda model, column, value: [  # noqa: E731
            (r.id, value) for r in db.session.query(model).filter(getattr(model, column) == value)]
        suggestion = pick(Suggestion, "content", "乙所的私密建议")
        public = {HelpDocument: pick(HelpDocument, "title", "维护视图中的手册"),
                  PolicyText: pick(PolicyText, "title", "维护视图中的政策"),
                  FaqEntry: pick(FaqEntry, "question", "维护视图中的问答")}
    matrix = {Suggestion: {role: {"foreign": suggestion, "own": []}
                           for role in (FIRM_ADMIN, MEMBER)}}
    for model, found in public.items():
        matrix[model] = {role: {"foreign": [], "own": found} for role in (FIRM_ADMIN, MEMBER)}
    return matrix
