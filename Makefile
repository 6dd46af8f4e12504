# Two commands: `make book` builds the HTML book, `make test` runs every test.
# Both first create (or refresh) the virtual environment .venv from the pinned
# requirements.txt; it is rebuilt whenever requirements.txt or code/pyproject.toml change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
BUILD_FLAGS := -W -n --keep-going
# The flows multiply many small matrices: BLAS threads only add overhead there (and
# on a busy 2-core machine they made the notebooks 10x slower). Override to compare,
# e.g. `make test OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2`.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

# Notebooks must run with Jupyter's inline matplotlib backend: a MPLBACKEND set in
# the caller's environment (e.g. Agg on a headless machine) would silently drop
# every figure from the outputs.
NB_ENV := env -u MPLBACKEND
# The notebooks and the build run without network (loopback only): see tools/offline.
OFFLINE := tools/offline

.PHONY: help venv book test test-unit test-notebooks test-notebooks-2threads test-build test-browser notebooks student landing clean

help:
	@echo "make book            build the HTML book into _build/html"
	@echo "make test            unit tests, strict nbval on every notebook, a clean -W -n build, browser tests"
	@echo "make test-browser    only the browser tests, against the current _build/html (needs Chromium)"
	@echo "make notebooks       re-execute every notebook top to bottom and save its outputs"
	@echo "make student         write the notebooks without solutions (and outputs) into student/"
	@echo "make landing         redraw images/landing.png, the figure of the landing page"
	@echo "make clean           remove _build"

$(STAMP): requirements.txt code/pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(NB_ENV) $(BIN)/jupyter-book build . $(BUILD_FLAGS)
	@echo "Open _build/html/index.html"

test: test-unit test-notebooks test-notebooks-2threads test-build test-browser

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser

test-notebooks: $(STAMP)
	$(OFFLINE) $(NB_ENV) $(BIN)/python -m pytest --nbval --nbval-current-env $(NOTEBOOKS)

# The same strict nbval a second time in a row, with two BLAS threads: the saved outputs
# must not depend on the thread count or on a previous run.
test-notebooks-2threads: $(STAMP)
	OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 $(OFFLINE) $(NB_ENV) $(BIN)/python -m pytest --nbval --nbval-current-env -p no:cacheprovider $(NOTEBOOKS)

test-build: $(STAMP)
	rm -rf _build
	$(OFFLINE) $(NB_ENV) $(BIN)/jupyter-book build . $(BUILD_FLAGS)
	test -f _build/html/index.html

# Every page in headless Chromium, MathJax served locally; screenshots in _build/screenshots.
test-browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser

notebooks: $(STAMP)
	$(NB_ENV) $(BIN)/python tools/execute_notebooks.py $(NOTEBOOKS)

student: $(STAMP)
	$(BIN)/python tools/student_edition.py student

landing: $(STAMP)
	$(BIN)/python tools/landing_figure.py

clean:
	rm -rf _build student
