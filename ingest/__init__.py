"""Ingestion: files -> documents of clean, citable paragraphs with exact provenance."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from ingest.readers import ReadError, read
from ingest.records import Document, FileResult, Paragraph
from ingest.structure import build

__all__ = ["PARSER_VERSION", "Document", "FileResult", "Paragraph", "expand", "load", "load_file"]

PARSER_VERSION = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))
).hexdigest()[:12]
"""Changes whenever the parsing code does, so that an index made by older code is refreshed."""


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the files inside folders named (sorted, recursively; hidden ones left out).

    Unsupported files inside a folder are kept, so that the summary can say why each was refused.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = (p for p in path.rglob("*") if p.is_file())
            visible = (p for p in inside if not any(x.startswith(".") for x in p.relative_to(path).parts))
            files.extend(sorted(visible))
        else:
            files.append(path)
    return files


def load_file(path: Path, max_bytes: int = 50_000_000) -> FileResult:
    """Ingest one file; a file that cannot be read gives a result with its one-line error."""
    if not path.is_file():
        return FileResult(path.name, str(path), "", error="không tìm thấy tệp")
    try:
        source = read(path, max_bytes)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        documents, warnings = build(source)
    except ReadError as exc:
        return FileResult(path.name, str(path), "", error=str(exc))
    except (OSError, UnicodeError) as exc:
        return FileResult(path.name, str(path), "", error=f"không đọc được tệp ({type(exc).__name__})")
    except Exception as exc:  # a parser library failing on odd input must not stop the other files
        return FileResult(
            path.name, str(path), "", error=f"tệp hỏng hoặc không xử lý được ({type(exc).__name__})"
        )
    if not documents:
        return FileResult(path.name, str(path), sha, error="không tìm thấy đoạn văn nào trong tệp")
    return FileResult(path.name, str(path), sha, tuple(documents), tuple(warnings))


def load(
    paths: Iterable[Path],
    max_bytes: int = 50_000_000,
    progress: Callable[[Path], None] | None = None,
) -> list[FileResult]:
    """Ingest files and folders: one result per file, in order; failures do not stop the rest."""
    results = []
    for path in expand(paths):
        if progress:
            progress(path)
        results.append(load_file(path, max_bytes))
    return results
