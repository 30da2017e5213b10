"""The index: real EmbeddingGemma vectors in a real Chroma (embedded and server), BM25, updates."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Index, IndexConfig, IndexError_, StoreError, lead
from index.naming import STRONG, WEAK, document_names
from index.sections import Sections
from ingest import load_file
from ingest.records import Document, Paragraph
from tests.conftest import CORPUS, ROOT

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedder_ready")]


def _config(data_dir: Path, url: str | None = None, name: str = "embeddinggemma-300m") -> IndexConfig:
    from assistant.settings import Settings

    settings = Settings(data_dir=data_dir, chroma_url=url)
    base = settings.index_config()
    return IndexConfig(base.data_dir, base.embedder_path, name, url, base.cache_path)


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index(_config(tmp_path_factory.mktemp("index")))
    reports = index.add([load_file(CORPUS)])
    assert reports[0].status == "new"
    return index


def test_indexes_the_corpus_and_lists_its_documents(corpus_index: Index) -> None:
    result = load_file(CORPUS)
    docs = corpus_index.documents()
    assert len(docs) == 9
    assert sum(n for _, n in docs) == result.paragraph_count == corpus_index.store.count()
    status = corpus_index.status()
    assert status["embedder"] == "embeddinggemma-300m" and status["dim"] == 768


def test_unchanged_file_does_no_embedding_work(corpus_index: Index) -> None:
    report = corpus_index.add([load_file(CORPUS)])[0]
    assert report.status == "unchanged" and report.embedded == 0


def test_search_finds_paragraphs_for_questions(corpus_index: Index) -> None:
    hits = corpus_index.search("dai hoi bau bao nhieu dong chi vao ban chap hanh", k=5)
    assert len(hits) == 5 and hits[0].score >= hits[-1].score
    top = corpus_index.search("Đảng bộ có bao nhiêu đảng viên?", k=5)
    assert any("4.587" in h.paragraph.text for h in top)
    within = corpus_index.search("hạn chế", k=5, doc="CHƯƠNG TRÌNH HÀNH ĐỘNG")
    assert within and all(h.document.startswith("CHƯƠNG TRÌNH HÀNH ĐỘNG") for h in within)
    assert all(
        h.paragraph.kind == "footnote" for h in corpus_index.search("Nghị quyết", k=5, kinds=["footnote"])
    )
    assert corpus_index.search("Đại hội", k=5, year=2019) == []  # every bundled document is dated 2020
    assert len(corpus_index.search("Đại hội", k=5, year=2020)) == 5
    shape = within[0].as_dict()
    assert set(shape) == {"id", "score", "text", "document", "section", "file", "lines", "page"}
    assert shape["file"] == CORPUS.name and "/" not in str(shape["file"])


def test_rankers_and_the_reranking_seam(corpus_index: Index) -> None:
    question = "Kết nạp được bao nhiêu đảng viên mới?"
    keyword = corpus_index.search(question, k=5, rankers=("keyword",))
    assert keyword and all(set(h.ranks) == {"keyword"} for h in keyword)
    fused = corpus_index.search(question, k=30)
    reversed_ = corpus_index.search(question, k=5, rerank=lambda q, hits: hits[::-1])
    assert [h.paragraph.id for h in reversed_] == [h.paragraph.id for h in fused[::-1][:5]]


def test_chroma_default_embedding_never_runs(corpus_index: Index) -> None:
    with pytest.raises(Exception, match="tự tính vector"):
        corpus_index.store.paragraphs.query(query_texts=["Đại hội"], n_results=1)


def test_a_changed_file_replaces_only_what_changed(tmp_path: Path) -> None:
    index = Index(_config(tmp_path / "data"))
    copy = tmp_path / CORPUS.name
    shutil.copy(CORPUS, copy)
    index.add([load_file(copy)])
    before = index.store.count()
    text = copy.read_text(encoding="utf-8")
    marker = "Xin trân trọng cảm ơn!"
    copy.write_text(
        text.replace(marker, "Đoạn mới thêm vào để kiểm tra cập nhật.\n\n" + marker, 1), encoding="utf-8"
    )
    report = index.add([load_file(copy)])[0]
    assert report.status == "updated"
    assert report.embedded <= 3  # the new paragraph (and any whose context changed), not the whole file
    assert index.store.count() == load_file(copy).paragraph_count == before + 1
    name, removed = index.remove("PHÁT BIỂU BẾ MẠC")
    assert name == CORPUS.name and removed == before + 1 and index.store.count() == 0
    assert index.documents() == []


def test_vectors_of_two_models_are_never_mixed(corpus_index: Index) -> None:
    with pytest.raises(StoreError, match="another-model"):
        Index(_config(corpus_index.config.data_dir, name="another-model")).store  # noqa: B018


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    import fcntl

    data = tmp_path / "data"
    data.mkdir()
    with open(data / "index.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(IndexError_, match="tiến trình khác đang ghi"):
            Index(_config(data)).add([load_file(CORPUS)])


_KILLER = """
import os, signal, sys
from pathlib import Path
from index import Index, IndexConfig
from ingest import load_file
cfg = IndexConfig(Path(sys.argv[1]), Path(sys.argv[2]), "embeddinggemma-300m", None, Path(sys.argv[3]))
def die(file, done, total):
    if done >= 64:
        os.kill(os.getpid(), signal.SIGKILL)
Index(cfg).add([load_file(Path(sys.argv[4]))], progress=die)
"""


def test_an_ingest_killed_midway_is_completed_without_duplicates(tmp_path: Path) -> None:
    config = _config(tmp_path / "data")
    args = [str(config.data_dir), str(config.embedder_path), str(config.cache_path), str(CORPUS)]
    run = subprocess.run([sys.executable, "-c", _KILLER, *args], cwd=ROOT, capture_output=True, timeout=900)
    assert run.returncode == -signal.SIGKILL
    index = Index(config)
    assert 0 < index.store.count() < load_file(CORPUS).paragraph_count  # half done
    assert index.store.stored_files() == {}  # and known to be unfinished
    report = index.add([load_file(CORPUS)])[0]
    assert report.status == "new"
    assert index.store.count() == load_file(CORPUS).paragraph_count
    assert len(index.documents()) == 9


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port, stopped afterwards."""
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_chroma_server_is_shared_by_instances(chroma_server: str, tmp_path: Path) -> None:
    writer = Index(_config(tmp_path / "a", chroma_server))
    reader = Index(_config(tmp_path / "b", chroma_server))
    assert reader.documents() == []
    writer.add([load_file(CORPUS)])
    assert len(reader.documents()) == 9  # seen by the other instance without a restart
    hits = reader.search("Kết nạp được bao nhiêu đảng viên mới mỗi năm?", k=5)
    assert hits and any("150" in h.paragraph.text for h in hits)


def test_a_dead_chroma_server_gives_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="không kết nối được máy chủ Chroma"):
        Index(_config(tmp_path, f"http://127.0.0.1:{_free_port()}"))


def _doc(title: str, number: str | None = None, speaker: str | None = None) -> Document:
    return Document(id=title, title=title, kind="other", file="f.txt", number=number, speaker=speaker)


_NAMED = [
    _doc("NGHỊ QUYẾT Đại hội đại biểu Đảng bộ lần thứ XVIII", "01-NQ/ĐH"),
    _doc("CHƯƠNG TRÌNH HÀNH ĐỘNG thực hiện Nghị quyết Đại hội Đảng bộ lần thứ XVIII", "03-CTr/ĐU"),
    _doc("BÁO CÁO kết quả thực hiện Chỉ thị số 05-CT/TW về học tập", "292-BC/ĐU"),
    _doc("BÁO CÁO kết quả thực hiện Nghị quyết Trung ương 4 về xây dựng, chỉnh đốn Đảng", "297-BC/ĐU"),
    _doc("PHÁT BIỂU CỦA THƯỜNG TRỰC TỈNH ỦY", speaker="Lê Thị Thu Hồng, Phó Bí thư Thường trực Tỉnh ủy"),
    _doc("PHÁT BIỂU BẾ MẠC ĐẠI HỘI", speaker="Thân Minh Quế, Bí thư Đảng ủy"),
]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Nghị quyết Đại hội chỉ ra những hạn chế nào?", {0: STRONG}),
        ("NQ Đại hội đề ra những nhiệm vụ nào?", {0: STRONG}),  # abbreviation spelt out
        ("nghi quyet dai hoi de ra nhung nhiem vu nao", {0: STRONG}),  # no diacritics
        ("Văn bản 03-CTr/ĐU đặt chỉ tiêu gì?", {1: STRONG}),  # by number
        ("Chị Hồng gợi ý những việc gì?", {4: STRONG}),  # speaker's given name
        ("Thường trực Tỉnh ủy chỉ ra hạn chế gì?", {4: STRONG}),  # the title's subject
        ("Báo cáo Chỉ thị 05 nêu gương ai?", {2: WEAK}),
        ("Diễn văn nêu mấy nội dung chính?", {}),  # `dựng, chỉnh` is no pair, `chính` is not `chỉnh`
        ("Cơ quan Đảng ủy gồm những ban nào?", {}),  # a speaker's office names no document
        ("Ngoài Nghị quyết Đại hội, còn văn bản nào đặt chỉ tiêu?", {}),  # besides it: not about it
        ("Trừ văn bản 03-CTr/ĐU, những văn bản nào nêu chỉ tiêu?", {}),
    ],
)
def test_documents_named_in_a_question(question: str, expected: dict[int, int]) -> None:
    assert document_names(question, _NAMED) == {_NAMED[i].id: s for i, s in expected.items()}


def test_a_question_that_repeats_a_heading_gets_the_whole_section() -> None:
    doc = _NAMED[2]
    rows = [
        ("h", "heading", ("II. HẠN CHẾ VÀ NGUYÊN NHÂN",)),
        ("a", "list_item", ("II. HẠN CHẾ VÀ NGUYÊN NHÂN", "1. Hạn chế")),
        ("b", "list_item", ("II. HẠN CHẾ VÀ NGUYÊN NHÂN", "1. Hạn chế")),
        ("c", "body", ("II. HẠN CHẾ VÀ NGUYÊN NHÂN", "2. Nguyên nhân")),
        ("d", "body", ("2. Kết quả thực hiện",)),
    ]
    items = [
        (Paragraph(pid, doc.id, "...", kind, path, n, "f.txt", (n, n)), doc)
        for n, (pid, kind, path) in enumerate(rows)
    ]
    sections = Sections.build(items)
    assert sections.ranking("Báo cáo nêu những hạn chế nào?", 10) == ["a", "b"]
    assert sections.ranking("bao cao neu nhung han che va nguyen nhan nao", 10)[:4] == ["h", "a", "b", "c"]
    assert sections.ranking("Kết nạp bao nhiêu đảng viên?", 10) == []
    # The words that name a document ask for no section of it.
    assert sections.ranking("Báo cáo kết quả thực hiện Chỉ thị 05 số mấy?", 10, named=[doc]) == []
    # A question that names another document asks for none of this one's sections.
    assert sections.ranking("Nghị quyết nêu những hạn chế nào?", 10, named=[_NAMED[0]]) == []


def test_sessions_reading_after_a_write_share_one_rebuild(tmp_path: Path) -> None:
    """App sessions share one Index: after a write, several threads reading at once all get the new state."""
    import threading

    index = Index(_config(tmp_path / "data"))
    index.add([load_file(CORPUS)])
    for _round in range(5):
        index._keywords_revision = -1  # as after a write by another instance: the keyword index is rebuilt
        (tmp_path / "data" / "keywords" / "revision").unlink(missing_ok=True)
        results: list[int] = []
        errors: list[BaseException] = []

        def read(results: list[int] = results, errors: list[BaseException] = errors) -> None:
            try:
                results.append(len(index.documents()))
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and results == [9] * 8


def test_a_cli_ingest_is_seen_by_a_running_instance_on_the_same_embedded_store(tmp_path: Path) -> None:
    """The app keeps its Index open; `vankien ingest` and `vankien remove` in another process write to the
    same data folder (one writer at a time, by the lock) and the app sees both on its next read."""
    config = _config(tmp_path / "data")
    serving = Index(config)
    serving.add([load_file(CORPUS)])
    assert len(serving.documents()) == 9
    extra = tmp_path / "them.txt"
    extra.write_text(
        "BÁO CÁO\nThử nghiệm\n\nMột văn bản nạp thêm khi ứng dụng đang chạy.\n", encoding="utf-8"
    )
    env = {**os.environ, "VANKIEN_DATA_DIR": str(config.data_dir)}
    cli = [sys.executable, "-m", "vankien"]
    subprocess.run([*cli, "ingest", str(extra)], cwd=ROOT, env=env, check=True, capture_output=True)
    assert {d.file for d, _ in serving.documents()} == {CORPUS.name, "them.txt"}
    subprocess.run([*cli, "remove", "them.txt"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert {d.file for d, _ in serving.documents()} == {CORPUS.name}


def test_a_short_paragraph_is_read_with_what_it_completes() -> None:
    def para(text: str, n: int) -> Paragraph:
        return Paragraph(f"p{n}", "d", text, "body", (), n, "f.txt", (n, n))

    task = para("Xây dựng Đề án nâng cao chất lượng sinh hoạt chi bộ theo chuyên đề. " * 3, 1)
    assert lead(para("Thời gian hoàn thành: Quý IV năm 2020.", 2), task).startswith("Xây dựng Đề án")
    cut = para("Toàn tỉnh đã bê tông hóa được đường giao thông nông thôn với tổng chiều dài là", 3)
    # After a page break, the figure finishes the sentence the paragraph before ends with.
    assert lead(para("3.270 km, vượt kế hoạch.", 4), cut).endswith("tổng chiều dài là")
    assert lead(task, cut) == "" and lead(para("Ngắn.", 5), None) == ""
