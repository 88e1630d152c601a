# Quick start: `make demo` (set up, ingest the seed article, search it, write its topic report) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DEMO_STORE ?= .demo/store

.PHONY: demo test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned to the CPU build by constraints.txt, so nothing pulls a CUDA build. The demo needs
# the package alone; the tests also need the extras (Ray, pyarrow and pandas among them), installed by `make test`.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt torch
	$(BIN)/pip install --quiet -c constraints.txt -e '.'
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,ray,parquet,notebook]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/topics ingest seeds --store $(DEMO_STORE)
	$(BIN)/topics search "Russia may remove the Taliban from its list of terrorist organisations" -k 3 --store $(DEMO_STORE)
	$(BIN)/topics search "Islamic State spreading toward Central Asia" -k 3 --store $(DEMO_STORE)
	$(BIN)/topics search "Who chaired the meeting in Moscow?" -k 1 --store $(DEMO_STORE)
	$(BIN)/topics cluster --store $(DEMO_STORE)
	$(BIN)/topics report --store $(DEMO_STORE) -o .demo/report.html
	$(BIN)/topics report --store $(DEMO_STORE) -o .demo/report.md
	@echo "topics is installed in $(BIN): run '. $(BIN)/activate' to use it as the README does (or call $(BIN)/topics)"

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .demo .pytest_cache
