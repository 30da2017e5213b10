# The README's two commands: `make run` (install, ingest the bundled corpus, ...) and `make test`.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
CORPUS    := data/corpus

.PHONY: run test check install browser office bench bench-scale clean-venv

run: install
	$(BIN)/vankien models pull embeddinggemma-300m qwen2.5-coder-1.5b-instruct-q4_k_m
	$(BIN)/vankien ingest $(CORPUS)
	$(BIN)/vankien serve

test: install browser office
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

check: test

# The browser tests drive Debian's chromium through Playwright (Playwright's own browser download is never used).
browser:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# The brief tests open the DOCX handout with LibreOffice (to PDF) and render its first page with poppler.
office:
	command -v libreoffice >/dev/null && command -v pdftoppm >/dev/null || \
		(apt-get update && apt-get install -y --no-install-recommends libreoffice-writer poppler-utils)

install: $(STAMP)

# torch is installed first and pinned, so that pip takes the CPU build on this disk and never a CUDA one.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Benchmarks print figures; they are not tests (a few minutes; bench-scale about half an hour).
bench: install
	$(BIN)/python scripts/bench_ingest.py
	$(BIN)/python scripts/bench_keywords.py
	$(BIN)/python scripts/bench_index.py
	$(BIN)/python scripts/bench_retrieval.py

bench-scale: install
	$(BIN)/python scripts/bench_scale.py --n 100000

clean-venv:
	rm -rf $(VENV)
