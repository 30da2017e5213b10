"""Documents named by the user: by id or title part (`--doc`), or inside a question."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

from index.keywords import fold as strip_marks
from ingest.records import Document

_WORD = re.compile(r"\w+")
# Words that every title shares: they name no document in particular.
_GENERIC = {"cua", "ve", "va", "trinh", "tai", "cac", "so", "lan", "thu", "nhiem", "ky"}


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d), white space collapsed: how chat users type."""
    return " ".join(strip_marks(text.lower()).split())


def resolve_document(ref: str, documents: Sequence[Document]) -> Document:
    """A document by id, or by a part of its title (or number) that only one document has."""
    exact = [d for d in documents if d.id == ref]
    if exact:
        return exact[0]
    wanted = fold(ref)
    found = [d for d in documents if wanted in fold(f"{d.title} {d.number or ''}")]
    if not found:
        raise LookupError(f"không có văn bản nào khớp với '{ref}'")
    if len(found) > 1:
        names = "; ".join(f"{d.id} ({d.title[:50]})" for d in found)
        raise LookupError(f"'{ref}' khớp với nhiều văn bản: {names}")
    return found[0]


def _tokens(text: str) -> list[str]:
    return [t for t in _WORD.findall(fold(text)) if t not in _GENERIC]


def _aliases(doc: Document) -> list[str]:
    return _tokens(f"{doc.title} {doc.number or ''} {doc.speaker or ''}")


def named_documents(query: str, documents: Sequence[Document]) -> list[str]:
    """Ids of the documents a question names ("theo Nghị quyết Đại hội", "báo cáo Chỉ thị 05", ...).

    A document is named when the question holds the opening words of its title and no other title
    opens the same way, or a word pair (`chỉ thị 05`, `thi đua`, `trung ương 4`) that appears in its
    title (or number, or speaker) and in no other document's.
    """
    q = fold(query)
    q_pairs = set(zip(_WORD.findall(q), _WORD.findall(q)[1:], strict=False))
    aliases = {d.id: _aliases(d) for d in documents}
    heads = Counter(" ".join(a[:4]) for a in aliases.values())
    pair_count: Counter[tuple[str, str]] = Counter()
    for tokens in aliases.values():
        pair_count.update(set(itertools.pairwise(tokens)))
    named = []
    for doc_id, tokens in aliases.items():
        head = " ".join(tokens[:4])
        pairs = set(itertools.pairwise(tokens))
        own_pairs = {p for p in pairs if pair_count[p] == 1} & q_pairs
        if (heads[head] == 1 and head and head in q) or own_pairs:
            named.append(doc_id)
    return named if len(named) < len(documents) else []
