"""Sections as retrieval units: a question that asks for a list or a whole topic ("những hạn chế nào",
"các chỉ tiêu chủ yếu") repeats a section's heading, and then the whole section (its heading and all
its paragraphs, list items included) is one candidate, ranked as a unit in document order."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from index.keywords import fold, has_diacritics, tokenize
from ingest.records import Document, Paragraph

UNITS = 3
"""At most this many sections are taken for one question."""
_COVER = 2 / 3
"""Share of a heading's words that the question must hold."""


def _words(text: str) -> list[str]:
    return [t for t in tokenize(text) if not t[:1].isdigit()]


@dataclass(frozen=True)
class Sections:
    """Every section (at every depth) of every document: its heading and its paragraphs in order."""

    members: dict[str, list[str]]
    headings: dict[str, tuple[list[str], list[str]]]
    """Each section's heading words (numbers left out), as written and without diacritics."""

    @classmethod
    def build(cls, items: Sequence[tuple[Paragraph, Document]]) -> Sections:
        members: dict[str, list[str]] = {}
        headings: dict[str, tuple[list[str], list[str]]] = {}
        for p, d in sorted(items, key=lambda pd: (pd[1].id, pd[0].ordinal)):
            for depth in range(1, len(p.section) + 1):
                key = "\x1f".join((d.id, *p.section[:depth]))
                members.setdefault(key, []).append(p.id)
                if key not in headings:
                    words = _words(p.section[depth - 1])
                    headings[key] = (words, [fold(w) for w in words])
        return cls(members, headings)

    def asked(self, query: str, named: Sequence[Document] = ()) -> list[str]:
        """Sections whose heading the question mostly repeats: two thirds of its words, at least two,
        one pair of them in the heading's order, not counting the words of the documents it names
        (`Báo cáo kết quả thực hiện ...` does not ask for a section `Kết quả thực hiện`); only
        sections of those documents when it names some (`named`: the clearly named ones)."""
        folded = not has_diacritics(query)

        def words(text: str) -> list[str]:
            return [fold(w) for w in _words(text)] if folded else _words(text)

        taken = {w for d in named for w in words(d.title)}
        q = [w for w in words(query) if w not in taken]
        q_words, q_pairs = set(q), set(itertools.pairwise(q))
        named_ids = {d.id for d in named}
        found = []
        for key, (written, unmarked) in self.headings.items():
            h = unmarked if folded else written
            common = len(set(h) & q_words)
            if named_ids and key.split("\x1f")[0] not in named_ids:
                continue  # a question that names a document asks for a section of it
            if common >= 2 and common >= _COVER * len(set(h)) and set(itertools.pairwise(h)) & q_pairs:
                found.append((-common / len(set(h)), -common, key))
        found.sort()
        return [key for *_, key in found[:UNITS]]

    def ranking(
        self, query: str, depth: int, allowed: Collection[str] | None = None, named: Sequence[Document] = ()
    ) -> list[str]:
        """The paragraphs of the sections a question asks for, best section first, each in document
        order (empty when it asks for none)."""
        ranked: list[str] = []
        seen: set[str] = set()
        for key in self.asked(query, named):
            for pid in self.members[key]:
                if pid not in seen and (allowed is None or pid in allowed):
                    seen.add(pid)
                    ranked.append(pid)
        return ranked[:depth]
