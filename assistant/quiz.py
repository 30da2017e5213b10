"""Quiz questions on a brief: multiple choice built from its figures (fill in the number) and from list
items (which one belongs under a heading), and open discussion questions from its headings. The wrong
options are real figures or items of other places in the documents, never equal to the right one."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant import figures as figs
from assistant.brief import Figure, Point, Question, Section
from assistant.evidence import keys_of, sentences
from assistant.reading import Reading, plain_heading, short_name

if TYPE_CHECKING:
    from ingest.records import Paragraph

MAX_FIGURE_QUESTIONS, MAX_ITEM_QUESTIONS, MAX_OPEN, MAX_QUESTIONS = 4, 2, 3, 10
MIN_QUESTIONS = 5
WRONG = 3
"""Wrong options per multiple-choice question (two at least, or the question is not asked)."""
BLANK = "……"
_OPTION_CHARS = 200


def questions(
    reading: Reading, outline: tuple[Section, ...], table: tuple[Figure, ...]
) -> tuple[Question, ...]:
    """Between five and ten questions when the material allows, the choice questions first."""
    pool = [(p, f) for p in _paragraphs(reading) for f in figs.find(p.text)]
    out: list[Question] = []
    asked: list[Figure] = []
    for figure in table:
        if len(asked) == MAX_FIGURE_QUESTIONS:
            break
        if any(a.measure == figure.measure or a.citation.support == figure.citation.support for a in asked):
            continue
        question = _figure_question(reading, figure, pool)
        if question is not None:
            out.append(question)
            asked.append(figure)
    items = [q for s in outline for q in [_item_question(reading, s)] if q is not None]
    out += items[:MAX_ITEM_QUESTIONS]
    room = max(MAX_OPEN, MIN_QUESTIONS - len(out))
    out += [_open_question(s, reading) for s in outline[:room]]
    return tuple(out[:MAX_QUESTIONS])


def _paragraphs(reading: Reading) -> list[Paragraph]:
    return [p for p, _ in reading.paragraphs.values()]


def _figure_question(
    reading: Reading, figure: Figure, pool: list[tuple[Paragraph, figs.Found]]
) -> Question | None:
    """Fill in the number of a sentence; wrong options are figures of the same unit found elsewhere."""
    match = figs.FIGURE.match(figure.value)
    if match is None:
        return None
    number, sentence = match["num"], figure.citation.support
    # A long sentence or one full of other figures makes a confusing blank: its clause is enough.
    busy = len(sentence) > 220 or len(figs.FIGURE.findall(sentence)) > 2
    text = figure.measure if busy else sentence
    if text.count(number) != 1:
        return None  # the blank would be ambiguous
    unit = "%" if match["pct"] else match["unit"].lower()
    right = figs.value_of(number)
    if not right > 0:
        return None

    def distance(item: tuple[Paragraph, figs.Found]) -> tuple[bool, float, str]:
        value = figs.value_of(item[1].number)
        return (item[1].unit != unit, abs(math.log(value / right)) if value > 0 else 99.0, item[1].number)

    wrong: list[tuple[str, Paragraph]] = []
    for p, f in sorted(pool, key=distance):
        value = figs.value_of(f.number)
        if (
            not value > 0
            or ("/" in f.number) != ("/" in number)
            or ("," in f.number) != ("," in number)
            or (unit == "%" and value > 100)
            or f.number in text
            or any(figs.same_number(f.number, n) for n in [number, *(w for w, _ in wrong)])
        ):
            continue
        wrong.append((f.number, p))
        if len(wrong) == WRONG:
            break
    if len(wrong) < 2:
        return None
    document = reading.paragraphs[figure.citation.id][1]
    prompt = (
        f"Theo {short_name(document)}, điền số thích hợp vào chỗ trống: “{text.replace(number, BLANK, 1)}”"
    )
    key = Point(text, replace(figure.citation, support=text))
    return _choice(reading, prompt, (number, figure.citation.id), wrong, key)


def _item_question(reading: Reading, section: Section) -> Question | None:
    """Which of these items is under this heading; the wrong ones are items of other sections."""
    if not section.points or section.heading == section.document:
        return None
    key = section.points[0]
    right = _option(key.text)
    target = reading.paragraphs[key.citation.id][0]
    members = [
        p
        for p in reading.documents[target.doc_id].paragraphs
        if p.section[: len(target.section)] == target.section
    ]
    taken = [keys_of(s.text, True) for p in members for s in sentences(p.text)]
    wrong: list[tuple[str, Paragraph]] = []
    # Items of other documents only: another section of the same document could not be told apart.
    candidates = [p for p in _paragraphs(reading) if p.kind == "list_item" and p.doc_id != target.doc_id]
    for p in sorted(candidates, key=lambda p: _hash(p.id, key.text)):
        first = sentences(figs.strip_marker(p.text))
        if not first or len(first[0].text) < 40 or first[0].text[:1].islower():
            continue
        option = _option(first[0].text)
        own = keys_of(option, True)
        if option not in p.text or any(len(own & t) >= 0.35 * min(len(own), len(t) or 1) for t in taken):
            continue
        wrong.append((option, p))
        taken.append(own)
        if len(wrong) == WRONG:
            break
    if len(wrong) < 2:
        return None
    heading = plain_heading(section.heading)
    prompt = f"Theo {section.document}, nội dung nào sau đây được nêu trong mục “{heading}”?"
    return _choice(reading, prompt, (right, key.citation.id), wrong, key)


def _open_question(section: Section, reading: Reading) -> Question:
    heading = plain_heading(section.heading)
    about = (
        f"“{heading}” trong {section.document}" if section.heading != section.document else section.document
    )
    prompt = (
        f"Thảo luận: Đồng chí hãy nêu những nội dung chính của {about} và liên hệ với thực tiễn "
        "cơ quan, đơn vị mình."
    )
    return Question("open", prompt, (), None, section.points[:3])


def _choice(
    reading: Reading, prompt: str, right: tuple[str, str], wrong: list[tuple[str, Paragraph]], key: Point
) -> Question:
    """Options in a stable order that still moves the right one about."""
    options = [(o, p.id) for o, p in wrong]
    at = _hash(prompt) % (len(options) + 1)
    options.insert(at, right)
    sources = tuple(reading.cite(pid, text) for text, pid in options)
    return Question("choice", prompt, tuple(o for o, _ in options), at, (key,), sources)


def _option(text: str) -> str:
    """An item short enough to be an option: its beginning, cut at a comma or a semicolon."""
    text = text.strip()
    if len(text) <= _OPTION_CHARS:
        return text.rstrip(" .;:,")
    head = text[:_OPTION_CHARS]
    cut = max(head.rfind(","), head.rfind(";"))
    return head[: cut if cut > 60 else head.rfind(" ")].rstrip(" .;:,")


def _hash(*parts: str) -> int:
    return int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:8], 16)
