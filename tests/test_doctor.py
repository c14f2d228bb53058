"""``dlbook doctor``: the checks on this machine, and each kind of breakage it must report."""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

import dlbook
from dlbook import cli, config, data, distribution, doctor, training
from dlbook.grading import isolation


def run_doctor(*args, env=None):
    """``python -m dlbook doctor ARGS`` in a child process: (exit code, stdout, stderr)."""
    result = subprocess.run([sys.executable, "-m", "dlbook", "doctor", *args], capture_output=True,
                            text=True, timeout=300, env={**os.environ, **(env or {})})
    return result.returncode, result.stdout, result.stderr


def fake_package(folder: Path, name: str, body: str) -> str:
    """A package ``name`` in ``folder`` whose import runs ``body``; returns a PYTHONPATH for it."""
    (folder / name).mkdir()
    (folder / name / "__init__.py").write_text(body)
    return os.pathsep.join([str(folder), *filter(None, [os.environ.get("PYTHONPATH")])])


def rows(checks) -> dict:
    return {check["name"] if isinstance(check, dict) else check.name: check for check in checks}


@pytest.fixture(scope="module")
def this_machine():
    """One run of ``dlbook doctor --json`` here: (exit code, {row name: row})."""
    code, out, err = run_doctor("--json")
    report = json.loads(out)
    assert report["ok"] == (code == 0), err
    return code, rows(report["checks"])


@pytest.fixture
def quick_rows(monkeypatch):
    """The doctor with its slow checks (Keras child, datasets, sandbox) replaced by plain OKs."""
    monkeypatch.setattr(doctor, "start_keras_probe", lambda: None)
    monkeypatch.setattr(doctor, "finish_keras_probe",
                        lambda child: {"backend": "tensorflow", "keras": "3", "accelerator": None})
    monkeypatch.setattr(doctor, "check_dataset", lambda name: doctor.Check(name, "x", "x", doctor.OK))
    monkeypatch.setattr(doctor, "check_grader", lambda: doctor.Check("grader", "x", "x", doctor.OK))


# ---------------------------------------------------------------------------
# This machine


def expected_names() -> set:
    deps = [name for name, _ in doctor.key_dependencies(doctor.wanted_backend())]
    return {"Python", "dlbook", *deps, "Keras backend", "accelerator", "training path", "precision",
            "profile", *(f"data: {name}" for name in data.DATASETS), "grader isolation"}


def test_this_machine_can_run_the_book(this_machine):
    code, found = this_machine
    failures = {name: row for name, row in found.items() if row["status"] == "FAIL"}
    assert code == 0 and not failures, failures
    assert set(found) == expected_names()
    assert all(row["status"] in ("OK", "WARN") for row in found.values())


def test_dlbook_row_is_this_dlbook(this_machine):
    assert this_machine[1]["dlbook"]["found"] == dlbook.__version__


def test_dependency_rows_show_the_installed_and_the_pinned_version(this_machine):
    import importlib.metadata as metadata

    pins = distribution.pinned_versions()
    row = this_machine[1]["numpy"]
    assert row["found"] == metadata.version("numpy")
    assert row["expected"] == pins["numpy"]
    assert row["status"] == ("OK" if row["found"] == row["expected"] else "WARN")


def test_keras_row_names_the_backend_that_imports(this_machine):
    row = this_machine[1]["Keras backend"]
    if config.has_keras():
        assert row["status"] == "OK" and row["found"].startswith(doctor.wanted_backend())


def test_grader_row_says_bubblewrap_exactly_when_the_sandbox_starts(this_machine):
    row = this_machine[1]["grader isolation"]
    try:
        isolation.require_bubblewrap()
    except isolation.IsolationError as error:
        assert row["status"] == "WARN" and "processes" in row["found"]
        assert str(error) in row["found"] and "bubblewrap" in row["advice"]
    else:
        assert row["status"] == "OK" and "bubblewrap" in row["found"]


# ---------------------------------------------------------------------------
# A broken Keras backend: reported, never fatal to the doctor


def test_a_backend_that_cannot_import_fails_the_doctor(tmp_path):
    if not config.has_keras():
        pytest.skip("needs Keras")
    path = fake_package(tmp_path, "tensorflow", 'raise ImportError("this tensorflow is broken")\n')
    code, out, err = run_doctor(env={"PYTHONPATH": path, "KERAS_BACKEND": "tensorflow"})
    assert code == 1, out + err
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1, out
    assert "Keras backend" in problems[0] and "tensorflow" in problems[0]
    assert "ImportError: this tensorflow is broken" in problems[0]
    assert "this machine can run the book" not in out


def test_an_unknown_backend_is_a_fail_that_says_what_to_set(monkeypatch):
    if not config.has_keras():
        pytest.skip("needs Keras")
    monkeypatch.setenv("KERAS_BACKEND", "nonexistent")
    probe = doctor.finish_keras_probe(doctor.start_keras_probe())
    check = doctor.check_keras(probe)
    assert check.status == doctor.FAIL and "nonexistent" in check.found
    assert "KERAS_BACKEND" in check.advice
    assert doctor.check_training_path(probe).status == doctor.OK  # no second FAIL for the same cause
    line, = doctor.problems([check])
    assert line.startswith("problem: Keras backend: nonexistent") and " — " in line


def test_a_hanging_backend_is_stopped_at_the_timeout(tmp_path, monkeypatch):
    if not config.has_keras():
        pytest.skip("needs Keras")
    monkeypatch.setenv("PYTHONPATH", fake_package(tmp_path, "tensorflow", "import time\ntime.sleep(30)\n"))
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    started = time.monotonic()
    child = doctor.start_keras_probe()
    probe = doctor.finish_keras_probe(child, timeout=3)
    assert child.poll() is not None and time.monotonic() - started < 20  # killed, not waited for
    check = doctor.check_keras(probe)
    assert check.status == doctor.FAIL and "did not finish within 3 s" in check.found


def test_a_backend_that_crashes_the_interpreter_is_reported(tmp_path, monkeypatch):
    if not config.has_keras():
        pytest.skip("needs Keras")
    monkeypatch.setenv("PYTHONPATH", fake_package(tmp_path, "tensorflow", "import os\nos.abort()\n"))
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    check = doctor.check_keras(doctor.finish_keras_probe(doctor.start_keras_probe()))
    assert check.status == doctor.FAIL and "crashed (SIGABRT)" in check.found


def test_without_keras_the_numpy_chapters_still_work():
    probe = doctor.finish_keras_probe(None)
    keras_row = doctor.check_keras(probe)
    assert keras_row.status == doctor.WARN and doctor.KERAS_EXTRA in keras_row.advice
    assert doctor.check_accelerator(probe).status == doctor.OK
    assert "NumPy only" in doctor.check_training_path(probe).found


# ---------------------------------------------------------------------------
# Accelerator and training path, from what the child reports


def test_no_accelerator_is_fine():
    check = doctor.check_accelerator({"backend": "tensorflow", "keras": "3", "accelerator": None})
    assert check.status == doctor.OK and "CPU" in check.found and check.advice


@pytest.mark.parametrize("backend, accelerator, fast_fit, path", [
    ("tensorflow", None, None, "model.fit (TensorFlow backend)"),
    ("tensorflow", "gpu", "1", "model.fit (TensorFlow backend)"),
    ("jax", None, None, "model.fit (JAX on the CPU)"),
    ("jax", None, "1", "compiled JAX loop"),
    ("jax", "gpu", None, "compiled JAX loop"),
    ("jax", "gpu", "auto", "compiled JAX loop"),
    ("jax", "gpu", "0", "model.fit"),
    ("torch", "gpu", None, "model.fit (PyTorch backend)"),
])
def test_training_path_follows_fit(monkeypatch, backend, accelerator, fast_fit, path):
    if fast_fit is None:
        monkeypatch.delenv(training.FAST_FIT_ENV, raising=False)
    else:
        monkeypatch.setenv(training.FAST_FIT_ENV, fast_fit)
    check = doctor.check_training_path({"backend": backend, "keras": "3", "accelerator": accelerator})
    assert check.status == doctor.OK and check.found.startswith(path)


@pytest.mark.parametrize("setting, fast, found", [
    (None, False, "float32 (auto"), (None, True, "mixed_bfloat16 (auto"),
    ("Float32", True, "float32 (DLBOOK"), ("mixed_bfloat16", False, "mixed_bfloat16 (DLBOOK"),
])
def test_the_precision_row_says_what_fit_trains_in(monkeypatch, setting, fast, found):
    if setting is None:
        monkeypatch.delenv("DLBOOK_PRECISION", raising=False)
    else:
        monkeypatch.setenv("DLBOOK_PRECISION", setting)
    probe = {"backend": "jax", "keras": "3", "accelerator": "gpu", "fast_bfloat16": fast}
    check = doctor.check_precision(probe)
    assert check.status == doctor.OK and check.found.startswith(found)


def test_an_invalid_precision_switch_is_a_fail(monkeypatch):
    monkeypatch.setenv("DLBOOK_PRECISION", "half")
    check = doctor.check_precision({"backend": "jax", "keras": "3", "accelerator": None})
    assert check.status == doctor.FAIL and "'half'" in check.found and "DLBOOK_PRECISION" in check.advice


def test_an_invalid_fast_fit_switch_is_a_fail(monkeypatch):
    monkeypatch.setenv(training.FAST_FIT_ENV, "yes")
    check = doctor.check_training_path({"backend": "jax", "keras": "3", "accelerator": None})
    assert check.status == doctor.FAIL and "'yes'" in check.found and "DLBOOK_FAST_FIT" in check.advice


# ---------------------------------------------------------------------------
# Profile, datasets, grader


@pytest.mark.parametrize("value", ["quick", "full"])
def test_a_valid_profile_is_ok(monkeypatch, value):
    monkeypatch.setenv("DLBOOK_PROFILE", value)
    check = doctor.check_profile()
    assert check.status == doctor.OK and check.found == value


def test_an_invalid_profile_is_a_fail_that_says_what_to_set(monkeypatch):
    monkeypatch.setenv("DLBOOK_PROFILE", "turbo")
    check = doctor.check_profile()
    assert check.status == doctor.FAIL and "'turbo'" in check.found
    assert "DLBOOK_PROFILE" in check.advice and "quick" in check.advice


def test_every_dataset_has_a_known_source():
    assert set(doctor.DATASET_SOURCES) == set(data.DATASETS)
    downloads = {name for name, source in doctor.DATASET_SOURCES.items() if source == "keras"}
    assert downloads == set(doctor.KERAS_DATASET_FILES)


def test_the_cache_file_names_are_the_ones_keras_uses():
    spec = pytest.importorskip("importlib.util").find_spec("keras")
    if spec is None:
        pytest.skip("needs Keras")
    datasets = Path(spec.origin).parent / "src" / "datasets"
    for name, files in doctor.KERAS_DATASET_FILES.items():
        source = (datasets / f"{name}.py").read_text()
        for file in files:
            assert Path(file).name in source, (name, file)


def test_lfw_is_a_warning_until_scikit_learn_has_extracted_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    check = doctor.check_dataset("lfw")
    assert check.status == doctor.WARN and "needs a download (about 200 MB)" in check.advice
    (tmp_path / "lfw_home" / "lfw_funneled").mkdir(parents=True)
    check = doctor.check_dataset("lfw")
    assert check.status == doctor.OK and str(tmp_path) in check.found


def test_a_download_is_a_warning_until_it_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(doctor, "keras_cache_dirs", lambda: [tmp_path / "datasets"])
    check = doctor.check_dataset("mnist")
    assert check.status == doctor.WARN and "needs a download" in check.advice
    assert "the full profile of ch10" in check.advice
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"")
    check = doctor.check_dataset("mnist")
    assert check.status == doctor.OK and "mnist.npz" in check.found


def test_the_keras_cache_follows_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert doctor.keras_cache_dirs()[0] == tmp_path / "datasets"


@pytest.mark.parametrize("name", ["iris", "moons", "sunspots", "mnist_subset"])
def test_offline_datasets_are_found(name):
    check = doctor.check_dataset(name)
    assert check.status == doctor.OK and doctor.DATASET_SOURCES[name] in check.expected
    if name in doctor.LOADED_BY_THE_DOCTOR:
        split = data.load(name)
        assert f"({len(split.y_train) + len(split.y_val) + len(split.y_test)} examples)" in check.found


def test_an_offline_dataset_that_cannot_load_is_a_fail(monkeypatch):
    def broken(**kwargs):
        raise ImportError("No module named 'sklearn'")

    monkeypatch.setattr(data, "DATASETS", {**data.DATASETS, "iris": broken})
    check = doctor.check_dataset("iris")
    assert check.status == doctor.FAIL and "No module named 'sklearn'" in check.found
    assert "scikit-learn" in check.advice


def test_no_sandbox_is_a_warning_with_the_reason(monkeypatch):
    def refuse():
        raise isolation.IsolationError("bubblewrap is not installed")

    monkeypatch.setattr(isolation, "require_bubblewrap", refuse)
    check = doctor.check_grader()
    assert check.status == doctor.WARN and "processes" in check.found
    assert "bubblewrap is not installed" in check.found and "user namespaces" in check.advice


# ---------------------------------------------------------------------------
# Dependencies against the lock, through the command


def doctor_json(capsys) -> tuple[int, dict]:
    try:
        code = cli.main(["doctor", "--json"])
    except SystemExit as exit_info:
        code = exit_info.code
    return code, rows(json.loads(capsys.readouterr().out)["checks"])


def test_a_version_other_than_the_lock_is_a_warning(monkeypatch, capsys, quick_rows):
    pins = {**distribution.pinned_versions(), "numpy": "0.0.1", "keras": "0.0.2"}
    monkeypatch.setattr(distribution, "pinned_versions", lambda: pins)
    code, found = doctor_json(capsys)
    assert code == 0
    for name, pinned in (("numpy", "0.0.1"), ("keras", "0.0.2")):
        assert found[name]["status"] == "WARN" and found[name]["expected"] == pinned
        assert f"{name}=={pinned}" in found[name]["advice"]


def test_a_missing_core_dependency_fails(monkeypatch, capsys, quick_rows):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version",
                        lambda name: None if name == "scikit-learn" else real(name))
    code, found = doctor_json(capsys)
    assert code == 1
    assert found["scikit-learn"]["status"] == "FAIL" and found["scikit-learn"]["found"] == "missing"
    assert "pip install" in found["scikit-learn"]["advice"]


@pytest.mark.parametrize("name", ["keras", "keras-tuner", "jupyter-book"])
def test_a_missing_optional_dependency_is_a_warning(monkeypatch, capsys, quick_rows, name):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version", lambda dist: None if dist == name else real(dist))
    code, found = doctor_json(capsys)
    assert code == 0 and found[name]["status"] == "WARN" and found[name]["found"] == "missing"
    assert "dlbook[" in found[name]["advice"]


def test_the_backend_distribution_is_the_one_installed(monkeypatch):
    versions = {"tensorflow": "2.0"}
    monkeypatch.setattr(doctor, "installed_version", versions.get)
    assert doctor.backend_distribution("tensorflow") == "tensorflow"
    versions["tensorflow-cpu"] = "2.0"
    assert doctor.backend_distribution("tensorflow") == "tensorflow-cpu"
    assert doctor.backend_distribution("jax") == "jax"
    assert doctor.backend_distribution("nonexistent") is None


@pytest.mark.parametrize(("found", "status"), [("2.13.0+cpu", "OK"), ("2.13.0", "OK"), ("2.14.1", "WARN")])
def test_a_local_version_label_is_the_pinned_release(monkeypatch, found, status):
    monkeypatch.setattr(doctor, "installed_version", lambda name: found)
    check = doctor.check_dependency("torch", "backend", {"torch": "2.13.0"})
    assert check.status == getattr(doctor, status) and check.found == found


def test_without_a_lock_versions_are_not_compared(monkeypatch):
    def no_lock():
        raise RuntimeError("this dlbook has no record of the versions it was built with")

    monkeypatch.setattr(distribution, "pinned_versions", no_lock)
    pins, note = doctor.read_pins()
    check = doctor.check_dlbook(pins, note)
    assert pins == {} and check.status == doctor.WARN and "no record" in check.advice
    assert doctor.check_dependency("numpy", "core", pins).expected == "not pinned"


# ---------------------------------------------------------------------------
# The table and the exit code


def test_the_table_shows_each_check_and_a_fail_ends_with_exit_code_1(monkeypatch, capsys):
    checks = [doctor.Check("Python", "3.11.7", ">= 3.11", doctor.OK),
              doctor.Check("profile", "bad", "quick | full", doctor.FAIL, "set DLBOOK_PROFILE")]
    monkeypatch.setattr(doctor, "run_checks", lambda: checks)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["doctor"])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "3.11.7" in out and "FAIL" in out
    assert out.splitlines()[-1] == "problem: profile: bad — set DLBOOK_PROFILE"


def test_only_warnings_end_with_exit_code_0(monkeypatch, capsys):
    checks = [doctor.Check("data: mnist", "not downloaded", "a download", doctor.WARN, "later")]
    monkeypatch.setattr(doctor, "run_checks", lambda: checks)
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "problem:" not in out and "(1 warning)" in out


def test_render_has_one_row_per_check_and_keeps_brackets():
    checks = [doctor.Check(f"check {i}", "f", "e", doctor.WARN, doctor.KERAS_EXTRA) for i in range(3)]
    console = Console(file=io.StringIO(), width=200)
    console.print(doctor.render(checks))
    text = console.file.getvalue()
    assert all(f"check {i}" in text for i in range(3)) and doctor.render(checks).row_count == 3
    assert 'pip install "dlbook[keras]"' in text
