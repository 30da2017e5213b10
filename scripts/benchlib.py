"""What the benchmark scripts share: timing, percentiles, machine load and a plain figures table."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def load_avg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def one_min() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of values, linear interpolation."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def log(message: str) -> None:
    """Progress on stderr (a full run takes minutes), with the load and the peak memory so far."""
    stamp = f"[{time.strftime('%H:%M:%S')} load {one_min()} rss-peak {peak_mb():.0f} MB]"
    print(f"{stamp} {message}", file=sys.stderr, flush=True)


class Table:
    """Rows of (what, figure, target, load) printed as a Markdown table."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, what: str, figure: str, target: str = "", load: str = "") -> None:
        self.rows.append((what, figure, target, load))

    def print(self) -> None:
        heads = ("what", "figure", "target", "load 1-min at end")
        widths = [max(len(r[i]) for r in [heads, *self.rows]) for i in range(4)]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)) + " |")
        print("| " + " | ".join("-" * w for w in widths) + " |")
        for row in self.rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """--limit and --torch-threads, which every benchmark takes."""
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="torch.set_num_threads(N) before measuring (0: torch's default, as the library leaves it)",
    )


def set_threads(torch_threads: int) -> str:
    """Apply --torch-threads (0 leaves torch's default) and describe the threading for the output."""
    import torch

    if torch_threads:
        torch.set_num_threads(torch_threads)
    omp = os.environ.get("OMP_WAIT_POLICY", "unset")
    return f"torch threads {torch.get_num_threads()}; OMP_WAIT_POLICY={omp}; OPENBLAS_NUM_THREADS=1"
