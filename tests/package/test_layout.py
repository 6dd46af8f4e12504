"""The shape of the package: small modules of one topic, private code kept private, typed API.

Read from the source files (not from imported objects), so that a rule broken anywhere
in ``code/src/overparam`` fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib

import pytest

import overparam

SRC = pathlib.Path(overparam.__file__).parent
FILES = sorted(SRC.rglob("*.py"))
MAX_LINES = 600


def _module_path(file: pathlib.Path, node: ast.ImportFrom) -> pathlib.Path | None:
    """The file or package directory that ``from <node.module> import ...`` refers to."""
    base = file.parent
    for _ in range(node.level - 1):
        base = base.parent
    target = base.joinpath(*node.module.split(".")) if node.module else base
    return target if node.level else None


def _is_private_module(path: pathlib.Path) -> bool:
    rel = path.relative_to(SRC) if path != SRC else pathlib.Path()
    return any(part.startswith("_") and part != "__init__.py" for part in rel.with_suffix("").parts)


def _is_module(path: pathlib.Path) -> bool:
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


@pytest.mark.parametrize("file", FILES, ids=[str(f.relative_to(SRC)) for f in FILES])
def test_every_module_is_short(file):
    lines = file.read_text().count("\n")
    assert lines <= MAX_LINES, f"{file.name} has {lines} lines: split it along a seam"


def private_imports(text: str, file: pathlib.Path) -> list[str]:
    """The places where ``text`` (the source of ``file``) takes a private name from a public module."""
    tree = ast.parse(text)
    public_aliases = {}
    offences = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        source = _module_path(file, node)
        for alias in node.names:
            as_module = source / alias.name
            if _is_module(as_module):  # `from . import scalar`: a module, private or not
                if not _is_private_module(as_module):
                    public_aliases[alias.asname or alias.name] = alias.name
            elif alias.name.startswith("_") and not _is_private_module(source):
                offences.append(f"line {node.lineno}: {alias.name} from the public {node.module or '.'}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in public_aliases
            and node.attr.startswith("_")
        ):
            offences.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return offences


@pytest.mark.parametrize("file", FILES, ids=[str(f.relative_to(SRC)) for f in FILES])
def test_no_private_name_is_taken_from_a_public_module(file):
    assert not private_imports(file.read_text(), file)


def test_the_private_import_rule_sees_each_kind_of_offence():
    text = (
        "from . import scalar, _numerics\n"
        "from .flow import _y, gradient_flow\n"
        "from .regression import _decomposition\n"
        "from ._ode import integrate\n"
        "scalar._x(1)\n"
        "_numerics.h(1, 2, 3)\n"
    )
    found = private_imports(text, SRC / "bounds.py")
    assert found == ["line 2: _y from the public flow", "line 5: scalar._x"]
    assert private_imports("from .. import flow\nflow._solve()\n", SRC / "gd" / "runs.py") == ["line 2: flow._solve"]
    assert private_imports("from ._common import _f\n", SRC / "gd" / "runs.py") == []


PUBLIC_FUNCTIONS = sorted(
    f"{module}.{name}"
    for module in overparam.__all__
    for name in importlib.import_module(f"overparam.{module}").__all__
    if inspect.isfunction(getattr(importlib.import_module(f"overparam.{module}"), name))
)


@pytest.mark.parametrize("target", PUBLIC_FUNCTIONS)
def test_every_public_function_is_typed_and_documented(target):
    module, name = target.rsplit(".", 1)
    fn = getattr(importlib.import_module(f"overparam.{module}"), name)
    sig = inspect.signature(fn)
    untyped = [p for p, par in sig.parameters.items() if par.annotation is inspect.Parameter.empty]
    assert not untyped, f"{target}: parameters without a type hint: {untyped}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{target}: no return type"
    doc = inspect.getdoc(fn) or ""
    assert len(doc.splitlines()) >= 3, f"{target}: the docstring should give the formula and the parameters"
