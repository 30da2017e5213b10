"""The systems `vankien eval` can score, each built from settings behind one small function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.harness import Answerer, EvalError, System, retrieval_query
from eval.questions import Turn

if TYPE_CHECKING:
    from assistant.settings import Settings
    from index import Index

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


class _IndexRetrieval:
    """Our retrieval: the project's hybrid index, its hits put in the results.jsonl shape."""

    def __init__(self, index: Index) -> None:
        self._index = index

    def retrieve(self, question: str, history: Sequence[Turn], k: int) -> list[dict[str, Any]]:
        hits = self._index.search(retrieval_query(question, history), k=k)
        return [dict(hit.as_dict()) for hit in hits]


def retrieval_system(settings: Settings) -> System:
    """Our retrieval over the index that the settings point at (it must hold the documents)."""
    from index import Index, IndexError_, StoreError

    try:
        index = Index(settings.index_config())
        if index.store.count() == 0:
            raise EvalError("Chỉ mục đang trống: hãy nạp tài liệu trước (vankien ingest data/corpus).")
    except (IndexError_, StoreError) as exc:
        raise EvalError(str(exc)) from exc
    return _IndexRetrieval(index)


def answer_system(settings: Settings, mode: str) -> Answerer:
    """Our assistant in `extractive` or `generative` mode (the answerer issue plugs in here)."""
    raise EvalError(f"Chưa có bước trả lời ({mode}); hiện chỉ đánh giá được chế độ retrieval.")


def baseline_system(
    settings: Settings, corpus: Path = CORPUS, progress: Callable[[str], None] | None = None
) -> System:
    """llama-index's default pipeline on the corpus folder, with our embedder."""
    from eval.baseline import EMBEDDER, LlamaIndexBaseline

    try:
        return LlamaIndexBaseline(corpus, settings.models_dir / EMBEDDER, progress)
    except FileNotFoundError as exc:
        raise EvalError(str(exc)) from exc
