"""The publishing workflow does what the repository promises (beyond its JSON schema,
which `make test-workflows` checks): current major versions of the actions, a Pages
deployment that is never cancelled half-way, the execution cache kept between runs,
one run per pull request, the whole site (HTML, PDFs, student edition) deployed, and
Dependabot watching the actions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
# The major versions current when this was written (Node 24 releases); Dependabot proposes newer ones.
CURRENT = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/cache": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _uses() -> dict[str, int]:
    found = {}
    for job in _workflow()["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                name, _, version = step["uses"].partition("@")
                found[name] = int(re.fullmatch(r"v(\d+)", version).group(1))
    return found


def test_actions_are_current_majors():
    uses = _uses()
    assert set(uses) == set(CURRENT)
    for name, major in uses.items():
        assert major >= CURRENT[name], f"{name}@v{major} is older than v{CURRENT[name]}"


def test_pages_deployment_is_never_cancelled():
    deploy = _workflow()["jobs"]["deploy"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert deploy["concurrency"]["group"] != _workflow()["concurrency"]["group"]
    assert "main" in deploy["if"]


def test_pull_requests_run_once_and_main_builds_finish():
    wf = _workflow()
    triggers = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers
    assert "refs/heads/main" in wf["concurrency"]["cancel-in-progress"]


def test_execution_cache_is_kept_and_used():
    steps = _workflow()["jobs"]["build"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "_build/.jupyter_cache"
    assert "code/src" in cache["with"]["key"] and "chapters" in cache["with"]["key"]
    test = next(s for s in steps if "make test" in s.get("run", ""))
    assert "KEEP_EXECUTION_CACHE=1" in test["run"]
    assert "KEEP_EXECUTION_CACHE" in (ROOT / "Makefile").read_text()


def test_the_whole_site_is_deployed():
    steps = _workflow()["jobs"]["build"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    makefile = (ROOT / "Makefile").read_text()
    site = re.search(r"^site:.*?(?=^\S)", makefile, re.MULTILINE | re.DOTALL).group(0)
    assert "_build/html/pdf" in site and "_build/html/student" in site
    assert re.search(r"^test:[^\n]*(\\\n[^\n]*)*test-site", makefile, re.MULTILINE)


def test_dependabot_watches_the_actions():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert any(u["package-ecosystem"] == "github-actions" for u in config["updates"])
