"""The one seam for storing vectors: Chroma, embedded in the data folder or as a server.

Chroma is the single source of truth: each paragraph is stored with its text, its vector and all of
its provenance and document metadata, so that the document list, the keyword index and any other
app instance sharing a Chroma server can be rebuilt from it alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import chromadb
from chromadb import Documents, EmbeddingFunction, Embeddings

from ingest.records import Document, Paragraph, UserError

PARAGRAPHS = "paragraphs"
_PAGE = 5000
FILES = "files"


class StoreError(UserError):
    """The store cannot be used as asked; the message is one Vietnamese sentence."""


class _NoEmbedding(EmbeddingFunction[Documents]):
    """Chroma's default embedding function downloads a model: vankien always brings its vectors."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        raise StoreError("vankien luôn tự tính vector; Chroma không được tự nhúng văn bản")

    @staticmethod
    def name() -> str:
        return "vankien-no-embedding"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _NoEmbedding:
        return _NoEmbedding()


@dataclass(frozen=True)
class StoredFile:
    file: str
    sha256: str
    paragraphs: int


def connect(path: str | None, url: str | None) -> Any:
    """A Chroma client: a server at `url` (http://host:port) when given, else embedded at `path`."""
    if url:
        from urllib.parse import urlparse

        parsed = urlparse(url)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreError(f"không kết nối được máy chủ Chroma tại {url}: {exc}") from exc
        return client
    if not path:
        raise StoreError("chưa cấu hình nơi lưu chỉ mục")
    return chromadb.PersistentClient(path=path)


def existing_dim(client: Any) -> int | None:
    """The vector size of an existing paragraph collection, or None when there is none yet."""
    try:
        collection = client.get_collection(PARAGRAPHS, embedding_function=_NoEmbedding())
    except Exception:
        return None
    dim = (collection.metadata or {}).get("dim")
    return int(dim) if dim is not None else None


class ParagraphStore:
    """Paragraph vectors with their metadata, for one embedding model."""

    def __init__(self, client: Any, embedder: str, dim: int) -> None:
        self.client = client
        self.embedder = embedder
        self.dim = dim
        no_embedding = _NoEmbedding()
        self.paragraphs = client.get_or_create_collection(
            PARAGRAPHS,
            embedding_function=no_embedding,
            configuration={"hnsw": {"space": "cosine", "ef_construction": 200, "ef_search": 200}},
            metadata={"embedder": embedder, "dim": dim, "revision": 0},
        )
        meta = self.paragraphs.metadata or {}
        if meta.get("embedder") != embedder or int(meta.get("dim", dim)) != dim:
            raise StoreError(
                f"chỉ mục hiện có được tạo bằng mô hình '{meta.get('embedder')}' ({meta.get('dim')} chiều), "
                f"không phải '{embedder}' ({dim} chiều); hãy dùng lại mô hình cũ, "
                "hoặc dùng một thư mục dữ liệu khác (VANKIEN_DATA_DIR) rồi nạp lại tài liệu"
            )
        self.files = client.get_or_create_collection(FILES, embedding_function=no_embedding)

    def revision(self) -> int:
        """A number that changes whenever the stored paragraphs change (shared by all instances)."""
        fresh = self.client.get_collection(PARAGRAPHS, embedding_function=_NoEmbedding())
        return int((fresh.metadata or {}).get("revision", 0))

    def _bump(self) -> None:
        meta = dict(self.client.get_collection(PARAGRAPHS, embedding_function=_NoEmbedding()).metadata or {})
        meta["revision"] = int(meta.get("revision", 0)) + 1
        self.paragraphs.modify(metadata=meta)

    def stored_files(self) -> dict[str, StoredFile]:
        got = self.files.get(include=["metadatas"])
        return {
            m["file"]: StoredFile(m["file"], m["sha256"], int(m["paragraphs"]))
            for m in got["metadatas"] or []
        }

    def ids(self, where: dict[str, Any] | None = None) -> set[str]:
        return {i for page in self._pages(where, []) for i in page["ids"]}

    def _pages(self, where: dict[str, Any] | None, include: list[str]) -> Iterator[dict[str, Any]]:
        """The collection read in pages: one read of more than ~32k rows overflows Chroma's SQLite."""
        offset = 0
        while True:
            page = self.paragraphs.get(where=where, include=include, limit=_PAGE, offset=offset)
            yield page
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def upsert(self, items: Sequence[tuple[Paragraph, Document]], vectors: Sequence[Sequence[float]]) -> None:
        """Store paragraphs with their vectors (same ids are overwritten, never duplicated)."""
        if not items:
            return
        self.paragraphs.upsert(
            ids=[p.id for p, _ in items],
            embeddings=[list(map(float, v)) for v in vectors],
            documents=[p.text for p, _ in items],
            metadatas=[_metadata(p, d) for p, d in items],
        )

    def update_metadata(self, items: Sequence[tuple[Paragraph, Document]]) -> None:
        """Refresh provenance of paragraphs whose text (and so vector) did not change."""
        if items:
            self.paragraphs.update(
                ids=[p.id for p, _ in items], metadatas=[_metadata(p, d) for p, d in items]
            )

    def delete(self, ids: Iterable[str]) -> None:
        batch = list(ids)
        for start in range(0, len(batch), 1000):
            self.paragraphs.delete(ids=batch[start : start + 1000])

    def mark_file(self, file: str, sha256: str, paragraphs: int) -> None:
        """Record a file as completely indexed: written last, so a killed ingest is redone next time."""
        meta = {"file": file, "sha256": sha256, "paragraphs": paragraphs}
        self.files.upsert(ids=[file], embeddings=[[1.0]], metadatas=[meta])
        self._bump()

    def forget_file(self, file: str) -> int:
        """Remove a file's paragraphs and its record; returns how many paragraphs went."""
        ids = self.ids({"file": file})
        self.delete(ids)
        self.files.delete(ids=[file])
        self._bump()
        return len(ids)

    def query(
        self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest paragraphs as (id, cosine similarity), best first."""
        count = self.paragraphs.count()
        if count == 0:
            return []
        got = self.paragraphs.query(
            query_embeddings=[list(map(float, vector))],
            n_results=min(k, count),
            where=where,
            include=["distances"],
        )
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def all(self, where: dict[str, Any] | None = None) -> list[tuple[Paragraph, Document]]:
        """Every stored paragraph with its document, in document order."""
        items = [
            _records(i, t, m)
            for page in self._pages(where, ["documents", "metadatas"])
            for i, t, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        ]
        return sorted(items, key=lambda pd: (pd[0].file, pd[1].id, pd[0].ordinal))

    def count(self) -> int:
        return int(self.paragraphs.count())


def _metadata(p: Paragraph, d: Document) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": d.id,
        "doc_title": d.title,
        "doc_kind": d.kind,
        "doc_title_derived": d.title_derived,
        "file": p.file,
        "ordinal": p.ordinal,
        "kind": p.kind,
        "section": json.dumps(list(p.section), ensure_ascii=False),
        "first": p.lines[0],
        "last": p.lines[1],
    }
    optional = {
        "doc_number": d.number,
        "doc_date": d.date,
        "doc_year": int(d.date[:4]) if d.date else None,
        "doc_signer": d.signer,
        "doc_speaker": d.speaker,
        "page": p.page,
        "footnote": p.footnote,
        "note_of": p.note_of,
        "continues_in": p.continues_in,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta


def _records(pid: str, text: str, m: dict[str, Any]) -> tuple[Paragraph, Document]:
    paragraph = Paragraph(
        id=pid,
        doc_id=m["doc_id"],
        text=text,
        kind=m["kind"],
        section=tuple(json.loads(m["section"])),
        ordinal=int(m["ordinal"]),
        file=m["file"],
        lines=(int(m["first"]), int(m["last"])),
        page=m.get("page"),
        footnote=m.get("footnote"),
        note_of=m.get("note_of"),
        continues_in=m.get("continues_in"),
    )
    document = Document(
        id=m["doc_id"],
        title=m["doc_title"],
        kind=m["doc_kind"],
        file=m["file"],
        title_derived=bool(m.get("doc_title_derived")),
        number=m.get("doc_number"),
        date=m.get("doc_date"),
        signer=m.get("doc_signer"),
        speaker=m.get("doc_speaker"),
    )
    return paragraph, document
