"""The llama-index default pipeline, as a system to score beside ours (`--baseline llamaindex`).

Nothing of it is tuned: SimpleDirectoryReader on the corpus folder, the default SentenceSplitter
(1024 tokens, 200 overlap), an in-memory VectorStoreIndex, with the same embedder as ours.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.harness import retrieval_query
from eval.questions import Turn

EMBEDDER = "embeddinggemma-300m"
# EmbeddingGemma's retrieval prompts, as its model card gives them.
QUERY_PROMPT = "task: search result | query: "
TEXT_PROMPT = "title: none | text: "


class LlamaIndexBaseline:
    """Retrieve chunks of the corpus the way a llama-index tutorial would, mapped to source lines."""

    def __init__(self, corpus: Path, model_dir: Path, progress: Callable[[str], None] | None = None) -> None:
        # Offline first: loading must never wait for a hub that a closed network does not have.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        if not model_dir.is_dir():
            raise FileNotFoundError(f"Chưa có mô hình nhúng {model_dir.name} (dùng: vankien models pull).")
        Settings.llm = None
        if progress:
            progress("đọc và cắt kho văn bản")
        documents = SimpleDirectoryReader(input_dir=str(corpus), recursive=True).load_data()
        self._sources = {d.doc_id: d.text for d in documents}
        nodes = SentenceSplitter().get_nodes_from_documents(documents)
        embedder = HuggingFaceEmbedding(
            model_name=str(model_dir),
            query_instruction=QUERY_PROMPT,
            text_instruction=TEXT_PROMPT,
            device="cpu",
        )
        if progress:
            progress(f"nhúng {len(nodes)} đoạn cắt")
        self.index = VectorStoreIndex(nodes, embed_model=embedder)
        self.chunks = len(nodes)

    def retrieve(self, question: str, history: Sequence[Turn], k: int) -> list[dict[str, Any]]:
        """The top k chunks, searched for as our retrieval is (a follow-up with its previous turn)."""
        found = self.index.as_retriever(similarity_top_k=k).retrieve(retrieval_query(question, history))
        return [self._item(n.node) for n in found]

    def _item(self, node: Any) -> dict[str, Any]:
        text = node.get_content()
        source = self._sources.get(node.ref_doc_id or "", "")
        return {
            "id": node.node_id,
            "text": text,
            "document": node.metadata.get("file_name", ""),
            "lines": list(line_span(source, text, node.start_char_idx, node.end_char_idx)),
        }


def line_span(source: str, chunk: str, start: int | None, end: int | None) -> tuple[int, int]:
    """The 1-based first and last source lines of a chunk, from its offsets or else by finding it."""
    if start is None or end is None or source[start:end] != chunk:
        found = source.find(chunk)
        if found < 0:
            return (0, 0)
        start, end = found, found + len(chunk)
    first = source.count("\n", 0, start) + 1
    return (first, first + source.count("\n", start, max(start, end - 1)))
