"""Fixtures for the JupyterLab tests: a JupyterLab server on a copy of notebooks/, and
headless Chromium. These tests run in the Binder-equivalent environment .venv-lab
(`make test-lab`), with --confcutdir=tests/lab so that tests/conftest.py, which needs the
development environment, is not loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lab_app import chromium, jupyterlab

ROOT = Path(__file__).resolve().parents[2]
READER = ROOT / "notebooks"


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """(base URL, token, folder): the reader notebooks, copied so that JupyterLab writes nothing into the repository."""
    folder = tmp_path_factory.mktemp("lab") / "notebooks"
    shutil.copytree(READER, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    with jupyterlab(folder) as (base, token, _log):
        yield base, token, folder


@pytest.fixture(scope="session")
def browser():
    with chromium.browser("the JupyterLab tests") as b:
        yield b
