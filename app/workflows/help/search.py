"""帮助中心 (seed 004 §8–§9): 智能客服, 行业政策法规 search and 意见建议.

智能客服 answers from the knowledge base staff maintain: the Q&A entries (FaqEntry) and the
policy texts (PolicyText), each policy cut into paragraphs so that an answer is the passage
that says it, shown with its source (which entry / which policy and its 文号).

Ranking: Chinese word segmentation with jieba (search mode, plus the domain's own words
and a few synonyms), then BM25 over the segmented documents. BM25 is our own ~40 lines
rather than the `rank-bm25` package: that package's Okapi idf goes to zero or below for a
word in half the documents (it then substitutes a small epsilon), which on a knowledge base
of a dozen entries makes ordinary words weigh nothing or make every entry "match"; it also
brings numpy for what is a loop over a few thousand short documents, and it cannot tell how
much of the question a document covered, which is what decides "未找到相关答案".
We use Lucene's always-positive idf, log(1 + (N - n + 0.5) / (n + 0.5)).

A question is answered only when the best document covers at least half of the question's
weight (the idf of the question's words that it contains over the idf of all of them; a word
no document contains weighs as much as the rarest one). Otherwise the honest reply is NOT_FOUND.

Freshness: the segmented index is cached per process, keyed by (count, max id,
max updated_at) of both tables — two aggregate queries per question. Any add, edit or
delete by staff, in any process, changes the key; the next question rebuilds the index and
re-segments only the documents whose updated_at changed.

Registration materials: "which materials does 注册申请 / 转所 … need" must be answered from
the registration requirements table the forms use (DESIGN §3); that table does not exist
yet. The registration workflow will plug in with `register_answer_source(fn)`: `fn(question,
terms)` returns Answers (with their source) or nothing; its answers come before the
knowledge base's. Until then the knowledge base's FAQ entries answer such questions.
(It has since: registration's DOMAIN.answer_sources lists help_source.answer, which
create_app registers; see app/domains.py.)
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import func, select

from app.extensions import db
from app.models import FaqEntry, PolicyText
from app.workflows.core.errors import ValidationError
from app.workflows.core.scoping import get_scoped

NOT_FOUND = "未找到相关答案，可发起咨询"
MIN_COVERAGE = 0.5  # share of the question's weight the best document must contain
MIN_SEARCH_COVERAGE = 0.4  # policy search lists partial matches, not single stray words
RELATIVE_CUTOFF = 0.6  # further answers must score at least this share of the best one
MAX_ANSWERS = 3
MAX_QUESTION = 500
K1, B = 1.2, 0.75


# --- segmentation ------------------------------------------------------------------

# words of this business jieba's general dictionary cuts apart
DOMAIN_WORDS = [
    "注协", "注册会计师", "非执业会员", "执业会员", "会计师事务所", "事务所", "转所", "市内转所",
    "关系转移", "继续教育", "学时", "面授", "职业道德", "思政", "网络课程", "投入式", "产出式",
    "豁免", "注册申请", "注销", "信息变更", "其他变更", "信息补录", "证书补办", "任职资格检查",
    "执业证书", "会员证书", "承诺书", "新办", "内部培训", "内培", "年检", "预约", "办理记录",
    "会协", "合伙人", "退休", "外省", "转入", "转出",
]
# paraphrases → one word, applied to questions and documents alike
SYNONYMS = {
    "资料": "材料", "证明材料": "材料", "文件材料": "材料",
    "调所": "转所", "换所": "转所", "调动": "转所", "关系转移": "转所",
    "学分": "学时", "课时": "学时",
    "后续教育": "继续教育", "继教": "继续教育",
    "撤销": "注销",
    "新设": "新办", "设立": "新办", "成立": "新办", "开办": "新办",
    "网课": "网络课程", "线上": "网络", "在线": "网络",
    "线下": "面授",  # not 现场: "到协会现场办理" is about appointments
    "最多": "不超过", "至多": "不超过", "上限": "不超过", "至少": "不少于", "最少": "不少于",
    "遗失": "丢失", "丢": "丢失", "补发": "补办",
    "非执业": "非执业会员", "执业": "执业会员",
    "cpa": "注册会计师", "注师": "注册会计师",
    "多久": "时间", "期限": "时间", "月份": "月", "几月": "月",
}
# question words and particles: they say nothing about which answer is meant
STOPWORDS = set(
    "请问 请 如何 怎么 怎么办 怎样 怎么样 什么 哪些 哪个 哪里 哪儿 是否 能否 能不能 可否 可以 能 会 "
    "需要 需 要 想 吗 呢 吧 啊 呀 哦 的 地 得 了 着 过 是 我 我们 你 您 他 她 它 在 和 与 及 或 "
    "或者 有 有没有 没有 都 就 也 还 一下 该 应该 这 那 这个 那个 个 些 对 把 被 让 给 从 到 "
    "为 为了 关于 以及 等 之 其 如果 办 多少 多少钱 几 时候 什么时候 算 能算".split()
)
_KEEP = re.compile(r"[\w]", re.UNICODE)
_BRACKETS = str.maketrans({"〔": "[", "〕": "]", "［": "[", "］": "]", "【": "[", "】": "]",
                           "（": "(", "）": ")", "(": "[", ")": "]", "[": "[", "]": "]"})

_tokenizer = None
_tokenizer_lock = threading.Lock()


def _jieba():
    """One jieba tokenizer of our own (the global one stays untouched), built on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                for word in DOMAIN_WORDS + list(SYNONYMS) + list(SYNONYMS.values()):
                    tokenizer.add_word(word, freq=200000)
                _tokenizer = tokenizer
    return _tokenizer


def tokenize(text: str | None) -> list[str]:
    """Segment Chinese text into search terms (lower-cased, synonyms folded, no stopwords)."""
    if not text:
        return []
    terms = []
    for word in _jieba().lcut_for_search(text.lower()):
        word = word.strip()
        if not word or not _KEEP.search(word):
            continue  # punctuation, spaces
        word = SYNONYMS.get(word, word)
        if word in STOPWORDS:
            continue
        terms.append(word)
    return terms


def normalize_doc_number(text: str | None) -> str:
    """文号 as typed: 会协〔2021〕46号, 会协[2021]46号 and 会协(2021)46号 are one number."""
    return re.sub(r"\s+", "", (text or "").translate(_BRACKETS))


# --- BM25 ----------------------------------------------------------------------------

@dataclass
class _Doc:
    key: tuple
    length: int
    tf: Counter


@dataclass
class Hit:
    key: tuple
    score: float
    coverage: float
    matched: list[str]


class Bm25Index:
    """Okapi BM25 with Lucene's idf over already segmented documents."""

    def __init__(self, documents: Iterable[tuple[tuple, list[str]]]):
        self.docs = [_Doc(key, len(terms), Counter(terms)) for key, terms in documents]
        self.df: Counter = Counter()
        self.postings: dict[str, list[int]] = {}
        for index, doc in enumerate(self.docs):
            for term in doc.tf:
                self.df[term] += 1
                self.postings.setdefault(term, []).append(index)
        total = sum(doc.length for doc in self.docs)
        self.avgdl = total / len(self.docs) if self.docs else 0.0

    def idf(self, term: str) -> float:
        # a word no document contains weighs as much as the rarest word, not more
        n = max(self.df.get(term, 0), 1)
        return math.log(1 + (len(self.docs) - n + 0.5) / (n + 0.5))

    def search(self, terms: list[str]) -> list[Hit]:
        """Documents containing any term, best first, with the share of the query they cover."""
        query = list(dict.fromkeys(terms))  # each word once
        if not query or not self.docs:
            return []
        weights = {term: self.idf(term) for term in query}
        total_weight = sum(weights.values()) or 1.0
        scores: dict[int, float] = {}
        matched: dict[int, list[str]] = {}
        for term in query:
            for index in self.postings.get(term, ()):
                doc = self.docs[index]
                tf = doc.tf[term]
                norm = K1 * (1 - B + B * doc.length / (self.avgdl or 1))
                scores[index] = scores.get(index, 0.0) + weights[term] * tf * (K1 + 1) / (tf + norm)
                matched.setdefault(index, []).append(term)
        hits = [Hit(self.docs[i].key, score,
                    sum(weights[t] for t in matched[i]) / total_weight, matched[i])
                for i, score in scores.items()]
        hits.sort(key=lambda h: (-h.score, h.key))
        return hits


# --- the cached indexes ----------------------------------------------------------------

@dataclass
class _Indexes:
    fingerprint: tuple
    knowledge: Bm25Index  # FAQ entries and policy paragraphs
    policies: Bm25Index  # whole policies, for 行业政策法规 search
    tokens: dict = field(default_factory=dict)  # (kind, id, updated_at) -> {part: terms}
    builds: int = 0


_cache: _Indexes | None = None
_cache_lock = threading.Lock()


def _fingerprint(session) -> tuple:
    """Changes whenever staff add, edit or delete a FAQ entry or a policy text."""
    parts = []
    for model in (FaqEntry, PolicyText):
        row = session.execute(select(func.count(model.id), func.max(model.id),
                                     func.max(model.updated_at))).one()
        parts.append(tuple(row))
    return tuple(parts)


def paragraphs(body: str) -> list[str]:
    """A policy body cut into its paragraphs (non-empty lines)."""
    return [line.strip() for line in (body or "").splitlines() if line.strip()]


def faq_questions(question: str) -> list[str]:
    """A FAQ entry's question field: the first line is shown; further lines are other
    phrasings of the same question that staff add so that paraphrases find it."""
    return [line.strip() for line in (question or "").splitlines() if line.strip()]


def _segment_faq(entry) -> dict:
    return {"question": tokenize(" ".join(faq_questions(entry.question))),
            "answer": tokenize(entry.answer)}


def _segment_policy(policy) -> dict:
    return {"title": tokenize(policy.title),
            "number": tokenize(normalize_doc_number(policy.doc_number)),
            "issuer": tokenize(policy.issuer),
            "paragraphs": [tokenize(p) for p in paragraphs(policy.body)]}


def _build(session, fingerprint, previous: _Indexes | None) -> _Indexes:
    old_tokens = previous.tokens if previous else {}
    tokens = {}

    def segmented(kind, row, segment):
        key = (kind, row.id, row.updated_at)
        tokens[key] = old_tokens.get(key) or segment(row)
        return tokens[key]

    knowledge, whole = [], []
    for entry in session.execute(select(FaqEntry)).scalars():
        parts = segmented("faq", entry, _segment_faq)
        # the question says what the entry is about: it counts twice
        knowledge.append((("faq", entry.id, 0), parts["question"] * 2 + parts["answer"]))
    for policy in session.execute(select(PolicyText)).scalars():
        parts = segmented("policy", policy, _segment_policy)
        heading = parts["title"] + parts["number"]
        for number, paragraph in enumerate(parts["paragraphs"]):
            knowledge.append((("policy", policy.id, number), heading + paragraph * 2))
        body = [term for paragraph in parts["paragraphs"] for term in paragraph]
        whole.append((("policy", policy.id, 0),
                      heading * 3 + parts["issuer"] * 2 + body))
    return _Indexes(fingerprint, Bm25Index(knowledge), Bm25Index(whole), tokens,
                    (previous.builds if previous else 0) + 1)


def indexes(session=None) -> _Indexes:
    """The current indexes, rebuilt when the knowledge base changed since the last build."""
    global _cache
    session = session or db.session
    fingerprint = _fingerprint(session)
    current = _cache
    if current is not None and current.fingerprint == fingerprint:
        return current
    with _cache_lock:
        if _cache is not None and _cache.fingerprint == fingerprint:
            return _cache
        _cache = _build(session, fingerprint, _cache)
        return _cache


# --- 智能客服 -----------------------------------------------------------------------------

@dataclass
class Answer:
    """One answer and where it comes from."""

    kind: str  # faq | policy | an answer source's own label
    id: int | None
    title: str  # the FAQ question, or the policy's title
    text: str  # the answer, or the policy paragraph that says it
    source: str  # shown under the answer: which entry / which policy and 文号
    doc_number: str | None = None
    score: float = 0.0


@dataclass
class Reply:
    question: str
    answers: list[Answer]
    message: str | None = None  # NOT_FOUND when there is no answer

    @property
    def found(self) -> bool:
        return bool(self.answers)


# Answer sources consulted before the knowledge base: fn(question, terms) -> [Answer] | None.
# Filled by create_app from the domains' DOMAIN.answer_sources (registration's reads its
# requirements table).
_answer_sources: list[Callable[[str, list[str]], list[Answer] | None]] = []


def register_answer_source(source: Callable[[str, list[str]], list[Answer] | None]) -> None:
    """Hook for answers computed from live business data (e.g. required materials).
    create_app calls it for each domain's DOMAIN.answer_sources; the same source again is
    a no-op, another source under the same module and name is refused."""
    if source in _answer_sources:
        return
    name = f"{source.__module__}.{source.__qualname__}"
    if any(f"{s.__module__}.{s.__qualname__}" == name for s in _answer_sources):
        raise RuntimeError(f"answer source {name} is registered twice")
    _answer_sources.append(source)


def policy_source(policy) -> str:
    parts = [f"《{policy.title}》"]
    if policy.doc_number:
        parts.append(policy.doc_number)
    if policy.issuer:
        parts.append(policy.issuer)
    return "政策法规：" + " ".join(parts)


def faq_source(entry) -> str:
    label = f"常见问题 #{entry.id}"
    return f"{label}（依据：{entry.source}）" if entry.source else label


def ask(question: str, session=None) -> Reply:
    """Answer a question from the knowledge base, best answers first, each with its source."""
    session = session or db.session
    question = (question or "").strip()
    if not question:
        raise ValidationError("请输入您的问题", "question")
    if len(question) > MAX_QUESTION:
        raise ValidationError(f"问题不能超过{MAX_QUESTION}字", "question")
    terms = tokenize(question)
    answers: list[Answer] = []
    for source in _answer_sources:
        answers.extend(source(question, terms) or [])
    # a question a live source answered (the documents a business needs) takes no FAQ entry
    # beside it: the entries' own lists would contradict the form's
    answered = bool(answers)
    current = indexes(session)
    hits = [h for h in current.knowledge.search(terms) if h.coverage >= MIN_COVERAGE]
    if hits:
        best = hits[0].score
        seen = set()
        for hit in hits:
            kind, row_id, paragraph = hit.key
            if hit.score < best * RELATIVE_CUTOFF or len(answers) >= MAX_ANSWERS:
                break
            if (kind, row_id) in seen:  # one passage per policy
                continue
            if answered and kind == "faq":
                continue
            seen.add((kind, row_id))
            answers.append(_answer(session, kind, row_id, paragraph, hit.score))
    answers = [a for a in answers if a is not None]
    return Reply(question, answers, None if answers else NOT_FOUND)


def _answer(session, kind, row_id, paragraph, score) -> Answer | None:
    if kind == "faq":
        entry = session.get(FaqEntry, row_id)
        if entry is None:
            return None
        return Answer("faq", entry.id, faq_questions(entry.question)[0], entry.answer,
                      faq_source(entry), score=score)
    policy = session.get(PolicyText, row_id)
    if policy is None:
        return None
    texts = paragraphs(policy.body)
    text = texts[paragraph] if paragraph < len(texts) else ""
    return Answer("policy", policy.id, policy.title, text, policy_source(policy),
                  doc_number=policy.doc_number, score=score)


# --- 行业政策法规 --------------------------------------------------------------------------

@dataclass
class PolicyHit:
    policy: PolicyText
    score: float
    snippet: str
    terms: list[str]


def search_policies(query: str | None, session=None, limit: int = 50) -> list[PolicyHit]:
    """Policies matching the query (title, 文号, issuer, body), best first.

    An empty query lists the library, newest first. A query that is a 文号 (in any of its
    bracket spellings) puts that policy first."""
    session = session or db.session
    query = (query or "").strip()
    if not query:
        rows = session.execute(select(PolicyText).order_by(
            PolicyText.published_on.desc().nulls_last(), PolicyText.id.desc()).limit(limit))
        return [PolicyHit(p, 0.0, _snippet(p.body, []), []) for p in rows.scalars()]
    terms = tokenize(normalize_doc_number(query))
    number = normalize_doc_number(query)
    exact = []
    if re.search(r"\d", number):  # looks like (part of) a 文号
        exact = [p for p in session.execute(select(PolicyText).where(
            PolicyText.doc_number.is_not(None))).scalars()
            if number in normalize_doc_number(p.doc_number)]
    hits = {p.id: PolicyHit(p, math.inf, _snippet(p.body, terms), terms) for p in exact}
    for hit in indexes(session).policies.search(terms):
        policy_id = hit.key[1]
        if policy_id in hits or hit.coverage < MIN_SEARCH_COVERAGE:
            continue
        policy = session.get(PolicyText, policy_id)
        if policy is not None:
            hits[policy_id] = PolicyHit(policy, hit.score, _snippet(policy.body, hit.matched),
                                        hit.matched)
    ranked = sorted(hits.values(), key=lambda h: (-h.score, h.policy.id))
    return ranked[:limit]


def _snippet(body: str, terms: list[str], width: int = 120) -> str:
    """The paragraph with most query words, shortened around the first of them."""
    texts = paragraphs(body)
    if not texts:
        return ""
    if terms:
        best = max(texts, key=lambda p: sum(p.lower().count(t) for t in terms))
    else:
        best = texts[0]
    start = 0
    lowered = best.lower()
    positions = [lowered.find(t) for t in terms if lowered.find(t) >= 0]
    if positions and min(positions) > width // 3:
        start = min(positions) - width // 3
    text = best[start:start + width]
    return ("…" if start else "") + text + ("…" if start + width < len(best) else "")


def get_policy(actor, policy_id) -> PolicyText:
    """A policy text (every signed-in user reads them), through the scoped lookup."""
    return get_scoped(db.session, PolicyText, policy_id, actor, "没有找到该政策法规")
