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

.PHONY: help venv book test test-unit test-unit-blas test-notebooks test-notebooks-blas test-build test-browser \
        test-lab notebooks reader-notebooks lab student landing clean

help:
	@echo "make book            build the HTML book into _build/html"
	@echo "make test            unit tests and strict nbval (also with another CPU's BLAS kernels), a clean -W -n"
	@echo "                     build, browser tests of the book, and the notebooks in JupyterLab as Binder shows them"
	@echo "make lab             open the notebooks in JupyterLab, as Binder does (environment .venv-lab)"
	@echo "make notebooks       re-execute every chapter, save its outputs, and rewrite the reader notebooks"
	@echo "make reader-notebooks  only rewrite notebooks/ (the plain notebooks) from chapters/"
	@echo "make test-browser    only the browser tests, against the current _build/html (needs Chromium)"
	@echo "make test-lab        only the JupyterLab tests (needs Chromium)"
	@echo "make student         write the notebooks without solutions into student/"
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

test: test-unit test-unit-blas test-notebooks test-notebooks-blas test-build test-browser test-lab

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/lab

test-unit-blas: $(STAMP)
	$(ALT_KERNELS_UNIT) $(BIN)/python -m pytest -p no:cacheprovider tests --ignore=tests/browser --ignore=tests/lab

test-notebooks: $(STAMP)
	$(OFFLINE) $(NB_ENV) $(BIN)/python -m pytest --nbval --nbval-current-env $(NOTEBOOKS)

# The same strict nbval a second time in a row, with two BLAS threads and another CPU's
# kernels: the saved outputs must depend on neither, nor on a previous run.
test-notebooks-blas: $(STAMP)
	$(ALT_KERNELS_NB) OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 $(OFFLINE) $(NB_ENV) \
	  $(BIN)/python -m pytest --nbval --nbval-current-env -p no:cacheprovider $(NOTEBOOKS)

test-build: $(STAMP)
	rm -rf _build
	$(OFFLINE) $(NB_ENV) $(BIN)/jupyter-book build . $(BUILD_FLAGS)
	test -f _build/html/index.html

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
