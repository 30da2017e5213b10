"""One answer being composed: the retrieved passages, the evidence decision, the checked sentences (quoted
or generated) and the citations they carry."""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from assistant import evidence
from assistant.evidence import Scored, Span, Terms, Vocabulary, coverage, keys_of, sentences, terms_of
from assistant.generative import ANSWER_TOKENS, Claim, Passage, build_messages, check, refused, sentences_of
from assistant.question import Intent, intent
from assistant.records import NOT_FOUND, Answer, Citation, cite
from index import SHORT, lead
from index.keywords import has_diacritics
from index.naming import STRONG, document_names
from ingest.records import Paragraph
from ingest.text import SALUTATION, numbering

if TYPE_CHECKING:
    from assistant.generate import Generator
    from index import Hit, Index

RETRIEVE = 8
"""Paragraphs retrieved per question."""
PROMPT_PASSAGES = 6
PROMPT_TOKENS = 1000
"""Most tokens of a generation prompt (instructions, question and passages). Reading the prompt is most
of a local model's time (about 70 tokens/s on 2 cores): passages are trimmed to what answers the question."""
SHOWN_SENTENCES = 2
"""Sentences of a long paragraph the model is shown: its best for the question, in document order."""
_LONG_PASSAGE = 400
RELATED = 3
MIN_CONTEXT = 0.50
"""Least share of the question's weighted terms the sentence an answer starts from (with its paragraph,
section and document) must hold for the question to count as answered by the documents: below it, the
assistant refuses. Calibrated on the project's question set (`scripts/bench_answers.py --refusal-curve`,
session 5): 0.50 refuses 0.80 of unanswerable questions and 0.076 of answerable ones; 0.45 gives 0.55 /
0.059, 0.55 0.80 / 0.101, 0.60 0.85 / 0.193."""
MAX_LIST_ITEMS = 15
SECOND_CANDIDATE = 0.85
"""For a question asking for a number, a code or a date: a sentence of the kind asked that scores at least
this share of the best one's and gives other figures is quoted too (it may be the answer the best one is
not). Measured on the project's set (extractive): factoid key facts 0.758 -> 0.815, citation precision
0.709 -> 0.725; at 0.80, 0.815 and 0.705; at 0.90, 0.797 and 0.719."""
ON_TOPIC = 0.5
"""The model is shown, and its sentences must stand on, only the passages that answer the question: those
whose best sentence scores at least this share of the best sentence's score. Shown the others, a small
model goes on with what they say ("Đảng bộ có 77 tổ chức cơ sở đảng" after the number asked for): backed,
but answering nothing asked, with a citation that sends the reader elsewhere. On the project's set, 23 of
the 146 citations of generated answers to factoid and follow-up questions stood on such passages (one of
them held evidence); of the 116 prompt passages holding evidence, 5 fall below the share."""
ON_TOPIC_TYPED = SECOND_CANDIDATE
"""The same share for a question asking for a kind of thing (a number, a name, a date, a code): the
passages giving an answer are those as close to the best as a second candidate answer must be, and a small
model asked who read the closing speech otherwise names someone another passage mentions. Of the 91
citations of generated answers to such questions on the project's set (session 6, share 0.5), 7 stood on
passages between 0.5 and 0.85 of the best, 1 of them holding evidence."""
_CONTEXT_WEIGHT = 0.4
"""Weight of the terms a follow-up carries over from the previous question, against the user's own."""
_WORDS = re.compile(r"[^\W\d_]{2,}(?:\s+\S+){2}")
_NUMBER_MARK = re.compile(r"^\s*(?:\((\d{1,2})\)|(\d{1,2})\s?([.\-–)]))\s*(?!\d)")
_PROSE = ("body", "list_item")
"""Paragraph kinds that are running text (not headings, letterheads, signatures or footnotes)."""
_CARRY_ON = 40
"""Paragraphs after a numbered list searched for its next items."""
_CLEARLY = 0.1
"""How much more of the question's weighted terms a sub-section's heading must say than each sibling's
for the question to ask for it alone: siblings that share a frame ("Nhóm giải pháp về ...") differ by a
syllable that happens to match ("thi hành" for "hành động"), which names nothing."""
_ENDS_SENTENCE = re.compile(r"[.!?…:;)\"”]\s*$")


class _Unit(NamedTuple):
    """A candidate list."""

    weight: float
    members: list[Paragraph]
    hits: list[int]
    """The ordinals of the retrieved paragraphs in it."""
    section: tuple[str, ...] | None
    """The section it is, or None for a paragraph listing inline."""


_vocabularies: dict[tuple[int, int], Vocabulary] = {}
_vocabulary_lock = threading.Lock()


def vocabulary(index: Index) -> Vocabulary:
    """Term rarities over the whole index, rebuilt when the index changes."""
    key = (id(index), index.store.revision())
    with _vocabulary_lock:
        if key not in _vocabularies:
            texts = [p.text for d, _ in index.documents() for p in index.document(d.id).paragraphs]
            _vocabularies.clear()
            _vocabularies[key] = Vocabulary(texts)
        return _vocabularies[key]


def question_terms(query: str, own: str, vocab: Vocabulary) -> Terms:
    """The user's own terms at full weight, the ones carried over from the conversation at less."""
    folded = not has_diacritics(own)
    mine = terms_of(own, vocab, folded)
    if own == query:
        return mine
    carried = terms_of(query, vocab, folded)
    weights = {t: w * _CONTEXT_WEIGHT for t, w in carried.weights.items()}
    weights.update(mine.weights)
    return Terms(weights, folded)


def search(
    index: Index,
    query: str,
    k: int,
    *,
    own: str | None = None,
    wanted: Intent | None = None,
    doc: str | None = None,
    kinds: Sequence[str] | None = None,
    year: int | None = None,
) -> list[Hit]:
    """The index's hybrid search, then (for a question asking for a number, a code, a name or a time)
    the paragraphs holding that kind of thing near the question's terms moved up. `own` is the user's
    own words when `query` is a rewritten follow-up; `wanted` what it asks for, when already known."""
    wanted = wanted or intent(query)
    if not wanted.typed:
        return index.search(query, k=k, doc=doc, kinds=kinds, year=year)

    def rerank(_: str, hits: list[Hit]) -> list[Hit]:
        terms = question_terms(query, own or query, vocabulary(index))
        scored = [
            dataclasses.replace(
                h, score=h.score * evidence.answer_type_factor(wanted, terms, h.paragraph.text)
            )
            for h in hits
        ]
        return sorted(scored, key=lambda h: -h.score)

    return index.search(query, k=k, doc=doc, kinds=kinds, year=year, rerank=rerank)


class Composer:
    """The state of one answer, from retrieval to citations."""

    def __init__(self, index: Index, query: str, own: str, intent: Intent, doc: str | None = None) -> None:
        self.index = index
        self.query = query
        self.own = own
        self.intent = intent
        self.hits: list[Hit] = search(index, query, RETRIEVE, own=own, wanted=intent, doc=doc)
        self.vocabulary = vocabulary(index) if self.hits else Vocabulary([])
        self.terms = question_terms(query, own, self.vocabulary)
        self.passages = [self._passage(n, hit) for n, hit in enumerate(self.hits, start=1)]
        self.read = self._reading()
        self.scored: list[Scored] = evidence.score_sentences(
            self.terms, intent, [(p.id, p.text, around) for p, around, _ in self.read], self._similarity
        )
        named = self._named()
        if named:
            # Asked for a named document's own number ("Báo cáo ... số mấy, ngày nào?"), its letterhead
            # answers, as directly as a number before the unit asked for.
            own_letterhead = {p.id for p, _, _ in self.read if intent.code and self._letterhead(p, named)}
            self.scored = sorted(
                (
                    dataclasses.replace(
                        s,
                        elsewhere=self._docs[s.paragraph] not in named,
                        counted=s.counted or s.paragraph in own_letterhead,
                    )
                    for s in self.scored
                ),
                key=lambda s: -s.score,
            )
        self.claims: list[Claim] = []
        self._numbers: dict[str, int] = {}
        self.items = self._list_items() if intent.listing and self.answerable else None

    @functools.cached_property
    def answerable(self) -> bool:
        """Whether the sentence an answer would start from holds enough of the question's terms (with
        its paragraph, section and document) and the kind of answer asked for; for a list, any of the
        best sentences. Another sentence passing the check does not vouch for it: "how many women party
        members" is not answered by a count of party members because a sentence elsewhere says "nữ"."""
        # The years of the question (a period, a year) must be around the answer, in its paragraph,
        # section path or document title: a target for 2020-2025 does not answer a question about 2015-2020.
        asked = {n for n in evidence.numbers_of(self.own) if len(n) == 4 and n[:2] in ("19", "20")}
        around = {
            p.id: evidence.numbers_of(f"{document} {' '.join(p.section)} {p.text}")
            for p, _, document in self.read
            if asked
        }

        def good(s: Scored) -> bool:
            return s.context >= MIN_CONTEXT and (not asked or asked <= around[s.paragraph])

        if self.intent.listing:
            return any(good(s) for s in self.scored[:12])
        best = next((s for s in self.scored[:12] if s.fits), None)
        return best is not None and good(best)

    def _letterhead(self, p: Paragraph, named: set[str]) -> bool:
        """Whether a paragraph is the letterhead of one of the named documents: it states the number."""
        number = self.index.paragraph(p.id)[1].number if p.doc_id in named else None
        return number is not None and number.replace(" ", "") in p.text.replace(" ", "")

    def _named(self) -> set[str]:
        """The documents the question clearly names (by title, number or speaker), if any."""
        documents = [d for d, _ in self.index.documents()] if self.hits else []
        return {i for i, how in document_names(self.query, documents).items() if how == STRONG}

    @property
    def listing(self) -> bool:
        return self.items is not None

    def _similarity(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Cosines of sentences (embedded with their context, cached on disk) to the question."""
        embedder = self.index._embedder()  # the index's own embedder: same model, same vector cache
        vectors = embedder.embed_documents([t for t, _ in pairs], [c for _, c in pairs])
        query = embedder.embed_query(self.own)  # a follow-up's own words: its context is in the passages
        return [float(x) for x in vectors @ query]

    # -- passages ----------------------------------------------------------------------------------

    def _label(self, hit: Hit) -> str:
        """Document (with its number, by which it is often asked for: "văn bản 01-CTr/ĐH") and section."""
        number = self.index.paragraph(hit.paragraph.id)[1].number
        document = f"{hit.document[:120]} ({number})" if number else hit.document[:120]
        section = " > ".join(hit.paragraph.section[-2:])
        return f"{document}; {section}" if section else document

    def _reading(self) -> list[tuple[Paragraph, str, str]]:
        """The paragraphs whose sentences are scored, with what each is read with and its document: every
        hit and, after a hit, the short paragraph that follows it when retrieval did not find it too (a
        task's "(Ban Tổ chức Đảng ủy chủ trì, ...)" or "Thời gian hoàn thành: ..."; a figure finishing
        its sentence after a page break), which rarely holds enough words to be found on its own."""
        found = {h.paragraph.id for h in self.hits}
        out = []
        for hit in self.hits:
            out.append((hit.paragraph, self._around(hit), hit.document))
            after = self._beside(hit.paragraph, 1)
            if after and after.id not in found and len(after.text) < SHORT and after.kind in _PROSE:
                found.add(after.id)
                out.append((after, f"{self._label(hit)}\n{lead(after, hit.paragraph)}", hit.document))
        return out

    def _around(self, hit: Hit) -> str:
        """What a paragraph's sentences are read with: its label and, for a short paragraph, the lead of
        the one before it, which it usually completes ("Thời gian hoàn thành: ..." after its task)."""
        p = hit.paragraph
        if len(p.text) >= SHORT:
            return self._label(hit)
        around = lead(p, self._beside(p, -1))
        return f"{self._label(hit)}\n{around}" if around else self._label(hit)

    def _passage(self, n: int, hit: Hit) -> Passage:
        p = hit.paragraph
        parts = [(p.id, p.text)]
        if not _ENDS_SENTENCE.search(p.text):
            following = self._continuation(p)
            if following is not None:
                parts.append((following.id, following.text))
        return Passage(n, self._label(hit), tuple(parts))

    def shown(self, passage: Passage) -> Passage:
        """A passage as the model reads it: a long paragraph cut to the sentences that best answer the
        question (checks still read the whole paragraph)."""
        pid, text = passage.parts[0]
        best = [s for s in self.scored if s.paragraph == pid][:SHOWN_SENTENCES]
        if len(text) <= _LONG_PASSAGE or not best:
            return passage
        spans = sorted((s.span for s in best), key=lambda span: span.start)
        parts = [(pid, " … ".join(span.text.strip() for span in spans))]
        if len(passage.parts) > 1 and not text[spans[-1].end :].strip():
            following = passage.parts[1]  # the last sentence shown runs on into the next paragraph
            parts.append((following[0], following[1][: _LONG_PASSAGE // 2]))
        return Passage(passage.n, passage.label, tuple(parts))

    def _continuation(self, p: Paragraph) -> Paragraph | None:
        if p.continues_in:
            return self.index.paragraph(p.continues_in)[0]
        after = self._beside(p, 1)
        return after if after is not None and after.kind in _PROSE else None

    def _beside(self, p: Paragraph, step: int) -> Paragraph | None:
        """The paragraph just before (step -1) or after (step 1) one in its document, if any."""
        return next((q for q in self.index.neighbours(p, 1) if q.ordinal == p.ordinal + step), None)

    # -- extractive --------------------------------------------------------------------------------

    def extract(self) -> None:
        """Claims quoted verbatim: the whole list of a section, or the sentences that best answer."""
        if self.answerable:
            self.claims, self.items = self._quoted()

    def _quoted(self) -> tuple[list[Claim], list[tuple[str, Span]] | None]:
        """The quoted claims, and the list items they are when the answer is a list."""
        if self.items is not None:
            return [Claim(span.text.strip(), ((pid, span),)) for pid, span in self.items], self.items
        best = self._ranked[0]
        announced = self._announced(best)
        if announced is not None:
            return [Claim(span.text.strip(), ((pid, span),)) for pid, span in announced], announced
        chosen = [best, *self._following(best)]
        covered = keys_of(" ".join(s.span.text for s in chosen), self.terms.folded)
        asked = self.terms if self.own == self.query else question_terms(self.own, self.own, self.vocabulary)
        given = evidence.numbers_of(" ".join(s.span.text for s in chosen))
        answer_figures = evidence.numbers_of(best.span.text)
        for s in self.scored[:10]:
            if len(chosen) >= 3 or s.score < 0.8 * best.score:
                break
            if s in chosen:
                continue
            gain = coverage(asked, covered | keys_of(s.span.text, self.terms.folded))
            # A sentence of the same document that covers more of the user's own terms completes the
            # answer (a follow-up's terms carried from the previous question are what it narrows, not
            # what it asks); from another document, it is about something else sharing words with it.
            same_document = self._docs[s.paragraph] == self._docs[best.paragraph]
            completes = gain - coverage(asked, covered) >= 0.1 and same_document
            # A question asking for a number, a code or a date: a close second sentence of the kind asked
            # that gives other figures is another candidate answer, shown rather than guessed away; one
            # that repeats the best sentence's figures is the same answer told again.
            figures = evidence.numbers_of(s.span.text)
            repeats = bool(answer_figures) and answer_figures <= figures
            # Nor is a sentence that only holds figures a candidate next to a best one that gives the
            # number for the very unit asked for (or is the named document's own letterhead).
            weaker = best.counted and not s.counted
            other = s.fits and self.intent.figured and bool(figures - given) and not repeats and not weaker
            if completes or (other and s.score >= SECOND_CANDIDATE * best.score):
                chosen.append(s)
                covered |= keys_of(s.span.text, self.terms.folded)
                given |= evidence.numbers_of(s.span.text)
        return [Claim(s.span.text.strip(), ((s.paragraph, s.span),)) for s in chosen], None

    @functools.cached_property
    def _docs(self) -> dict[str, str]:
        """The document of each paragraph read."""
        return {p.id: p.doc_id for p, _, _ in self.read}

    def complete(self) -> Iterator[str]:
        """After generated sentences, the quoted ones holding figures they left out ("Nguyên văn: «...»").

        A small model shortens: asked how many classes were held for whom, it gives the classes and drops
        the people. The figures of the best quoted sentences that the generated text does not state are
        added verbatim, so that nothing the documents say on the point is lost; so is the best sentence
        when the generated text stands on none of its paragraph (the model answered from elsewhere) or,
        asked for a number, a name, a date or a code, gives none.
        """
        said = evidence.numbers_of(" ".join(c.text for c in self.claims))
        cited = {pid for c in self.claims for pid, _ in c.backing}
        # Asked for a number, a name, a date or a code, the model may write around it without giving one.
        answered = not self.intent.typed or any(evidence.satisfies(self.intent, c.text) for c in self.claims)
        quotes, items = self._quoted() if self.answerable else ([], None)
        if items is not None:
            return
        for i, quote in enumerate(quotes[:2]):
            missed = i == 0 and (quote.backing[0][0] not in cited or not answered)
            if missed or evidence.numbers_of(quote.text) - said:
                claim = Claim(f"Nguyên văn: «{quote.text}»", quote.backing)
                self.claims.append(claim)
                said |= evidence.numbers_of(quote.text)
                yield self._marked(claim)

    def _following(self, best: Scored) -> list[Scored]:
        """A sentence that announces a list ("... như sau:") brings the sentences after it."""
        if not best.span.text.rstrip().endswith(":"):
            return []
        after = [s for s in self.scored if s.paragraph == best.paragraph and s.span.start > best.span.start]
        return sorted(after, key=lambda s: s.span.start)[:4]

    def _announced(self, best: Scored) -> list[tuple[str, Span]] | None:
        """A best sentence that ends its paragraph announcing a list brings the paragraphs after it."""
        if not best.span.text.rstrip().endswith(":") or best.span.end < len(best.span.text.rstrip()):
            return None
        p, _ = self.index.paragraph(best.paragraph)
        if best.span.end < len(p.text.rstrip()):
            return None
        following = [q for q in self.index.document(p.doc_id).paragraphs if q.ordinal > p.ordinal]
        items: list[Paragraph] = []
        for q in following:
            if q.kind not in (*_PROSE, "heading") or q.section[: len(p.section)] != p.section:
                break
            items.append(q)
            if len(items) == MAX_LIST_ITEMS:
                break
        items = self._numbered_run(items) or items
        return [(p.id, best.span), *_items(items)] if len(items) >= 2 else None

    def _numbered_run(self, items: list[Paragraph]) -> list[Paragraph] | None:
        """An announced list that opens with a point numbered 1 ("Thứ nhất: ...") is its numbered points:
        the next numbers are looked for in the whole document, where a page printed out of order may have
        put them ("Thứ hai", "Thứ ba" a few pages before "Thứ nhất"), in the same section, the nearest
        after the point before first; the paragraphs between are not points."""
        first = numbering(items[0].text) if items else None
        if first is None or first[1] != (1,):
            return None
        style = first[0]
        points = [
            (q, numbering(q.text))
            for q in self.index.document(items[0].doc_id).paragraphs
            if q.kind in (*_PROSE, "heading") and q.section == items[0].section
        ]
        run = [items[0]]
        while len(run) < MAX_LIST_ITEMS:
            wanted = (style, (len(run) + 1,))
            found = [q for q, n in points if n == wanted]
            if not found:
                break
            after = [q for q in found if q.ordinal > run[-1].ordinal]
            run.append(after[0] if after else found[0] if len(found) == 1 else found[-1])
        return run if len(run) >= 2 else None

    def _list_items(self) -> list[tuple[str, Span]] | None:
        """The items of the section the top passages concentrate in, in document order.

        A section is scored by the hits it holds (the better ranked, the more) over the log of its size,
        so that a whole part of a report does not win over the sub-section the hits are about. In a long
        section, the list runs from the first hit on.
        """
        hits = self.hits[:5]
        candidates = {
            (h.paragraph.doc_id, h.paragraph.section[:d])
            for h in hits
            for d in range(1, len(h.paragraph.section) + 1)
        }
        scored: list[_Unit] = []
        hit_ids = {h.paragraph.id for h in hits}
        for doc_id, section in candidates:
            inner = [
                p for p in self.index.document(doc_id).paragraphs if p.section[: len(section)] == section
            ]
            heading = next((p.ordinal for p in inner if p.kind == "heading" and p.section == section), 0)
            # Paragraphs placed before their section's own heading are page fragments moved there by the
            # PDF's order: they count only where retrieval found them.
            members = [
                p
                for p in inner
                if p.kind in (*_PROSE, "heading")
                and not (p.kind == "heading" and p.section == section)
                and not SALUTATION.match(p.text)  # "Thưa các đồng chí!" in a speech is no item
                and (p.ordinal > heading or p.id in hit_ids)
            ]
            # The paragraphs standing in the section itself, before or between its sub-sections, are
            # a unit of their own: a part's opening forecast is not a list of the part's chapters.
            direct = [p for p in members if p.section == section]
            for unit in (members, direct) if 0 < len(direct) < len(members) else (members,):
                unit_ids = {m.id for m in unit}
                inside = [(rank, h) for rank, h in enumerate(hits) if h.paragraph.id in unit_ids]
                if len(unit) < 2 and not (unit and len(sentences(unit[0].text)) >= 3):
                    continue
                weight = sum(1.0 / (rank + 1) for rank, _ in inside) / math.log2(2 + len(unit))
                scored.append(_Unit(weight, unit, [h.paragraph.ordinal for _, h in inside], section))
        # A retrieved paragraph that lists inline (three or more sentences or ";" clauses) is a unit of
        # its own, weighed like a section of four: a speech states its points in one paragraph.
        for rank, h in enumerate(hits):
            if h.paragraph.kind in _PROSE and len(sentences(h.paragraph.text)) >= 3:
                scored.append(
                    _Unit(1.0 / (rank + 1) / math.log2(2 + 4), [h.paragraph], [h.paragraph.ordinal], None)
                )
        if not scored:
            return None
        chosen = max(scored, key=lambda u: u.weight)
        chosen = self._narrowed(scored, chosen) or chosen
        members, ordinals = chosen.members, chosen.hits
        # Points printed some as headings with paragraphs under them, some as one paragraph each: the
        # numbered ones are the items.
        members = _numbered_heads(members) or members
        if len(members) > MAX_LIST_ITEMS:
            members = [m for m in members if m.ordinal >= min(ordinals)]
        members = members + self._numbered_on(members)
        # A section made of sub-sections ("Thứ nhất, ...", "Thứ hai, ...", each with its paragraphs)
        # lists their headings: they are the items; the paragraphs under them explain each one.
        headings = [m for m in members if m.kind == "heading"]
        deepest = max((len(h.section) for h in headings), default=0)
        headings = [h for h in headings if len(h.section) == deepest]
        if len(headings) >= 3 and _siblings(headings):
            members = headings
        return _items(members)

    def _narrowed(self, scored: Sequence[_Unit], chosen: _Unit) -> _Unit | None:
        """The sub-section a question names better than its siblings, when the section chosen holds
        several ("Nguyên nhân của các hạn chế" asks for "2. Nguyên nhân ...", not for the whole "II. Hạn
        chế và nguyên nhân"): its heading must say as much of the question as the section's own does and
        clearly more than any sibling's, and retrieval must have found it."""
        section = chosen.section
        if not section or not chosen.members:
            return None

        def said(heading: str) -> float:
            return coverage(self.terms, keys_of(heading, self.terms.folded))

        paragraphs = self.index.document(chosen.members[0].doc_id).paragraphs
        subs = {p.section[-1] for p in paragraphs if p.section[:-1] == section}
        if len(subs) < 2:
            return None
        best = max(subs, key=said)
        if said(best) < said(section[-1]) or any(said(h) > said(best) - _CLEARLY for h in subs - {best}):
            return None
        return next((u for u in scored if u.section == (*section, best) and u.hits), None)

    def _numbered_on(self, members: list[Paragraph]) -> list[Paragraph]:
        """The items that carry on a numbered list past the page a PDF moved into it: after "3." come
        "4.", "5.", ... within the next paragraphs of the document, in whatever section they landed."""
        last = _numbered(members[-1].text) if members else None
        if last is None:
            return []
        number, style = last
        paragraphs = self.index.document(members[-1].doc_id).paragraphs
        after = [p for p in paragraphs if p.ordinal > members[-1].ordinal][:_CARRY_ON]
        found: list[Paragraph] = []
        for p in after:
            marked = _numbered(p.text)
            if marked == (number + 1, style):
                found.append(p)
                number += 1
            elif marked is not None and marked[1] == style and found:
                break  # the numbering starts again: another list
        return found[: MAX_LIST_ITEMS - len(members)]

    # -- generative --------------------------------------------------------------------------------

    def generate(self, generator: Generator, timeout: float) -> Iterator[str]:
        """Generated sentences, each shown once checked, with its citations numbered in order of use.

        A generation still running after `timeout` seconds is stopped (which frees the model for the
        next session) with a GeneratorError; the sentences already shown stay.
        """
        budget = min(generator.context_window - ANSWER_TOKENS, PROMPT_TOKENS)
        answering = [p for p in self.passages[:PROMPT_PASSAGES] if p.paragraph in self._answering]
        # The passage whose sentence best answers comes first: a small model leans on passage [1].
        rank = {pid: i for i, pid in enumerate(dict.fromkeys(s.paragraph for s in self._ranked))}
        answering.sort(key=lambda p: rank.get(p.paragraph, len(rank)))
        answering = [dataclasses.replace(p, n=n) for n, p in enumerate(answering, start=1)]
        shown = [self.shown(p) for p in answering]
        messages, _ = build_messages(self.query, shown, budget, generator.count_tokens)
        pieces = _until(generator.stream(messages, max_tokens=ANSWER_TOKENS), time.monotonic() + timeout)
        for sentence in sentences_of(pieces):
            if refused(sentence):
                continue
            claim = check(sentence, answering, self.vocabulary)
            if claim is None or any(c.text == claim.text for c in self.claims):
                continue
            self.claims.append(claim)
            yield self._marked(claim)

    @functools.cached_property
    def _ranked(self) -> list[Scored]:
        """The sentences in the order an extractive answer would take them: for a question asking for a
        kind of thing, those holding it first."""
        return sorted(self.scored, key=lambda s: not s.fits) if self.intent.typed else self.scored

    @functools.cached_property
    def _answering(self) -> set[str]:
        """The retrieved paragraphs that answer the question (see ON_TOPIC)."""
        best = self.scored[0].score if self.scored else 0.0
        if best <= 0:
            return {h.paragraph.id for h in self.hits}
        share = ON_TOPIC_TYPED if self.intent.typed else ON_TOPIC
        return {s.paragraph for s in self.scored if s.score >= share * best}

    # -- the answer --------------------------------------------------------------------------------

    def _marked(self, claim: Claim) -> str:
        for pid, _ in claim.backing:
            self._numbers.setdefault(pid, len(self._numbers) + 1)
        marks = "".join(f"[{self._numbers[pid]}]" for pid in dict.fromkeys(pid for pid, _ in claim.backing))
        return f"{claim.text} {marks}"

    def answer(self, asked: str, query: str, mode: str) -> Answer:
        """The answer record: the checked claims with their citations, or a refusal with related passages."""
        if not self.claims:
            related = tuple(
                self._citation(i, h.paragraph.id, _best_span(h.paragraph.text, self.terms))
                for i, h in enumerate(self.hits[:RELATED], start=1)
            )
            return Answer(asked, query, NOT_FOUND, True, mode, related=related)
        self._numbers.clear()
        lines = [self._marked(c) for c in self.claims]
        if self.items is None:
            text = " ".join(lines)
        else:  # a list: a sentence announcing it stays a lead line, the items are bulleted
            text = "\n".join(
                line if c.text.endswith(":") else f"- {line.lstrip('-+•* ')}"
                for c, line in zip(self.claims, lines, strict=True)
            )
        spans: dict[str, list[Span]] = {}
        for claim in self.claims:
            for pid, span in claim.backing:
                spans.setdefault(pid, []).append(span)
        citations = tuple(self._citation(n, pid, spans[pid][0]) for pid, n in self._numbers.items())
        return Answer(asked, query, text, False, mode, citations=citations)

    def _citation(self, n: int, pid: str, span: Span) -> Citation:
        p, d = self.index.paragraph(pid)
        return cite(p, d, n, span.text.strip())


def _until(pieces: Iterator[str], deadline: float) -> Iterator[str]:
    from assistant.generate import GeneratorError

    try:
        for piece in pieces:
            yield piece
            if time.monotonic() > deadline:
                raise GeneratorError("Mô hình sinh văn bản trả lời quá lâu nên đã bị dừng.")
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


def _siblings(headings: Sequence[Paragraph]) -> bool:
    """Whether headings are the items of one list: numbered alike ("1.", "2.") or opened alike
    ("Thứ nhất, ...", "Thứ hai, ...")."""
    marks = [_numbered(h.text) for h in headings]
    if all(marks):
        return len({m[1] for m in marks if m}) == 1
    return len({h.text.split()[0] for h in headings if h.text.split()}) == 1


def _numbered_heads(members: Sequence[Paragraph]) -> list[Paragraph] | None:
    """The numbered members ("1.", "2.", "3." ...) of a list whose other members are their explanations:
    some points printed as headings with paragraphs under them, others as one paragraph each."""
    heads = [(m, n) for m in members if (n := numbering(m.text)) is not None]
    if len(heads) < 3 or len(heads) == len(members) or not any(m.kind == "heading" for m, _ in heads):
        return None
    style = heads[0][1][0]
    if [n for _, n in heads] != [(style, (i,)) for i in range(1, len(heads) + 1)]:
        return None
    return [m for m, _ in heads]


def _numbered(text: str) -> tuple[int, str] | None:
    """A list item's number and the shape of its marker ("3." -> (3, "."), "(3)" -> (3, "()"))."""
    match = _NUMBER_MARK.match(text)
    if match is None:
        return None
    if match.group(1):
        return int(match.group(1)), "()"
    return int(match.group(2)), match.group(3).replace("–", "-")


def _items(members: Sequence[Paragraph]) -> list[tuple[str, Span]]:
    """A section as list items: each paragraph's first sentence, or the sentences of a lone paragraph.

    A bare number ("1.2.", "II.") is not an item: the sentence after it is.
    """
    worded = [(p.id, [s for s in sentences(p.text) if _WORDS.search(s.text)]) for p in members]
    if len(members) <= 2:
        spans = [(pid, s) for pid, found in worded for s in found]
    else:
        spans = [(pid, found[0]) for pid, found in worded if found]
    return spans[:MAX_LIST_ITEMS]


def _best_span(text: str, terms: Terms) -> Span:
    spans = sentences(text) or [Span(0, len(text), text)]
    return max(spans, key=lambda s: coverage(terms, keys_of(s.text, terms.folded)))
