"""benchmarks/full_profile.py: a chapter run as a script reports its status and what it glued."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("full_profile", ROOT / "benchmarks" / "full_profile.py")
full_profile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(full_profile)


def chapter(tmp_path, body: str) -> Path:
    script = tmp_path / "99_chapter.py"
    script.write_text("from dlbook.config import glue\n" + body)
    return script


def test_the_numbers_a_chapter_glues_are_recorded_and_the_rest_is_not(tmp_path):
    row = full_profile.run(chapter(tmp_path, "import numpy as np\nglue('test_accuracy', np.float32(0.5))\n"
                                             "glue('epochs', 3, display=False)\nglue('label', 'text')\n"
                                             "glue('curve', np.arange(3))\n"), timeout=60)
    assert row["status"] == "ok"
    assert row["glued"] == {"test_accuracy": 0.5, "epochs": 3}
    assert full_profile.accuracies(row["glued"]) == "test_accuracy=0.5"


def test_a_failing_chapter_reports_its_last_error_line_and_what_it_glued_before(tmp_path):
    row = full_profile.run(chapter(tmp_path, "glue('val_acc', 0.25)\nassert 1 > 2, 'the claim fails'\n"),
                           timeout=60)
    assert row["status"] == "AssertionError: the claim fails"
    assert row["glued"] == {"val_acc": 0.25}


def test_a_chapter_past_its_time_is_stopped(tmp_path):
    row = full_profile.run(chapter(tmp_path, "import time\ntime.sleep(30)\n"), timeout=1)
    assert row["status"] == "stopped after 1 s" and row["seconds"] < 20


@pytest.mark.parametrize("argv", [["--jobs", "0"], ["--chapters", "77"]])
def test_bad_arguments_are_named(argv, capsys):
    with pytest.raises(SystemExit):
        full_profile.main(argv)
    assert ("--jobs must be a positive int" if argv[0] == "--jobs" else "no chapter matches") in \
        capsys.readouterr().err
