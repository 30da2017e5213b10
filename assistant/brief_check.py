"""The presence check of a brief: every point, figure, answer key and option is verbatim in the paragraph
it cites, and a generated sentence's numbers are all in its cited paragraphs."""

from __future__ import annotations

from dataclasses import replace

from assistant import figures as figs
from assistant.brief import Brief, Figure, Point, Question, Said
from assistant.evidence import numbers_of


def check(brief: Brief) -> list[str]:
    """What in the material is not verbatim in the paragraph it cites (empty when everything is)."""
    problems = [f"ý: {p.text}" for s in brief.outline for p in s.points if not _point_ok(p)]
    problems += [f"tóm lược: {x.text}" for s in brief.outline for x in s.summary if not _said_ok(x)]
    problems += [f"số liệu: {f.value} ({f.measure})" for f in brief.figures if not _figure_ok(f)]
    return problems + [f"câu hỏi: {q.prompt}" for q in brief.questions if not _question_ok(q)]


def verified(brief: Brief) -> Brief:
    """The material without any item that fails the presence check: nothing unchecked is printed."""
    outline = [
        replace(
            s, points=tuple(p for p in s.points if _point_ok(p)), summary=tuple(filter(_said_ok, s.summary))
        )
        for s in brief.outline
    ]
    return Brief(
        brief.topic,
        tuple(s for s in outline if s.points),
        tuple(f for f in brief.figures if _figure_ok(f)),
        tuple(q for q in brief.questions if _question_ok(q)),
        notice=brief.notice,
    )


def _said_ok(x: Said) -> bool:
    """A generated sentence: its spans are verbatim in the cited paragraphs, which hold all its numbers."""
    cited = set().union(*(numbers_of(c.text) for c in x.citations)) if x.citations else set()
    spans = all(c.support and c.support in c.text for c in x.citations)
    return bool(x.citations) and spans and numbers_of(x.text) <= cited


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
