"""Study-session material on a topic, extracted from the documents: an outline of key points, a table of
key figures and quiz questions, every item a verbatim piece of the paragraph it cites."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant import figures as figs
from assistant.evidence import Span, keys_of
from assistant.reading import KINDS, BriefError, Candidate, Reading, short_name
from assistant.records import Citation

if TYPE_CHECKING:
    from index import Index

__all__ = ["Brief", "BriefError", "Figure", "Point", "Question", "Section", "check", "make_brief"]

MAX_POINTS, POINTS_PER_GROUP = 12, 4
MAX_FIGURES, FIGURES_PER_PARAGRAPH, MAX_COMPANIONS = 14, 4, 8
Located = tuple[Candidate, figs.Found]
"""A figure with the sentence (and paragraph) it was found in."""


@dataclass(frozen=True)
class Point:
    """A key point: a verbatim span of the cited paragraph (`citation.support` is the same span)."""

    text: str
    citation: Citation


@dataclass(frozen=True)
class Section:
    """One heading of the outline with its points, in document order."""

    heading: str
    document: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Figure:
    """A key figure: the number as written, what it measures, its period, all found in the cited paragraph."""

    value: str
    measure: str
    period: str
    period_from: str
    """Where the period was read: câu (the sentence), mục (a section heading), văn bản (the title), or ''."""
    citation: Citation
    """`support` is the sentence holding the figure."""


@dataclass(frozen=True)
class Question:
    """A quiz question: multiple choice (`answer` indexes `options`) or open (no options)."""

    kind: str
    """choice or open."""
    prompt: str
    options: tuple[str, ...]
    answer: int | None
    keys: tuple[Point, ...]
    """The answer key: verbatim spans with their citations (for a choice, the right option is in keys[0])."""
    sources: tuple[Citation, ...] = ()
    """Where each option was taken from, in the order of `options`."""


@dataclass(frozen=True)
class Brief:
    topic: str
    outline: tuple[Section, ...]
    figures: tuple[Figure, ...]
    questions: tuple[Question, ...]
    notes: tuple[Citation, ...] = field(default=())
    """Every cited paragraph once, numbered in the order the material first cites it."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_brief(index: Index, topic: str, doc: str | None = None) -> Brief:
    """Study material on a topic from the indexed documents (or from one document): extractive, all cited."""
    from assistant.quiz import questions

    if not topic.strip():
        raise BriefError("Chủ đề trống.")
    if not index.documents():
        raise BriefError("Chưa có văn bản nào trong chỉ mục; hãy nạp tài liệu trước (vankien ingest).")
    reading = Reading(index, topic, doc)
    if not reading.relevant:
        raise BriefError(f"Không tìm thấy nội dung nào về chủ đề “{topic.strip()}” trong các văn bản đã nạp.")
    outline = _outline(reading)
    table = _figures(reading)
    brief = Brief(topic.strip(), outline, table, questions(reading, outline, table))
    return numbered(_verified(brief))


def _outline(reading: Reading) -> tuple[Section, ...]:
    """The best sentences, at most two a paragraph and no near-repeat (a resolution repeats its report)."""
    pool = [c for c in reading.candidates if c.paragraph.kind in KINDS and _is_point(c.span.text)]
    if not pool:
        return ()
    floor = 0.6 * pool[0].score
    chosen: list[Candidate] = []
    for c in pool:
        if len(chosen) == MAX_POINTS or c.score < floor:
            break
        group = [x for x in chosen if _group(x) == _group(c)]
        same = [x for x in chosen if x.paragraph.id == c.paragraph.id]
        if len(group) >= POINTS_PER_GROUP or len(same) >= 2 or any(_repeats(x, c) for x in chosen):
            continue
        chosen.append(c)
    groups: dict[tuple[str, tuple[str, ...]], list[Candidate]] = {}
    for c in chosen:
        groups.setdefault(_group(c), []).append(c)
    documents = list(dict.fromkeys(c.document.id for c in chosen))
    out = []
    for members in sorted(
        groups.values(),
        key=lambda m: (documents.index(m[0].document.id), min(c.paragraph.ordinal for c in m)),
    ):
        members.sort(key=lambda c: (c.paragraph.ordinal, c.span.start))
        p, d = members[0].paragraph, members[0].document
        points = tuple(Point(t, reading.cite(c.paragraph.id, t)) for c in members for t in [_trimmed(c.span)])
        out.append(Section(p.section[-1] if p.section else short_name(d), short_name(d), points))
    return tuple(out)


def _group(c: Candidate) -> tuple[str, tuple[str, ...]]:
    return (c.document.id, c.paragraph.section)


def _is_point(text: str) -> bool:
    """A whole sentence worth reading out: long enough, not a fragment that starts mid-sentence."""
    body = figs.strip_marker(text)
    return 25 <= len(body) <= 420 and not body[:1].islower() and len(body.split()) >= 5


def _repeats(a: Candidate, b: Candidate) -> bool:
    ka, kb = keys_of(a.span.text, True), keys_of(b.span.text, True)
    return len(ka & kb) >= 0.7 * min(len(ka), len(kb))


def _trimmed(span: Span) -> str:
    return figs.strip_marker(span.text).strip()


def _figures(reading: Reading) -> tuple[Figure, ...]:
    """Figures of the best sentences, the same measure from several sources kept side by side."""
    scored: list[tuple[float, Candidate, figs.Found]] = []
    for c in reading.candidates:
        for f in figs.find(c.paragraph.text):
            if f.sentence == c.span:
                scored.append((c.score, c, f))
    if not scored:
        return ()
    scored.sort(key=lambda t: -t[0])
    floor = 0.55 * scored[0][0]
    kept: list[Located] = []
    for score, c, f in scored:
        if len(kept) == MAX_FIGURES or score < floor:
            break
        mine = [x for x, _ in kept if x.paragraph.id == c.paragraph.id]
        if len(mine) < FIGURES_PER_PARAGRAPH:
            kept.append((c, f))
    kept += _companions(reading, kept)
    ordered: list[Located] = []
    for c, f in kept:  # a figure joins the first one measuring the same thing
        if (c, f) in ordered:
            continue
        ordered.append((c, f))
        ordered.extend(x for x in kept if x not in ordered and _same_measure(f, x[1]))
    return tuple(_figure(reading, c, f) for c, f in ordered)


def _companions(reading: Reading, kept: list[Located]) -> list[Located]:
    """The same measure given elsewhere in the documents (another period, another value, or the same
    target restated): shown beside it, each with its own source, rather than picking one."""
    out: list[tuple[Candidate, figs.Found]] = []
    seen = {(c.paragraph.id, f.start) for c, f in kept}
    for p, d in reading.paragraphs.values():
        if p.kind not in (*KINDS, "footnote"):
            continue
        for f in figs.find(p.text):
            if (p.id, f.start) in seen or not any(_same_measure(f, g) for _, g in kept):
                continue
            seen.add((p.id, f.start))
            out.append((Candidate(p, d, f.sentence, 0.0, 0.0, 0.0, 0.0), f))
    return out[:MAX_COMPANIONS]


def _same_measure(a: figs.Found, b: figs.Found) -> bool:
    if a.unit != b.unit:
        return False
    ka = {k for k in keys_of(a.measure, True) if " " not in k and not k[:1].isdigit()}
    kb = {k for k in keys_of(b.measure, True) if " " not in k and not k[:1].isdigit()}
    return bool(ka and kb) and len(ka & kb) >= 0.8 * len(ka | kb)


def _figure(reading: Reading, c: Candidate, f: figs.Found) -> Figure:
    period, where = f.period, "câu" if f.period else ""
    for heading in itertools.chain(reversed(c.paragraph.section), [c.document.title]):
        if where:
            break
        period = figs.period_in(heading)
        where = ("mục" if heading in c.paragraph.section else "văn bản") if period else ""
    citation = reading.cite(c.paragraph.id, f.sentence.text.strip())
    return Figure(f.value, f.measure, period, where, citation)


def numbered(brief: Brief) -> Brief:
    """Number the cited paragraphs in the order the material prints them; collect them as notes."""
    order: dict[str, int] = {}

    def num(c: Citation) -> Citation:
        return replace(c, n=order.setdefault(c.id, len(order) + 1))

    def point(p: Point) -> Point:
        return replace(p, citation=num(p.citation))

    outline = tuple(replace(s, points=tuple(point(p) for p in s.points)) for s in brief.outline)
    table = tuple(replace(f, citation=num(f.citation)) for f in brief.figures)
    quiz = tuple(
        replace(q, keys=tuple(point(k) for k in q.keys), sources=tuple(num(c) for c in q.sources))
        for q in brief.questions
    )
    notes: dict[str, Citation] = {}
    for c in _citations(Brief(brief.topic, outline, table, quiz)):
        notes.setdefault(c.id, c)
    return Brief(brief.topic, outline, table, quiz, tuple(sorted(notes.values(), key=lambda c: c.n)))


def _citations(brief: Brief) -> list[Citation]:
    out = [p.citation for s in brief.outline for p in s.points] + [f.citation for f in brief.figures]
    for q in brief.questions:
        out += [k.citation for k in q.keys] + list(q.sources)
    return out


def check(brief: Brief) -> list[str]:
    """What in the material is not verbatim in the paragraph it cites (empty when everything is)."""
    problems = [f"ý: {p.text}" for s in brief.outline for p in s.points if not _point_ok(p)]
    problems += [f"số liệu: {f.value} ({f.measure})" for f in brief.figures if not _figure_ok(f)]
    return problems + [f"câu hỏi: {q.prompt}" for q in brief.questions if not _question_ok(q)]


def _verified(brief: Brief) -> Brief:
    """The material without any item that fails the presence check: nothing unchecked is printed."""
    outline = [replace(s, points=tuple(p for p in s.points if _point_ok(p))) for s in brief.outline]
    return Brief(
        brief.topic,
        tuple(s for s in outline if s.points),
        tuple(f for f in brief.figures if _figure_ok(f)),
        tuple(q for q in brief.questions if _question_ok(q)),
    )


def _point_ok(p: Point) -> bool:
    return bool(p.text.strip()) and p.text in p.citation.text


def _figure_ok(f: Figure) -> bool:
    source = f.citation
    found = all(x in source.text for x in (f.value, f.measure, source.support)) and f.value in source.support
    where = f"{source.support} {source.section} {source.document}".lower()
    return found and f.value in f.measure and f.period.lower() in where


def _question_ok(q: Question) -> bool:
    if not q.keys or not all(_point_ok(k) for k in q.keys):
        return False
    if q.kind != "choice":
        return True
    if q.answer is None or len(q.sources) != len(q.options):
        return False
    right = q.options[q.answer]
    wrong = [o for i, o in enumerate(q.options) if i != q.answer]
    return (
        right in q.keys[0].text
        and q.keys[0].citation.id == q.sources[q.answer].id
        and all(o in s.text for o, s in zip(q.options, q.sources, strict=True))
        and all(o != right and not (o[:1].isdigit() and figs.same_number(o, right)) for o in wrong)
    )
