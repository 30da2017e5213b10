"""Benchmark: search cost on a synthetic collection of N paragraphs (default 100,000); not quality.

Texts recombine 2-4 random sentences of the real corpus paragraphs (seeded); each vector is a normalised
random mixture of 2-3 real corpus vectors plus small Gaussian noise (the real vectors come from the
machine's embedding cache, computed once). The paragraphs go into a Chroma collection in a temporary
folder through `ParagraphStore.upsert`, the BM25 index is built over their texts, and each question of
the question set is searched with `index.retrieve.hybrid` and a real query embedding. Target: p50 < 400 ms.

Run: .venv/bin/python scripts/bench_scale.py [--n 100000] [--limit N] [--keep DIR] [--torch-threads N]
(a full run takes several minutes: start it with nohup, a shell command is limited to 10 minutes).
"""

from __future__ import annotations

import os

# As the serving process does: one BLAS thread (set before numpy is imported).
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import dataclasses
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
from benchlib import Table, add_common_options, load_avg, log, one_min, pct, peak_mb, set_threads, timed

from assistant.settings import Settings
from eval.questions import load_questions
from index import Index, _keyword_text, _title
from index.embed import CachedEmbedder, Vectors, load
from index.keywords import KeywordIndex
from index.naming import named_documents
from index.retrieve import hybrid
from index.store import ParagraphStore, connect
from ingest import load as ingest_load
from ingest.records import Document, Paragraph, content_id

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
SEED = 20250101
TITLES = 50
NOISE = 0.1
"""Norm of the Gaussian noise added to each mixture before normalising (the mixture's norm is ~1-2)."""
BATCH = 1000
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


class Precomputed:
    """An embedder whose query vectors were computed beforehand: isolates the search cost."""

    def __init__(self, name: str, dim: int, vectors: dict[str, Vectors]) -> None:
        self.name, self.dim, self.vectors = name, dim, vectors

    def embed_documents(self, texts: Sequence[str], titles: Sequence[str]) -> Vectors:
        raise NotImplementedError

    def embed_query(self, text: str) -> Vectors:
        return self.vectors[text]


def real_corpus(config_cache: Path | None, folder: Path, name: str) -> tuple[list[str], list[str], Vectors]:
    """The corpus paragraphs' texts, the headings usable as titles, and their vectors (cached embedder)."""
    items = [(p, d) for r in ingest_load([CORPUS]) for d in r.documents for p in d.paragraphs]
    model = load(folder, name)
    embedder = CachedEmbedder(model, config_cache) if config_cache else model
    vectors = embedder.embed_documents([p.text for p, _ in items], [_title(p, d) for p, d in items])
    headings = list(dict.fromkeys(p.text[:120] for p, _ in items if p.kind == "heading" and len(p.text) > 15))
    return [p.text for p, _ in items], headings, vectors


def synthesise(
    n: int, texts: list[str], headings: list[str], real: Vectors, rng: np.random.Generator
) -> tuple[list[tuple[Paragraph, Document]], npt.NDArray[np.float32]]:
    pool = [s for t in texts for s in _SENTENCE_END.split(t) if len(s) >= 20]
    titles = (headings + [f"Văn bản tổng hợp số {i}" for i in range(TITLES)])[:TITLES]
    documents = [
        Document(id=content_id("synthetic", t), title=t, kind="report", file=f"synthetic-{i:02d}.txt")
        for i, t in enumerate(titles)
    ]
    ordinals = [0] * TITLES
    items: list[tuple[Paragraph, Document]] = []
    for i in range(n):
        picks = rng.choice(len(pool), size=int(rng.integers(2, 5)), replace=False)
        text = " ".join(pool[j] for j in picks)
        which = int(rng.integers(TITLES))
        doc = documents[which]
        ordinals[which] += 1
        paragraph = Paragraph(
            id=content_id(doc.id, text, str(i)),
            doc_id=doc.id,
            text=text,
            kind="body",
            section=(),
            ordinal=ordinals[which],
            file=doc.file,
            lines=(ordinals[which], ordinals[which]),
        )
        items.append((paragraph, doc))
    dim = real.shape[1]
    vectors = np.empty((n, dim), dtype=np.float32)
    for i in range(n):
        mix = rng.choice(len(real), size=int(rng.integers(2, 4)), replace=False)
        weights = rng.random(len(mix)) + 0.2
        v = weights @ real[mix] + rng.normal(0.0, NOISE / np.sqrt(dim), dim)
        vectors[i] = v / np.linalg.norm(v)
    return items, vectors


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="synthetic paragraphs (default 100000)")
    parser.add_argument(
        "--keep", type=Path, help="build in this folder and keep it (default: a temporary one)"
    )
    add_common_options(parser)
    args = parser.parse_args()

    print(f"start load {load_avg()}; {set_threads(args.torch_threads)}; n={args.n}")
    base = Settings().index_config()
    table = Table()
    rng = np.random.default_rng(SEED)

    (texts, headings, real), real_s = timed(
        lambda: real_corpus(base.cache_path, base.embedder_path, base.embedder_name)
    )
    table.add(
        f"real corpus vectors ({len(texts)}, cached embedder + model load)", f"{real_s:.1f} s", "", one_min()
    )
    log(f"real corpus: {len(texts)} paragraphs, {len(headings)} headings")
    (items, vectors), synth_s = timed(lambda: synthesise(args.n, texts, headings, real, rng))
    table.add(f"synthesise {args.n} paragraphs + vectors", f"{synth_s:.1f} s", "", one_min())
    log("synthesised")

    folder = args.keep or Path(tempfile.mkdtemp(prefix="vankien-scale-"))
    try:
        client = connect(str(folder / "chroma"), None)
        store = ParagraphStore(client, base.embedder_name, vectors.shape[1])
        start = time.perf_counter()
        for at in range(0, args.n, BATCH):
            store.upsert(items[at : at + BATCH], vectors[at : at + BATCH].tolist())
            if (at // BATCH) % 10 == 9:
                log(f"upserted {at + BATCH} in {time.perf_counter() - start:.0f} s")
        load_s = time.perf_counter() - start
        table.add(
            f"Chroma load ({args.n} upserts, batches of {BATCH})",
            f"{load_s:.1f} s ({args.n / load_s:.0f} par/s)",
            "",
            one_min(),
        )
        table.add("peak RSS after load", f"{peak_mb():.0f} MB")
        log("loaded")

        keyword_texts = [_keyword_text(p, d) for p, d in items]
        keywords, build_s = timed(lambda: KeywordIndex.build([p.id for p, _ in items], keyword_texts))
        table.add("BM25 build (KeywordIndex.build)", f"{build_s:.1f} s", "", one_min())
        table.add("peak RSS after BM25 build", f"{peak_mb():.0f} MB")
        log("bm25 built")

        catalogue = {p.id: (p, d) for p, d in items}
        questions = [q.question for q in load_questions()]
        if args.limit:
            questions = questions[: args.limit]
        embedder = load(base.embedder_path, base.embedder_name)
        documents = {d.id: d for _, d in items}
        search = partial(
            hybrid,
            k=10,
            items=catalogue,
            documents=documents,
            store=store,
            embedder=embedder,
            keywords=keywords,
        )
        for q in questions[:3]:
            search(q)  # warm-up
        latencies = [timed(partial(search, q))[1] for q in questions]
        p50 = pct(latencies, 50)
        table.add(
            f"hybrid search p50 ({len(questions)} questions, k=10, real embedding)",
            f"{p50 * 1000:.0f} ms",
            f"< 400 ms: {'ok' if p50 < 0.4 else 'MISSED'}",
            one_min(),
        )
        table.add(
            "hybrid search p95 / max", f"{pct(latencies, 95) * 1000:.0f} / {max(latencies) * 1000:.0f} ms"
        )

        # The pieces, and the search without the query embedding (vectors computed beforehand).
        pieces: dict[str, list[float]] = {
            "query embedding": [],
            "Chroma query (50)": [],
            "BM25 search (50)": [],
            "documents dict over all items (retrieve.py)": [],
            "named_documents": [],
        }
        pre: dict[str, Vectors] = {}
        docs = list({d.id: d for _, d in items}.values())
        for q in questions:
            pre[q], s = timed(partial(embedder.embed_query, q))
            pieces["query embedding"].append(s)
            pieces["Chroma query (50)"].append(timed(partial(store.query, pre[q].tolist(), 50))[1])
            pieces["BM25 search (50)"].append(timed(partial(keywords.search, q, 50))[1])
            pieces["named_documents"].append(timed(partial(named_documents, q, docs))[1])
        for name, values in pieces.items():
            table.add(
                f"  {name} p50 / p95", f"{pct(values, 50) * 1000:.1f} / {pct(values, 95) * 1000:.1f} ms"
            )
        fixed = Precomputed(embedder.name, embedder.dim, pre)
        no_embed = [
            timed(partial(hybrid, q, 10, catalogue, documents, store, fixed, keywords))[1] for q in questions
        ]
        table.add(
            "hybrid search without query embedding p50 / p95",
            f"{pct(no_embed, 50) * 1000:.0f} / {pct(no_embed, 95) * 1000:.0f} ms",
            "",
            one_min(),
        )
        log("hybrid measured")

        # The real serving path: an Index opened on this folder (first search reads every paragraph back
        # from Chroma and builds + saves the BM25 index; later ones check the revision).
        config = dataclasses.replace(base, data_dir=folder, chroma_url=None, cache_path=None)
        index = Index(config, embedder=embedder)
        try:
            _, first_s = timed(partial(index.search, questions[0]))
        except Exception as exc:  # a library failure at this size is a finding: report it, keep the rest
            table.add("Index: first search (store.all + BM25 build + save)", f"FAILED: {exc}"[:100])
            log(f"Index.search failed: {exc!r}")
        else:
            table.add(
                "Index: first search (store.all + BM25 build + save)", f"{first_s:.1f} s", "", one_min()
            )
            warm = [timed(partial(index.search, q))[1] for q in questions]
            table.add(
                "Index.search warm p50 / p95",
                f"{pct(warm, 50) * 1000:.0f} / {pct(warm, 95) * 1000:.0f} ms",
                "",
                one_min(),
            )
            log("index measured")
        table.add("peak RSS (whole run)", f"{peak_mb():.0f} MB")
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        table.add("data folder size (Chroma + BM25)", f"{size / 1e6:.0f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)

    table.print()
    print(f"end load {load_avg()}")


if __name__ == "__main__":
    main()
