"""The record the index hands to later stages: a ranked paragraph."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import Paragraph


@dataclass(frozen=True)
class Hit:
    """One retrieved paragraph with its fused score and the document it belongs to."""

    paragraph: Paragraph
    score: float
    document: str
    """The document's title."""
    ranks: dict[str, int] = field(default_factory=dict, compare=False)
    """Its rank in each retriever that found it (`dense`, `keyword`, ...), for inspection."""

    def as_dict(self) -> dict[str, object]:
        """The JSON shape shared by `vankien search --json` and the evaluation results."""
        p = self.paragraph
        return {
            "id": p.id,
            "score": round(self.score, 6),
            "text": p.text,
            "document": self.document,
            "section": " > ".join(p.section),
            "file": p.file,
            "lines": [p.lines[0], p.lines[1]],
            "page": p.page,
        }
