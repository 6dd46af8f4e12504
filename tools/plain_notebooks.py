"""Write the reader notebooks: the chapters as plain Jupyter notebooks.

Usage:
  python tools/plain_notebooks.py                 write notebooks/ from the chapters in _toc.yml
  python tools/plain_notebooks.py --check         exit 1 if notebooks/ is not what this writes
  python tools/plain_notebooks.py --out DIR NB... convert the given (MyST) notebooks into DIR

The chapters (chapters/*.ipynb) are written for Jupyter Book: MyST directives for
theorems, proofs, exercises and solutions, roles for cross-references and citations,
labelled equations, and the LaTeX macros of _config.yml. Sphinx resolves all of them for
the HTML book. JupyterLab, Binder, Colab and a downloaded .ipynb do not: they show the
markup as text and the macros in red. The reader notebooks say the same in plain
Markdown and MathJax, which every notebook front end renders:

- theorems, lemmas, ..., proofs: a bold label with the book's number and title,
  "**Theorem 4.1 (Convergence rate).**", "*Proof.* ... ∎";
- exercises: a heading "Exercise 3.2 (title)"; each solution: a heading "Solution to
  Exercise 3.2" whose section opens collapsed in JupyterLab (click to show it);
- references read as in the HTML book ("Theorem 4.1", "(5.2)", "Fig. 8.1", "Exercise
  5.3") and link to the place, in this notebook or in another chapter's; a link to a page
  that is not a chapter goes to the online book;
- citations read "Min et al. [2021]" and link to a References section at the end;
- the macros are expanded inside the formulas, and a labelled equation carries its number
  as \\tag{5.2};
- a first code cell installs the helper package when the notebook runs in Google Colab
  and does nothing anywhere else;
- a saved animation gets a note: JupyterLab shows its first frame until the cell is run;
- everything else, code, outputs and cell tags included, is the chapter's. Cells tagged
  remove-input or hide-input open with their code collapsed.

The numbers follow the rules of the HTML build (per chapter, per kind, in document
order); tests/browser/test_reader_notebooks.py compares them with the built HTML, and
tests/test_plain_notebooks.py checks that notebooks/ is up to date. A directive or role
this tool does not know is an error, never raw text in a notebook.
"""

from __future__ import annotations

import argparse
import codecs
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "ulatex" codec used for author names)
import nbformat
import pybtex.database
import pybtex.plugin
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks"

PRF_TYPES = {
    "theorem": "Theorem",
    "lemma": "Lemma",
    "proposition": "Proposition",
    "corollary": "Corollary",
    "definition": "Definition",
    "remark": "Remark",
    "example": "Example",
    "conjecture": "Conjecture",
    "observation": "Observation",
}
# cell tags of the HTML build and what a notebook front end does with them
HIDE_SOURCE = {"remove-input", "hide-input", "remove-cell", "hide-cell"}
HIDE_OUTPUT = {"remove-output", "hide-output", "remove-cell", "hide-cell"}
# a line that opens a fence: backticks, tildes or colons (MyST's colon_fence)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w:.-]*)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[A-Za-z][\w-]*):\s*(?P<value>.*)$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")
LABEL_LINE = re.compile(r"^\((?P<label>[A-Za-z][\w:.-]*)\)=[ \t]*$")
TOKEN = re.compile(
    r"""
    (?P<role>\{(?P<rname>[A-Za-z][\w:.-]*)\}`(?P<rbody>[^`]*)`)
  | (?P<code>(?P<ticks>`+)(?:.|\n)+?(?P=ticks))
  | (?P<dmath>\$\$(?P<dbody>(?:.|\n)+?)\$\$(?:[ \t]*\((?P<dlabel>[A-Za-z][\w:.-]*)\))?)
  | (?P<imath>(?<!\\)\$(?P<ibody>(?:\\\$|[^$\n]|\n(?!\s*\n))+?)\$)
    """,
    re.VERBOSE,
)
MACRO_NAME = re.compile(r"\\([A-Za-z]+)")

COLAB_CELL = """\
# In Google Colab, install the book's helper package first (elsewhere this does nothing:
# Binder and `make lab` have it already).
import sys

if "google.colab" in sys.modules:
    import subprocess

    package = "{spec}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)"""
ANIMATION_NOTE = (
    "*A notebook opened from a file shows the saved animation above as its first frame (JupyterLab "
    "runs the scripts of saved outputs only in trusted notebooks); run the cell to play it.*"
)


class ConversionError(ValueError):
    """The chapter uses markup this tool does not know how to write plainly."""


@dataclass
class Target:
    """Something a reference can point at."""

    doc: str  # docname of the chapter, e.g. "chapters/05_regression"
    anchor: str  # id of the anchor in the reader notebook
    text: str  # how a reference reads: "Theorem 5.1", "(5.2)", "Fig. 5.1", "Exercise 5.3", a title
    title: str = ""  # the directive's title, if any


@dataclass
class Chapter:
    doc: str  # "chapters/05_regression"
    number: int  # 5
    path: Path


@dataclass
class _State:
    """What the converter tracks while it walks through one chapter."""

    chapter: Chapter
    section_level: int = 1  # level of the last heading seen
    cited: list[str] = field(default_factory=list)
    after_solution: bool = False  # a solution ended and no heading has followed yet
    title_done: bool = False


# ---------------------------------------------------------------------------
# the book: chapters, labels and their numbers, macros, bibliography


class Book:
    """The book's chapters and configuration, and every label they define."""

    def __init__(self, root: Path = ROOT):
        self.root = root
        self.config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
        macros = self.config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
        self.macros: dict[str, tuple[str, int]] = {
            name: (value, 0) if isinstance(value, str) else (value[0], int(value[1])) for name, value in macros.items()
        }
        repo = self.config["repository"]
        self.repo_url = repo["url"].rstrip("/")
        self.branch = repo["branch"]
        self.site_url = self.config["html"]["baseurl"].rstrip("/") + "/"
        self.chapters: dict[str, Chapter] = {}
        self.pages: dict[str, str] = {}  # docname -> title, for every page in the toc
        number = 0
        for part in toc.get("parts", []):
            for entry in part.get("chapters", []):
                doc = entry["file"]
                if part.get("numbered"):
                    number += 1
                    path = root / f"{doc}.ipynb"
                    if not path.exists():
                        raise ConversionError(f"{doc}: a numbered chapter must be a notebook")
                    self.chapters[doc] = Chapter(doc, number, path)
        for doc in [toc["root"]] + [e["file"] for p in toc.get("parts", []) for e in p.get("chapters", [])]:
            self.pages[doc] = self._page_title(doc)
        self.bib = pybtex.database.parse_file(str(root / "references.bib"))
        self.targets: dict[str, Target] = {}
        for chapter in self.chapters.values():
            self._collect(chapter, nbformat.read(chapter.path, as_version=4))

    def _page_title(self, doc: str) -> str:
        for suffix in (".ipynb", ".md"):
            path = self.root / f"{doc}{suffix}"
            if path.exists():
                if suffix == ".ipynb":
                    nb = nbformat.read(path, as_version=4)
                    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
                else:
                    text = path.read_text(encoding="utf-8")
                for line in text.splitlines():
                    match = HEADING.match(line)
                    if match and len(match["hashes"]) == 1:
                        return match["title"].strip()
        raise ConversionError(f"{doc}: no page with a title (a line '# ...') found")

    def _add(self, label: str, target: Target) -> None:
        if label in self.targets:
            raise ConversionError(f"label {label!r} is defined twice ({self.targets[label].doc}, {target.doc})")
        self.targets[label] = target

    def _collect(self, chapter: Chapter, nb) -> None:
        """Number every theorem-like block, exercise, labelled equation and figure, in order."""
        counters: dict[str, int] = {}

        def bump(kind: str) -> str:
            counters[kind] = counters.get(kind, 0) + 1
            return f"{chapter.number}.{counters[kind]}"

        def scan(text: str) -> None:
            pending_label = None
            for block in split_blocks(text):
                if block.kind == "directive":
                    name = block.name
                    if name.startswith("prf:") and name[4:] in PRF_TYPES:
                        if "nonumber" in block.options:
                            raise ConversionError(f"{chapter.doc}: unnumbered {name} is not supported")
                        number = bump(name)
                        label = block.options.get("label")
                        if label:
                            self._add(label, Target(chapter.doc, label, f"{PRF_TYPES[name[4:]]} {number}", block.arg))
                    elif name == "exercise":
                        number = bump(name)
                        label = block.options.get("label")
                        if label:
                            self._add(label, Target(chapter.doc, label, f"Exercise {number}", block.arg))
                    scan(block.body)
                elif block.kind == "text":
                    for line in block.text.splitlines():
                        match = LABEL_LINE.match(line)
                        if match:
                            pending_label = match["label"]
                            continue
                        heading = HEADING.match(line)
                        if heading and pending_label:
                            self._add(pending_label, Target(chapter.doc, pending_label, heading["title"].strip()))
                            pending_label = None
                        elif line.strip() and pending_label:
                            raise ConversionError(f"{chapter.doc}: label ({pending_label})= must precede a heading")
                    for token in TOKEN.finditer(block.text):
                        if token["dmath"] and token["dlabel"]:
                            self._add(token["dlabel"], Target(chapter.doc, token["dlabel"], f"({bump('equation')})"))

        for cell in nb.cells:
            if cell.cell_type == "markdown":
                scan(cell.source)
            elif cell.cell_type == "code":
                figure = cell.metadata.get("mystnb", {}).get("figure")
                if figure:
                    number = bump("figure")
                    if figure.get("name"):
                        self._add(figure["name"], Target(chapter.doc, figure["name"], f"Fig. {number}"))

    # -- bibliography ------------------------------------------------------

    def _authors(self, key: str) -> str:
        entry = self.bib.entries[key]
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [codecs.decode(" ".join(p.last_names), "ulatex").replace("{", "").replace("}", "") for p in persons]
        if not names:
            raise ConversionError(f"citation {key!r} has no author")
        if len(names) == 1:
            return names[0]
        if len(names) == 2:
            return f"{names[0]} and {names[1]}"
        return f"{names[0]} et al."

    def cite_parts(self, key: str) -> tuple[str, str]:
        """(authors, year) as the HTML book prints them: ("Min et al.", "2021")."""
        if key not in self.bib.entries:
            raise ConversionError(f"unknown citation key {key!r}")
        return self._authors(key), self.bib.entries[key].fields["year"]

    def reference_list(self, keys: list[str]) -> str:
        """The cited works, formatted like the HTML book's bibliography (pybtex, plain style), as Markdown."""
        style = pybtex.plugin.find_plugin("pybtex.style.formatting", "plain")()
        backend = pybtex.plugin.find_plugin("pybtex.backends", "markdown")()
        entries = {e.key: e for e in style.format_entries([self.bib.entries[k] for k in keys])}
        lines = []
        for key in sorted(keys, key=lambda k: (self.cite_parts(k)[0], self.cite_parts(k)[1])):
            text = " ".join(entries[key].text.render(backend).split())
            authors, year = self.cite_parts(key)
            lines.append(f'- <a id="ref-{key}"></a>**{authors} [{year}]** {text}')
        return "\n".join(lines)

    # -- macros ------------------------------------------------------------

    def expand_macros(self, tex: str) -> str:
        """Replace the book's macros by their definitions (repeatedly, so macros may use macros)."""
        for _ in range(10):
            expanded = self._expand_once(tex)
            if expanded == tex:
                return expanded
            tex = expanded
        raise ConversionError(f"macros do not terminate in {tex!r}")

    def _expand_once(self, tex: str) -> str:
        out, pos = [], 0
        for match in MACRO_NAME.finditer(tex):
            if match.start() < pos:
                continue
            name = match[1]
            if match.start() > 0 and tex[match.start() - 1] == "\\":  # an escaped backslash, "\\R"
                continue
            if name not in self.macros:
                continue
            body, nargs = self.macros[name]
            end = match.end()
            args = []
            for _ in range(nargs):
                arg, end = _tex_argument(tex, end)
                args.append(arg)
            for i, arg in enumerate(args, start=1):
                body = body.replace(f"#{i}", arg)
            out.append(tex[pos : match.start()])
            # keep a following letter from gluing onto the expansion's last control word
            out.append(
                body + (" " if end < len(tex) and tex[end].isalpha() and re.search(r"\\[A-Za-z]+$", body) else "")
            )
            pos = end
        out.append(tex[pos:])
        return "".join(out)

    # -- links -------------------------------------------------------------

    def notebook_name(self, doc: str) -> str:
        return Path(doc).name + ".ipynb"

    def link(self, target_doc: str, anchor: str, here: str) -> str:
        if target_doc == here:
            return f"#{anchor}" if anchor else "#"
        return self.notebook_name(target_doc) + (f"#{anchor}" if anchor else "")

    def colab_spec(self) -> str:
        return f"overparam @ git+{self.repo_url}@{self.branch}#subdirectory=code"


def _tex_argument(tex: str, pos: int) -> tuple[str, int]:
    """The argument of a macro at tex[pos:]: a {group} (without its braces) or one token."""
    while pos < len(tex) and tex[pos] in " \t\n":
        pos += 1
    if pos >= len(tex):
        raise ConversionError(f"macro argument missing at the end of {tex!r}")
    if tex[pos] == "{":
        depth = 0
        for i in range(pos, len(tex)):
            if tex[i] == "\\":
                continue
            if tex[i] == "{" and (i == 0 or tex[i - 1] != "\\"):
                depth += 1
            elif tex[i] == "}" and tex[i - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return tex[pos + 1 : i], i + 1
        raise ConversionError(f"unbalanced braces in {tex!r}")
    if tex[pos] == "\\":
        match = re.match(r"\\(?:[A-Za-z]+|.)", tex[pos:])
        return match[0], pos + len(match[0])
    return tex[pos], pos + 1


# ---------------------------------------------------------------------------
# Markdown with MyST directives, split into blocks


@dataclass
class Block:
    kind: str  # "text", "code" (a fenced code block) or "directive"
    text: str = ""  # the raw text (text, code)
    name: str = ""
    arg: str = ""
    options: dict[str, str] = field(default_factory=dict)
    body: str = ""


def split_blocks(text: str) -> list[Block]:
    """Split Markdown into text, fenced code and (MyST) directive blocks; directives keep their body raw."""
    lines = text.split("\n")
    blocks: list[Block] = []
    buffer: list[str] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            buffer.append(lines[i])
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            j += 1
        if j == len(lines):
            raise ConversionError(f"unclosed fence {fence}{info} in:\n{text}")
        if buffer:
            blocks.append(Block("text", "\n".join(buffer)))
            buffer = []
        directive = DIRECTIVE.match(info)
        if directive:
            body = lines[i + 1 : j]
            options = {}
            while body and OPTION.match(body[0]):
                option = OPTION.match(body[0])
                options[option["key"]] = option["value"].strip()
                body = body[1:]
            if body and body[0].strip() == "---":
                raise ConversionError(f"YAML options of {{{directive['name']}}} are not supported: use :key: value")
            blocks.append(
                Block(
                    "directive",
                    name=directive["name"],
                    arg=directive["arg"].strip(),
                    options=options,
                    body="\n".join(body).strip("\n"),
                )
            )
        elif fence[0] == ":":
            raise ConversionError(f"a colon fence without a directive: {lines[i]!r}")
        else:
            blocks.append(Block("code", "\n".join(lines[i : j + 1])))
        i = j + 1
    if buffer:
        blocks.append(Block("text", "\n".join(buffer)))
    return blocks


# ---------------------------------------------------------------------------
# conversion of one chapter


class Converter:
    def __init__(self, book: Book):
        self.book = book

    # -- inline markup -------------------------------------------------------

    def inline(self, text: str, state: _State) -> str:
        """Roles, math and label lines of a text block, written plainly."""
        out, pos = [], 0
        for token in TOKEN.finditer(text):
            out.append(text[pos : token.start()])
            pos = token.end()
            if token["role"]:
                out.append(self.role(token["rname"], token["rbody"], state))
            elif token["code"]:
                out.append(token[0])
            elif token["dmath"]:
                body = self.book.expand_macros(token["dbody"])
                if token["dlabel"]:
                    target = self.book.targets[token["dlabel"]]
                    number = target.text.strip("()")
                    out.append(f'<a id="{target.anchor}"></a>\n$$' + body.rstrip() + f"\n\\tag{{{number}}}\n$$")
                else:
                    out.append("$$" + body + "$$")
            else:
                out.append("$" + self.book.expand_macros(token["ibody"]) + "$")
        out.append(text[pos:])
        return "".join(out)

    def role(self, name: str, body: str, state: _State) -> str:
        here = state.chapter.doc
        explicit = re.match(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", body, re.S)
        text, key = (explicit["text"], explicit["target"]) if explicit else (None, body.strip())
        if name in ("prf:ref", "ref", "eq", "numref"):
            if key not in self.book.targets:
                raise ConversionError(f"{here}: {{{name}}} to an unknown label {key!r}")
            target = self.book.targets[key]
            if name == "numref" and text:
                text = text.replace("%s", target.text.split(" ", 1)[1])
            shown = text or target.text
            return f"[{shown}]({self.book.link(target.doc, target.anchor, here)})"
        if name == "doc":
            doc = _resolve_doc(key, here)
            if doc in self.book.chapters:
                return f"[{text or self.book.pages[doc]}]({self.book.link(doc, '', here)})"
            if doc not in self.book.pages:
                raise ConversionError(f"{here}: {{doc}} to {key!r}, which is not a page of the book")
            return f"[{text or self.book.pages[doc]}]({self.book.site_url}{doc}.html)"
        if name in ("cite", "cite:p", "cite:t"):
            keys = [k.strip() for k in key.split(",")]
            for k in keys:
                if k not in state.cited:
                    state.cited.append(k)
            if name == "cite:t":
                parts = []
                for k in keys:
                    authors, year = self.book.cite_parts(k)
                    parts.append(f"{authors} \\[[{year}](#ref-{k})\\]")
                return ", ".join(parts)
            inner = ", ".join(f"[{a}, {y}](#ref-{k})" for k in keys for a, y in [self.book.cite_parts(k)])
            return f"\\[{inner}\\]"
        raise ConversionError(f"{here}: unknown role {{{name}}}`{body}`")

    # -- blocks --------------------------------------------------------------

    def markdown_cell(self, source: str, state: _State) -> list[tuple[str, dict]]:
        """One markdown cell of the chapter as one or more plain markdown cells (source, metadata)."""
        cells: list[tuple[str, dict]] = []
        parts: list[str] = []

        def flush(metadata=None):
            text = "\n\n".join(p.strip("\n") for p in parts if p.strip())
            if text:
                cells.append((text, metadata or {}))
            parts.clear()

        for block in split_blocks(source):
            if block.kind == "code":
                self._content_follows(state, block.text)
                parts.append(block.text)
            elif block.kind == "text":
                self._content_follows(state, block.text)
                parts.append(self.text(block.text, state))
            else:
                name = block.name
                if name == "solution-start":
                    flush()
                    exercise = self.book.targets.get(block.arg)
                    if exercise is None:
                        raise ConversionError(f"{state.chapter.doc}: solution to an unknown exercise {block.arg!r}")
                    level = min(state.section_level + 2, 6)
                    title = f" ({self.inline(exercise.title, state)})" if exercise.title else ""
                    parts.append(f"{'#' * level} Solution to {exercise.text}{title}")
                    flush({"jp-MarkdownHeadingCollapsed": True})
                elif name == "solution-end":
                    flush()
                    state.after_solution = True
                elif name == "exercise":
                    flush()  # an exercise starts a cell: JupyterLab folds sections cell by cell
                    state.after_solution = False
                    label = block.options.get("label", "")
                    target = self.book.targets.get(label)
                    if target is None:
                        raise ConversionError(f"{state.chapter.doc}: every exercise needs a :label:")
                    level = min(state.section_level + 1, 6)
                    title = f" ({self.inline(block.arg, state)})" if block.arg else ""
                    parts.append(f'{"#" * level} <a id="{label}"></a>{target.text}{title}')
                    parts.append(self.body(block.body, state))
                elif name.startswith("prf:") and name[4:] in PRF_TYPES:
                    self._content_follows(state, "x")
                    label = block.options.get("label", "")
                    number = self.book.targets[label].text if label else None
                    if number is None:
                        raise ConversionError(f"{state.chapter.doc}: {{{name}}} {block.arg!r} needs a :label:")
                    title = f" ({self.inline(block.arg, state)})" if block.arg else ""
                    parts.append(self._lead(f'<a id="{label}"></a>**{number}{title}.**', self.body(block.body, state)))
                elif name == "prf:proof":
                    self._content_follows(state, "x")
                    parts.append(self._lead("*Proof.*", self.body(block.body, state), end="∎"))
                else:
                    raise ConversionError(f"{state.chapter.doc}: unknown directive {{{name}}}")
        flush()
        return cells

    def body(self, text: str, state: _State) -> str:
        """The body of a directive: text with inline markup, fenced code kept; no nested directives."""
        out = []
        for block in split_blocks(text):
            if block.kind == "directive":
                raise ConversionError(f"{state.chapter.doc}: nested directive {{{block.name}}} is not supported")
            out.append(block.text if block.kind == "code" else self.text(block.text, state))
        return "\n".join(out)

    def text(self, text: str, state: _State) -> str:
        """A text block: labels become anchors, headings are tracked (the chapter title
        numbered), and inline markup is converted."""
        lines: list[str] = []
        pending = ""  # the anchor of a label line, waiting for the heading it names
        for line in text.split("\n"):
            label = LABEL_LINE.match(line)
            if label:
                pending = f'<a id="{label["label"]}"></a>'
                continue
            heading = HEADING.match(line)
            if heading:
                level = len(heading["hashes"])
                title = heading["title"].strip()
                state.section_level = level
                state.after_solution = False
                blurb = ""
                if level == 1 and not state.title_done:
                    state.title_done = True
                    chapter = state.chapter
                    title = f"{chapter.number}. {title}"
                    blurb = (
                        f"\n\n*Chapter {chapter.number} of [Gradient Flow in Overparameterized Linear Models]"
                        f"({self.book.site_url}intro.html), as a notebook. References to other chapters open "
                        "their notebooks; the online book has the same text, figures and numbers.*"
                    )
                line = f"{heading['hashes']} {pending}{title}{blurb}"
                pending = ""
            elif pending and line.strip():
                line = pending + line
                pending = ""
            lines.append(line)
        if pending:
            lines.append(pending)
        return self.inline("\n".join(lines), state)

    @staticmethod
    def _lead(lead: str, body: str, end: str = "") -> str:
        """A bold or italic lead-in joined to the first paragraph of a body; an end mark after the last."""
        body = body.strip("\n")
        starts_plain = body and not re.match(r"^(\$\$|<a id|[-*+] |\d+\. |#|>|\||`{3}|~{3})", body)
        text = f"{lead} {body}" if starts_plain else f"{lead}\n\n{body}" if body else lead
        if end:
            last = text.rstrip().split("\n")[-1]
            text = text.rstrip() + (f" {end}" if not re.match(r"^(\$\$|`{3,}|~{3,})", last.strip()) else f"\n\n{end}")
        return text

    def _content_follows(self, state: _State, text: str) -> None:
        """After a solution, the next content must start a new heading: it would be folded away with it."""
        if not state.after_solution or not text.strip():
            return
        first = text.strip().split("\n")[0]
        if HEADING.match(first) or LABEL_LINE.match(first):
            return
        raise ConversionError(
            f"{state.chapter.doc}: text after a solution must start with a heading or an exercise, "
            f"or it is hidden with the collapsed solution: {first!r}"
        )

    # -- the notebook --------------------------------------------------------

    def convert(self, nb, chapter: Chapter):
        state = _State(chapter)
        out = nbformat.v4.new_notebook()
        out.metadata = {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
        cells = []
        colab_done = False
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for source, metadata in self.markdown_cell(cell.source, state):
                    new = nbformat.v4.new_markdown_cell(source)
                    new.metadata.update(metadata)
                    cells.append(new)
                continue
            if cell.cell_type != "code":
                raise ConversionError(f"{chapter.doc}: a {cell.cell_type} cell")
            if state.after_solution and cell.source.strip():
                raise ConversionError(f"{chapter.doc}: a code cell after a solution must follow a heading")
            if not colab_done:
                cells.append(nbformat.v4.new_code_cell(COLAB_CELL.format(spec=self.book.colab_spec())))
                colab_done = True
            new = nbformat.v4.new_code_cell(cell.source)
            new.outputs = copy.deepcopy(cell.outputs)
            new.execution_count = cell.execution_count
            tags = list(cell.metadata.get("tags", []))
            if tags:
                new.metadata["tags"] = tags
            jupyter = {}
            if HIDE_SOURCE & set(tags):
                jupyter["source_hidden"] = True
            if HIDE_OUTPUT & set(tags):
                jupyter["outputs_hidden"] = True
            if jupyter:
                new.metadata["jupyter"] = jupyter
            cells.append(new)
            if any("_anim_img" in "".join(out.get("data", {}).get("text/html", "")) for out in cell.outputs):
                cells.append(nbformat.v4.new_markdown_cell(ANIMATION_NOTE))
            figure = cell.metadata.get("mystnb", {}).get("figure")
            if figure:
                number = None
                if figure.get("name"):
                    number = self.book.targets[figure["name"]].text
                caption = self.inline(figure.get("caption", ""), state)
                anchor = f'<a id="{figure["name"]}"></a>' if figure.get("name") else ""
                cells.append(nbformat.v4.new_markdown_cell(f"{anchor}**{number or 'Figure'}.** {caption}".strip()))
        if state.cited:
            cells.append(nbformat.v4.new_markdown_cell("## References\n\n" + self.book.reference_list(state.cited)))
        for i, cell in enumerate(cells):
            cell["id"] = f"cell-{i:03d}"
        out.cells = cells
        return out


def _resolve_doc(key: str, here: str) -> str:
    """The docname a {doc} role points at, from the chapter's folder."""
    key = key.removesuffix(".md").removesuffix(".ipynb")
    if key.startswith("/"):
        return key.lstrip("/")
    parts = Path(here).parent.joinpath(key).parts
    resolved: list[str] = []
    for part in parts:
        if part == "..":
            resolved.pop()
        elif part != ".":
            resolved.append(part)
    return "/".join(resolved)


def write_all(book: Book, out: Path, sources: list[Path] | None = None) -> list[Path]:
    """Convert the chapters (or the given MyST notebooks, named like chapters) into out/."""
    out.mkdir(parents=True, exist_ok=True)
    converter = Converter(book)
    written = []
    by_name = {c.path.name: c for c in book.chapters.values()}
    for path in sources or [c.path for c in book.chapters.values()]:
        chapter = by_name.get(path.name)
        if chapter is None:
            raise ConversionError(f"{path}: not a chapter of the book (its name must match one in _toc.yml)")
        nb = nbformat.read(path, as_version=4)
        target = out / path.name
        nbformat.write(converter.convert(nb, chapter), target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with notebooks/ instead of writing it")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default notebooks/)")
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="MyST notebooks named like the chapters (default: the chapters)"
    )
    args = parser.parse_args(argv)
    book = Book()
    if args.check:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            written = write_all(book, Path(tmp))
            stale = [
                p.name for p in written if not (OUT / p.name).exists() or (OUT / p.name).read_bytes() != p.read_bytes()
            ]
            extra = sorted({p.name for p in OUT.glob("*.ipynb")} - {p.name for p in written})
        if stale or extra:
            print(f"notebooks/ is out of date (run `make notebooks`): {', '.join(stale + extra)}", file=sys.stderr)
            return 1
        print(f"notebooks/ is up to date ({len(written)} notebooks)")
        return 0
    for path in write_all(book, args.out, args.notebooks or None):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
