"""The `vankien` command line: the one entry point above all stages (imported lazily)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from assistant.settings import Settings
    from index import FileReport, Index
    from ingest.records import FileResult

app = typer.Typer(
    help="vankien: hỏi đáp có trích dẫn trên văn kiện Đảng, chạy hoàn toàn trên máy (CPU).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


def _settings() -> Settings:
    from assistant.settings import Settings

    return Settings()


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(1)


def _index(settings: Settings) -> Index:
    from index import Index, StoreError

    try:
        return Index(settings.index_config())
    except StoreError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Tệp hoặc thư mục (.txt, .md, .pdf, .docx).")],
    as_json: JsonOpt = False,
) -> None:
    """Nạp tài liệu: sửa lỗi trích xuất, tách văn bản, mục, đoạn; nhúng và lưu vào chỉ mục."""
    import ingest as ingest_stage
    from index import IndexError_, StoreError

    settings = _settings()
    files = ingest_stage.expand(paths)
    if not files:
        raise _fail("Không có tệp nào để nạp.")
    with typer.progressbar(files, label="Đang đọc", file=sys.stderr) as reading:
        results = [ingest_stage.load_file(path, settings.max_bytes) for path in reading]
    index = _index(settings)
    total = sum(r.paragraph_count for r in results)
    with typer.progressbar(length=max(total, 1), label="Đang lập chỉ mục", file=sys.stderr) as progress_bar:
        bar: Any = progress_bar
        done: dict[str, int] = {}

        def report(file: str, embedded: int, _: int) -> None:
            bar.update(embedded - done.get(file, 0))
            done[file] = embedded

        try:
            reports = index.add(results, progress=report)
        except (IndexError_, StoreError) as exc:
            raise _fail(str(exc)) from exc
    by_file = {r.file: r for r in results}
    failed = [r for r in reports if r.status == "error"]
    if as_json:
        rows = [_file_summary(by_file[r.file], r) for r in reports]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            typer.echo(_file_line(by_file[r.file], r))
        typer.echo(
            f"Tổng: {len(reports) - len(failed)}/{len(reports)} tệp nạp được, "
            f"{sum(r.documents for r in reports)} văn bản, {sum(r.paragraphs for r in reports)} đoạn, "
            f"{sum(r.embedded for r in reports)} đoạn mới được nhúng."
        )
    if failed:
        raise typer.Exit(1)


def _file_summary(result: FileResult, report: FileReport) -> dict[str, object]:
    return {
        "file": result.file,
        "status": report.status,
        "error": result.error,
        "warnings": list(result.warnings),
        "embedded": report.embedded,
        "removed": report.removed,
        "documents": [
            {"id": d.id, "title": d.title, "kind": d.kind, "paragraphs": len(d.paragraphs)}
            for d in result.documents
        ],
    }


def _file_line(result: FileResult, report: FileReport) -> str:
    if result.error:
        return f"✗ {result.file}: {result.error}"
    label = {"new": "mới", "updated": "cập nhật", "unchanged": "không đổi"}[report.status]
    lines = [f"✓ {result.file} ({label}): {len(result.documents)} văn bản, {result.paragraph_count} đoạn"]
    lines += [f"    - {d.title[:90]} [{d.kind}, {len(d.paragraphs)} đoạn]" for d in result.documents]
    lines += [f"    ! {w}" for w in result.warnings]
    return "\n".join(lines)


@app.command()
def docs(as_json: JsonOpt = False) -> None:
    """Liệt kê các văn bản đã nạp."""
    documents = _index(_settings()).documents()
    if as_json:
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "kind": d.kind,
                "number": d.number,
                "date": d.date,
                "file": d.file,
                "paragraphs": n,
            }
            for d, n in documents
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not documents:
        typer.echo("Chưa có văn bản nào. Dùng: vankien ingest TỆP...")
        return
    for d, n in documents:
        extra = ", ".join(x for x in (d.number, d.date) if x)
        typer.echo(
            f"{d.id}  {d.title[:80]}" + (f" ({extra})" if extra else "") + f"  [{d.kind}, {n} đoạn, {d.file}]"
        )


@app.command()
def show(
    paragraph_id: Annotated[str, typer.Argument(metavar="ID", help="Mã đoạn văn.")],
    around: Annotated[int, typer.Option("--around", "-n", help="Số đoạn kề bên mỗi phía.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Xem một đoạn văn với vị trí nguồn và các đoạn kề bên."""
    from dataclasses import asdict

    from index import IndexError_

    index = _index(_settings())
    try:
        paragraph, document = index.paragraph(paragraph_id)
    except IndexError_ as exc:
        raise _fail(str(exc)) from exc
    neighbours = index.neighbours(paragraph, around)
    if as_json:
        out = {
            "paragraph": asdict(paragraph),
            "document": document.title,
            "neighbours": [asdict(p) for p in neighbours],
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Văn bản: {document.title}")
    if paragraph.section:
        typer.echo(f"Mục: {' > '.join(paragraph.section)}")
    page = f", trang {paragraph.page}" if paragraph.page else ""
    typer.echo(f"Nguồn: {paragraph.file}, dòng {paragraph.lines[0]}-{paragraph.lines[1]}{page}")
    for p in neighbours:
        mark = ">>" if p.id == paragraph.id else "  "
        typer.echo(f"{mark} [{p.id}] ({p.kind}) {p.text}")
    if paragraph.continues_in:
        typer.echo(f"   (đoạn này tiếp tục ở đoạn {paragraph.continues_in})")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Câu hỏi hoặc từ khóa.")],
    k: Annotated[int, typer.Option("-k", help="Số đoạn trả về.")] = 10,
    doc: Annotated[
        str | None, typer.Option("--doc", help="Chỉ tìm trong văn bản này (mã hoặc một phần tên).")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Loại đoạn: body, list_item, heading, footnote, signature."),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Chỉ tìm trong văn bản ban hành năm này.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Tìm các đoạn văn liên quan (kết hợp ngữ nghĩa và từ khóa)."""
    from index import IndexError_

    if not query.strip():
        raise _fail("Câu hỏi trống.")
    try:
        from assistant import Assistant

        settings = _settings()
        hits = Assistant(settings, _index(settings)).search(query, k=k, doc=doc, kinds=kind, year=year)
    except IndexError_ as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("Không tìm thấy đoạn nào.")
    for rank, hit in enumerate(hits, start=1):
        p = hit.paragraph
        page = f", tr. {p.page}" if p.page else ""
        typer.echo(f"{rank}. [{hit.score:.4f}] {hit.document[:70]}")
        if p.section:
            typer.echo(f"   Mục: {' > '.join(s[:50] for s in p.section)}")
        typer.echo(f"   {p.file}, dòng {p.lines[0]}-{p.lines[1]}{page}  [{p.id}]")
        typer.echo(f"   {p.text[:300]}")


ModeOpt = Annotated[
    str | None,
    typer.Option(
        "--mode", help="extractive (trích nguyên văn) hoặc generative (mô hình sinh); mặc định: tự chọn."
    ),
]
DocOpt = Annotated[
    str | None, typer.Option("--doc", help="Chỉ trả lời từ văn bản này (mã hoặc một phần tên).")
]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Câu hỏi bằng tiếng Việt.")],
    mode: ModeOpt = None,
    doc: DocOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hỏi một câu: câu trả lời ngắn, mỗi ý kèm đoạn văn được trích dẫn."""
    from assistant import Assistant

    assistant = Assistant(_settings())
    if as_json:
        result = assistant.ask(question, mode=mode, doc=doc)
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    _print_stream(assistant, question, [], mode, doc)


@app.command()
def chat(mode: ModeOpt = None, doc: DocOpt = None) -> None:
    """Hỏi đáp nhiều lượt (gõ /sources để xem nguồn, /reset để bắt đầu lại, /quit để thoát)."""
    from assistant import Assistant, QuestionError, Turn

    assistant = Assistant(_settings())
    history: list[Turn] = []
    last = None
    typer.echo("Hỏi đáp văn kiện: /sources xem nguồn, /reset bắt đầu lại, /quit thoát.")
    while True:
        try:
            line = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if line in ("/quit", "/exit"):
            break
        if line == "/reset":
            history, last = [], None
            typer.echo("Đã bắt đầu cuộc hỏi đáp mới.")
            continue
        if line == "/sources":
            _print_sources(last.citations or last.related if last else ())
            continue
        if not line:
            continue
        try:
            last = _print_stream(assistant, line, history, mode, doc)
        except QuestionError as exc:
            typer.secho(str(exc), fg=typer.colors.RED)
            continue
        history = [*history, Turn("user", line), Turn("assistant", last.answer)][-12:]


def _print_stream(assistant: Any, question: str, history: Any, mode: str | None, doc: str | None) -> Any:
    """Print an answer sentence by sentence as it is checked; return the answer record."""
    result = None
    for event in assistant.stream(question, history, mode=mode, doc=doc):
        if event.kind == "standalone":
            typer.secho(f"(Câu hỏi được hiểu là: {event.text})", fg=typer.colors.BRIGHT_BLACK)
        elif event.kind == "sentence":
            typer.echo(event.text)
        else:
            result = event.answer
    assert result is not None
    if result.notice:
        typer.secho(result.notice, fg=typer.colors.YELLOW)
    _print_sources(result.citations if not result.refused else result.related, related=result.refused)
    return result


def _print_sources(citations: Any, related: bool = False) -> None:
    if not citations:
        return
    typer.echo("\nCác đoạn có thể liên quan:" if related else "\nNguồn:")
    for c in citations:
        typer.echo(f"[{c.n}] {c.reference}")
        typer.secho(f"    «{c.support[:300]}»", fg=typer.colors.BRIGHT_BLACK)


@app.command()
def brief(
    topic: Annotated[str, typer.Argument(help="Chủ đề, ví dụ: “công tác kiểm tra, giám sát”, “Chỉ thị 05”.")],
    doc: Annotated[
        str | None, typer.Option("--doc", help="Chỉ lấy từ văn bản này (mã hoặc một phần tên).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Ghi ra tệp .docx hoặc .md (mặc định: in Markdown).")
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="extractive (chỉ trích nguyên văn) hoặc generative (thêm tóm lược do mô hình viết).",
        ),
    ] = "extractive",
    as_json: JsonOpt = False,
) -> None:
    """Soạn tài liệu sinh hoạt chuyên đề: ý chính, bảng số liệu, câu hỏi kèm đáp án, đều có trích dẫn."""
    from assistant.brief import BriefError, make_brief
    from assistant.brief_export import to_markdown, write
    from index import IndexError_

    if out is not None and out.suffix.lower() not in (".docx", ".md"):
        raise _fail("Tệp ra phải có đuôi .docx hoặc .md.")
    if mode not in ("extractive", "generative"):
        raise _fail(f"Chế độ không hợp lệ: {mode} (chọn extractive hoặc generative).")
    settings = _settings()
    generator = _brief_generator(settings) if mode == "generative" else None
    try:
        material = make_brief(_index(settings), topic, doc=doc, generator=generator)
    except (BriefError, IndexError_) as exc:
        raise _fail(str(exc)) from exc
    if material.notice:
        typer.secho(material.notice, err=True, fg=typer.colors.YELLOW)
    if out is not None:
        try:
            write(material, out)
        except OSError as exc:
            raise _fail(f"Không ghi được tệp {out}.") from exc
        typer.echo(f"Đã ghi {out}.")
    elif as_json:
        typer.echo(json.dumps(material.as_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(to_markdown(material))


def _brief_generator(settings: Settings) -> Any:
    """The configured generator for a brief's summaries, or None with a note (quotations only then)."""
    from assistant.generate import GeneratorError, open_generator

    try:
        generator = open_generator(settings)
    except GeneratorError as exc:
        typer.secho(f"{exc} Tài liệu chỉ gồm các đoạn trích nguyên văn.", err=True, fg=typer.colors.YELLOW)
        return None
    if generator is None:
        typer.secho(
            "Chưa bật mô hình sinh văn bản: tài liệu chỉ gồm các đoạn trích nguyên văn.",
            err=True,
            fg=typer.colors.YELLOW,
        )
    return generator


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Tình trạng chỉ mục: văn bản, đoạn, mô hình, nơi lưu và dung lượng."""
    info = _index(_settings()).status()
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Văn bản: {info['documents']}, đoạn: {info['paragraphs']}, tệp: {len(info['files'])}")
    dim = f"{info['dim']} chiều" if info["dim"] else "chưa lập chỉ mục"
    typer.echo(f"Mô hình nhúng: {info['embedder']} ({dim})")
    typer.echo(f"Chỉ mục: {info['store']} ({info['size_bytes'] / 1e6:.1f} MB)")


@app.command()
def remove(
    ref: Annotated[
        str, typer.Argument(metavar="FILE|DOCUMENT", help="Tên tệp, mã hoặc một phần tên văn bản.")
    ],
) -> None:
    """Gỡ một tệp (cùng mọi văn bản trong tệp) khỏi chỉ mục."""
    from index import IndexError_

    try:
        name, count = _index(_settings()).remove(ref)
    except IndexError_ as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"Đã gỡ {name}: {count} đoạn.")


@app.command("eval")
def eval_(
    questions: Annotated[
        Path | None, typer.Option("--questions", help="Bộ câu hỏi (JSONL); mặc định: bộ câu hỏi của dự án.")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="retrieval (truy hồi), extractive hoặc generative (trả lời).")
    ] = "retrieval",
    k: Annotated[int, typer.Option("-k", help="Số đoạn truy hồi cho mỗi câu hỏi.")] = 10,
    out: Annotated[
        Path | None, typer.Option("--out", help="Thư mục ghi báo cáo (mặc định: THƯ_MỤC_DỮ_LIỆU/eval).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Chỉ chạy N câu hỏi đầu.")] = None,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="Chạy thêm hệ thống đối chứng: llamaindex.")
    ] = None,
) -> None:
    """Đánh giá trên bộ câu hỏi: truy hồi, câu trả lời, trích dẫn, từ chối, độ trễ; ghi báo cáo."""
    import eval as evaluation
    from eval.questions import DEFAULT_QUESTIONS, QuestionSetError, load_questions
    from eval.report import format_table, write_report
    from eval.systems import answer_system, baseline_system, retrieval_system

    settings = _settings()
    if mode not in evaluation.MODES:
        raise _fail(f"Chế độ không hợp lệ: {mode} (chọn retrieval, extractive hoặc generative).")
    if baseline not in (None, "llamaindex"):
        raise _fail(f"Không có hệ thống đối chứng '{baseline}' (chỉ có: llamaindex).")
    if k < 1 or (limit is not None and limit < 1):
        raise _fail("-k và --limit phải là số nguyên dương.")
    path = questions or DEFAULT_QUESTIONS
    try:
        items = load_questions(path)
    except OSError as exc:
        raise _fail(f"Không đọc được bộ câu hỏi {path}.") from exc
    except QuestionSetError as exc:
        raise _fail(str(exc)) from exc
    count = min(len(items), limit or len(items))

    def scored(system: evaluation.System, label: str, run_mode: str) -> list[dict[str, Any]]:
        with typer.progressbar(length=count, label=label, file=sys.stderr) as bar:
            return evaluation.run(items, system, k, limit, run_mode, progress=lambda _: bar.update(1))

    try:
        system = retrieval_system(settings) if mode == "retrieval" else answer_system(settings, mode)
        records = scored(system, "Đang đánh giá", mode)
        reference = None
        if baseline:
            typer.echo("Đang dựng hệ thống đối chứng llama-index (nhúng cả kho, vài phút)...", err=True)
            other = scored(baseline_system(settings), "Đối chứng llama-index", "retrieval")
            reference = (other, evaluation.summarise(other, items))
    except evaluation.EvalError as exc:
        raise _fail(str(exc)) from exc
    summary = evaluation.summarise(records, items)
    about = {"questions": f"{path} ({len(records)} items)", "mode": mode, "k": k}
    report = write_report(out or settings.data_dir / "eval", records, summary, reference, about)
    typer.echo(format_table(summary, reference[1] if reference else None))
    typer.echo(f"Báo cáo: {report}")


models_app = typer.Typer(
    help="Tải, kiểm tra và xuất các mô hình (nhúng, sinh văn bản).", no_args_is_help=True
)
app.add_typer(models_app, name="models")


@models_app.command("pull")
def models_pull(
    names: Annotated[
        list[str] | None, typer.Argument(help="Tên mô hình (mặc định: tất cả mô hình mặc định).")
    ] = None,
    source: Annotated[
        Path | None, typer.Option("--from", help="Thư mục mô hình đã xuất (mạng nội bộ, không Internet).")
    ] = None,
) -> None:
    """Tải mô hình vào bộ nhớ đệm, kiểm tra sha256."""
    from index.models import DEFAULT_MODELS, ModelError, pull

    settings = _settings()
    wanted = names or list(DEFAULT_MODELS)
    for name in wanted:
        with typer.progressbar(length=1, label=name, file=sys.stderr) as progress_bar:
            bar: Any = progress_bar

            def report(stage: str, done: int, total: int, bar: Any = bar) -> None:
                if total:
                    bar.length = total
                    bar.update(done - bar.pos)

            try:
                path = pull(name, settings.models_dir, source or settings.models_source, progress=report)
            except ModelError as exc:
                raise _fail(str(exc)) from exc
        typer.echo(f"✓ {name}: {path}")


@models_app.command("list")
def models_list(as_json: JsonOpt = False) -> None:
    """Liệt kê các mô hình và trạng thái."""
    from dataclasses import asdict

    from index.models import list_models

    infos = list_models(_settings().models_dir)
    if as_json:
        typer.echo(json.dumps([asdict(i) for i in infos], ensure_ascii=False, indent=2, default=str))
        return
    for info in infos:
        size = f"{info.size / 1e6:,.0f} MB" if info.size else "-"
        state = "có" if info.status == "present" else "chưa có"
        typer.echo(f"{info.name:40} {info.kind:10} {state:8} {size:>10}  {info.path or ''}")


@models_app.command("export")
def models_export(
    dest: Annotated[Path, typer.Argument(help="Thư mục đích (mang sang máy không có Internet).")],
    names: Annotated[list[str] | None, typer.Option("--model", "-m", help="Chỉ xuất mô hình này.")] = None,
) -> None:
    """Xuất mô hình cùng tệp checksum ra một thư mục."""
    from index.models import ModelError, export, list_models

    settings = _settings()
    wanted = names or [i.name for i in list_models(settings.models_dir) if i.status == "present"]
    try:
        out = export(wanted, settings.models_dir, dest)
    except ModelError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"Đã xuất {len(wanted)} mô hình vào {out}")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Địa chỉ lắng nghe (mặc định 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Cổng (mặc định 7860).")] = None,
) -> None:
    """Mở ứng dụng web hỏi đáp (Gradio) trên máy này."""
    from ui.app import serve as serve_app

    settings = _settings()
    changes = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update=changes)
    typer.echo(f"Đang mở vankien tại http://{settings.host}:{settings.port} (Ctrl+C để dừng)...", err=True)
    serve_app(settings)


users_app = typer.Typer(help="Người dùng được đăng nhập vào ứng dụng web.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Tên đăng nhập.")],
    password: Annotated[
        str, typer.Option(prompt="Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    ],
) -> None:
    """Thêm (hoặc đổi mật khẩu) một người dùng; mật khẩu được lưu dạng băm scrypt có muối."""
    from ui.auth import add_user

    path = _settings().users_path()
    new = add_user(path, name, password)
    typer.echo(f"{'Đã thêm' if new else 'Đã đổi mật khẩu cho'} người dùng {name} ({path}).")


def main() -> None:
    """Console-script entry: run the CLI, turning expected errors into one clear line."""
    from ingest.records import UserError

    try:
        app()
    except UserError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        sys.exit(1)


if __name__ == "__main__":
    main()
