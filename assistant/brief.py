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
    from assistant.generate import Generator
    from index import Index

__all__ = ["Brief", "BriefError", "Figure", "Point", "Question", "Said", "Section", "make_brief"]

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
class Said:
    """A sentence a generator wrote, kept because its citations back it (their `support` is the span)."""

    text: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Section:
    """One heading of the outline with its points, in document order."""

    heading: str
    document: str
    points: tuple[Point, ...]
    summary: tuple[Said, ...] = ()
    """With a generator: one or two checked sentences that open the section."""


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
    notice: str | None = None
    """A note for the reader, e.g. that the generator failed and only quotations are given."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_brief(index: Index, topic: str, doc: str | None = None, generator: Generator | None = None) -> Brief:
    """Study material on a topic from the indexed documents (or one document), every item cited; with a
    generator, each outline section also opens with a short checked summary."""
    from assistant.brief_check import verified
    from assistant.quiz import questions

    if not topic.strip():
        raise BriefError("Chủ đề trống.")
    if not index.documents():
        raise BriefError("Chưa có văn bản nào trong chỉ mục; hãy nạp tài liệu trước (vankien ingest).")
    reading = Reading(index, topic, doc)
    if not reading.relevant:
        raise BriefError(f"Không tìm thấy nội dung nào về chủ đề “{topic.strip()}” trong các văn bản đã nạp.")
    outline = _outline(reading)
    notice = None
    if generator is not None:
        from assistant.brief_summary import summarise

        outline, notice = summarise(reading, outline, generator)
    table = _figures(reading)
    brief = Brief(topic.strip(), outline, table, questions(reading, outline, table), notice=notice)
    return numbered(verified(brief))


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

    outline = tuple(
        replace(
            s,
            summary=tuple(replace(x, citations=tuple(num(c) for c in x.citations)) for x in s.summary),
            points=tuple(point(p) for p in s.points),
        )
        for s in brief.outline
    )
    table = tuple(replace(f, citation=num(f.citation)) for f in brief.figures)
    quiz = tuple(
        replace(q, keys=tuple(point(k) for k in q.keys), sources=tuple(num(c) for c in q.sources))
        for q in brief.questions
    )
    notes: dict[str, Citation] = {}
    for c in _citations(Brief(brief.topic, outline, table, quiz)):
        notes.setdefault(c.id, c)
    ordered = tuple(sorted(notes.values(), key=lambda c: c.n))
    return Brief(brief.topic, outline, table, quiz, ordered, brief.notice)


def _citations(brief: Brief) -> list[Citation]:
    out = [c for s in brief.outline for x in s.summary for c in x.citations]
    out += [p.citation for s in brief.outline for p in s.points] + [f.citation for f in brief.figures]
    for q in brief.questions:
        out += [k.citation for k in q.keys] + list(q.sources)
    return out
