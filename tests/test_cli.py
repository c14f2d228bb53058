import subprocess
import sys
from pathlib import Path

import pytest

from dlbook import cli

CH02 = str(Path(__file__).resolve().parents[1] / "solutions" / "ch02_gradient_descent.py")


def test_info_reports_profile_and_backend(capsys, monkeypatch):
    monkeypatch.setenv("DLBOOK_PROFILE", "full")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "profile full" in out and "keras backend jax" in out


def test_budget_lists_every_chapter(capsys):
    cli.main(["budget", "--profile", "quick"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(cli.config.chapters())


def test_budget_of_one_chapter_in_the_full_profile(capsys):
    cli.main(["budget", "ch04", "--profile", "full"])
    out = capsys.readouterr().out
    assert out.startswith("ch04 [full]:") and "mnist_epochs=" in out


def test_data_shows_the_three_splits(capsys):
    cli.main(["data", "iris", "--seed", "3"])
    out = capsys.readouterr().out
    for part in ("train", "val", "test"):
        assert f"  {part}" in out


@pytest.mark.parametrize("argv, message", [
    (["budget", "ch99"], "chapter must be one of"),
    (["data", "imagenet"], "imagenet"),
    # the grader cannot run as asked: nothing is graded
    (["grade", "no/such/file.py"], "path must be an existing file or folder"),
    (["grade", CH02, "--exercise", "ch02.nothing"], "exercise_id must be one of"),
    (["grade", CH02, "--json", "/no/such/folder/r.json"], "--json must be in an existing folder"),
    (["grade", CH02, "--memory", "-5"], "memory_mb must be a positive"),
])
def test_bad_input_exits_2_with_the_reason(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_profile_in_the_environment_is_reported(capsys, monkeypatch):
    monkeypatch.setenv("DLBOOK_PROFILE", "fast")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["info"])
    assert exit_info.value.code == 2 and "'fast'" in capsys.readouterr().err


def test_unknown_command_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["frobnicate"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_console_script_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "dlbook", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip().startswith("dlbook ")
