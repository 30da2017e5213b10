"""Paragraphs of one document: content ids, kinds and sections from its headings, footnote links."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import replace

from ingest.records import Paragraph, content_id
from ingest.repair import Block
from ingest.text import SECTION_MARKER, ends_sentence, is_caps, is_marker_start


def paragraphs_of(doc_id: str, file: str, blocks: list[Block]) -> tuple[Paragraph, ...]:
    """A document's paragraphs from its blocks in reading order: ids, kinds, sections, footnote links."""
    blocks = _with_notes(blocks)
    ids: list[str] = []
    seen: Counter[str] = Counter()
    for block in blocks:
        ids.append(content_id(doc_id, block.text, str(seen[block.text])))
        seen[block.text] += 1
    stack: list[tuple[int, str]] = []
    out: list[Paragraph] = []
    kinds = _kinds(blocks)
    for ordinal, (block, kind, pid) in enumerate(zip(blocks, kinds, ids, strict=True), start=1):
        part_title = stack and re.fullmatch(r"Phần thứ \w+", stack[-1][1]) and is_caps(block.text)
        if kind == "heading" and part_title:
            stack[-1] = (0, f"{stack[-1][1]}: {block.text[:160]}")  # `Phần thứ nhất` + its caps title
        elif kind == "heading":
            level = _level(block.text)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, block.text[:160]))
        elif kind == "list_item" and _ROMAN.match(block.text):
            while stack and stack[-1][0] > 1:  # `II. Thông qua ...`: an article of its own, out of `3.3.`
                stack.pop()
        section = tuple(text for _, text in stack)
        out.append(
            Paragraph(
                id=pid,
                doc_id=doc_id,
                text=block.text,
                kind="heading" if kind == "header" else kind,
                section=section if block.kind not in ("header", "signature") else (),
                ordinal=ordinal,
                file=file,
                lines=(block.first, block.last),
                page=block.page,
                footnote=block.footnote,
            )
        )
    return tuple(_link_notes(_regroup_numbered(out)))


# A task's note in a programme: its deadline, who leads it ("Thời gian hoàn thành: Quý IV năm 2020 (Ban
# Tuyên giáo Đảng uỷ chủ trì ...)").
_NOTE = re.compile(
    r"^(?:Thời gian (?:hoàn thành|thực hiện)|Thời hạn(?: hoàn thành)?"
    r"|(?:Cơ quan|Đơn vị) (?:chủ trì|thực hiện)|Chủ trì|Kinh phí)\s*:"
)


def _with_notes(blocks: list[Block]) -> list[Block]:
    """A task's note, printed as a paragraph of its own right under the numbered task, joins the task: the
    two are one item, and the note alone does not say which task it is about."""
    out: list[Block] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.kind == "list_item"
            and block.kind == "body"
            and _NOTE.match(block.text)
            and 0 < block.first - previous.last <= 2
        ):
            out[-1] = replace(previous, text=f"{previous.text} {block.text}", last=block.last)
        else:
            out.append(block)
    return out


def _kinds(blocks: list[Block]) -> list[str]:
    """Block kinds, corrected by what follows in reading order.

    A short line cut off by a page break is no heading when the next page goes on with its sentence
    (`2.1. ... chỉ thị của Đảng có` | `mặt còn hạn chế`). A numbered line too long to pass for a heading
    is one when its own sub-items follow (`2. Bên cạnh ...` then `2.1.`), or when other points of its
    kind (`Thứ nhất`, `Thứ hai` ...) are headings; a line that ends a sentence never is.
    """
    kinds = [b.kind for b in blocks]
    text = [i for i, b in enumerate(blocks) if b.kind != "footnote"]
    for i, j in itertools.pairwise(text):
        cut = not ends_sentence(blocks[i].text)
        number = re.match(r"^(\d{1,2})\.\s", blocks[i].text)
        if (
            kinds[i] == "heading"
            and cut
            and (blocks[j].starts_mid or _sibling(blocks[i].text, blocks[j].text))
        ):
            kinds[i] = "list_item" if is_marker_start(blocks[i].text) else "body"
        elif kinds[i] == "list_item" and cut and number and blocks[j].text.startswith(f"{number[1]}.1."):
            kinds[i] = "heading"
    headed = {_point(b.text) for b, kind in zip(blocks, kinds, strict=True) if kind == "heading"} - {None}
    for i, b in enumerate(blocks):
        if kinds[i] == "list_item" and _point(b.text) in headed and not ends_sentence(b.text):
            kinds[i] = "heading"
    return kinds


_NUMBERED = re.compile(r"^(\d{1,2})\s?([.\-–])\s")


def _sibling(text: str, following: str) -> bool:
    """Whether `following` is the next item of the same list (`5- ...` then `6- ...`): then `text` is no
    heading, whatever its length (a heading is followed by its own content, not by its sibling)."""
    m = _NUMBERED.match(text)
    return m is not None and re.match(rf"{int(m[1]) + 1}\s?{re.escape(m[2])}\s", following) is not None


_ROMAN = re.compile(r"^[IVXL]{1,5}\s*[.\-–]")
_ORDINAL = re.compile(
    r"^(?:(?:Thứ|THỨ) (?:nhất|hai|ba|tư|năm|sáu|bảy|tám|chín|mười)"
    r"|(?:Một|Hai|Ba|Bốn|Năm|Sáu|Bảy|Tám|Chín|Mười) là)\b"
)


def _point(text: str) -> str | None:
    """The kind of an ordinal point (`Thứ hai, ...` or `Hai là, ...`), if the text opens one."""
    m = _ORDINAL.match(text)
    return None if m is None else ("là" if m[0].endswith("là") else "thứ")


def _level(text: str) -> int:
    """Heading depth: Phần 0; Roman numerals and unnumbered capitals 1; `1.` 2; `1.1.` 3; `a)` and
    ordinal points (`Thứ hai,`, `Hai là,`) 4."""
    if text.lower().startswith("phần thứ"):
        return 0
    if _ROMAN.match(text) or not SECTION_MARKER.match(text):
        return 1
    if re.match(r"^\d+\.\d+", text):
        return 3
    if text[:1].isdigit():
        return 2
    return 4 if re.match(r"^[a-zđ]\)", text) or _ORDINAL.match(text) else 2


_SUBITEM = re.compile(r"^(\d{1,2})\.(\d{1,2})\.\s")


def _regroup_numbered(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Numbered sub-items (`1.2.`, `1.3.`) printed on displaced pages join the section of `1.1.`.

    Sections are carried in file order, so an item on a page that the extractor put elsewhere would
    otherwise inherit whatever section happens to precede it.
    """
    firsts: dict[str, list[Paragraph]] = {}
    for p in paragraphs:
        m = _SUBITEM.match(p.text)
        if m and m.group(2) == "1":
            firsts.setdefault(m.group(1), []).append(p)
    out = []
    for p in paragraphs:
        m = _SUBITEM.match(p.text)
        anchors = firsts.get(m.group(1), []) if m and m.group(2) != "1" else []
        if len(anchors) == 1 and p.section != anchors[0].section:
            anchor = anchors[0].section
            own = p.section[-1:] if p.kind == "heading" else ()
            p = replace(p, section=anchor[:-1] + own if anchors[0].kind == "heading" else anchor + own)
        out.append(p)
    return out


def _link_notes(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Point each footnote at the nearest paragraph carrying its marker `(n)`."""
    out = []
    for p in paragraphs:
        if p.kind == "footnote" and p.footnote is not None:
            marker = f"({p.footnote})"
            holders = [q for q in paragraphs if q.kind != "footnote" and marker in q.text]
            if holders:
                nearest = min(holders, key=lambda q: abs(q.lines[0] - p.lines[0]))
                p = replace(p, note_of=nearest.id)
        out.append(p)
    return out
