"""Put pages printed out of order back in reading order.

Booklets are often printed, or scanned, with pages swapped in pairs: the text of a page then runs on
at the start of the page printed before it. A booklet printed two pages to a sheet (2-up) may also be
extracted a sheet at a time with its two halves the wrong way round: the second half's text then runs
on at the start of the first. Each seam (the end of one piece of text and the start of another) is
scored by how well the text reads across it; two adjacent pages of a document are swapped, or a page's
halves turned, only when that order reads clearly better than file order. Pages are those the
extractor marks (`Block.page_start`); blocks keep their own lines, only their order changes.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

from ingest.repair import Block
from ingest.text import END_OF_DOCUMENT, ends_sentence, is_marker_start, numbering, starts_lower

MARGIN = 2.0
"""How much better (in seam points) a document must read for each pair of pages swapped or page turned."""
BOOKLET_MARGIN = 0.5
"""The same, for a pair in step with two or more swaps already made in the document (or any page, after
two turns): a booklet printed out of order is wrong pair after pair, or sheet after sheet, so there a
move only needs the text to lean towards it."""

_TEXT = ("body", "list_item", "heading")
_WORD = re.compile(r"\w+")
Piece = tuple[int, ...]


def reading_order(blocks: Sequence[Block], owner: Sequence[int]) -> list[int]:
    """Block indices, document by document, each document's pages in reading order."""
    seams = _Seams(blocks)
    documents: dict[int, list[int]] = {}
    for i, d in enumerate(owner):
        documents.setdefault(d, []).append(i)
    order: list[int] = []
    for d in sorted(documents):
        pages: list[list[int]] = []
        for i in documents[d]:
            if not pages or blocks[i].page_start:
                pages.append([])
            pages[-1].append(i)
        order.extend(i for piece in seams.best_order(pages) for i in piece)
    return order


class _Seams:
    """Scores page seams with what the file itself says about its words and its numbering."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = blocks
        fragments: dict[int, list[str]] = {}
        for b in blocks:
            if b.kind in (*_TEXT, "footnote"):
                fragments.setdefault(b.fragment, []).extend(_words(b.text))
        # Word statistics count only within a fragment: no page seam is evidence for itself.
        self.pairs = Counter(p for words in fragments.values() for p in itertools.pairwise(words))
        self.left: Counter[str] = Counter()
        self.right: Counter[str] = Counter()
        self.top_after: Counter[str] = Counter()
        self.top_before: Counter[str] = Counter()
        for (first, second), n in self.pairs.items():
            self.left[first] += n
            self.right[second] += n
            self.top_after[first] = max(self.top_after[first], n)
            self.top_before[second] = max(self.top_before[second], n)
        self.fragments = list(fragments.values())
        self.at: dict[str, list[tuple[int, int]]] = {}
        for f, words in enumerate(self.fragments):
            for k, word in enumerate(words):
                self.at.setdefault(word, []).append((f, k))

    def best_order(self, pages: list[list[int]]) -> list[Piece]:
        """The pages' blocks in reading order, in pieces: file order, with the adjacent page swaps and
        the page turns (second half read first) that pay for themselves."""
        read = self._read(pages, [MARGIN] * len(pages), MARGIN)
        ks = [k for k, _ in read]
        firsts = [ks[j + 1] for j in range(len(ks) - 1) if ks[j] > ks[j + 1]]
        in_step = len(firsts) >= 2 and len({k % 2 for k in firsts}) == 1
        turned = len(read) - len(pages) >= 2
        if in_step or turned:
            step = firsts[0] % 2 if in_step else -1
            margins = [BOOKLET_MARGIN if k % 2 == step else MARGIN for k in range(len(pages))]
            read = self._read(pages, margins, BOOKLET_MARGIN if turned else MARGIN)
        return [piece for _, piece in read]

    def _read(self, pages: list[list[int]], margins: list[float], turn: float) -> list[tuple[int, Piece]]:
        """The best reading by dynamic programming: swapping pages k and k+1 costs margins[k] points,
        turning a page costs `turn`. Each piece read comes with the number of its page.

        A state is (pages placed, the last piece placed), since a swap leaves the earlier page last and
        a turn the page's first half.
        """
        n = len(pages)
        whole = [tuple(p) for p in pages]
        if n < 2:
            return list(enumerate(whole))
        scores: dict[tuple[Piece, Piece], float] = {}

        def seam(a: Piece, b: Piece) -> float:
            if (a, b) not in scores:
                scores[a, b] = self.score(a, b)
            return scores[a, b]

        movable = [k > 0 and not self._fixed(p) for k, p in enumerate(pages)]
        halves = [self._halves(p) if movable[k] else None for k, p in enumerate(pages)]
        # Each state keeps its best (score, -moves, reading): on a tie, the reading with fewer moves.
        start: tuple[float, int, list[tuple[int, Piece]]] = (0.0, 0, [(0, whole[0])])
        best = {(1, whole[0]): start}
        for k in range(1, n):
            for (placed, last), (score, fewer, read) in list(best.items()):
                if placed != k:
                    continue
                options = [((k + 1, whole[k]), (score + seam(last, whole[k]), fewer, [*read, (k, whole[k])]))]
                if (cut := halves[k]) is not None:
                    second, first = cut
                    turned = score + seam(last, second) + seam(second, first) - seam(first, second) - turn
                    options.append(((k + 1, first), (turned, fewer - 1, [*read, (k, second), (k, first)])))
                if k + 1 < n and movable[k] and movable[k + 1]:
                    swapped = score + seam(last, whole[k + 1]) + seam(whole[k + 1], whole[k]) - margins[k]
                    pair = [(k + 1, whole[k + 1]), (k, whole[k])]
                    options.append(((k + 2, whole[k]), (swapped, fewer - 1, [*read, *pair])))
                for key, value in options:
                    if key not in best or value[:2] > best[key][:2]:
                        best[key] = value
        return max((v for (placed, _), v in best.items() if placed == n), key=lambda v: v[:2])[2]

    def _halves(self, page: list[int]) -> tuple[Piece, Piece] | None:
        """A page's (second, first) half, if it may hold two printed pages: cut where the text does not
        flow, nearest the middle (two printed pages are about as long as each other)."""
        sizes = [len(self.blocks[i].text) for i in page]
        total = sum(sizes)
        done = list(itertools.accumulate(sizes))
        text = [j for j, i in enumerate(page) if self.blocks[i].kind in _TEXT]
        cuts = [
            jb
            for ja, jb in itertools.pairwise(text)
            if _breaks(self.blocks[page[ja]], self.blocks[page[jb]])
            and 1 / 3 <= done[jb - 1] / total <= 2 / 3
        ]
        if not cuts:
            return None
        jb = min(cuts, key=lambda j: abs(done[j - 1] / total - 0.5))
        return tuple(page[jb:]), tuple(page[:jb])

    def _fixed(self, page: list[int]) -> bool:
        """A page with a letterhead, a signature or a document's end never moves."""
        return any(
            self.blocks[i].kind in ("header", "signature") or END_OF_DOCUMENT.search(self.blocks[i].text)
            for i in page
        )

    def score(self, before: Sequence[int], after: Sequence[int]) -> float:
        """How well page `after` continues page `before`: positive when the text reads on, negative when
        it cannot."""
        tails = [self.blocks[i] for i in before if self.blocks[i].kind in _TEXT]
        heads = [self.blocks[i] for i in after if self.blocks[i].kind in _TEXT]
        if not tails or not heads:
            return 0.0
        tail, head = tails[-1], heads[0]
        flow = (
            "either"
            if tail.kind == "heading" or tail.text.rstrip()[-1:] in ":;"
            else ("closed" if ends_sentence(tail.text) else "open")
        )
        lower = starts_lower(head.text) and not is_marker_start(head.text)
        score = 0.0
        if (flow == "open" and not lower) or (flow == "closed" and lower):
            score -= 1  # a sentence broken off and not picked up, or a page opening mid-sentence
        # An open sentence may go on with a capital too (`Ban Bí thư Trung ương` | `Đảng về ...`).
        if (lower and flow != "closed") or (flow == "open" and not is_marker_start(head.text)):
            score += self._words(_words(tail.text), _words(head.text))
        return score + _numbering(tails, heads)

    def _words(self, tail: list[str], head: list[str]) -> float:
        """The words across the seam: a pair the text writes together (a compound split by the page
        break: `tổ | chức`), or a longer run it writes elsewhere (a sentence repeated in another document)."""
        if not tail or not head:
            return 0.0
        a, b = tail[-1], head[0]
        n = self.pairs[a, b]
        if n:
            share = max(n / self.left[a], n / self.right[b])
            score = 2.0 if n >= 3 and share >= 0.5 else 1.0 if share >= 0.05 else 0.5
        else:
            # The tail word nearly always goes on with another word, or the head word follows another.
            bound = any(
                total >= 5 and top / total >= 0.6
                for top, total in ((self.top_after[a], self.left[a]), (self.top_before[b], self.right[b]))
            )
            score = -1.0 if bound else 0.0
        run = max(
            (
                i + j
                for i in range(1, 4)
                for j in range(1, 4)
                if i + j >= 4 and self._written(tail[-i:] + head[:j])
            ),
            default=0,
        )
        return score + (2.0 if run >= 5 else 1.0 if run == 4 else 0.0)

    def _written(self, words: list[str]) -> bool:
        """Whether the text writes these words in a row somewhere (looked up by the rarest of them)."""
        rarest = min(range(len(words)), key=lambda m: len(self.at.get(words[m], ())))
        return any(
            self.fragments[f][k - rarest : k - rarest + len(words)] == words
            for f, k in self.at.get(words[rarest], ())
            if k >= rarest
        )


def _numbering(tails: list[Block], heads: list[Block]) -> float:
    """The numbering nearest the seam on each side: `(5)` then `(6)`, `2.1.` then `2.2.`, `Thứ hai` then
    `Thứ ba` carry on across it; a number going back (not a new list starting at 1) does not."""
    before = next(((d, m) for d, b in enumerate(reversed(tails)) if (m := numbering(b.text))), None)
    after = next(((d, m) for d, b in enumerate(heads) if (m := numbering(b.text))), None)
    if before is None or after is None or before[1][0] != after[1][0]:
        return 0.0
    near = before[0] + after[0] <= 3
    (_, a), (_, b) = before[1], after[1]
    if b == (a[0] + 1,) or (len(a) == 2 and (b == (a[0], a[1] + 1) or b == (a[0] + 1, 1))):
        return 2.0 if near else 1.0
    return -1.0 if near and b[-1] != 1 else 0.0


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _breaks(a: Block, b: Block) -> bool:
    """Whether the text does not flow from block a to block b: a sentence broken off (by a blank line, or
    not picked up), a paragraph opening mid-sentence after a finished one, or a heading after running
    text (a part heading, `Phần thứ hai`, after anything)."""
    lower = starts_lower(b.text) and not is_marker_start(b.text)
    titled = a.kind == "heading" or is_marker_start(a.text)
    if not titled and (a.fragment != b.fragment or not (lower or ends_sentence(a.text))):
        return True
    if lower:
        return ends_sentence(a.text) and a.text.rstrip()[-1:] not in ":;"
    part = bool(re.match(r"Phần thứ \w+$", b.text))
    return (b.kind == "heading" or is_marker_start(b.text)) and (not titled or part)
