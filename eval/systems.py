"""The systems `vankien eval` can score, each built from settings behind one small function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.harness import Answerer, EvalError, System, retrieval_query
from eval.questions import Turn

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.settings import Settings
    from index import Index

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


class _Retrieval:
    """Our retrieval (the assistant's search over the hybrid index), hits in the results.jsonl shape."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def retrieve(self, question: str, history: Sequence[Turn], k: int) -> list[dict[str, Any]]:
        hits = self._assistant.search(retrieval_query(question, history), k=k)
        return [dict(hit.as_dict()) for hit in hits]


def retrieval_system(settings: Settings, index: Index | None = None) -> System:
    """Our retrieval over the index that the settings point at (it must hold the documents)."""
    return _Retrieval(_assistant(settings, index))


def _assistant(settings: Settings, index: Index | None = None) -> Assistant:
    from assistant import Assistant
    from index import Index, IndexError_, StoreError

    try:
        index = index or Index(settings.index_config())
        if index.store.count() == 0:
            raise EvalError("Chỉ mục đang trống: hãy nạp tài liệu trước (vankien ingest data/corpus).")
    except (IndexError_, StoreError) as exc:
        raise EvalError(str(exc)) from exc
    return Assistant(settings, index)


class _AssistantSystem(_Retrieval):
    """Our assistant: retrieval as in retrieval mode, answers from `assistant.Assistant` in one mode."""

    def __init__(self, assistant: Assistant, mode: str) -> None:
        super().__init__(assistant)
        self._mode = mode

    def answer(self, question: str, history: Sequence[Turn]) -> dict[str, Any]:
        result = self._assistant.ask(question, history, self._mode).as_dict()
        result["standalone_question"] = result.get("standalone_question")
        return result


def answer_system(settings: Settings, mode: str) -> Answerer:
    """Our assistant in `extractive` or `generative` mode, over the index the settings point at."""
    assistant = _assistant(settings)
    if mode == "generative" and "generative" not in assistant.modes():
        raise EvalError(
            "Không mở được mô hình sinh văn bản: hãy chạy 'vankien models pull' hoặc cấu hình máy chủ."
        )
    return _AssistantSystem(assistant, mode)


def baseline_system(
    settings: Settings, corpus: Path = CORPUS, progress: Callable[[str], None] | None = None
) -> System:
    """llama-index's default pipeline on the corpus folder, with our embedder."""
    from eval.baseline import EMBEDDER, LlamaIndexBaseline

    try:
        return LlamaIndexBaseline(corpus, settings.models_dir / EMBEDDER, progress)
    except FileNotFoundError as exc:
        raise EvalError(str(exc)) from exc
