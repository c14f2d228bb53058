"""``dlbook grade PATH [--json FILE] [--exercise ID]`` (bad options: tests/test_cli.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import hand_in

from dlbook import cli

ROOT = Path(__file__).resolve().parents[1]
CH03_MAX = 24  # chapter 3's exercises: six, of four calls each
CH02 = str(ROOT / "solutions" / "ch02_gradient_descent.py")


def test_grading_a_file_prints_the_table_and_total(capsys):
    assert cli.main(["grade", CH02]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["exercise", "points", "max", "status"]
    assert out[1].split() == ["ch02.gradient_step", "4", "4", "passed"]
    assert out[-2].split()[:3] == ["total", "16", "16"]
    assert out[-1].startswith("isolation: bubblewrap")


def test_json_is_written_in_gradescope_format(tmp_path, capsys):
    path = tmp_path / "results.json"
    assert cli.main(["grade", str(ROOT / "exercises" / "ch03_backprop.py"), "--json", str(path),
                     "--hidden-visibility", "hidden"]) == 0
    results = json.loads(path.read_text())
    assert results["score"] == 0 and results["max_score"] == CH03_MAX
    assert {t["visibility"] for t in results["tests"]} == {"visible", "hidden"}
    assert all(t["status"] == "failed" for t in results["tests"])
    out = capsys.readouterr().out
    assert "not implemented yet" in out  # the feedback, before the table


def test_one_exercise_quietly_with_a_tighter_limit(capsys, tmp_path):
    loop = str(hand_in(ROOT / "tests" / "submissions" / "ch01_infinite_loop.py", tmp_path))
    assert cli.main(["grade", loop, "--exercise", "ch01.softmax", "--wall-time", "1",
                     "--cpu-time", "5", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[1].split() == ["ch01.softmax", "0", "5", "time", "limit"]


def test_an_unreadable_notebook_is_an_error(tmp_path, capsys):
    notebook = tmp_path / "broken.ipynb"
    notebook.write_text("{")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", str(notebook)])
    assert exit_info.value.code == 2
    assert "not a readable Jupyter notebook" in capsys.readouterr().err


def test_a_json_path_that_is_a_folder_is_refused_before_grading(tmp_path, capsys, monkeypatch):
    target = tmp_path / "results.json"
    target.mkdir()
    monkeypatch.setattr("dlbook.grading.runner.grade_path", None)  # grading must not start
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", CH02, "--json", str(target), "--quiet"])
    assert exit_info.value.code == 2
    assert "--json must be a file path, got the folder" in capsys.readouterr().err


def test_results_json_without_the_sandbox_needs_allow_weak_isolation(tmp_path, capsys):
    target = tmp_path / "results.json"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", CH02, "--json", str(target), "--isolation", "processes"])
    assert exit_info.value.code == 2 and "needs --allow-weak-isolation" in capsys.readouterr().err
    assert not target.exists()
    assert cli.main(["grade", CH02, "--json", str(target), "--isolation", "processes",
                     "--allow-weak-isolation", "--quiet"]) == 0
    results = json.loads(target.read_text())
    assert results["extra_data"]["isolation"]["isolation"] == "processes"
    assert not results["extra_data"]["isolation"]["full"]
    assert "isolation: separate processes only (WEAK" in results["output"]


def test_the_console_script_exits_0_whatever_the_score():
    stub = str(ROOT / "exercises" / "ch02_gradient_descent.py")
    result = subprocess.run([sys.executable, "-m", "dlbook", "grade", stub, "--quiet"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2].split()[:3] == ["total", "0", "16"]


def test_a_grader_that_cannot_start_its_workers_exits_2(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho cannot import numpy >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", CH02, "--quiet", "--isolation", "processes"])
    assert exit_info.value.code == 2
    assert "did not start (processes): cannot import numpy" in capsys.readouterr().err
