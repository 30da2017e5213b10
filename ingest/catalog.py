"""The paragraph catalogue: ingested documents and paragraphs in one SQLite file in the data folder.

Each file's documents are replaced in one transaction, so an interrupted ingest leaves either the
old or the new version of a file, never a mix or a duplicate.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from ingest.records import Document, FileResult, Paragraph

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (file TEXT PRIMARY KEY, path TEXT, sha256 TEXT);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, file TEXT, position INTEGER, title TEXT, kind TEXT, title_derived INTEGER,
    number TEXT, date TEXT, signer TEXT, speaker TEXT);
CREATE TABLE IF NOT EXISTS paragraphs (
    id TEXT PRIMARY KEY, doc_id TEXT, ordinal INTEGER, text TEXT, kind TEXT, section TEXT,
    file TEXT, first INTEGER, last INTEGER, page INTEGER, footnote INTEGER, note_of TEXT,
    continues_in TEXT);
CREATE INDEX IF NOT EXISTS paragraphs_doc ON paragraphs (doc_id, ordinal);
"""
_DOC_FIELDS = "id, file, title, kind, title_derived, number, date, signer, speaker"
_PARA_FIELDS = (
    "id, doc_id, text, kind, section, ordinal, file, first, last, page, footnote, note_of, continues_in"
)


class CatalogError(Exception):
    """A lookup that found nothing, or too much; the message is for the user."""


class Catalog:
    """Read and write the catalogue at `path` (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.executescript(_SCHEMA)
            with db:
                yield db
        finally:
            db.close()

    def save(self, result: FileResult) -> str:
        """Store one ingested file, replacing its earlier version: `new`, `unchanged` or `updated`."""
        with self._connect() as db:
            row = db.execute("SELECT sha256 FROM files WHERE file = ?", (result.file,)).fetchone()
            if row and row[0] == result.sha256:
                return "unchanged"
            self._delete(db, result.file)
            db.execute("INSERT INTO files VALUES (?, ?, ?)", (result.file, result.path, result.sha256))
            for position, doc in enumerate(result.documents):
                db.execute(
                    f"INSERT INTO documents ({_DOC_FIELDS}, position) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc.id,
                        doc.file,
                        doc.title,
                        doc.kind,
                        int(doc.title_derived),
                        doc.number,
                        doc.date,
                        doc.signer,
                        doc.speaker,
                        position,
                    ),
                )
                db.executemany(
                    f"INSERT INTO paragraphs ({_PARA_FIELDS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [_para_row(p) for p in doc.paragraphs],
                )
            return "updated" if row else "new"

    def remove(self, file: str) -> int:
        """Remove a file's documents; returns how many documents went."""
        with self._connect() as db:
            return self._delete(db, file)

    @staticmethod
    def _delete(db: sqlite3.Connection, file: str) -> int:
        count = db.execute("SELECT count(*) FROM documents WHERE file = ?", (file,)).fetchone()[0]
        db.execute("DELETE FROM paragraphs WHERE file = ?", (file,))
        db.execute("DELETE FROM documents WHERE file = ?", (file,))
        db.execute("DELETE FROM files WHERE file = ?", (file,))
        return int(count)

    def documents(self) -> list[tuple[Document, int]]:
        """Every document (without its paragraphs) with its paragraph count, in file order."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_DOC_FIELDS}, (SELECT count(*) FROM paragraphs p WHERE p.doc_id = d.id) "
                "FROM documents d ORDER BY file, position"
            ).fetchall()
        return [(_doc(row[:-1]), int(row[-1])) for row in rows]

    def document(self, ref: str) -> Document:
        """A document by id, or by a part of its title that only one title contains."""
        docs = [d for d, _ in self.documents()]
        exact = [d for d in docs if d.id == ref]
        wanted = _fold(ref)
        found = exact or [d for d in docs if wanted in _fold(d.title)]
        if not found:
            raise CatalogError(f"không có văn bản nào khớp với '{ref}'")
        if len(found) > 1:
            titles = "; ".join(f"{d.id} ({d.title[:50]})" for d in found)
            raise CatalogError(f"'{ref}' khớp với nhiều văn bản: {titles}")
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_PARA_FIELDS} FROM paragraphs WHERE doc_id = ? ORDER BY ordinal",
                (found[0].id,),
            ).fetchall()
        return Document(**{**asdict(found[0]), "paragraphs": tuple(_para(r) for r in rows)})

    def paragraph(self, pid: str) -> Paragraph:
        with self._connect() as db:
            row = db.execute(f"SELECT {_PARA_FIELDS} FROM paragraphs WHERE id = ?", (pid,)).fetchone()
        if row is None:
            raise CatalogError(f"không có đoạn văn nào có mã '{pid}'")
        return _para(row)

    def neighbours(self, paragraph: Paragraph, around: int = 1) -> list[Paragraph]:
        """The paragraphs just before and after one, in its document's order (itself included)."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_PARA_FIELDS} FROM paragraphs WHERE doc_id = ? AND ordinal BETWEEN ? AND ? "
                "ORDER BY ordinal",
                (paragraph.doc_id, paragraph.ordinal - around, paragraph.ordinal + around),
            ).fetchall()
        return [_para(r) for r in rows]

    def all_paragraphs(self) -> list[Paragraph]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_PARA_FIELDS} FROM paragraphs ORDER BY file, doc_id, ordinal"
            ).fetchall()
        return [_para(r) for r in rows]


def _fold(text: str) -> str:
    """Case- and accent-insensitive form, for matching a title typed any way."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _para_row(p: Paragraph) -> tuple[object, ...]:
    return (
        p.id,
        p.doc_id,
        p.text,
        p.kind,
        json.dumps(p.section, ensure_ascii=False),
        p.ordinal,
        p.file,
        p.lines[0],
        p.lines[1],
        p.page,
        p.footnote,
        p.note_of,
        p.continues_in,
    )


def _para(row: tuple[object, ...]) -> Paragraph:
    (
        pid,
        doc_id,
        text,
        kind,
        section,
        ordinal,
        file,
        first,
        last,
        page,
        footnote,
        note_of,
        continues_in,
    ) = row
    return Paragraph(
        id=str(pid),
        doc_id=str(doc_id),
        text=str(text),
        kind=str(kind),
        section=tuple(json.loads(str(section))),
        ordinal=int(str(ordinal)),
        file=str(file),
        lines=(int(str(first)), int(str(last))),
        page=None if page is None else int(str(page)),
        footnote=None if footnote is None else int(str(footnote)),
        note_of=None if note_of is None else str(note_of),
        continues_in=None if continues_in is None else str(continues_in),
    )


def _doc(row: tuple[object, ...]) -> Document:
    did, file, title, kind, derived, number, date, signer, speaker = row
    opt = [None if v is None else str(v) for v in (number, date, signer, speaker)]
    return Document(
        id=str(did),
        title=str(title),
        kind=str(kind),
        file=str(file),
        title_derived=bool(derived),
        number=opt[0],
        date=opt[1],
        signer=opt[2],
        speaker=opt[3],
    )
