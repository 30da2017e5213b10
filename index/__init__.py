"""Index: paragraphs -> Chroma (vectors) + BM25 (Vietnamese keywords), and hybrid search over both."""

from __future__ import annotations

import bisect
import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.records import Hit
from index.store import ParagraphStore, StoreError, connect
from ingest.records import Document, FileResult, Paragraph, UserError

if TYPE_CHECKING:
    from index.embed import Embedder
    from index.keywords import KeywordIndex
    from index.sections import Sections

__all__ = ["FileReport", "Hit", "Index", "IndexConfig", "IndexError_", "Reranker", "StoreError"]

Progress = Callable[[str, int, int], None]
Reranker = Callable[[str, list[Hit]], list[Hit]]
"""Re-orders candidate hits for a question (e.g. re-scoring with the embedder or the generator)."""
_BATCH = 32
SHORT, LEAD = 150, 120
"""A paragraph shorter than SHORT characters is indexed for keywords with the first LEAD characters
of the one before it. Measured (README): hit@5 0.891 -> 0.899, MRR 0.674 -> 0.683; the whole paragraph
before instead of its lead gave MRR 0.702 but hit@5 0.882 (and 0.874 with SHORT 250). The answerer reads
a short paragraph's sentences with the same lead around them (`lead`: the end of the paragraph before
instead, when the short one starts in lower case and so finishes its last sentence)."""
_KEYWORD_TEXT = "5"
"""Changes whenever what BM25 indexes changes, so that a saved keyword index is rebuilt."""


class IndexError_(UserError):
    """The index cannot do what was asked; the message is one Vietnamese sentence."""


@dataclass(frozen=True)
class IndexConfig:
    """Where the index lives and which embedder it uses (built from the settings by the caller)."""

    data_dir: Path
    embedder_path: Path
    embedder_name: str
    chroma_url: str | None = None
    cache_path: Path | None = None
    """Where document vectors are remembered between runs (None: no cache)."""
    embed_dtype: str = "auto"
    """float32, bfloat16, or auto (bfloat16 where the CPU computes it natively)."""


@dataclass(frozen=True)
class FileReport:
    """What indexing one file did."""

    file: str
    status: str
    """new, updated, unchanged or error."""
    documents: int = 0
    paragraphs: int = 0
    embedded: int = 0
    removed: int = 0
    error: str | None = None


@dataclass
class Index:
    """An open index: the vector store, the embedder (loaded on first use) and the keyword index."""

    config: IndexConfig
    embedder: Embedder | None = None
    _store: ParagraphStore | None = field(default=None, init=False)
    _keywords: KeywordIndex | None = field(default=None, init=False)
    _keywords_revision: int = field(default=-1, init=False)
    _sections: Sections | None = field(default=None, init=False)
    _items: dict[str, tuple[Paragraph, Document]] = field(default_factory=dict, init=False)
    _by_document: dict[str, list[Paragraph]] = field(default_factory=dict, init=False)
    """Each document's paragraphs in order, built with `_items`."""
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _documents: dict[str, Document] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        path = None if self.config.chroma_url else str(self.config.data_dir / "chroma")
        self.client = connect(path, self.config.chroma_url)

    @property
    def store(self) -> ParagraphStore:
        """The paragraph collection; the embedder is loaded only to create a new one (it needs the size)."""
        if self._store is None:
            from index.store import existing_dim

            dim = existing_dim(self.client)
            self._store = ParagraphStore(self.client, self.config.embedder_name, dim or self._embedder().dim)
        return self._store

    def _embedder(self) -> Embedder:
        if self.embedder is None:
            from index.embed import CachedEmbedder, load

            if not self.config.embedder_path.exists():
                raise IndexError_(
                    f"chưa có mô hình nhúng '{self.config.embedder_name}' tại {self.config.embedder_path}; "
                    "hãy chạy 'vankien models pull'"
                )
            model = load(self.config.embedder_path, self.config.embedder_name, self.config.embed_dtype)
            cache = self.config.cache_path
            self.embedder = CachedEmbedder(model, cache) if cache else model
        return self.embedder

    # -- writing ---------------------------------------------------------------------------------

    def add(self, results: Iterable[FileResult], progress: Progress | None = None) -> list[FileReport]:
        """Index ingested files: unchanged files cost nothing, changed ones have old paragraphs replaced."""
        reports = []
        with self._writing():
            stored = self.store.stored_files()
            for result in results:
                if result.error is not None:
                    reports.append(FileReport(result.file, "error", error=result.error))
                    continue
                before = stored.get(result.file)
                if before and before.sha256 == _version(result):
                    reports.append(
                        FileReport(result.file, "unchanged", len(result.documents), before.paragraphs)
                    )
                    continue
                reports.append(self._add_file(result, "updated" if before else "new", progress))
        return reports

    def _add_file(self, result: FileResult, status: str, progress: Progress | None) -> FileReport:
        items = [(p, d) for d in result.documents for p in d.paragraphs]
        present = self.store.ids({"file": result.file})
        fresh = [(p, d) for p, d in items if p.id not in present]
        kept = [(p, d) for p, d in items if p.id in present]
        embedder = self._embedder()
        for start in range(0, len(fresh), _BATCH):
            batch = fresh[start : start + _BATCH]
            vectors = embedder.embed_documents([p.text for p, _ in batch], [_title(p, d) for p, d in batch])
            self.store.upsert(batch, vectors.tolist())
            if progress:
                progress(result.file, start + len(batch), len(fresh))
        self.store.update_metadata(kept)
        stale = present - {p.id for p, _ in items}
        self.store.delete(stale)
        self.store.mark_file(result.file, _version(result), len(items))
        return FileReport(result.file, status, len(result.documents), len(items), len(fresh), len(stale))

    def remove(self, ref: str) -> tuple[str, int]:
        """Remove a file (by name) or the file holding a document (by id or title part)."""
        with self._writing():
            files = self.store.stored_files()
            if ref in files or Path(ref).name in files:
                name = ref if ref in files else Path(ref).name
            else:
                name = self.document(ref).file
            return name, self.store.forget_file(name)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time on an embedded store (a server serialises writes itself)."""
        if self.config.chroma_url:
            yield
            return
        import fcntl

        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.config.data_dir / "index.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexError_(
                    "một tiến trình khác đang ghi vào chỉ mục (đang nạp tài liệu ở nơi khác); hãy thử lại sau"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- reading ---------------------------------------------------------------------------------

    def documents(self) -> list[tuple[Document, int]]:
        """Every document with its paragraph count, in file order (kept by document: no paragraph scan)."""
        self._all()  # brings the snapshot up to date
        return [(self._documents[i], len(ps)) for i, ps in self._by_document.items()]

    def document(self, ref: str) -> Document:
        """A document with its paragraphs, by id or by a part of its title that only one title has."""
        from index.naming import resolve_document

        docs = [d for d, _ in self.documents()]
        try:
            doc = resolve_document(ref, docs)
        except LookupError as exc:
            raise IndexError_(str(exc)) from exc
        return Document(**{**doc.__dict__, "paragraphs": tuple(self._paragraphs_of(doc.id))})

    def paragraph(self, pid: str) -> tuple[Paragraph, Document]:
        item = self._all().get(pid)
        if item is None:
            raise IndexError_(f"không có đoạn văn nào có mã '{pid}'")
        return item

    def neighbours(self, paragraph: Paragraph, around: int = 1) -> list[Paragraph]:
        """The paragraphs just before and after one in its document (itself included)."""
        lo, hi = paragraph.ordinal - around, paragraph.ordinal + around
        paragraphs = self._paragraphs_of(paragraph.doc_id)
        start = bisect.bisect_left(paragraphs, lo, key=lambda p: p.ordinal)
        return list(itertools.takewhile(lambda p: p.ordinal <= hi, itertools.islice(paragraphs, start, None)))

    def _paragraphs_of(self, doc_id: str) -> list[Paragraph]:
        self._refresh()
        return self._by_document.get(doc_id, [])

    def _all(self) -> dict[str, tuple[Paragraph, Document]]:
        """Every paragraph, cached until the store's revision changes (another instance may write)."""
        self._refresh()
        return self._items

    def _indexed(self) -> bool:
        """Whether anything was ever indexed here (checked without creating the collection)."""
        from index.store import existing_dim

        return self._store is not None or existing_dim(self.client) is not None

    def _refresh(self) -> None:
        # Sessions of the app share one Index: one thread rebuilds after a write, the others wait for it
        # rather than racing it into the same temporary folder.
        with self._refresh_lock:
            self._refresh_now()

    def _refresh_now(self) -> None:
        if not self._indexed():
            self._items, self._documents, self._by_document = {}, {}, {}  # nothing indexed: no model needed
            return
        revision = self.store.revision()
        if revision == self._keywords_revision and self._keywords is not None:
            return
        from index.keywords import KeywordIndex

        items = self.store.all()
        self._items = {p.id: (p, d) for p, d in items}
        self._documents = {d.id: d for _, d in items}
        self._by_document = {}
        for p, d in items:  # the store gives them in document order
            self._by_document.setdefault(d.id, []).append(p)
        folder = self.config.data_dir / "keywords"
        stamp = folder / "revision"
        version = f"{revision}:{len(items)}:{_KEYWORD_TEXT}"
        if stamp.exists() and stamp.read_text().strip() == version:
            self._keywords = KeywordIndex.load(folder)
        else:
            pairs = itertools.pairwise(items)
            before = [None, *(p if p.doc_id == q.doc_id else None for (p, _), (q, _) in pairs)][: len(items)]
            self._keywords = KeywordIndex.build(
                [p.id for p, _ in items],
                [_keyword_text(p, d, b) for (p, d), b in zip(items, before, strict=True)],
            )
            if not self.config.chroma_url:
                self._keywords.save(folder)
                stamp.write_text(version)
        from index.sections import Sections

        self._sections = Sections.build(items)
        self._keywords_revision = revision

    def search(
        self,
        query: str,
        k: int = 10,
        doc: str | None = None,
        kinds: Sequence[str] | None = None,
        year: int | None = None,
        rankers: Sequence[str] = ("dense", "keyword", "section"),
        rerank: Reranker | None = None,
    ) -> list[Hit]:
        """Hybrid search: dense and keyword rankings fused, with documents named in the query first.

        `doc` keeps one document (id or unique title part), `kinds` paragraph kinds (body, list_item,
        heading, footnote, signature), `year` the documents dated in that year. `rankers` picks the
        rankings to fuse (dense, keyword, and section: whole sections whose heading the question
        repeats; for comparisons); `rerank`, when given, re-orders the fused candidates
        (the seam for a re-ranking stage; none is used by default: no offline cross-encoder exists).
        """
        from index.retrieve import hybrid

        items = self._all()
        if not items or not query.strip():
            return []
        allowed: set[str] | None = None
        if doc:
            target = self.document(doc)
            allowed = {p.id for p in target.paragraphs}
        if kinds:
            allowed = {i for i in (allowed or items) if items[i][0].kind in kinds}
        if year is not None:
            allowed = {i for i in (allowed or items) if (items[i][1].date or "")[:4] == str(year)}
        assert self._keywords is not None
        embedder = self._embedder() if "dense" in rankers else None
        depth = k if rerank is None else max(3 * k, 30)
        hits = hybrid(
            query,
            depth,
            items,
            self._documents,
            self.store,
            embedder,
            self._keywords,
            allowed,
            rankers,
            self._sections,
        )
        return (rerank(query, hits) if rerank else hits)[:k]

    def status(self) -> dict[str, Any]:
        docs = self.documents()
        size = sum(f.stat().st_size for f in self.config.data_dir.rglob("*") if f.is_file())
        empty = not self._indexed()
        return {
            "documents": len(docs),
            "paragraphs": 0 if empty else self.store.count(),
            "files": [] if empty else sorted(self.store.stored_files()),
            "embedder": self.config.embedder_name if empty else self.store.embedder,
            "dim": None if empty else self.store.dim,
            "store": self.config.chroma_url or str(self.config.data_dir / "chroma"),
            "size_bytes": size,
        }


def _version(result: FileResult) -> str:
    """A file counts as unchanged only if its bytes and the parsing code are both unchanged."""
    from ingest import PARSER_VERSION

    return f"{result.sha256}:{PARSER_VERSION}"


def _title(p: Paragraph, d: Document) -> str:
    """The context an embedding sees with a paragraph: its document and section."""
    parts = [d.title[:150]]
    if d.speaker:
        parts.append(d.speaker.split(",")[0])
    if p.section:
        parts.append(" > ".join(s[:80] for s in p.section[-2:]))
    return "; ".join(parts)


def lead(p: Paragraph, before: Paragraph | None) -> str:
    """What a short paragraph is read with: the opening of the paragraph before it, which it usually
    completes (`Thời gian hoàn thành: ...` after the task it dates), or, when it starts in lower case
    (it finishes that paragraph's last sentence, e.g. a figure after its page break), the end of it."""
    if before is None or len(p.text) >= SHORT:
        return ""
    return before.text[-LEAD:] if p.text[:1].islower() else before.text[:LEAD]


def _keyword_text(p: Paragraph, d: Document, before: Paragraph | None = None) -> str:
    """What BM25 indexes for a paragraph: its context, and for a short one what it is read with (`lead`)."""
    around = lead(p, before)
    return f"{_title(p, d)}\n{_identity(p, d)}{around}{chr(10) if around else ''}{p.text}"


def _identity(p: Paragraph, d: Document) -> str:
    """For the letterhead that states a document's number and date, those words said plainly, as a
    question about the document itself asks for them ("số hiệu", "ban hành ngày nào")."""
    if not d.number or d.number.replace(" ", "") not in p.text.replace(" ", ""):
        return ""
    day = "/".join(reversed(d.date.split("-"))) if d.date else ""
    dated = f", ban hành ngày {day}" if day else ""
    return f"Văn bản số hiệu {d.number}{dated}.\n"
