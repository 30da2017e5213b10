"""The `vankien` command line: the one entry point above all stages (imported lazily)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from assistant.settings import Settings

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


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Tệp hoặc thư mục (.txt, .md, .pdf, .docx).")],
    as_json: JsonOpt = False,
) -> None:
    """Nạp tài liệu: sửa lỗi trích xuất, tách văn bản, mục, đoạn; lưu vào kho đoạn văn."""
    import ingest as ingest_stage
    from ingest.catalog import Catalog

    settings = _settings()
    catalog = Catalog(settings.catalog_path)
    files = ingest_stage.expand(paths)
    if not files:
        raise _fail("Không có tệp nào để nạp.")
    summary = []
    with typer.progressbar(files, label="Đang nạp", file=sys.stderr) as bar:
        for path in bar:
            result = ingest_stage.load_file(path, int(settings.max_file_mb * 1_000_000))
            status = catalog.save(result) if result.error is None else "error"
            summary.append((result, status))
    failed = [r for r, status in summary if status == "error"]
    if as_json:
        typer.echo(json.dumps([_file_summary(r, s) for r, s in summary], ensure_ascii=False, indent=2))
    else:
        for result, status in summary:
            typer.echo(_file_line(result, status))
        typer.echo(
            f"Tổng: {len(summary) - len(failed)}/{len(summary)} tệp nạp được, "
            f"{sum(len(r.documents) for r, _ in summary)} văn bản, "
            f"{sum(r.paragraph_count for r, _ in summary)} đoạn. Kho: {settings.data_dir}"
        )
    if failed:
        raise typer.Exit(1)


def _file_summary(result: object, status: str) -> dict[str, object]:
    from ingest.records import FileResult

    assert isinstance(result, FileResult)
    return {
        "file": result.file,
        "status": status,
        "error": result.error,
        "warnings": list(result.warnings),
        "documents": [
            {"id": d.id, "title": d.title, "kind": d.kind, "paragraphs": len(d.paragraphs)}
            for d in result.documents
        ],
    }


def _file_line(result: object, status: str) -> str:
    from ingest.records import FileResult

    assert isinstance(result, FileResult)
    if result.error:
        return f"✗ {result.file}: {result.error}"
    label = {"new": "mới", "updated": "cập nhật", "unchanged": "không đổi"}[status]
    lines = [f"✓ {result.file} ({label}): {len(result.documents)} văn bản, {result.paragraph_count} đoạn"]
    lines += [f"    - {d.title[:90]} [{d.kind}, {len(d.paragraphs)} đoạn]" for d in result.documents]
    lines += [f"    ! {w}" for w in result.warnings]
    return "\n".join(lines)


@app.command()
def docs(as_json: JsonOpt = False) -> None:
    """Liệt kê các văn bản đã nạp."""
    from ingest.catalog import Catalog

    documents = Catalog(_settings().catalog_path).documents()
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
    from ingest.catalog import Catalog, CatalogError

    catalog = Catalog(_settings().catalog_path)
    try:
        paragraph = catalog.paragraph(paragraph_id)
        document = catalog.document(paragraph.doc_id)
    except CatalogError as exc:
        raise _fail(str(exc)) from exc
    neighbours = catalog.neighbours(paragraph, around)
    if as_json:
        from dataclasses import asdict

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


def main() -> None:
    """Console-script entry: run the CLI, turning expected errors into one clear line."""
    app()


if __name__ == "__main__":
    main()
