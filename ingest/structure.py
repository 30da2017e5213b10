"""From raw paragraphs to documents: boundaries, titles, reading order and continuation links."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass, replace

from ingest.headers import TITLE, Header, find_headers
from ingest.pages import reading_order
from ingest.readers import Source
from ingest.records import Document, Paragraph, content_id
from ingest.repair import Block, repair, strong_pairs
from ingest.sections import paragraphs_of
from ingest.text import END_OF_DOCUMENT, SALUTATION

_WORD = re.compile(r"\w+")
_CONGRESS = re.compile(
    r"Đại hội (?:đại biểu )?Đảng bộ [^.;:!]{3,60}?lần thứ \w+(?:, nhiệm kỳ \d{4}\s*[-–]\s*\d{4})?"
)
_KINDS = {
    "PHÁT BIỂU": "speech",
    "DIỄN VĂN": "speech",
    "BÁO CÁO": "report",
    "NGHỊ QUYẾT": "resolution",
    "CHƯƠNG TRÌNH": "programme",
    "KẾ HOẠCH": "programme",
}


@dataclass
class _Start:
    line: int
    meta: Header | None


def build(source: Source) -> tuple[list[Document], list[str]]:
    """Split a source into documents of paragraphs; also return warnings worth showing."""
    headers, roles = find_headers(source.lines) if source.layout == "extracted" else ([], {})
    blocks = repair(source, roles)
    if not blocks:
        return [], ["không tìm thấy đoạn văn nào"]
    starts = _document_starts(source, headers, blocks)
    owner = [bisect.bisect_right([s.line for s in starts], b.first) - 1 for b in blocks]
    links = _continuations(blocks)
    owner = _follow_links(blocks, owner, links)
    owner = _move_openings(blocks, owner, starts)
    order = reading_order(blocks, owner)
    documents = [
        _document(source, starts[d], [blocks[i] for i in order if owner[i] == d]) for d in range(len(starts))
    ]
    documents = _set_continuations(documents, order, blocks, owner, links)
    return [d for d in documents if d.paragraphs], []


def _document_starts(source: Source, headers: list[Header], blocks: list[Block]) -> list[_Start]:
    """Where each document begins: after the previous one's end, at the page holding its header."""
    page_starts = [i + 1 for i, t in enumerate(source.lines) if t[:1].isspace() and t.strip()]
    ends = [b.last for b in blocks if b.kind == "signature" or END_OF_DOCUMENT.search(b.text)]
    starts: list[_Start] = []
    previous_end = 0
    pending: Header | None = None
    for header in headers:
        if header.title is None:
            if header.number or header.date:
                pending = header
            continue
        anchor = header
        if pending and not any(pending.last < e < header.first for e in ends):
            anchor = pending
            header = replace(header, number=header.number or pending.number, date=header.date or pending.date)
        pending = None
        end = max((e for e in ends if previous_end < e < anchor.first), default=0)
        page = max((p for p in page_starts if p <= anchor.first), default=1)
        if page == anchor.first:  # a header extracted as a page of its own: its body came first
            page = max((p for p in page_starts if p < anchor.first), default=1)
        starts.append(_Start(max(end + 1, page), header))
        previous_end = header.last
    if not starts or any(b.first < starts[0].line and b.kind != "signature" for b in blocks):
        opening = next(
            (h for h in headers if h.title is None and h.first < (starts or [_Start(10**9, None)])[0].line),
            None,
        )
        starts.insert(0, _Start(1, opening))
    return starts


def _continuations(blocks: list[Block]) -> dict[int, int]:
    """Link a paragraph that breaks off to the distant fragment that continues it.

    Only where the evidence is clear: the two words across the seam are a pair that the text
    itself almost always writes together (mostly a compound word split by the line break:
    `tổ | chức`), and each side has no other such match.
    """
    strong = strong_pairs(" ".join(b.text for b in blocks))
    # A seam after a comma is a clause break, not a split word: the pair proves nothing there.
    tails = [i for i, b in enumerate(blocks) if b.ends_mid and b.text[-1:].isalnum()]
    heads = [i for i, b in enumerate(blocks) if b.starts_mid]
    matches = [
        (t, h)
        for t in tails
        for h in heads
        if h != t and (_edge(blocks[t].text, -1), _edge(blocks[h].text, 0)) in strong
    ]
    tail_count = Counter(t for t, _ in matches)
    head_count = Counter(h for _, h in matches)
    return {t: h for t, h in matches if tail_count[t] == 1 and head_count[h] == 1}


def _edge(text: str, index: int) -> str:
    words = _WORD.findall(text)
    return words[index].lower() if words else ""


def _follow_links(blocks: list[Block], owner: list[int], links: dict[int, int]) -> list[int]:
    """A fragment joined by a continuation to another document's text moves to the larger side."""
    fragment_of = [b.fragment for b in blocks]
    size = Counter(b.fragment for b in blocks for _ in range(b.last - b.first + 1))
    owner = owner[:]
    for t, h in links.items():
        if owner[t] == owner[h]:
            continue
        small, large = (t, h) if size[fragment_of[t]] < size[fragment_of[h]] else (h, t)
        for i, fragment in enumerate(fragment_of):
            if fragment == fragment_of[small]:
                owner[i] = owner[large]
    return owner


def _move_openings(blocks: list[Block], owner: list[int], starts: list[_Start]) -> list[int]:
    """Give a displaced document opening to the next document.

    A page in the middle of one document that opens with `Thực hiện ...` (the set opening of a
    congress speech, after its salutations, or of a programme: "Thực hiện Nghị quyết ..., Ban Chấp
    hành xây dựng Chương trình hành động ... như sau:"), while the next document does not open so itself,
    is that next document's first page printed out of order, if the next document is a speech or the
    opening names it by its title.
    """
    owner = owner[:]
    fragments: dict[int, list[int]] = {}
    for i, block in enumerate(blocks):
        fragments.setdefault(block.fragment, []).append(i)
    for members in fragments.values():
        d = owner[members[0]]
        texts = [blocks[i].text for i in members]
        lead = next((k for k, t in enumerate(texts) if not SALUTATION.match(t)), len(texts))
        first_of_doc = owner.index(d) == members[0]
        nxt = d + 1
        opens = lead < len(texts) and texts[lead].startswith("Thực hiện")
        if not opens or first_of_doc or nxt >= len(starts):
            continue
        speech = lead > 0 and _is_speech_start(starts[nxt])
        if not speech and not _names(texts[lead], starts[nxt]):
            continue
        own = next(
            (
                b.text
                for i, b in enumerate(blocks)
                if owner[i] == nxt
                and b.kind in ("body", "list_item", "heading")
                and not SALUTATION.match(b.text)
            ),
            "",
        )
        if not own.startswith("Thực hiện"):
            # The whole page moves: its later fragments up to the next page start.
            i = members[0]
            while i < len(blocks) and owner[i] == d and (i == members[0] or not blocks[i].page_start):
                owner[i] = nxt
                i += 1
    return owner


def _is_speech_start(start: _Start) -> bool:
    title = start.meta.title if start.meta and start.meta.title else ""
    return title.startswith(("PHÁT BIỂU", "DIỄN VĂN"))


def _names(opening: str, start: _Start) -> bool:
    """The opening says it makes the document, by the capitalised words of its title ("... xây dựng
    Chương trình hành động ... như sau:"); a title of one or two such words ("NGHỊ QUYẾT") is too
    common to tell."""
    title = start.meta.title if start.meta and start.meta.title else ""
    words = list(itertools.takewhile(str.isupper, title.split()))
    made = re.search(r"(?:xây dựng|ban hành)\s+" + re.escape(" ".join(words)), opening, re.IGNORECASE)
    return len(words) >= 3 and made is not None


def _set_continuations(
    documents: list[Document], order: list[int], blocks: list[Block], owner: list[int], links: dict[int, int]
) -> list[Document]:
    """Record each continuation link as `continues_in` on the paragraph that breaks off, unless the
    paragraph that continues it now comes next (its page was put back in order)."""
    place: dict[int, tuple[int, int]] = {}
    counters: Counter[int] = Counter()
    for i in order:
        place[i] = (owner[i], counters[owner[i]])
        counters[owner[i]] += 1
    out = [list(document.paragraphs) for document in documents]
    for t, h in links.items():
        (td, ti), (hd, hi) = place[t], place[h]
        if (hd, hi) == (td, ti + 1):
            continue
        out[td][ti] = replace(out[td][ti], continues_in=out[hd][hi].id)
        if td == hd:
            _carry_section(out[hd], hi, blocks[h].fragment, out[td][ti].section, place, blocks, hd)
    return [replace(document, paragraphs=tuple(ps)) for document, ps in zip(documents, out, strict=True)]


def _carry_section(
    paragraphs: list[Paragraph],
    start: int,
    fragment: int,
    section: tuple[str, ...],
    place: dict[int, tuple[int, int]],
    blocks: list[Block],
    doc: int,
) -> None:
    """A displaced fragment that continues a paragraph belongs to that paragraph's section, up to the
    fragment's own first heading (sections are otherwise carried in file order, which is wrong there)."""
    in_fragment = {pi for bi, (d, pi) in place.items() if d == doc and blocks[bi].fragment == fragment}
    for i in range(start, len(paragraphs)):
        if i not in in_fragment or paragraphs[i].kind == "heading":
            return
        if paragraphs[i].kind != "footnote":
            paragraphs[i] = replace(paragraphs[i], section=section)


def _document(source: Source, start: _Start, blocks: list[Block]) -> Document:
    meta = start.meta
    title, derived = _title(meta, blocks)
    doc_id = content_id(source.file, title, length=12)
    kind = next((k for prefix, k in _KINDS.items() if title.upper().startswith(prefix)), "other")
    signer = meta.signer if meta else None
    paragraphs = paragraphs_of(doc_id, source.file, blocks)
    return Document(
        id=doc_id,
        title=title,
        kind="speech" if derived and kind == "other" and _is_speech(blocks) else kind,
        file=source.file,
        title_derived=derived,
        number=meta.number if meta else None,
        date=meta.date if meta else None,
        signer=signer or _signer(blocks),
        speaker=meta.speaker if meta else None,
        paragraphs=paragraphs,
    )


def _title(meta: Header | None, blocks: list[Block]) -> tuple[str, bool]:
    if meta and meta.title:
        generic = not TITLE.sub("", meta.title).strip()
        if meta.subject and (generic or meta.subject[:1].islower()):
            return f"{meta.title} {meta.subject}", False
        return meta.title, False
    if blocks[0].kind == "heading" and len(blocks[0].text) < 200:
        return blocks[0].text, False  # the document's own first heading
    body = " ".join(b.text for b in blocks if b.kind in ("body", "list_item"))
    for act in ("khai mạc", "bế mạc"):
        said = re.search(rf"tuyên bố {act}\s*({_CONGRESS.pattern})?", body, re.IGNORECASE)
        if said:
            congress = said.group(1) or next(iter(_CONGRESS.findall(body)), "")
            return f"Phát biểu {act} {congress}".strip(), True
    first = next((b.text for b in blocks if b.kind == "body"), blocks[0].text)
    return f"Văn bản: {' '.join(first.split()[:12])}…", True


def _is_speech(blocks: list[Block]) -> bool:
    return any(b.text.startswith(("Kính thưa", "Thưa")) for b in blocks[:3])


def _signer(blocks: list[Block]) -> str | None:
    signatures = [b for b in blocks if b.kind == "signature" and "(Đã ký)" in b.text]
    return signatures[-1].text.split("(Đã ký)")[-1].strip() or None if signatures else None
