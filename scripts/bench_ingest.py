"""Benchmark: time to ingest the bundled corpus (reading, repair, structure; no embeddings)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from ingest import load_file

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def main() -> None:
    files = sorted(CORPUS.glob("*.txt"))
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        results = [load_file(f) for f in files]
        timings.append(time.perf_counter() - start)
    paragraphs = sum(r.paragraph_count for r in results)
    documents = sum(len(r.documents) for r in results)
    print(f"files={len(files)} documents={documents} paragraphs={paragraphs}")
    print(f"ingest_seconds median={statistics.median(timings):.3f} min={min(timings):.3f} (target < 2 s)")


if __name__ == "__main__":
    main()
