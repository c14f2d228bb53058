"""``dlbook grade CLASS --gradebook FILE``: a folder of student folders into a CSV and feedback."""

import contextlib
import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from dlbook import cli
from dlbook.grading import classroom
from dlbook.grading.report import ExerciseResult, GradeReport, Item

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "solutions" / "ch02_gradient_descent.py"
STUB = ROOT / "exercises" / "ch02_gradient_descent.py"
CH02 = ["ch02.gradient_step", "ch02.gradient_descent", "ch02.logistic_regression",
        "ch02.critical_learning_rate"]
HEADER = ["student", *CH02, "total", "max", "status"]


def make_class(folder: Path) -> Path:
    """Four students: the reference, the stub, a wrong gradient_step, and only a README."""
    for name, source in (("alice", REFERENCE), ("bob", STUB)):
        (folder / name).mkdir(parents=True)
        shutil.copyfile(source, folder / name / "ch02_gradient_descent.py")
    (folder / "carol").mkdir()
    wrong = REFERENCE.read_text().replace("return x - learning_rate * gradient",
                                          "return x + learning_rate * gradient")
    assert wrong != REFERENCE.read_text()
    (folder / "carol" / "ch02_gradient_descent.py").write_text(wrong)
    (folder / "dave").mkdir()
    (folder / "dave" / "README.md").write_text("# I will hand it in next week\n")
    for skipped in (".git", "_template"):  # not students
        (folder / skipped).mkdir()
        shutil.copyfile(REFERENCE, folder / skipped / "ch02_gradient_descent.py")
    (folder / "README.md").write_text("# Homework 2\n")  # not a submission: still a class folder
    return folder


def grade(argv: list[str]) -> tuple[int, str, str]:
    """``dlbook ARGV`` in this process: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as stream:
        return list(csv.reader(stream))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once on two processes: (class folder, gradebook, stdout, stderr)."""
    root = tmp_path_factory.mktemp("classroom")
    folder = make_class(root / "class")
    gradebook = root / "grades.csv"
    code, out, err = grade(["grade", str(folder), "--gradebook", str(gradebook), "--jobs", "2"])
    assert code == 0
    return folder, gradebook, out, err


def test_the_gradebook_has_one_row_per_student_with_points_per_exercise(graded):
    folder, gradebook, _, _ = graded
    rows = read_csv(gradebook)
    assert rows == [
        HEADER,
        ["alice", "4", "4", "4", "4", "16", "16", "graded"],
        ["bob", "0", "0", "0", "0", "0", "16", "graded"],
        ["carol", "1", "1", "4", "4", "10", "16", "graded"],
        ["dave", "", "", "", "", "", "", f"error: {folder / 'dave'} holds no .py, .ipynb or .md files"],
    ]


def test_the_summary_counts_students_and_says_where_things_went(graded):
    _, gradebook, out, err = graded
    assert re.search(r"grading .* 4/4 students", err)  # the progress bar, on stderr
    lines = out.splitlines()
    assert lines[0] == "graded 3 of 4 students; 1 could not be graded (status 'error: ...' in the gradebook)"
    assert lines[1] == "mean total 8.67 of 16"
    assert lines[2] == f"gradebook: {gradebook}"
    assert lines[3].startswith(f"feedback: {gradebook.parent / 'feedback'}")
    assert lines[4].startswith("isolation: bubblewrap")
    assert re.fullmatch(r"4 submissions in [\d.]+ s on 2 processes: [\d.]+ submissions per minute",
                        lines[5])


def test_each_student_gets_the_text_dlbook_grade_prints(graded, capsys):
    folder, gradebook, _, _ = graded
    feedback = gradebook.parent / "feedback"
    assert sorted(path.name for path in feedback.iterdir()) == [
        "alice.json", "alice.txt", "bob.json", "bob.txt", "carol.json", "carol.txt", "dave.txt"]
    bob = (feedback / "bob.txt").read_text()
    assert bob.count("not implemented yet: `") == 4 and "\x1b[" not in bob
    assert cli.main(["grade", str(folder / "bob")]) == 0
    alone = capsys.readouterr().out
    seconds = re.compile(r"\(\d+\.\d s\)")
    assert seconds.sub("", bob) == seconds.sub("", alone)
    alice = (feedback / "alice.txt").read_text().splitlines()
    assert alice[0].split() == ["exercise", "points", "max", "status"]  # nothing lost: the table
    assert alice[-2].split()[:3] == ["total", "16", "16"]
    assert (feedback / "dave.txt").read_text() == (
        f"error: {folder / 'dave'} holds no .py, .ipynb or .md files\n")


def test_each_student_gets_gradescope_results(graded):
    _, gradebook, _, _ = graded
    feedback = gradebook.parent / "feedback"
    results = {name: json.loads((feedback / f"{name}.json").read_text())
               for name in ("alice", "bob", "carol")}
    assert [(r["score"], r["max_score"]) for r in results.values()] == [
        (16.0, 16.0), (0.0, 16.0), (10.0, 16.0)]
    carol = results["carol"]
    assert set(carol) == {"score", "max_score", "execution_time", "output", "extra_data", "tests"}
    assert carol["extra_data"]["isolation"]["full"] is True
    assert len(carol["tests"]) == 16 and sum(t["score"] for t in carol["tests"]) == 10
    assert {t["visibility"] for t in carol["tests"]} == {"visible", "after_published"}
    assert all(t["status"] == "failed" for t in results["bob"]["tests"])


def test_one_process_and_two_give_the_same_gradebook(graded, tmp_path):
    folder, gradebook, _, _ = graded
    again = tmp_path / "grades.csv"
    code, _, err = grade(["grade", str(folder), "--gradebook", str(again), "--jobs", "1",
                          "--quiet", "--feedback", str(tmp_path / "notes")])
    assert code == 0 and err == ""  # --quiet: no progress bar
    assert again.read_text() == gradebook.read_text()
    assert (tmp_path / "notes" / "bob.txt").is_file()


def test_a_class_graded_on_one_exercise_has_one_column(graded, tmp_path):
    folder, _, _, _ = graded
    gradebook = tmp_path / "one.csv"
    code, _, _ = grade(["grade", str(folder), "--gradebook", str(gradebook), "--quiet",
                        "--exercise", "ch02.critical_learning_rate"])
    assert code == 0
    assert [row[:4] for row in read_csv(gradebook)] == [
        ["student", "ch02.critical_learning_rate", "total", "max"],
        ["alice", "4", "4", "4"], ["bob", "0", "0", "4"], ["carol", "4", "4", "4"],
        ["dave", "", "", ""]]


@pytest.mark.parametrize("extra, message", [
    ([], "is a class folder (student folders, no exercise file of its own): grading it needs "
         "--gradebook FILE"),
    (["--gradebook", "/no/such/folder/g.csv"], "--gradebook must be in an existing folder"),
    (["--gradebook", "g.csv", "--json", "r.json"], "--json is for one submission"),
    (["--gradebook", "g.csv", "--jobs", "0"], "--jobs must be an int >= 1, got 0"),
    (["--gradebook", "g.csv", "--exercise", "ch02.nothing"], "exercise_id must be one of"),
    (["--gradebook", "g.csv", "--isolation", "processes"], "needs --allow-weak-isolation"),
])
def test_a_class_without_usable_options_exits_2_before_grading(tmp_path, monkeypatch, capsys,
                                                                extra, message):
    folder = make_class(tmp_path / "class")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(classroom, "grade_students", None)  # grading must not start
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", str(folder), *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


@pytest.mark.parametrize("option", ["--gradebook", "--feedback"])
def test_class_options_for_a_single_submission_are_an_error(tmp_path, capsys, option):
    folder = make_class(tmp_path / "class")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", str(folder / "alice"), option, str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert (f"{option}: only for a class folder (one sub-folder per student, no exercise file of "
            f"its own); '{folder / 'alice'}' is not one") in capsys.readouterr().err


def test_a_folder_with_its_own_exercise_file_is_one_submission(tmp_path):
    folder = make_class(tmp_path / "class")
    shutil.copyfile(REFERENCE, folder / "ch02_gradient_descent.py")
    assert not classroom.is_class_folder(folder)
    code, out, _ = grade(["grade", str(folder), "--quiet"])
    assert code == 0 and out.splitlines()[-2].split()[:3] == ["total", "16", "16"]


def test_a_feedback_folder_inside_the_class_folder_is_not_a_student(tmp_path):
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    shutil.copyfile(REFERENCE, folder / "alice" / "ch02_gradient_descent.py")
    for _ in range(2):  # the second run finds class/feedback from the first
        code, out, _ = grade(["grade", str(folder), "--gradebook", str(folder / "grades.csv"),
                              "--quiet"])
        assert code == 0 and out.startswith("graded 1 of 1 students;")
    assert [row[0] for row in read_csv(folder / "grades.csv")] == ["student", "alice"]
    assert (folder / "feedback" / "alice.txt").is_file()


def test_any_failure_while_grading_a_student_becomes_the_status(monkeypatch):
    def broken(*args, **options):
        raise RuntimeError("the worker\nfell over")

    monkeypatch.setattr(classroom.runner, "grade_path", broken)
    student = classroom.grade_student("/class/erin")
    assert (student.name, student.report) == ("erin", None)
    assert student.status == "error: RuntimeError: the worker fell over"


def fake_report(points: dict[str, tuple[float, float]]) -> GradeReport:
    """A report with one item per exercise: ``{exercise_id: (points, max)}``."""
    results = [ExerciseResult(exercise_id, "f", "t", "l", "h", [Item("case", score, top)], "failed")
               for exercise_id, (score, top) in points.items()]
    return GradeReport(["submission.py"], results)


def test_gradebook_rows_take_the_union_of_exercises_in_registry_order():
    students = [
        classroom.StudentResult("zoe", fake_report({"ch02.gradient_step": (1, 4),
                                                    "ch01.softmax": (2.5, 5)})),
        classroom.StudentResult("adam", error="it broke"),
        classroom.StudentResult("mia", fake_report({"ch03.backward": (0, 4)})),
    ]
    assert classroom.gradebook_rows(students) == [
        ["student", "ch01.softmax", "ch02.gradient_step", "ch03.backward", "total", "max", "status"],
        ["adam", "", "", "", "", "", "error: it broke"],
        ["mia", "", "", "0", "0", "4", "graded"],
        ["zoe", "2.5", "1", "", "3.5", "9", "graded"],
    ]
