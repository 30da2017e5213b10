"""Evidence at the sentence level: which sentences of the retrieved paragraphs answer a question, and
whether a claim is backed by the paragraph it cites (its numbers and key terms must be there)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from assistant.question import Intent
from index.keywords import fold, has_diacritics, tokenize
from ingest.text import NUMERALS, is_caps

# A sentence ends at . ! ? followed by a capital, a digit, a dash or a bullet; a long one is also cut at
# its semicolons, which in these documents separate the items of an inline list.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“(\-–+•*\dA-ZÀ-ỸĐ])")
_CLAUSE_END = re.compile(r"(?<=;)\s+(?!\d)")
"""A long sentence is cut at its semicolons, but not before a clause opening with a number: that goes on
counting what the clause before it counts ("đã có 97 đề tài, dự án; 2.078 sáng kiến ... được nghiệm thu")."""
_LONG_SENTENCE = 320
_NUMBER = re.compile(r"^\d")
# A quantity is written in digits; years, ordinals (khóa 17, lần thứ 19, Trung ương 4: the fourth plenum),
# dates and document codes are not answers to "bao nhiêu".
_NOT_QUANTITIES = re.compile(
    r"\b(?:khóa|khoá|lần thứ|thứ|nhiệm kỳ|giai đoạn|năm|ngày|tháng|quý|số|điều|khoản|mục|trung ương|TW)"
    r"\s+[\dIVXL][\d/.\- ]*"
    r"|\b(?:19|20)\d\d\b|\d{1,4}\s*[-–]\s*[A-ZĐ][A-Za-zĐđ]*(?:/[A-ZĐ][A-Za-zĐđ]*)+|\d{1,2}/\d{1,2}/\d{4}",
    re.IGNORECASE,
)
_QUANTITY = re.compile(r"(?<![\w/])\d[\d.,/]*")
# A document named by its number: 35-CT/TW, Quyết định số 217, Nghị quyết 114-NQ/TU.
_CODE = re.compile(r"\d{1,4}\s*[-–]\s*[A-ZĐ][A-Za-zĐđ]*(?:/[A-ZĐ][A-Za-zĐđ]*)+|\bsố\s+\d+", re.IGNORECASE)
_MONEY = re.compile(r"\d[\d.,]*\s*(?:nghìn|ngàn|triệu|tỷ)?\s*(?:đồng|VNĐ|VND|đ\b)", re.IGNORECASE)
_WORDED = re.compile(r"[^\W\d_]{2,}\W+[^\W\d_]{2,}")
_UPPER = "A-ZĐÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ"
# A person: two to four capitalised syllables after a title, or three or four on their own (Lê Thị Thu Hồng).
_PERSON = re.compile(rf"(?:[Đđ]ồng chí|đ/c|[Ôô]ng|[Bb]à)\s+[{_UPPER}]\w*(?:\s+[{_UPPER}]\w*){{1,3}}")
# A full name on its own starts with a family name (the common ones cover nearly all Vietnamese people).
_FAMILY = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Thân|Đào|Đoàn|Vương|Trịnh|Trương|"
    "Lâm|Phùng|Mai|Tô|Hà|Cao|Đinh|Lưu|Tạ|Chu|Giáp|Lương|Quách|Triệu|Kiều|Nông|Lục|Hứa|Khúc|Tăng|Thái|Diệp|Ông"
)
_NAME = re.compile(rf"(?<!\w)(?:{_FAMILY})(?:\s+[{_UPPER}][^\W\d_{_UPPER}]+){{1,3}}(?!\w)")
# A name in a set phrase is no person answering "ai": "tư tưởng, đạo đức, phong cách Hồ Chí Minh", "Học
# viện Chính trị quốc gia Hồ Chí Minh", "Thành phố Hồ Chí Minh".
_NAMED_AFTER = re.compile(r"(?:phong cách|tư tưởng|[Tt]hành phố|quốc gia)\s+Hồ Chí Minh")
# Who can be put in charge: a board, committee, office or standing body of the Party apparatus, or the
# holder of an office ("bí thư cấp ủy là người chịu trách nhiệm cao nhất").
_BODY = re.compile(
    r"\b(?:Ban|Ủy ban|Uỷ ban|UBKT|Văn phòng|Đảng ủy|Đảng uỷ|BTV|BCH|Đoàn Chủ tịch|Thường trực|Công đoàn"
    r"|Đoàn Thanh niên|Hội Cựu chiến binh"
    r"|[Bb]í thư|[Nn]gười đứng đầu|[Tt]hủ trưởng|[Cc]hủ tịch|[Tt]rưởng ban)\b"
)
# A place: "tại" or "ở" before a capitalised name (tại Trung tâm Hội nghị tỉnh, ở Hà Nội).
_PLACE = re.compile(rf"\b(?:tại|ở)\s+[{_UPPER}]")
_TIME = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\bngày \d|\btháng \d|\bnăm \d{4}|\bquý [IV1-4]", re.IGNORECASE)

# How a person is addressed in chat: a form of address before a capitalised name ("chị Hồng").
_ADDRESS = re.compile(rf"\b(?:[Cc]hị|[Aa]nh|[Cc]ô|[Cc]hú|[Bb]ác|[Ôô]ng|[Bb]à)\s+(?=[{_UPPER}])")
# Question words and conversational glue: they say what is asked, not what it is about.
_GLUE = """bao nhiêu mấy gì nào ai đâu sao thế vậy không chưa hỏi cho biết nêu là được có còn thì nhỉ ạ
những các của và với về theo trong này đó ấy như nào hãy xin vui lòng tiếp trước câu"""
QUESTION_WORDS = frozenset(fold(w) for w in _GLUE.split())


@dataclass(frozen=True)
class Span:
    """A verbatim piece of a paragraph's text."""

    start: int
    end: int
    text: str


def sentences(text: str) -> list[Span]:
    """The sentences of a paragraph as verbatim spans (long ones cut at their semicolons)."""
    spans: list[Span] = []
    for start, end in _cut(text, 0, len(text), _SENTENCE_END):
        if end - start > _LONG_SENTENCE:
            spans.extend(Span(a, b, text[a:b]) for a, b in _cut(text, start, end, _CLAUSE_END))
        else:
            spans.append(Span(start, end, text[start:end]))
    return [s for s in spans if s.text.strip()]


def _cut(text: str, start: int, end: int, pattern: re.Pattern[str]) -> Iterable[tuple[int, int]]:
    at = start
    for match in pattern.finditer(text, start, end):
        yield at, match.start()
        at = match.end()
    yield at, end


class Vocabulary:
    """Document frequencies of normalised tokens over every indexed paragraph: how telling a term is."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        for text in texts:
            self.n += 1
            tokens = tokenize(text)
            self.df.update(set(tokens) | {fold(t) for t in tokens})

    def idf(self, token: str) -> float:
        return math.log((self.n + 1) / (self.df.get(token, 0) + 0.5))


@dataclass(frozen=True)
class Terms:
    """A question's (or a claim's) content terms with their weights, in the form they are matched."""

    weights: dict[str, float]
    folded: bool
    """Matched without diacritics (the question was typed without them)."""

    @property
    def total(self) -> float:
        return sum(self.weights.values())


def terms_of(text: str, vocabulary: Vocabulary, folded: bool | None = None) -> Terms:
    """Content terms of a text: its tokens and adjacent pairs minus question words, weighted by rarity.

    How a person is addressed in chat ("chị Hồng", "anh Quế") is not a term: the documents write
    "đồng chí" and the full name."""
    folded = not has_diacritics(text) if folded is None else folded
    text = _ADDRESS.sub("", text)
    tokens = [fold(t) if folded else t for t in tokenize(text)]
    kept = [t for t in tokens if fold(t) not in QUESTION_WORDS]
    weights = {t: vocabulary.idf(t) for t in kept}
    for a, b in itertools.pairwise(tokens):
        if fold(a) not in QUESTION_WORDS and fold(b) not in QUESTION_WORDS:
            weights[f"{a} {b}"] = 0.5 * (vocabulary.idf(a) + vocabulary.idf(b)) / 2
    return Terms(weights, folded)


def keys_of(text: str, folded: bool) -> set[str]:
    """The terms a text offers for matching: its tokens and adjacent pairs."""
    tokens = [fold(t) if folded else t for t in tokenize(text)]
    return set(tokens) | {f"{a} {b}" for a, b in itertools.pairwise(tokens)}


def coverage(terms: Terms, keys: set[str]) -> float:
    """The weighted share of the terms found among the keys (1.0 when there are no terms)."""
    total = terms.total
    return sum(w for t, w in terms.weights.items() if t in keys) / total if total else 1.0


def satisfies(intent: Intent, text: str) -> bool:
    """Whether a text holds the kind of thing asked for (a number, a person, a time, a document code)."""
    if intent.number and not (_QUANTITY.search(_NOT_QUANTITIES.sub(" ", text)) or counts(intent, text)):
        return False
    if intent.code and not _CODE.search(text):
        return False
    if intent.money and not _MONEY.search(text):
        return False
    named = _NAMED_AFTER.sub(" ", text)
    if intent.person and not (
        _PERSON.search(named) or _NAME.search(named) or (intent.body and _BODY.search(text))
    ):
        return False
    if intent.place and not _PLACE.search(text):
        return False
    return not (intent.time and not _TIME.search(text))


@dataclass(frozen=True)
class Scored:
    """A candidate sentence of a retrieved paragraph, scored against the question."""

    paragraph: str
    """The paragraph's id."""
    rank: int
    span: Span
    own: float
    """Coverage of the question's terms by the sentence alone (a clause: at least CLAUSE_SHARE of its
    sentence's)."""
    context: float
    """Coverage by the sentence with its paragraph, section and document title."""
    fits: bool
    """Whether the sentence holds the kind of answer asked for."""
    counted: bool = False
    """Whether it has a number just before the unit asked for ("bao nhiêu đại biểu": "246/248 đại biểu")."""
    closeness: float = 0.0
    """Its embedding's cosine to the question's, minus the best one among the candidates (<= 0)."""
    elsewhere: bool = False
    """Whether it is from a document other than those the question clearly names ("theo chương trình
    thi đua", "chị Hồng"): such a question asks what that document says."""

    @property
    def score(self) -> float:
        bonus = (0.15 if self.fits else 0.0) + (0.15 if self.counted else 0.0)
        return (
            0.5 * self.own
            + 0.35 * self.context
            + DENSE_WEIGHT * self.closeness
            + bonus
            - 0.015 * self.rank
            - ELSEWHERE * self.elsewhere
        )


DENSE_WEIGHT = 2.0
CLAUSE_SHARE = 0.8
"""A clause's own coverage is at least this share of its whole sentence's."""
ELSEWHERE = 0.4
"""What a sentence loses for coming from a document other than those the question clearly names.
Measured on the project's set (extractive, whole set): 0 / 0.25 / 0.3 / 0.4 / 0.5 gave key facts 0.780 /
0.788 / 0.792 / 0.792 / 0.788 and citation precision 0.812 / 0.817 / 0.821 / 0.835 / 0.830; at 0.5 the
one answer lost came from a page the extraction put in the wrong document."""


def score_sentences(
    terms: Terms,
    intent: Intent,
    passages: Sequence[tuple[str, str, str]],
    similarity: Callable[[list[tuple[str, str]]], list[float]] | None = None,
) -> list[Scored]:
    """Every sentence of the passages (id, text, context), best first.

    `similarity`, given (sentence, context) pairs, returns each one's cosine to the question.
    """
    out = []
    for rank, (pid, text, context) in enumerate(passages):
        around = keys_of(f"{context}\n{text}", terms.folded)
        whole = list(_cut(text, 0, len(text), _SENTENCE_END))
        for span in sentences(text):
            if not _WORDED.search(span.text) or is_caps(span.text):
                continue  # a bare number, a heading mark ("3.2.") or a running head in capitals
            own = keys_of(span.text, terms.folded)
            said = coverage(terms, own)
            # A clause cut from a long sentence at a semicolon still belongs to it: "Thực hiện ..., Chỉ thị
            # số 35-CT/TW ...;" is what the rest of the sentence ("... về Đại hội đảng bộ các cấp") is about.
            a, b = next((r for r in whole if r[0] <= span.start < r[1]), (span.start, span.end))
            if b - a > len(span.text):
                said = max(said, CLAUSE_SHARE * coverage(terms, keys_of(text[a:b], terms.folded)))
            out.append(
                Scored(
                    pid,
                    rank,
                    span,
                    said,
                    coverage(terms, own | around),
                    satisfies(intent, span.text),
                    counts(intent, span.text),
                )
            )
    if similarity is not None and out:
        contexts = {pid: context for pid, _, context in passages}
        texts = {pid: text for pid, text, _ in passages}
        cosines = similarity(
            [(s.span.text, _read_with(s, texts[s.paragraph], contexts[s.paragraph])) for s in out]
        )
        top = max(cosines)
        out = [replace(s, closeness=c - top) for s, c in zip(out, cosines, strict=True)]
    return sorted(out, key=lambda s: -s.score)


def _read_with(s: Scored, text: str, context: str) -> str:
    """What a sentence is embedded with: its paragraph's context and, for a later sentence of a numbered
    item, the item's opening sentence, which says what it is about ("3. Xây dựng Đề án ... ." then
    "Thời gian hoàn thành: ... (UBKT chủ trì)")."""
    if not _ITEM.match(text):
        return context
    first = next((x for x in sentences(text) if _WORDED.search(x.text)), s.span)
    return context if s.span.start <= first.start else f"{context}\n{text[: min(first.end, _LEAD)]}"


_ITEM = re.compile(r"^\s*(?:\d{1,2}|[a-zđ])\s?[.\-–)]\s")
_LEAD = 240


def counts(intent: Intent, text: str) -> bool:
    """Whether the text gives a number for the unit asked for, with at most two words between them, or
    a number in words right before it ("sau một ngày làm việc")."""
    if not intent.unit:
        return False
    spoken = [w.strip(_EDGE) for w in _NOTE_MARK.sub(" ", text).lower().split()]
    words = [fold(w) for w in spoken]
    unit = intent.unit.split()
    for i, word in enumerate(words):
        if word[:1].isdigit():
            after = words[i + 1 : i + 3 + len(unit)]
            if any(after[j : j + len(unit)] == unit for j in range(len(after))):
                return True
        elif spoken[i] in NUMERALS and words[i + 1 : i + 1 + len(unit)] == unit:
            return True
    return False


_NOTE_MARK = re.compile(r"(?<=\w)\(\d{1,3}\)")  # a footnote marker glued to its word: "đảng viên(20)"
_EDGE = ".,;:!?()[]\"'“”‘’«»…"


ANSWER_TYPE_WEIGHT = 1.0
COUNTED_WEIGHT = 0.5
"""Re-ranking of retrieved paragraphs for a question that asks for a kind of thing (a number, a code, a
name, a time): a paragraph's fused score is multiplied by 1 + 1.0 x the best coverage of the question's
terms among its sentences that hold that kind of thing, + 0.5 when that sentence gives the number for
the unit asked. Measured on the project's question set (README, `scripts/bench_retrieval.py`): hit@5
0.899 -> 0.933, MRR@10 0.683 -> 0.749 (before letterheads were indexed with their number and date); a
flat factor for any paragraph holding the kind of thing (long paragraphs nearly always hold some
number) gave 0.727."""


def answer_type_factor(intent: Intent, terms: Terms, text: str) -> float:
    """How much a paragraph's retrieval score is raised for holding, near the question's terms, the kind
    of answer asked for (1.0 when it does not, or the question asks for free text or a list)."""
    best, counted = 0.0, False
    for span in sentences(text) if intent.typed else ():
        if satisfies(intent, span.text):
            share = coverage(terms, keys_of(span.text, terms.folded))
            if share > best:
                best, counted = share, counts(intent, span.text)
    return 1.0 + ANSWER_TYPE_WEIGHT * best + COUNTED_WEIGHT * counted


def numbers_of(text: str) -> set[str]:
    """The numbers, dates and codes of a text in normalised form (`4.587` and `4587` are one)."""
    return {t for t in tokenize(text) if _NUMBER.match(t)}


def support(claim: str, paragraph: str, vocabulary: Vocabulary, threshold: float = 0.6) -> Span | None:
    """The sentence of a paragraph that backs a claim, or None when the paragraph does not back it.

    Backed means most of the claim's content terms (weighted by rarity) are in the paragraph, and its
    numbers are all in one sentence of it (with the sentences on either side), which also holds half its
    terms: a figure from a neighbouring sentence about something else does not back the claim. The span
    returned is the sentence sharing most of the claim's terms among those holding its numbers.
    """
    numbers = numbers_of(claim)
    if not numbers <= numbers_of(paragraph):
        return None
    terms = terms_of(claim, vocabulary, folded=False)
    unigrams = Terms({t: w for t, w in terms.weights.items() if " " not in t}, False)
    if coverage(unigrams, keys_of(paragraph, False)) < threshold:
        return None
    spans = sentences(paragraph) or [Span(0, len(paragraph), paragraph)]
    windows = [" ".join(s.text for s in spans[max(0, i - 1) : i + 2]) for i in range(len(spans))]
    fitting = [
        span
        for span, window in zip(spans, windows, strict=True)
        if numbers <= numbers_of(window) and coverage(unigrams, keys_of(window, False)) >= threshold - 0.1
    ]
    if not fitting:
        return None
    return max(fitting, key=lambda s: coverage(terms, keys_of(s.text, False)))
