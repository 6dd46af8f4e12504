"""Count the edge tests per public function of overparam.

Runs ``pytest tests/test_edges_*.py --hypothesis-show-statistics`` (with the hypothesis
profile in $HYPOTHESIS_PROFILE, default "default"), then prints, for every public
function, the property tests that cover it with the number of hypothesis cases they ran
(passing examples, summed over parametrizations), and the number of bad inputs tried
(mechanical mutations of its valid call plus hand-written cases).

    .venv/bin/python tools/edge_report.py            # markdown table on stdout
"""

from __future__ import annotations

import collections
import importlib
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def main() -> int:
    files = sorted(str(p.relative_to(ROOT)) for p in TESTS.glob("test_edges_*.py"))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    cases: collections.Counter[str] = collections.Counter()
    current = None
    for line in proc.stdout.splitlines():
        head = re.match(r"^(tests/\S+?)::(\w+)(\[.*\])?:\s*$", line)
        if head:
            current = head.group(2)
            continue
        found = re.search(r"- (\d+) passing\b", line)
        if found and current:
            cases[current] += int(found.group(1))
    summary = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]

    sys.path.insert(0, str(TESTS))
    import edges  # noqa: E402

    for p in sorted(TESTS.glob("test_edges_*.py")):
        importlib.import_module(p.stem)
    generated = collections.Counter(target for target, *_ in edges.generated_cases())
    written = collections.Counter(b.target for b in edges.BAD)
    kinds = collections.defaultdict(set)
    for b in edges.BAD:
        kinds[b.target].add(b.kind)

    print("| function | property tests (hypothesis cases) | cases | bad inputs (mechanical + hand-written) | kinds |")
    print("|---|---|---:|---:|---|")
    total_cases = total_bad = 0
    for target in sorted(set(edges.VALID) | set(edges.PROPERTY)):
        tests = edges.PROPERTY.get(target, [])
        n = sum(cases[t] for t in tests)
        bad = generated[target] + written[target]
        total_cases += n
        total_bad += bad
        listed = ", ".join(f"`{t}` ({cases[t]})" for t in tests)
        print(f"| `{target}` | {listed} | {n} | {generated[target]} + {written[target]} | {', '.join(sorted(kinds[target]))} |")
    print()
    print(f"functions: {len(set(edges.VALID))}; property cases (a case counted once per function it covers): "
          f"{total_cases}; bad inputs: {total_bad}")
    print("pytest:", *summary)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
