"""The release workflow (.github/workflows/release.yml), checked offline.

GitHub Actions cannot run here, so the file is validated against GitHub's workflow
schema (vendored in check-jsonschema: no download), a broken copy shows that the
validation can fail, and what matters for the release is asserted on the parsed YAML.
The two shell steps that guard the release (tag = version, no solutions shipped) run
here as they are written in the workflow.
"""

import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

import dlbook
from tests.workflows import check_jsonschema, load, offline_env

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def workflow():
    return load(WORKFLOW)


def step_script(job, name):
    (script,) = [s["run"] for s in workflow()["jobs"][job]["steps"] if s.get("name") == name]
    return script


def test_the_workflow_is_valid_under_githubs_schema(tmp_path):
    result = check_jsonschema(WORKFLOW, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout


@pytest.mark.parametrize("old, new, error", [
    ("    runs-on: ubuntu-latest\n", "", "'runs-on' is a required property"),   # the build job's
    ("  push:\n", "  pushed:\n", "$.on"),                                          # no such event
])
def test_a_broken_workflow_is_rejected(tmp_path, old, new, error):
    text = WORKFLOW.read_text()
    assert old in text
    broken = tmp_path / "release.yml"
    broken.write_text(text.replace(old, new, 1))
    result = check_jsonschema(broken, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert error in result.stdout


def test_a_pushed_version_tag_or_a_manual_run_triggers_it():
    on = workflow()["on"]
    assert on["push"] == {"tags": ["v*"]}
    assert "workflow_dispatch" in on


def test_the_build_job_checks_the_tag_and_the_wheel_and_uploads_dist():
    build = workflow()["jobs"]["build"]
    uses = [s.get("uses", "") for s in build["steps"]]
    assert "actions/checkout@v4" in uses and "actions/upload-artifact@v4" in uses
    (setup,) = [s for s in build["steps"] if s.get("uses") == "actions/setup-python@v5"]
    assert str(setup["with"]["python-version"]) == "3.11"
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "python -m build" in runs
    assert "GITHUB_REF_NAME" in runs and "dlbook.__version__" in runs
    assert "python -m zipfile -l dist/*.whl" in runs
    (upload,) = [s for s in build["steps"] if s.get("uses") == "actions/upload-artifact@v4"]
    assert upload["with"]["path"].rstrip("/") == "dist"


def test_publish_uses_trusted_publishing_and_no_token():
    jobs = workflow()["jobs"]
    publish = jobs["publish"]
    assert publish["needs"] in ("build", ["build"])
    environment = publish["environment"]
    assert (environment if isinstance(environment, str) else environment["name"]) == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert "tag" in publish["if"]   # a manual run on a branch builds, never publishes
    (pypi,) = [s for s in publish["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@")]
    assert pypi["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert not {"password", "user", "api-token"} & set(pypi.get("with") or {})
    (download,) = [s for s in publish["steps"] if s.get("uses") == "actions/download-artifact@v4"]
    assert download["with"]["name"] == "dist"
    # only the publish job may mint an OIDC token; nothing reads a stored secret
    assert workflow()["permissions"] == {"contents": "read"}
    assert "id-token" not in str(jobs["build"].get("permissions", {}))
    text = WORKFLOW.read_text()
    assert "secrets." not in text and "password:" not in text and "PYPI_TOKEN" not in text.upper()


@pytest.mark.parametrize("tag, ok", [(f"v{dlbook.__version__}", True), ("v999.0.0", False),
                                     (dlbook.__version__, False)])
def test_the_tag_check_step_accepts_only_v_plus_the_version(tmp_path, tag, ok):
    script = step_script("build", "Tag matches the package version")
    env = offline_env(tmp_path) | {"GITHUB_REF_NAME": tag}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert (result.returncode == 0) == ok, result.stdout + result.stderr


@pytest.mark.parametrize("shipped, ok", [(None, True), ("wheel", False), ("sdist", False)])
def test_the_solutions_step_fails_when_a_distribution_holds_solutions(tmp_path, shipped, ok):
    dist = tmp_path / "dist"
    dist.mkdir()
    with zipfile.ZipFile(dist / "dlbook-0.1.0-py3-none-any.whl", "w") as whl:
        whl.writestr("dlbook/__init__.py", "")
        if shipped == "wheel":
            whl.writestr("solutions/ch03_backprop.py", "")
    source = tmp_path / "dlbook-0.1.0"
    (source / "exercises").mkdir(parents=True)
    (source / "exercises" / "ch03_backprop.py").write_text("")
    if shipped == "sdist":
        (source / "solutions").mkdir()
        (source / "solutions" / "ch03_backprop.py").write_text("")
    with tarfile.open(dist / "dlbook-0.1.0.tar.gz", "w:gz") as sdist:
        sdist.add(source, arcname=source.name)
    script = step_script("build", "No solutions in the distributions")
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=offline_env(tmp_path),
                            capture_output=True, text=True)
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
