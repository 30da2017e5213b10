"""Records that cross stage boundaries: a document and its paragraphs, with exact provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


class UserError(RuntimeError):
    """An error whose message is one sentence for the user (Vietnamese): shown without a traceback."""


def content_id(*parts: str, length: int = 16) -> str:
    """A short, stable hash of the given strings: the same content always gets the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


@dataclass(frozen=True)
class Paragraph:
    """One citable paragraph of a document, with where it came from."""

    id: str
    doc_id: str
    text: str
    kind: str
    """body, heading, list_item, footnote or signature."""
    section: tuple[str, ...]
    ordinal: int
    file: str
    lines: tuple[int, int]
    page: int | None = None
    footnote: int | None = None
    """For a footnote: its number."""
    note_of: str | None = None
    """For a footnote: the id of the paragraph holding its marker `(n)`."""
    continues_in: str | None = None
    """The id of a distant paragraph that continues this one (a page fragment out of order)."""


@dataclass(frozen=True)
class Document:
    """One document found in a source file (a file may hold several)."""

    id: str
    title: str
    kind: str
    """speech, report, resolution, programme or other."""
    file: str
    title_derived: bool = False
    number: str | None = None
    date: str | None = None
    signer: str | None = None
    speaker: str | None = None
    paragraphs: tuple[Paragraph, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class FileResult:
    """What ingesting one file gave: its documents, or the one reason it failed."""

    file: str
    path: str
    sha256: str
    documents: tuple[Document, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None

    @property
    def paragraph_count(self) -> int:
        return sum(len(d.paragraphs) for d in self.documents)
