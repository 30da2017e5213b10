"""Records the assistant hands to the UI, the CLI and the evaluation: a citation and an answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ingest.records import Document, Paragraph

NOT_FOUND = "Không tìm thấy thông tin này trong tài liệu."


class TurnLike(Protocol):
    """One turn of a conversation (the evaluation's `Turn` and the UI's history both fit)."""

    @property
    def role(self) -> str: ...

    @property
    def content(self) -> str: ...


@dataclass(frozen=True)
class Turn:
    role: str
    """user or assistant."""
    content: str


@dataclass(frozen=True)
class Citation:
    """One cited paragraph: where it is, its full text, the span backing the claim, a reference to paste."""

    n: int
    id: str
    document: str
    section: str
    file: str
    lines: tuple[int, int]
    text: str
    support: str
    """The sentence or span of `text` that backs the claim (verbatim)."""
    reference: str
    """Copy-ready Vietnamese reference: document title, number and date, section, paragraph."""
    page: int | None = None
    ordinal: int = 0
    """The paragraph's number within its document (1-based)."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["lines"] = [self.lines[0], self.lines[1]]
        return out


@dataclass(frozen=True)
class Answer:
    """What the assistant says to one question; `answer` carries `[n]` markers into `citations`."""

    question: str
    standalone_question: str
    answer: str
    refused: bool
    mode: str
    """extractive or generative (the mode actually used: a failed generator falls back to extractive)."""
    citations: tuple[Citation, ...] = ()
    related: tuple[Citation, ...] = ()
    """Nearest passages shown with a refusal: possibly related, never counted as citations."""
    latency_ms: dict[str, float] = field(default_factory=dict)
    """{"retrieval": ..., "answer": ...}"""
    notice: str | None = None
    """A note for the user, e.g. that the generator failed and the extractive answer is shown."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.answer,
            "refused": self.refused,
            "mode": self.mode,
            "latency_ms": dict(self.latency_ms),
            "citations": [c.as_dict() for c in self.citations],
            "related": [c.as_dict() for c in self.related],
            "notice": self.notice,
        }


def cite(p: Paragraph, d: Document, n: int, support: str) -> Citation:
    """The citation of a paragraph of a document, numbered n, backed by `support` (a span of its text)."""
    return Citation(
        n=n,
        id=p.id,
        document=d.title,
        section=" > ".join(p.section),
        file=p.file,
        lines=p.lines,
        text=p.text,
        support=support,
        reference=reference(p, d),
        page=p.page,
        ordinal=p.ordinal,
    )


def reference(p: Paragraph, d: Document) -> str:
    """A reference a cadre can paste into a report: document, number and date, section, paragraph."""
    title = d.title if len(d.title) <= 160 else d.title[:157].rstrip() + "..."
    parts = [title]
    if d.number:
        parts.append(f"số {d.number}")
    if d.date:
        year, month, day = [*d.date.split("-"), "", ""][:3]
        parts.append(f"ngày {int(day)}/{int(month)}/{year}" if day and month else f"năm {year}")
    if p.section:
        parts.append(f"mục “{' > '.join(p.section)}”")
    parts.append(f"đoạn {p.ordinal}")
    where = f"tệp {p.file}, dòng {p.lines[0]}–{p.lines[1]}" + (f", trang {p.page}" if p.page else "")
    return f"{', '.join(parts)} ({where})."
