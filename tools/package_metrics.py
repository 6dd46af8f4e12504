"""Size metrics of the helper package and its tests (for the maintainers; not part of the book).

    python tools/package_metrics.py [--root DIR] [--markdown]

Counts, from the source files alone (nothing is imported):

lines per module
    physical lines of each ``code/src/overparam/**/*.py``;
public names
    the names in the ``__all__`` of every public module (the modules listed in the package's
    ``__all__``, counted once each even when a subpackage re-exports them);
public functions fully typed
    public functions with a type hint on every parameter and on the return value;
lines of input checking
    the lines of ``_validate.py``, plus, elsewhere, every line of a statement that raises
    ``ValueError`` or ``TypeError`` (with the ``if`` line that guards it), of a statement that
    calls the checks (``_v.<name>``, ``_validate.<name>``, ``check_<name>``, ``_check_<name>``),
    and the whole of any function whose name starts with ``check_`` or ``_check_``;
input-checking statements
    the same statements counted once each, however many lines they are wrapped over
    (``_validate.py`` included);
lines over 100 characters
    in the package;
lines of tests
    physical lines of ``tests/**/*.py`` (the browser, JupyterLab, PDF and site tests included).
"""

from __future__ import annotations

import argparse
import ast
import pathlib

CHECK_ERRORS = {"ValueError", "TypeError"}
CHECK_MODULES = {"_v", "_validate"}


def _is_check_call(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in CHECK_MODULES:
                return True
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name.startswith(("check_", "_check_")):
                return True
    return False


def _raises_check_error(node: ast.AST) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id in CHECK_ERRORS


def checking_statements(source: str) -> int:
    """The number of statements of ``source`` that check inputs: each raise of ``ValueError`` or
    ``TypeError`` and each call of the checks counts once however many lines it is wrapped over."""
    tree = ast.parse(source)
    count = 0
    for node in ast.walk(tree):
        if _raises_check_error(node):
            count += 1
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr | ast.Return) and _is_check_call(node):
            count += 1
    return count


def checking_lines(source: str) -> set[int]:
    """The line numbers of ``source`` that check inputs (see the module docstring)."""
    tree = ast.parse(source)
    lines: set[int] = set()

    def span(node: ast.AST) -> range:
        return range(node.lineno, node.end_lineno + 1)

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith(("check_", "_check_")):
            lines.update(span(node))
        elif isinstance(node, ast.If) and any(_raises_check_error(s) for s in node.body):
            lines.update(range(node.lineno, node.test.end_lineno + 1))
            for s in node.body:
                if _raises_check_error(s):
                    lines.update(span(s))
        elif _raises_check_error(node):
            lines.update(span(node))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr | ast.Return) and _is_check_call(node):
            lines.update(span(node))
    return lines


def package_metrics(root: pathlib.Path) -> dict:
    src = root / "code" / "src" / "overparam"
    modules = {}
    checking = 0
    statements = 0
    long_lines = 0
    for path in sorted(src.rglob("*.py")):
        text = path.read_text()
        rel = str(path.relative_to(src))
        modules[rel] = text.count("\n")
        long_lines += sum(len(line) > 100 for line in text.splitlines())
        checking += modules[rel] if path.name == "_validate.py" else len(checking_lines(text))
        statements += checking_statements(text)
    init = ast.parse((src / "__init__.py").read_text())
    public_modules = next(
        ast.literal_eval(n.value)
        for n in init.body
        if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
    )
    public = functions = typed = 0
    for mod in public_modules:
        single = src / f"{mod}.py"
        files = [single] if single.exists() else sorted((src / mod).rglob("*.py"))
        path = single if single.exists() else src / mod / "__init__.py"
        names: list[str] = []
        for n in ast.parse(path.read_text()).body:
            if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets):
                names = ast.literal_eval(n.value)
        public += len(names)
        defs = {n.name: n for f in files for n in ast.parse(f.read_text()).body if isinstance(n, ast.FunctionDef)}
        for name in names:
            if name in defs:
                functions += 1
                a = defs[name].args
                params = a.posonlyargs + a.args + a.kwonlyargs + [p for p in (a.vararg, a.kwarg) if p]
                typed += all(p.annotation is not None for p in params) and defs[name].returns is not None
    tests = sum(p.read_text().count("\n") for p in (root / "tests").rglob("*.py"))
    return {
        "modules": modules,
        "package lines": sum(modules.values()),
        "public names": public,
        "public functions": functions,
        "public functions fully typed": typed,
        "input-checking lines": checking,
        "input-checking statements": statements,
        "lines over 100 characters": long_lines,
        "test lines": tests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    m = package_metrics(args.root)
    for name, lines in m.pop("modules").items():
        print(f"{name:32s} {lines:6d}")
    for key, value in m.items():
        print(f"{key:32s} {value:6d}")


if __name__ == "__main__":
    main()
