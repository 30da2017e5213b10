"""Benchmark: the index's speed targets on the bundled corpus, in a fresh temporary data folder.

- ingest + embed + store the corpus with the embedding cache disabled (target < 120 s);
- re-ingest it unchanged (target < 5 s);
- warm query latency over the question set (target p50 < 150 ms), split into query embedding, Chroma
  query and BM25, timed piece by piece outside `Index.search`.

Run: .venv/bin/python scripts/bench_index.py [--cache] [--limit N] [--compare-precision] [--torch-threads N]
`--cache` uses the machine's embedding cache (fast re-runs; the ingest figure is then not the target's);
`--compare-precision` also embeds the corpus in float32 and in bfloat16 and compares the vectors.
"""

from __future__ import annotations

import os

# As the serving process does: one BLAS thread (set before numpy is imported).
os.environ["OPENBLAS_NUM_THREADS"] = "1"
# As the embedder sets before torch is first imported (here torch comes in earlier, through benchlib's
# thread setting): busy-waiting OpenMP threads make one query embedding take seconds on a busy machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import copy
import dataclasses
import statistics
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
from benchlib import Table, add_common_options, load_avg, log, one_min, pct, set_threads, timed

from assistant.settings import Settings
from eval.questions import load_questions
from index import Index, _title
from index.embed import SentenceTransformerEmbedder, load
from ingest import load as ingest_load
from ingest.records import Document, FileResult, Paragraph

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def items_of(results: Sequence[FileResult]) -> list[tuple[Paragraph, Document]]:
    return [(p, d) for r in results for d in r.documents for p in d.paragraphs]


def compare_precision(folder: Path, name: str, results: Sequence[FileResult], table: Table) -> None:
    """Embed the corpus paragraphs with the model in float32 and in bfloat16; time both, compare vectors."""
    import torch
    from sentence_transformers import SentenceTransformer

    items = items_of(results)
    texts = [p.text for p, _ in items]
    titles = [_title(p, d) for p, d in items]
    fp32 = load(folder, name)
    fp32.embed_documents(texts[:4], titles[:4])  # warm-up
    v32, s32 = timed(lambda: fp32.embed_documents(texts, titles))
    table.add(
        f"float32: embed {len(texts)} paragraphs",
        f"{s32:.1f} s ({len(texts) / s32:.1f} par/s)",
        "",
        one_min(),
    )

    bf16: SentenceTransformerEmbedder = copy.copy(fp32)
    bf16.model = SentenceTransformer(str(folder), device="cpu", model_kwargs={"torch_dtype": torch.bfloat16})
    table.add("bf16 model parameter dtype (check)", str(next(bf16.model.parameters()).dtype))
    bf16.embed_documents(texts[:4], titles[:4])
    v16, s16 = timed(lambda: bf16.embed_documents(texts, titles))
    table.add(
        f"bfloat16: embed {len(texts)} paragraphs",
        f"{s16:.1f} s ({len(texts) / s16:.1f} par/s)",
        "",
        one_min(),
    )
    table.add("bf16 speed-up over fp32", f"x{s32 / s16:.2f}")
    cos = np.sum(v32 * v16, axis=1) / (np.linalg.norm(v32, axis=1) * np.linalg.norm(v16, axis=1))
    table.add("cosine(fp32, bf16) mean / min", f"{cos.mean():.5f} / {cos.min():.5f}")

    questions = [q.question for q in load_questions()][:40]
    q32 = np.stack([fp32.embed_query(q) for q in questions])
    q16 = np.stack([bf16.embed_query(q) for q in questions])
    t32 = [timed(partial(fp32.embed_query, q))[1] for q in questions]
    t16 = [timed(partial(bf16.embed_query, q))[1] for q in questions]
    table.add("query embed p50 fp32 / bf16", f"{pct(t32, 50) * 1000:.0f} / {pct(t16, 50) * 1000:.0f} ms")
    # Does the ranking change? top-10 paragraphs by cosine for each question, fp32 vs bf16.
    overlap = []
    for a, b in zip(q32 @ v32.T, q16 @ v16.T, strict=True):
        top_a, top_b = set(np.argsort(-a)[:10]), set(np.argsort(-b)[:10])
        overlap.append(len(top_a & top_b) / 10)
    table.add(f"dense top-10 overlap fp32 vs bf16 ({len(questions)} q)", f"{statistics.mean(overlap):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", action="store_true", help="use the machine's embedding cache")
    parser.add_argument("--compare-precision", action="store_true", help="also compare float32 and bfloat16")
    add_common_options(parser)
    args = parser.parse_args()

    print(f"start load {load_avg()}; {set_threads(args.torch_threads)}")
    base = Settings().index_config()
    table = Table()
    with tempfile.TemporaryDirectory(prefix="vankien-bench-") as tmp:
        config = dataclasses.replace(
            base, data_dir=Path(tmp), chroma_url=None, cache_path=base.cache_path if args.cache else None
        )
        index = Index(config)
        _, load_s = timed(index._embedder)
        table.add("model load (once per process)", f"{load_s:.1f} s", "", one_min())

        log("model loaded; ingesting")
        results, parse_s = timed(lambda: ingest_load([CORPUS]))
        paragraphs = sum(r.paragraph_count for r in results)
        reports, add_s = timed(lambda: index.add(results))
        embedded = sum(r.embedded for r in reports)
        total = parse_s + add_s
        cache = "cache ON (figure not the target's)" if args.cache else "cache off"
        table.add(f"ingest: parse {paragraphs} paragraphs", f"{parse_s:.2f} s", "", one_min())
        table.add(
            f"ingest: embed+store {embedded} paragraphs, {cache}",
            f"{add_s:.1f} s ({embedded / add_s:.1f} par/s)",
            "",
            one_min(),
        )
        table.add(
            "ingest total (parse + embed + store)", f"{total:.1f} s", f"< 120 s: {verdict(total < 120)}"
        )

        def reingest() -> None:
            again = Index(config)
            again.add(ingest_load([CORPUS]))

        log("ingested; re-ingesting")
        _, re_s = timed(reingest)
        table.add(
            "re-ingest unchanged (new Index, parse + add)",
            f"{re_s:.2f} s",
            f"< 5 s: {verdict(re_s < 5)}",
            one_min(),
        )

        log("querying")
        questions = [q.question for q in load_questions()]
        if args.limit:
            questions = questions[: args.limit]
        _, first_s = timed(lambda: index.search(questions[0]))  # builds the keyword index (first query)
        table.add("first query (store.all + BM25 build + save)", f"{first_s * 1000:.0f} ms", "", one_min())
        for q in questions[:3]:
            index.search(q)
        latencies = [timed(partial(index.search, q, k=10))[1] for q in questions]
        p50, p95 = pct(latencies, 50), pct(latencies, 95)
        table.add(
            f"warm Index.search p50 ({len(questions)} questions, k=10)",
            f"{p50 * 1000:.0f} ms",
            f"< 150 ms: {verdict(p50 < 0.150)}",
            one_min(),
        )
        table.add("warm Index.search p95 / max", f"{p95 * 1000:.0f} / {max(latencies) * 1000:.0f} ms")

        # The pieces, as `hybrid` calls them (depth 50 for k=10).
        embedder, store, keywords = index._embedder(), index.store, index._keywords
        assert keywords is not None
        pieces: dict[str, list[float]] = {
            "query embedding": [],
            "Chroma query (50)": [],
            "BM25 search (50)": [],
        }
        pieces["revision check (store.revision)"] = []
        for q in questions:
            vector, s = timed(partial(embedder.embed_query, q))
            pieces["query embedding"].append(s)
            pieces["Chroma query (50)"].append(timed(partial(store.query, vector.tolist(), 50))[1])
            pieces["BM25 search (50)"].append(timed(partial(keywords.search, q, 50))[1])
            pieces["revision check (store.revision)"].append(timed(store.revision)[1])
        for name, values in pieces.items():
            table.add(
                f"  {name} p50 / p95", f"{pct(values, 50) * 1000:.1f} / {pct(values, 95) * 1000:.1f} ms"
            )
        rest = p50 - sum(pct(v, 50) for v in pieces.values())
        table.add("  rest of search (fusion, naming, ...) ~", f"{rest * 1000:.1f} ms", "", one_min())

        if args.compare_precision:
            log("comparing float32 and bfloat16")
            compare_precision(config.embedder_path, config.embedder_name, results, table)

    table.print()
    print(f"end load {load_avg()}")


if __name__ == "__main__":
    main()
