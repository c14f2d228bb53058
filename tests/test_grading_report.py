"""Reports (table, Gradescope JSON), student sources, limits and the Keras config screen."""

import json
import resource

import pytest

from dlbook.grading import registry
from dlbook.grading.report import ExerciseResult, GradeReport, Item
from dlbook.grading.runtime import keras_checks, limits, worker
from dlbook.grading.sources import SourceError, find_sources, load_source

TEST_FIELDS = {"name": str, "score": float, "max_score": float, "output": str,
               "visibility": str, "status": str}


def _report() -> GradeReport:
    items = [Item("z (5,)", 1.0, 1.0), Item("z (3, 4)", 0.0, 1.0, problems=("output: wrong",)),
             Item("hidden: z (6,)", 0.0, 1.0, hidden=True, problems=("secret detail",))]
    result = ExerciseResult("ch01.sigmoid", "sigmoid", "the sigmoid", "book/01.html#a", "a hint",
                            items, "partial", notes=["cell 2 raised NameError"])
    return GradeReport(["a.py"], [result], seconds=1.23456)


def test_gradescope_json_has_exactly_the_fields_and_types():
    results = json.loads(json.dumps(_report().gradescope()))
    assert set(results) == {"score", "max_score", "execution_time", "output", "extra_data", "tests"}
    assert results["score"] == 1.0 and results["max_score"] == 3.0
    assert isinstance(results["execution_time"], float) and isinstance(results["output"], str)
    for test in results["tests"]:
        assert {key: type(value) for key, value in test.items()} == TEST_FIELDS
        assert test["status"] in ("passed", "failed")
    public, failed, hidden = results["tests"]
    assert public["visibility"] == "visible" and public["status"] == "passed"
    assert "output: wrong" in failed["output"] and "hint: a hint" in failed["output"]
    assert "cell 2 raised NameError" in public["output"]
    assert hidden["visibility"] == "after_published" and "secret" not in hidden["output"]


def test_hidden_visibility_can_be_hidden_and_nothing_else():
    tests = _report().gradescope("hidden")["tests"]
    assert tests[2]["visibility"] == "hidden"
    with pytest.raises(ValueError, match="hidden_visibility must be one of"):
        _report().gradescope("secret")


def test_the_table_lists_exercise_points_max_status_and_total():
    table = _report().table().splitlines()
    assert table[0].split() == ["exercise", "points", "max", "status"]
    assert table[1].split() == ["ch01.sigmoid", "1", "3", "partial"]
    assert table[-1].split()[:3] == ["total", "1", "3"]


@pytest.mark.parametrize("status, error", [("timeout", ValueError), (None, TypeError)])
def test_a_result_status_must_be_one_the_table_knows(status, error):
    with pytest.raises(error, match="status must be one of"):
        ExerciseResult("ch01.sigmoid", "sigmoid", "the sigmoid", "book/01.html#a", "a hint", [],
                       status)


def test_the_text_report_hides_hidden_details_and_truncates_output():
    result = _report().results[0]
    result.stdout = "x" * 5000
    text = result.text()
    assert "output: wrong" in text and "secret detail" not in text
    assert "3500 more characters not shown" in text
    assert 'read: chapter 1, "a" (book/01.html#a)' in text


@pytest.mark.parametrize("name, content, message", [
    ("missing.py", None, "must be an existing file"),
    ("notes.txt", "hi", "must end in one of"),
    ("broken.ipynb", "{not json", "not a readable Jupyter notebook"),
    ("prose.md", "# Just prose\n", "has no code cells"),
    ("latin1.py", b"\xff\xfe", "cannot read"),
])
def test_unreadable_sources_say_why(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(SourceError, match=message):
        load_source(path)


def test_a_folder_skips_readmes_and_must_hold_something(tmp_path):
    with pytest.raises(SourceError, match="holds no .py"):
        find_sources(tmp_path)
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "ch02_mine.py").write_text("")
    assert [s.label for s in find_sources(tmp_path)] == [str(tmp_path / "ch02_mine.py")]


def test_targets_come_from_ids_the_file_name_or_the_functions_defined(tmp_path):
    named = tmp_path / "ch02_gd.py"
    named.write_text("")
    assert {e.chapter for e in load_source(named).targets()} == {"ch02"}
    anonymous = tmp_path / "submission.py"
    anonymous.write_text("def softmax(z):\n    pass\n\ndef broken(:\n")
    with pytest.raises(SourceError, match="defines none of the graded functions"):
        load_source(anonymous).targets()
    anonymous.write_text("def softmax(z):\n    pass\n")
    assert [e.id for e in load_source(anonymous).targets()] == [
        e.id for e in registry.of_chapter("ch01")]
    assert [e.id for e in load_source(anonymous).targets(["ch03.backward"])] == ["ch03.backward"]


def test_notebook_magics_become_pass_with_the_same_line_numbers(tmp_path):
    cells = ["%time x = 1\nimport numpy as np\n  !ls", "%%bash\necho hi"]
    notebook = {"cells": [{"cell_type": "code", "source": code} for code in cells]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    source = load_source(path)
    assert source.cells[0][1].splitlines() == ["pass  # %time x = 1", "import numpy as np",
                                               "  pass  # !ls"]
    assert source.cells[1][1] == "# %%bash\n# echo hi"


def test_limits_are_validated_and_applied_in_a_child():
    with pytest.raises(ValueError, match="memory_mb must be a positive"):
        limits.Limits(memory_mb=0)
    assert "10 s wall clock" in limits.NUMPY_LIMITS.describe()
    assert limits.address_space_in_use() > 0
    import os

    pid = os.fork()
    if pid == 0:
        limits.apply(limits.Limits(cpu_s=3, memory_mb=64, output_mb=1))
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)  # 3 s from now, not from the start
        cpu = hard == soft + 1 and 2 < soft - limits.cpu_seconds_used() <= 4
        files = resource.getrlimit(resource.RLIMIT_FSIZE)[0] == 1024 * 1024
        try:  # not even root may raise them again
            resource.setrlimit(resource.RLIMIT_CPU, (100, 100))
            locked = False
        except (ValueError, OSError):
            locked = True
        worker.exit_now(0 if cpu and files and locked else 1)
    assert os.waitpid(pid, 0)[1] == 0


@pytest.mark.parametrize("config, message", [
    ('{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": '
     '"keras.layers", "class_name": "Lambda", "config": {}}]}}', "contains a Lambda"),
    ('{"module": "mystuff", "class_name": "Evil", "config": {}}', "uses mystuff.Evil"),
    ('{"class_name": "__lambda__", "config": {"value": "..."}}', "contains a __lambda__"),
    ("{not json", "not valid JSON"),
    ('"' + "x" * (keras_checks.MAX_CONFIG_CHARS + 1) + '"', "at most"),
    ("[" * 300 + "]" * 300, "nested too deeply"),
])
def test_model_configurations_that_could_run_code_are_refused(config, message):
    assert any(message in problem for problem in keras_checks.validate_config(config))


def test_a_plain_keras_configuration_is_accepted():
    config = ('{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": '
              '"keras.layers", "class_name": "Dense", "config": {"units": 3, "activation": '
              '"relu"}}]}}')
    assert keras_checks.validate_config(config) == []
