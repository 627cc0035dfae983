"""帮助中心 (seed 004 §8–§9): 智能客服 and policy search (search.py), the content staff
maintain and 意见建议 (content.py)."""
from app.workflows.help.content import (  # noqa: F401
    MAX_SUGGESTION, DocumentKind, clean_document, clean_faq, clean_policy, documents,
    submit_suggestion)
from app.workflows.help.search import (  # noqa: F401
    NOT_FOUND, Answer, Reply, ask, faq_source, get_policy, indexes, normalize_doc_number,
    paragraphs, policy_source, register_answer_source, search_policies, tokenize)
