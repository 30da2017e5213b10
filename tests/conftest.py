"""Shared fixtures: the bundled corpus, and a data folder of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.readers import Source, read

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus" / "dai-hoi-xviii-dang-bo-cac-co-quan-tinh-bac-giang-2020.txt"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point everything the program writes at a temporary folder."""
    folder = tmp_path / "vankien-data"
    monkeypatch.setenv("VANKIEN_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def corpus_source() -> Source:
    return read(CORPUS, 50_000_000)


@pytest.fixture(scope="session")
def embedder_ready() -> Path:
    """The real embedding model, pulled once into the machine's model cache (reused between runs)."""
    from assistant.settings import Settings
    from index.models import pull

    return pull("embeddinggemma-300m", Settings().models_dir)
