"""The reader notebooks (notebooks/, written by tools/plain_notebooks.py from chapters/).

- notebooks/ is exactly what the tool writes from the chapters now (so a chapter edited
  without `make notebooks` fails here, not in a reader's JupyterLab);
- no MyST markup and no book macro is left in any markdown cell, and every anchor a link
  points at exists;
- each construct the chapters use converts as documented, on small inputs;
- markup the tool does not know is an error, not raw text in a notebook;
- the first code cell installs the helper package in Colab, and does nothing elsewhere.

Whether JupyterLab renders the notebooks cleanly is tests/lab's job; whether their
numbers match the HTML book is tests/browser/test_reader_notebooks.py's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import plain_notebooks as pn  # noqa: E402

READER = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def book():
    return pn.Book()


def _chapter(book, number=5):
    return next(c for c in book.chapters.values() if c.number == number)


def _md(book, text, number=5):
    state = pn._State(_chapter(book, number))
    state.title_done = True
    cells = pn.Converter(book).markdown_cell(text, state)
    return cells, state


def test_every_chapter_has_its_reader_notebook_and_nothing_else(book):
    assert [p.name for p in READER] == sorted(c.path.name for c in book.chapters.values())


def test_reader_notebooks_are_up_to_date(tmp_path, book):
    written = pn.write_all(book, tmp_path)
    stale = [p.name for p in written if p.read_bytes() != (ROOT / "notebooks" / p.name).read_bytes()]
    assert not stale, f"notebooks/ is out of date, run `make reader-notebooks`: {stale}"


@pytest.mark.parametrize("path", READER, ids=[p.stem for p in READER])
def test_no_myst_markup_or_book_macro_is_left(path, book):
    nb = nbformat.read(path, as_version=4)
    macros = "|".join(book.macros)
    anchors = set()
    links = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"(`+)(?:.|\n)+?\1", "", cell.source)  # code spans may show anything
        assert not re.search(r"\{[A-Za-z][\w:.-]*\}`", text), f"a role in {cell.source[:200]!r}"
        assert not re.search(r"(?m)^[`~:]{3,}\{", text), f"a directive in {cell.source[:200]!r}"
        assert not re.search(r"(?m)^\([\w:.-]+\)=\s*$", text), f"a label line in {cell.source[:200]!r}"
        assert not re.search(r"(?m)^:(label|class|nonumber):", text), f"an option line in {cell.source[:200]!r}"
        assert not re.search(rf"\\({macros})(?![A-Za-z])", text), f"a book macro in {cell.source[:200]!r}"
        assert not re.search(r"\$\$[ \t]*\(", text), f"an equation label in {cell.source[:200]!r}"
        anchors.update(re.findall(r'<a id="([^"]+)"></a>', text))
        prose = re.sub(r"\$\$(?:.|\n)+?\$\$|\$[^$]+\$", "", text)  # formulas may contain "](" too
        links += re.findall(r"\]\(([^)\s]+)\)", prose)
    for link in links:
        target, _, fragment = link.partition("#")
        if link.startswith("http"):
            assert link.startswith((book.site_url, "https://doi.org/", "https://arxiv.org/")), link
        elif target:
            assert (ROOT / "notebooks" / target).exists(), f"link to a missing notebook: {link}"
            if fragment:
                other = (ROOT / "notebooks" / target).read_text(encoding="utf-8")
                assert f'<a id=\\"{fragment}\\"></a>' in other, f"link to a missing anchor: {link}"
        else:
            assert fragment in anchors, f"link to a missing anchor: {link}"


@pytest.mark.parametrize("path", READER, ids=[p.stem for p in READER])
def test_code_and_outputs_are_the_chapters(path):
    source = nbformat.read(ROOT / "chapters" / path.name, as_version=4)
    reader = nbformat.read(path, as_version=4)
    code = [c for c in reader.cells if c.cell_type == "code"]
    assert "google.colab" in code[0].source and not code[0].outputs
    chapter_code = [c for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in code[1:]] == [c.source for c in chapter_code]
    assert [c.outputs for c in code[1:]] == [c.outputs for c in chapter_code]
    assert [c.metadata.get("tags", []) for c in code[1:]] == [c.metadata.get("tags", []) for c in chapter_code]


def test_solutions_open_collapsed_under_their_exercise(book):
    for path in READER:
        nb = nbformat.read(path, as_version=4)
        chapter = nbformat.read(ROOT / "chapters" / path.name, as_version=4)
        n_solutions = sum(c.source.count("{solution-start}") for c in chapter.cells if c.cell_type == "markdown")
        collapsed = [c for c in nb.cells if c.metadata.get("jp-MarkdownHeadingCollapsed")]
        assert len(collapsed) == n_solutions
        for cell in collapsed:
            assert re.fullmatch(r"#{3,6} Solution to Exercise \d+\.\d+( \(.*\))?", cell.source), cell.source


# ---------------------------------------------------------------------------
# the constructs, one at a time


def test_theorem_proof_and_references(book):
    text = (
        "```{prf:theorem} Convergence rate of regression\n:label: thm-regression-rate\n\n"
        "Let $X \\in \\R^{N \\times m}$. See {prf:ref}`thm-general-init-rate` and {eq}`eq-regression-c`.\n```\n\n"
        "```{prf:proof}\nBy {prf:ref}`lem-regression-split`, $\\fro{A}^2 = 1$.\n```"
    )
    (cell,), _ = _md(book, text)
    source = cell[0]
    assert source.startswith(
        '<a id="thm-regression-rate"></a>**Theorem 5.1 (Convergence rate of regression).** Let $X \\in \\mathbb{R}^{N'
    )
    assert "[Theorem 4.1](04_general_init.ipynb#thm-general-init-rate)" in source
    assert "[(5.4)](#eq-regression-c)" in source
    assert "*Proof.* By [Lemma 5.1](#lem-regression-split), $\\left\\lVert A \\right\\rVert_F^2 = 1$. ∎" in source


def test_labelled_equation_gets_an_anchor_and_a_tag(book):
    (cell,), _ = _md(book, "Then\n\n$$\na = b\n$$ (eq-regression-c)\n\nand more.")
    assert cell[0] == 'Then\n\n<a id="eq-regression-c"></a>\n$$\na = b\n\\tag{5.4}\n$$\n\nand more.'


def test_exercise_heading_and_collapsed_solution(book):
    text = (
        "## Exercises\n\n```{exercise} Rescaling the data\n:label: ex-regression-scaling\n\nShow it.\n```\n\n"
        "```{solution-start} ex-regression-scaling\n:class: dropdown\n```\n\nIt holds.\n\n```{solution-end}\n```\n\n"
        "```{exercise} Spectral starts\n:label: ex-regression-spectral\n\nMore.\n```\n\n"
        "```{solution-start} ex-regression-spectral\n:class: dropdown\n```\n\nAlso.\n\n```{solution-end}\n```"
    )
    cells, state = _md(book, text)
    # JupyterLab folds a heading's section cell by cell: every exercise and solution starts a cell
    assert [c[0] for c in cells] == [
        "## Exercises",
        '### <a id="ex-regression-scaling"></a>Exercise 5.3 (Rescaling the data)\n\nShow it.',
        "#### Solution to Exercise 5.3 (Rescaling the data)",
        "It holds.",
        '### <a id="ex-regression-spectral"></a>Exercise 5.4 (Spectral starts)\n\nMore.',
        "#### Solution to Exercise 5.4 (Spectral starts for regression)",
        "Also.",
    ]
    assert [c[1] for c in cells] == [
        {},
        {},
        {"jp-MarkdownHeadingCollapsed": True},
        {},
        {},
        {"jp-MarkdownHeadingCollapsed": True},
        {},
    ]
    assert state.after_solution
    # text after a solution must open a new section, or it would be folded away with it
    with pytest.raises(pn.ConversionError, match="after a solution"):
        pn.Converter(book).markdown_cell("Some remark.", state)


def test_citations_and_doc_links(book):
    (cell,), state = _md(
        book,
        "As {cite:t}`min2021explicit` show {cite}`chizat2019lazy,jacot2018ntk`; see {doc}`chapter 4 <04_general_init>` and the {doc}`notation page <../notation>`.",  # noqa: E501
    )
    assert cell[0] == (
        "As Min et al. \\[[2021](#ref-min2021explicit)\\] show "
        "\\[[Chizat et al., 2019](#ref-chizat2019lazy), [Jacot et al., 2018](#ref-jacot2018ntk)\\]; "
        f"see [chapter 4](04_general_init.ipynb) and the [notation page]({book.site_url}notation.html)."
    )
    assert state.cited == ["min2021explicit", "chizat2019lazy", "jacot2018ntk"]
    refs = book.reference_list(state.cited)
    assert '<a id="ref-jacot2018ntk"></a>**Jacot et al. [2018]** Arthur Jacot' in refs
    assert book.cite_parts("stoger2021small") == ("Stöger and Soltanolkotabi", "2021")


def test_label_line_becomes_an_anchor_in_its_heading(book):
    (cell,), _ = _md(book, "(sec-x)=\n## A section\n\nText.")
    assert cell[0] == '## <a id="sec-x"></a>A section\n\nText.'


def test_macros_expand_with_arguments_and_leave_other_commands_alone(book):
    assert book.expand_macros(r"\fro{\tilde Y - S U_1}") == r"\left\lVert \tilde Y - S U_1 \right\rVert_F"
    assert (
        book.expand_macros(r"\norm{X}_2 \Rightarrow \R^n \lbarp")
        == r"\left\lVert X \right\rVert_2 \Rightarrow \mathbb{R}^n \bar{\lambda}_{+}"
    )
    assert book.expand_macros(r"\fro A + \tr M") == r"\left\lVert A \right\rVert_F + \operatorname{tr} M"
    assert book.expand_macros(r"\Rtimes \trace") == r"\Rtimes \trace"  # longer names are other commands


@pytest.mark.parametrize(
    "text, message",
    [
        ("```{note}\nHi\n```", "unknown directive"),
        ("See {foo}`bar`.", "unknown role"),
        ("See {prf:ref}`no-such-label`.", "unknown label"),
        ("See {cite}`nobody2000`.", "unknown citation"),
        ("```{prf:lemma} Untitled\nno label\n```", "needs a :label:"),
        ("```{exercise}\nno label\n```", "every exercise needs a :label:"),
        ("```{prf:theorem} A\n:label: thm-x\n```{prf:proof}\ninner\n```\n```", "unclosed fence|nested"),
        (":::{note}\nHi\n:::", "unknown directive"),
    ],
)
def test_unknown_markup_is_an_error(book, text, message):
    with pytest.raises(pn.ConversionError, match=message):
        _md(book, text)


def test_cell_tags_that_hide_code_in_the_book_collapse_it_in_jupyter(book, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["remove-input"]}),
        nbformat.v4.new_code_cell("y = 2", metadata={"tags": ["hide-output"]}),
    ]
    out = pn.Converter(book).convert(nb, _chapter(book, 1))
    assert out.cells[0].source.startswith("# 1. Title\n\n*Chapter 1 of [Gradient Flow")
    assert out.cells[2].metadata["jupyter"] == {"source_hidden": True}
    assert out.cells[3].metadata["jupyter"] == {"outputs_hidden": True}


# ---------------------------------------------------------------------------
# the Colab cell


def _colab_cell(book):
    return pn.COLAB_CELL.format(spec=book.colab_spec())


def test_colab_cell_installs_the_package_from_this_repository_in_colab_only(book, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(_colab_cell(book), {})
    assert calls == []  # not in Colab: nothing happens
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(_colab_cell(book), {})
    ((args, kwargs),) = calls
    command = args[0]
    assert command[:4] == [sys.executable, "-m", "pip", "install"] and kwargs == {"check": True}
    spec = command[-1]
    assert spec == f"overparam @ git+{book.repo_url}@{book.branch}#subdirectory=code"
    # the subdirectory is this repository's helper package
    assert (ROOT / "code" / "pyproject.toml").read_text().count('name = "overparam"') == 1


def test_colab_cell_is_the_first_code_cell_of_every_reader_notebook(book):
    for path in READER:
        code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        assert code[0].source == _colab_cell(book)
