"""The publishing workflow (.github/workflows/book.yml), checked offline.

It cannot run here: it is validated against GitHub's workflow schema, a broken
copy shows the validation can fail, and what matters is asserted on the parsed
YAML: main deploys, a pull request only builds, and the build runs exactly the
README's test command.
"""

import re

import pytest

from tests.workflows import ROOT, check_jsonschema, load

WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def test_the_workflow_is_valid_under_githubs_schema(tmp_path):
    result = check_jsonschema(WORKFLOW, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("old, new", [
    ("    runs-on: ubuntu-latest\n    timeout-minutes: 90\n", "    timeout-minutes: 90\n"),
    ("  pull_request:\n", "  pulled:\n"),
])
def test_a_broken_copy_is_rejected(tmp_path, old, new):
    broken = tmp_path / "book.yml"
    broken.write_text(WORKFLOW.read_text().replace(old, new, 1))
    assert broken.read_text() != WORKFLOW.read_text()
    assert check_jsonschema(broken, tmp_path).returncode != 0


def test_main_deploys_and_a_pull_request_only_builds():
    doc = load(WORKFLOW)
    assert doc["on"]["push"] == {"branches": ["main"]} and "pull_request" in doc["on"]
    deploy = doc["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert [s["uses"] for s in deploy["steps"]] == ["actions/deploy-pages@v4"]
    uploads = [s for s in doc["jobs"]["build"]["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert uploads == [{"uses": "actions/upload-pages-artifact@v3", "with": {"path": "_build/html"}}]
    assert "if" not in doc["jobs"]["build"]


def test_the_build_runs_the_readmes_test_command_and_nothing_else():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(python3 dev\.py \w+)\s+#", readme, flags=re.M)
    assert "python3 dev.py test" in commands
    runs = [s["run"] for s in load(WORKFLOW)["jobs"]["build"]["steps"] if "run" in s]
    assert runs == ["python3 dev.py test"]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec python3 dev.py test")


def test_the_execution_cache_is_what_dev_py_keeps_between_clean_builds():
    (cache,) = [s for s in load(WORKFLOW)["jobs"]["build"]["steps"] if "actions/cache" in s.get("uses", "")]
    kept = re.search(r"kept = \((.*?)\)", (ROOT / "dev.py").read_text()).group(1)
    assert cache["with"]["path"].split() == [f"_build/{name}" for name in re.findall(r'"([^"]+)"', kept)]
    assert kept.count('"') == 6  # the cache, the modules each chapter imported, the timings
    assert cache["with"]["key"].startswith("execution-${{ hashFiles(")
