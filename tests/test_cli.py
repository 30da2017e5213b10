"""The `vankien` command line: help, ingesting a folder with bad files, re-ingesting, showing a paragraph."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import CORPUS
from vankien import app

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the bundled corpus, one empty text file and one spreadsheet."""
    folder = tmp_path / "tai-lieu"
    folder.mkdir()
    shutil.copy(CORPUS, folder / CORPUS.name)
    (folder / "rong.txt").write_bytes(b"")
    (folder / "bang-tinh.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    return folder


def _docs() -> list[dict[str, object]]:
    result = runner.invoke(app, ["docs", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "docs", "show", "search", "status", "remove", "models"):
        assert command in result.output


def test_ingest_stores_the_corpus_and_reports_the_empty_file(folder: Path) -> None:
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "rong.txt: tệp rỗng" in result.output
    assert f"✓ {CORPUS.name} (mới): 9 văn bản" in result.output
    assert len(_docs()) == 9


def test_ingest_names_an_unsupported_file_in_a_folder(folder: Path) -> None:
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert "bang-tinh.xlsx" in result.output and "không được hỗ trợ" in result.output


def test_ingest_names_an_unsupported_file_given_directly(folder: Path) -> None:
    result = runner.invoke(app, ["ingest", str(folder / "bang-tinh.xlsx")])
    assert result.exit_code == 1
    assert "bang-tinh.xlsx" in result.output and "không được hỗ trợ" in result.output
    assert _docs() == []


def test_ingesting_again_changes_nothing(folder: Path) -> None:
    runner.invoke(app, ["ingest", str(folder)])
    stored = _docs()
    paragraphs = sum(int(d["paragraphs"]) for d in stored)
    assert paragraphs > 9

    again = runner.invoke(app, ["ingest", str(folder)])
    assert again.exit_code == 1
    assert f"✓ {CORPUS.name} (không đổi)" in again.output
    after = _docs()
    assert [d["id"] for d in after] == [d["id"] for d in stored]
    assert sum(int(d["paragraphs"]) for d in after) == paragraphs


def test_show_prints_title_and_source_and_refuses_an_unknown_id(folder: Path) -> None:
    from assistant.settings import Settings
    from index import Index

    runner.invoke(app, ["ingest", str(folder)])
    index = Index(Settings().index_config())
    document = index.document("BÁO CÁO CHÍNH TRỊ")
    paragraph = document.paragraphs[len(document.paragraphs) // 2]
    title = document.title

    result = runner.invoke(app, ["show", paragraph.id])
    assert result.exit_code == 0, result.output
    assert f"Văn bản: {title}" in result.output
    first, last = paragraph.lines
    assert f"Nguồn: {CORPUS.name}, dòng {first}-{last}" in result.output
    assert f">> [{paragraph.id}]" in result.output

    missing = runner.invoke(app, ["show", "nonexistent"])
    assert missing.exit_code == 1
    assert isinstance(missing.exception, SystemExit)
    assert missing.output.strip().splitlines() == ["không có đoạn văn nào có mã 'nonexistent'"]


def test_without_the_embedding_model_commands_say_so_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "VANKIEN_MODELS_DIR": str(tmp_path / "no-models")}
    root = Path(__file__).resolve().parent.parent

    def vankien(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vankien", *args], cwd=root, env=env, capture_output=True, text=True
        )

    empty = vankien("docs")
    assert empty.returncode == 0 and "Chưa có văn bản nào" in empty.stdout
    failed = vankien("ingest", str(CORPUS))
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr and "vankien models pull" in failed.stderr
    assert vankien("status").returncode == 0
