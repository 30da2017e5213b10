"""Undo PDF-extraction damage: page fragments, page numbers, double spacing, broken lines, footnotes.

The output is a list of raw paragraphs (`Block`) in file order, each with the exact line span it
came from. Documents, reading order and sections come afterwards (`structure`, `pages`, `sections`).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from ingest.readers import Source
from ingest.text import (
    SALUTATION,
    ends_sentence,
    is_caps,
    is_marker_start,
    join_lines,
    squash,
    starts_lower,
)

_PAGE_NUMBER = re.compile(r"^\s*(\d{1,4})\s*$")
_SEPARATOR = re.compile(r"^\s*-{3,}\s*$")
_FOOTNOTE_START = re.compile(r"^(\d{1,3})\.\s+\S")
_GLUED_FOOTNOTE = re.compile(r"(?:(?<=[^\W\d_])|(?<=[^\W\d_] )|(?<=[.!?…”\")] ))(\d{1,3})\. (?=[^\W\d_])")
_WORD = re.compile(r"\w+")
_REFERENCE = re.compile(
    r"^\d{1,3}\.\s+(?:Nghị quyết|Chỉ thị|Quy định|Quyết định|Kết luận|Đề án|Hướng dẫn|Chương trình"
    r"|Kế hoạch|Quy chế|Thông tri|Luật|Số liệu|Văn bản|Công văn|Điều lệ)"
)
_MARKER = re.compile(r"\((\d{1,3})\)")


@dataclass
class Line:
    no: int
    text: str
    page: int | None = None
    gap: bool = False
    """A real paragraph gap (blank line) precedes this line."""
    boundary: bool = False
    """A page fragment starts here: nothing before may be joined to it."""
    role: str = "body"
    """body, header, signature or foot (footnote zone)."""
    page_start: bool = False


@dataclass
class Block:
    """A raw paragraph: text joined from its lines, with provenance and repair hints."""

    text: str
    first: int
    last: int
    kind: str
    page: int | None
    fragment: int
    starts_mid: bool = False
    ends_mid: bool = False
    footnote: int | None = None
    page_start: bool = False
    """The first paragraph of a page (as the extractor laid pages out)."""


def repair(source: Source, header_roles: dict[int, str]) -> list[Block]:
    """Turn a source's lines into raw paragraphs; `header_roles` marks header/signature lines."""
    if source.layout == "paragraphs":
        return [
            Block(
                squash(t),
                i,
                i,
                "heading" if i in source.headings else _kind([Line(i, t)]),
                None,
                i,
            )
            for i, t in enumerate(source.lines, start=1)
            if t.strip()
        ]
    lines = _lines(source, header_roles)
    width = _body_width(lines)
    markers = {int(m) for m in _MARKER.findall("\n".join(source.lines))}
    _split_glued_footnotes(lines, width, markers)
    blocks: list[Block] = []
    for index, fragment in enumerate(_fragments(lines)):
        blocks.extend(_paragraphs(fragment, index, width, markers))
    return blocks


def _lines(source: Source, header_roles: dict[int, str]) -> list[Line]:
    """Non-blank lines with gaps, page starts and page numbers resolved."""
    out: list[Line] = []
    blanks = 0
    after_page_number = False
    pending_page: int | None = None  # the second of two merged page numbers heads the next page
    raw = source.lines
    for i, text in enumerate(raw):
        no = i + 1
        if not text.strip():
            blanks += 1
            continue
        page_number = _PAGE_NUMBER.match(text)
        isolated = (i == 0 or not raw[i - 1].strip()) and (i + 1 >= len(raw) or not raw[i + 1].strip())
        if page_number and isolated and no not in header_roles:
            before, pending_page = _split_page_number(page_number.group(1))
            _set_page_backwards(out, before)
            after_page_number = True
            blanks += 1
            continue
        starts_page = text[:1].isspace() or (
            source.pages is not None and i > 0 and source.pages[i - 1] != source.pages[i]
        )
        if starts_page and not after_page_number:
            pending_page = None
        role = header_roles.get(no, "body")
        if _SEPARATOR.match(text) and role == "body":
            role = "separator"
        page = source.pages[i] if source.pages else pending_page
        line = Line(no, text.strip(), page, blanks > 0, after_page_number or starts_page, role)
        line.page_start = line.boundary
        if out and out[-1].role != line.role:
            line.boundary = True
        out.append(line)
        blanks = 0
        after_page_number = False
    _mark_footnote_zones(out)
    _collapse_double_spacing(out)
    strong = strong_pairs(" ".join(x.text for x in out))
    for prev, line in itertools.pairwise(out):
        seam = (_last_word(prev.text), _first_word(line.text))
        if line.gap and not line.boundary and not ends_sentence(prev.text) and seam in strong:
            line.gap = False  # a stray blank line inside a word pair such as `Bộ | Chính trị`
            continue
        heading = _is_heading_line(prev.text) or (is_marker_start(prev.text) and len(prev.text) < 100)
        seam_break = starts_lower(line.text) or not ends_sentence(prev.text)
        if line.gap and prev.role == line.role == "body" and not heading and seam_break:
            line.boundary = True  # a paragraph cannot end or start mid-sentence: a page seam
    return [line for line in out if line.role != "separator"]


def strong_pairs(text: str) -> set[tuple[str, str]]:
    """Word pairs that the text itself almost always writes together (`tổ chức`, `Bộ Chính`)."""
    words = [w.lower() for w in _WORD.findall(text)]
    pairs = Counter(itertools.pairwise(words))
    freq = Counter(words)
    return {(a, b) for (a, b), n in pairs.items() if n >= 3 and max(n / freq[a], n / freq[b]) >= 0.5}


def _last_word(text: str) -> str:
    words = _WORD.findall(text)
    return words[-1].lower() if words else ""


def _first_word(text: str) -> str:
    words = _WORD.findall(text)
    return words[0].lower() if words else ""


def _split_page_number(digits: str) -> tuple[int, int | None]:
    """`4948` is two page numbers merged by the extractor; `12` is one."""
    if len(digits) == 4:
        a, b = int(digits[:2]), int(digits[2:])
        if abs(a - b) == 1:
            return a, b
    return int(digits), None


def _set_page_backwards(lines: list[Line], page: int) -> None:
    """A page number is printed at the foot of its page: it belongs to the fragment above it."""
    for line in reversed(lines):
        if line.page is None:
            line.page = page
        if line.boundary:
            break


def _mark_footnote_zones(lines: list[Line]) -> None:
    """After a `-----` separator, lines up to the next page start are footnotes."""
    in_zone = False
    for line in lines:
        if line.role == "separator":
            in_zone = True
            continue
        if line.boundary and line.text[:1] and not _FOOTNOTE_START.match(line.text):
            in_zone = False
        if in_zone and line.role == "body":
            line.role = "foot"


def _collapse_double_spacing(lines: list[Line]) -> None:
    """A run of lines each followed by one blank line, mostly ending mid-sentence, is one text."""
    run: list[Line] = []
    for line in [*lines, Line(-1, "", gap=True, boundary=True, role="end")]:
        same_run = run and line.role == run[-1].role == "body" and line.gap and not line.boundary
        if same_run:
            run.append(line)
            continue
        if len(run) >= 4 and sum(not ends_sentence(x.text) for x in run[:-1]) >= len(run[:-1]) / 2:
            for x in run[1:]:
                x.gap = False
        run = [line] if line.role == "body" else []


def _body_width(lines: list[Line]) -> float:
    lengths = sorted(len(x.text) for x in lines if x.role == "body" and len(x.text) > 20)
    return float(statistics.quantiles(lengths, n=4)[2]) if len(lengths) >= 4 else 70.0


def _split_glued_footnotes(lines: list[Line], width: float, markers: set[int]) -> None:
    """A footnote body glued to the end of an over-long line becomes a line of its own."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.role in ("body", "foot") and len(line.text) > 1.25 * width:
            for match in _GLUED_FOOTNOTE.finditer(line.text):
                if int(match.group(1)) in markers and match.start() > 0:
                    head, tail = line.text[: match.start()].rstrip(), line.text[match.start() :]
                    lines.insert(i + 1, Line(line.no, tail, line.page, gap=True, role="foot"))
                    line.text = head
                    break
        i += 1


def _fragments(lines: list[Line]) -> list[list[Line]]:
    fragments: list[list[Line]] = []
    for line in lines:
        if line.boundary or not fragments:
            fragments.append([])
        fragments[-1].append(line)
    return fragments


def _footnote_zone_start(body: list[Line], width: float, markers: set[int]) -> int:
    """Index where a trailing run of footnotes begins in a fragment (len(body) if none).

    Footnotes are set in a smaller font, so their lines are longer than the body's; each starts
    with a number that the document uses as a marker `(n)`.
    """
    start = len(body)
    for i in range(len(body) - 1, -1, -1):
        line = body[i]
        numbered = _FOOTNOTE_START.match(line.text)
        if numbered and int(numbered.group(1)) in markers:
            start = i
            continue
        paragraph_end = i + 1 == len(body) or body[i + 1].gap or bool(_FOOTNOTE_START.match(body[i + 1].text))
        if not (len(line.text) > 1.12 * width or line.role == "foot" or paragraph_end):
            break
    zone = body[start:]
    small_print = any(len(x.text) > 1.12 * width or x.role == "foot" for x in zone)
    notes = [x.text for x in zone if _FOOTNOTE_START.match(x.text)]
    # Without small print, only a run of references (`3. Chỉ thị số 23-CT/TW ...`) is footnotes:
    # a numbered heading at the foot of a page (`2. Công tác chính trị tư tưởng ...`) is not.
    if not small_print and not all(_REFERENCE.match(t) for t in notes):
        return len(body)
    return start


def _paragraphs(fragment: list[Line], index: int, width: float, markers: set[int]) -> list[Block]:
    role = fragment[0].role
    if role in ("header", "signature"):
        text = squash(" ".join(x.text for x in fragment))
        kind = "signature" if role == "signature" else "header"
        return [_block(fragment, text, kind, index)]
    zone = _footnote_zone_start(fragment, width, markers)
    body, notes = fragment[:zone], fragment[zone:]
    groups: list[list[Line]] = []
    for line in body:
        if not groups or _breaks_before(groups[-1][-1], line, width):
            groups.append([])
        groups[-1].append(line)
    blocks = [_block(g, _join(g), _kind(g), index) for g in groups]
    if blocks:
        blocks[0].starts_mid = starts_lower(body[0].text)
        blocks[0].page_start = body[0].page_start
        last = blocks[-1]
        last.ends_mid = last.kind != "heading" and not ends_sentence(body[-1].text)
    blocks.extend(_footnotes(notes, index))
    return blocks


def _breaks_before(prev: Line, line: Line, width: float) -> bool:
    if line.gap or _is_heading_line(line.text) or _is_heading_line(prev.text):
        return not (is_caps(prev.text) and is_caps(line.text))  # a title set on several lines
    if SALUTATION.match(line.text) or SALUTATION.match(prev.text):
        return True
    if not ends_sentence(prev.text):
        # A short numbered line is a heading: `1. Hạn chế` then `1.1. Trong lãnh đạo ...`.
        return is_marker_start(prev.text) and is_marker_start(line.text) and len(prev.text) < 0.6 * width
    return is_marker_start(line.text) or len(prev.text) < 0.8 * width


def _is_heading_line(text: str) -> bool:
    return is_caps(text) or bool(re.match(r"^Phần thứ \w+$", text))


def _kind(group: list[Line]) -> str:
    text = _join(group)
    if all(is_caps(x.text) or _is_heading_line(x.text) for x in group):
        return "heading"
    if is_marker_start(text):
        short = len(text) < 130 and not ends_sentence(text)
        return "heading" if short and not text.startswith(("-", "+", "•")) else "list_item"
    return "body"


def _footnotes(lines: list[Line], index: int) -> list[Block]:
    groups: list[list[Line]] = []
    for line in lines:
        if _FOOTNOTE_START.match(line.text) or not groups:
            groups.append([])
        groups[-1].append(line)
    blocks = []
    for group in groups:
        block = _block(group, _join(group), "footnote", index)
        numbered = _FOOTNOTE_START.match(block.text)
        block.footnote = int(numbered.group(1)) if numbered else None
        blocks.append(block)
    return blocks


def _join(group: list[Line]) -> str:
    text = group[0].text
    for line in group[1:]:
        text = join_lines(text, line.text)
    return squash(text)


def _block(group: list[Line], text: str, kind: str, index: int) -> Block:
    page = next((x.page for x in group if x.page is not None), None)
    return Block(text, group[0].no, group[-1].no, kind, page, index)
