"""Hybrid ranking: dense and keyword results fused by weighted reciprocal rank, with the paragraphs of
a document that the question names ranked first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import TYPE_CHECKING

from index.naming import STRONG, WEAK, document_names
from index.records import Hit
from ingest.records import Document, Paragraph

if TYPE_CHECKING:
    from index.embed import Embedder
    from index.keywords import KeywordIndex
    from index.sections import Sections
    from index.store import ParagraphStore

# Reciprocal rank fusion. Keyword ranks weigh more than dense ones: on this kind of text (figures,
# document codes, fixed administrative phrases) BM25 is the stronger ranker. Measured on the project's
# question set (README): c=30 and a 0.7 dense weight beat plain RRF (c=60, equal weights). The section
# ranking (the sections a question asks for, see sections.py) is a keyword ranking and weighs as much;
# it is empty for most questions.
RANKERS = ("dense", "keyword", "section")
_RRF = 30
_WEIGHTS = {"dense": 0.7, "keyword": 1.0, "section": 1.0}
_BOOST = {STRONG: 2.0, WEAK: 1.2}
"""Score factors for paragraphs of a document the question names: clearly (its title's opening, number
or speaker: "Nghị quyết Đại hội", "chị Hồng") or by a pair of words only its title holds. A factor of 2
puts the named document's candidates first in most fusions; measured (README): strong 1.2 / 1.5 / 2 / 3
gave hit@5 0.840 / 0.857 / 0.866 / 0.849 with weak 1.2, and a weak factor of 1.0 lost 0.01."""


def hybrid(
    query: str,
    k: int,
    items: dict[str, tuple[Paragraph, Document]],
    documents: dict[str, Document],
    store: ParagraphStore,
    embedder: Embedder | None,
    keywords: KeywordIndex,
    allowed: Collection[str] | None = None,
    rankers: Collection[str] = RANKERS,
    sections: Sections | None = None,
) -> list[Hit]:
    """The k best paragraphs for a question, best first (`rankers` picks dense, keyword, section)."""
    depth = max(50, k)
    rankings: dict[str, list[str]] = {}
    if "dense" in rankers:
        if embedder is None:
            raise ValueError("dense ranking needs an embedder")
        vector = embedder.embed_query(query).tolist()
        rankings["dense"] = [i for i, _ in store.query(vector, depth * (1 if allowed is None else 4))]
    if "keyword" in rankers:
        rankings["keyword"] = [i for i, _ in keywords.search(query, depth, allowed=allowed)]
    named = document_names(query, list(documents.values())) if allowed is None else {}
    if "section" in rankers and sections is not None:
        clear = [documents[i] for i, s in named.items() if s == STRONG]
        rankings["section"] = sections.ranking(query, depth, allowed, clear)
    if allowed is not None:
        rankings = {name: [i for i in ids if i in allowed] for name, ids in rankings.items()}
    fused = _fuse(rankings)
    scores = {
        pid: score * (_BOOST[named[items[pid][1].id]] if pid in items and items[pid][1].id in named else 1.0)
        for pid, (score, _) in fused.items()
    }
    hits = []
    for pid in sorted(scores, key=lambda i: -scores[i]):
        if pid not in items:
            continue  # written by another instance after our snapshot: picked up on the next refresh
        paragraph, document = items[pid]
        hits.append(Hit(paragraph, scores[pid], document.title, fused[pid][1]))
        if len(hits) == k:
            break
    return hits


def _fuse(rankings: dict[str, list[str]]) -> dict[str, tuple[float, dict[str, int]]]:
    scores: dict[str, float] = defaultdict(float)
    ranks: dict[str, dict[str, int]] = defaultdict(dict)
    for name, ids in rankings.items():
        for rank, pid in enumerate(ids, start=1):
            scores[pid] += _WEIGHTS.get(name, 1.0) / (_RRF + rank)
            ranks[pid][name] = rank
    return {pid: (scores[pid], ranks[pid]) for pid in scores}
