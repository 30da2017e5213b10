"""Reading the documents for a topic: the paragraphs retrieved, the sections they fall in (read whole),
and every sentence of them scored against the topic; the citations handed out come from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant import figures as figs
from assistant.compose import vocabulary
from assistant.evidence import Span, Terms, coverage, keys_of, sentences, terms_of
from assistant.records import Citation, cite
from index.naming import named_documents
from ingest.records import Document, Paragraph, UserError

if TYPE_CHECKING:
    from index import Index

RETRIEVE = 16
"""Paragraphs retrieved for a topic; the sections they fall in are read whole."""
MAX_SECTIONS = 4
MIN_RELEVANCE = 0.5
"""Least share of the topic's weighted terms the best retrieved sentence (with its paragraph, section and
document) must hold: below it the documents say nothing about the topic."""
KINDS = ("body", "list_item")
_SHORT_NUMBER = re.compile(r"\d{1,3}")
_KIND_NAMES = {
    "report": "Báo cáo",
    "resolution": "Nghị quyết",
    "programme": "Chương trình",
    "speech": "Phát biểu",
}


class BriefError(UserError):
    """No material can be made (empty index, nothing on the topic); the message is one Vietnamese sentence."""


@dataclass(frozen=True)
class Candidate:
    """A sentence of a paragraph read for the topic, scored against it."""

    paragraph: Paragraph
    document: Document
    span: Span
    own: float
    """Coverage of the topic's terms by the sentence alone."""
    context: float
    """By the sentence with its paragraph, section headings and document title."""
    frame: float
    """By the section headings and document title alone (1.0 in a document the topic names): whether
    the place is about the topic, which list items under a telling heading rarely say themselves."""
    boost: float

    @property
    def score(self) -> float:
        return 0.35 * self.own + 0.25 * self.context + 0.4 * self.frame + self.boost


class Reading:
    """The paragraphs read for a topic, their scored sentences, and the citations handed out."""

    def __init__(self, index: Index, topic: str, doc: str | None) -> None:
        self.index = index
        # One snapshot of the documents: every lookup through the index asks the store for its revision.
        self.documents = {d.id: index.document(d.id) for d, _ in index.documents()}
        self.paragraphs = {p.id: (p, d) for d in self.documents.values() for p in d.paragraphs}
        self.vocabulary = vocabulary(index)
        self.terms: Terms = terms_of(topic, self.vocabulary)
        hits = index.search(topic, k=RETRIEVE, doc=doc)
        self.boosts: dict[str, float] = {}
        for rank, hit in enumerate(hits):
            self.boosts[hit.paragraph.id] = 0.15 / (1 + 0.3 * rank)
        self.hit_ids = [h.paragraph.id for h in hits]
        # A topic that names a document ("Chỉ thị 05") is about all of it; the number in the name
        # identifies the document, and matched against the text it would pick "05 tổ chức đảng".
        self.named = set() if doc else set(named_documents(topic, [d for d in self.documents.values()]))
        if self.named:
            kept = {t: w for t, w in self.terms.weights.items() if not _SHORT_NUMBER.fullmatch(t)}
            self.terms = Terms(kept, self.terms.folded)
        for doc_id in self.named:
            for p in self.documents[doc_id].paragraphs:
                self.boosts.setdefault(p.id, 0.0)
        for weight, doc_id, section in self._sections(hits):
            for p in self.documents[doc_id].paragraphs:
                if p.section[: len(section)] == section:
                    self.boosts[p.id] = max(self.boosts.get(p.id, 0.0), 0.1 * weight)
        self.candidates = [c for pid in self.boosts for c in self._scored(pid)]
        self.candidates.sort(key=lambda c: -c.score)

    def _sections(self, hits: list[Any]) -> list[tuple[float, str, tuple[str, ...]]]:
        """The sections most hits fall in, preferring the deepest one that still holds most of them."""
        votes: dict[tuple[str, tuple[str, ...]], float] = {}
        for rank, hit in enumerate(hits):
            p = hit.paragraph
            for depth in range(1, len(p.section) + 1):
                key = (p.doc_id, p.section[:depth])
                votes[key] = votes.get(key, 0.0) + (2.0 if p.kind == "heading" else 1.0) / (rank + 1)
        ranked = sorted(votes, key=lambda k: -votes[k] * (1 + 0.5 * len(k[1])))
        chosen: list[tuple[float, str, tuple[str, ...]]] = []
        for doc_id, section in ranked:
            if len(chosen) == MAX_SECTIONS:
                break
            if any(d == doc_id and _nested(s, section) for _, d, s in chosen):
                continue
            chosen.append((1.0 / (len(chosen) + 1), doc_id, section))
        return chosen

    def _scored(self, pid: str) -> list[Candidate]:
        p, d = self.paragraphs[pid]
        if p.kind not in (*KINDS, "footnote"):
            return []
        frame = 1.0 if d.id in self.named else self._frame(p, d)
        around = keys_of(f"{d.title}\n{' '.join(p.section)}\n{p.text}", self.terms.folded)
        out = []
        for span in sentences(p.text):
            own = keys_of(span.text, self.terms.folded)
            mine, near = coverage(self.terms, own), coverage(self.terms, own | around)
            out.append(Candidate(p, d, span, mine, near, frame, self.boosts[pid]))
        return out

    def _frame(self, p: Paragraph, d: Document) -> float:
        """How much the headings above a paragraph (with its document's title) are about the topic: the
        nearest heading counts fully, the ones above it less (a part's heading covers much)."""
        title = keys_of(d.title, self.terms.folded)
        best = coverage(self.terms, title) * 0.7
        for depth in range(1, len(p.section) + 1):
            headings = keys_of(" ".join(p.section[-depth:]), self.terms.folded)
            best = max(best, coverage(self.terms, headings | title) * 0.85 ** (depth - 1))
        return best

    @property
    def relevant(self) -> bool:
        hits = set(self.hit_ids)
        best = max((c.context for c in self.candidates if c.paragraph.id in hits), default=0.0)
        return bool(self.terms.weights) and best >= MIN_RELEVANCE

    def cite(self, pid: str, support: str) -> Citation:
        p, d = self.paragraphs[pid]
        return cite(p, d, 0, support)


def _nested(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def short_name(d: Document) -> str:
    """A document's short name for headings and prompts ("Báo cáo số 292-BC/ĐU")."""
    if d.number:
        return f"{_KIND_NAMES.get(d.kind, 'Văn bản')} số {d.number}"
    return d.title if len(d.title) <= 80 else d.title[:77].rstrip() + "..."


def plain_heading(heading: str) -> str:
    """A heading without its numbering or its part label, in sentence case when written in capitals."""
    text = figs.strip_marker(heading).strip()
    if ":" in text and text.split(":")[0].lower().startswith("phần"):
        text = text.split(":", 1)[1].strip()
    return text[:1] + text[1:].lower() if text.isupper() else text
