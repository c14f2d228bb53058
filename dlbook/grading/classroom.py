"""Grading a class: a folder of student folders, each graded as ``dlbook grade FOLDER`` grades it.

    class/alice/ch03_backprop.py    ->  grades.csv           one row per student
    class/bob/ch03_backprop.ipynb       feedback/alice.txt   what ``dlbook grade`` prints
    ...                                 feedback/alice.json  Gradescope's results.json

Students are graded concurrently, one per process of a pool, each with its own
:class:`~dlbook.grading.runner.Grader` (and so its own sandbox). A student
whose folder cannot be graded gets an ``error: ...`` status in the gradebook;
the rest of the class is graded all the same.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlbook import validation
from dlbook.grading import registry, results_file, runner, sources
from dlbook.grading.report import GradeReport
from dlbook.grading.runtime.limits import Limits

ERROR_CHARS = 300  # of the one-line reason in the gradebook's status column


@dataclass
class StudentResult:
    """One student's grading: the report, or the one-line reason the folder could not be graded."""

    name: str
    report: GradeReport | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        return "graded" if self.report is not None else f"error: {self.error}"


@dataclass
class ClassReport:
    """A graded class: every student (by name), where the results went, and how long it took."""

    students: list[StudentResult]
    seconds: float
    jobs: int
    gradebook: Path
    feedback_dir: Path

    @property
    def reports(self) -> list[GradeReport]:
        return [student.report for student in self.students if student.report is not None]

    @property
    def per_minute(self) -> float:
        return 60 * len(self.students) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        """A few lines for the terminal: counts, mean total, outputs, isolation and throughput."""
        reports, total = self.reports, len(self.students)
        lines = [f"graded {len(reports)} of {total} students; {total - len(reports)} could not be "
                 "graded (status 'error: ...' in the gradebook)"]
        if reports:
            mean = sum(report.score for report in reports) / len(reports)
            maxima = sorted({report.max_score for report in reports})
            of = f"{maxima[0]:g}" if len(maxima) == 1 else f"{maxima[0]:g} to {maxima[-1]:g}"
            lines.append(f"mean total {mean:.2f} of {of}")
        lines.append(f"gradebook: {self.gradebook}")
        lines.append(f"feedback: {self.feedback_dir}{os.sep} (<student>.txt, <student>.json)")
        lines += [f"isolation: {description}" for description in self.isolations()]
        processes = "1 process" if self.jobs == 1 else f"{self.jobs} processes"
        lines.append(f"{total} submissions in {self.seconds:.1f} s on {processes}: "
                     f"{self.per_minute:.1f} submissions per minute")
        return "\n".join(lines)

    def isolations(self) -> list[str]:
        """The isolation each graded student's code ran under (one line unless they differ)."""
        described = {report.isolation.get("description", "") for report in self.reports}
        return sorted(described) or ["none (no student was graded)"]


# ---------------------------------------------------------------------------
# Finding the students


def student_folders(folder: str | os.PathLike) -> list[Path]:
    """The sub-folders of ``folder`` by name, one per student; hidden and ``_...`` ones skipped."""
    return sorted((path for path in Path(folder).iterdir()
                   if path.is_dir() and not path.name.startswith((".", "_"))),
                  key=lambda path: path.name)


def is_class_folder(path: str | os.PathLike) -> bool:
    """True for a folder holding student folders and no gradable file of its own."""
    path = Path(path)
    return path.is_dir() and not sources.gradable_files(path) and bool(student_folders(path))


# ---------------------------------------------------------------------------
# Grading


def grade_class(folder: str | os.PathLike, gradebook: str | os.PathLike,
                feedback_dir: str | os.PathLike | None = None,
                exercise_ids: list[str] | None = None, limit_overrides: dict | None = None,
                isolation: str = "auto", jobs: int | None = None, progress: bool = False,
                hidden_visibility: str = "after_published") -> ClassReport:
    """Grade every student folder of ``folder`` on ``jobs`` processes (default: every core).

    The gradebook and feedback paths are checked before anything is graded
    (``feedback_dir`` defaults to ``feedback`` beside the gradebook); each
    student's feedback is written when that student is done, the gradebook
    atomically at the end. ``progress`` shows a progress bar on stderr.
    """
    _check_grading_options(exercise_ids, limit_overrides, jobs)
    gradebook, feedback_dir = prepare_outputs(gradebook, feedback_dir)
    # the feedback folder may sit inside the class folder: it is not a student
    folders = [path for path in student_folders(folder) if path.resolve() != feedback_dir.resolve()]
    if not folders:
        raise sources.SourceError(f"{folder} holds no student folders")
    jobs = min(jobs or os.cpu_count() or 1, len(folders))
    start = time.monotonic()
    with _progress_bar(len(folders), progress) as advance:
        def finished(student: StudentResult) -> None:
            write_feedback(student, feedback_dir, hidden_visibility)
            advance()

        students = grade_students(folders, exercise_ids, limit_overrides, isolation, jobs, finished)
    write_gradebook(gradebook, gradebook_rows(students))
    return ClassReport(sorted(students, key=lambda student: student.name),
                       time.monotonic() - start, jobs, gradebook, feedback_dir)


def _check_grading_options(exercise_ids: list[str] | None, limit_overrides: dict | None,
                           jobs: int | None) -> None:
    # checked once, here: in the pool, a bad --exercise would fail every student instead
    if jobs is not None:
        validation.integer("--jobs", jobs, minimum=1)
    for exercise_id in exercise_ids or []:
        registry.get(exercise_id)
    Limits().with_overrides(limit_overrides or {})


def grade_students(folders: list[Path], exercise_ids: list[str] | None,
                   limit_overrides: dict | None, isolation: str, jobs: int,
                   finished: Callable[[StudentResult], None]) -> list[StudentResult]:
    """Grade each folder in a pool of ``jobs`` processes; ``finished`` is called as each is done."""
    # spawn, not fork: the parent may be running the progress bar's thread
    context = multiprocessing.get_context("spawn")
    students = []
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {pool.submit(grade_student, str(path), exercise_ids, limit_overrides, isolation):
                   path.name for path in folders}
        try:
            for future in as_completed(futures):
                students.append(_collect(future, futures[future]))
                finished(students[-1])
        except BaseException:  # Ctrl-C or a feedback file that cannot be written: stop now
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return students


def grade_student(folder: str, exercise_ids: list[str] | None = None,
                  limit_overrides: dict | None = None, isolation: str = "auto") -> StudentResult:
    """Grade one student's folder as ``dlbook grade FOLDER`` does (runs in a pool process)."""
    name = Path(folder).name
    try:
        # one exercise at a time: the students already keep every core busy
        return StudentResult(name, runner.grade_path(folder, exercise_ids, limit_overrides,
                                                     isolation, workers=1))
    except Exception as error:  # noqa: BLE001 (one bad student never stops the class)
        return StudentResult(name, error=_one_line(error))


def _collect(future: Future, name: str) -> StudentResult:
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 (the pool process died, or its result did not pickle)
        return StudentResult(name, error=_one_line(error))


def _one_line(error: Exception) -> str:
    text = str(error) if isinstance(error, sources.SourceError) else (
        f"{type(error).__name__}: {error}")
    return " ".join(text.split())[:ERROR_CHARS]


@contextmanager
def _progress_bar(total: int, shown: bool) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr (students done / total, elapsed); yields its advance()."""
    if not shown:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("students"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("grading", total=total)
        yield lambda: bar.advance(task)


# ---------------------------------------------------------------------------
# The gradebook and the feedback files


def prepare_outputs(gradebook: str | os.PathLike,
                    feedback_dir: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """The gradebook and feedback folder paths, checked writable (the folder made) before grading."""
    gradebook = Path(gradebook)
    results_file.check_writable(gradebook, "--gradebook")
    feedback_dir = Path(feedback_dir) if feedback_dir else gradebook.parent / "feedback"
    try:
        feedback_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"--feedback folder {str(feedback_dir)!r} cannot be made: "
                         f"{error.strerror}") from None
    results_file.check_writable(feedback_dir / "student.txt", "--feedback")
    return gradebook, feedback_dir


def gradebook_rows(students: list[StudentResult]) -> list[list[str]]:
    """The gradebook as CSV rows: the header, then one row per student sorted by name.

    Columns: ``student``, the points of each exercise graded for anyone in
    the class (registry order; empty where that student was not graded on
    it), ``total``, ``max`` and ``status``.
    """
    graded = {result.exercise_id for student in students if student.report
              for result in student.report.results}
    columns = [exercise_id for exercise_id in registry.exercises() if exercise_id in graded]
    rows = [["student", *columns, "total", "max", "status"]]
    for student in sorted(students, key=lambda student: student.name):
        rows.append([student.name, *_points_row(student.report, columns), student.status])
    return rows


def _points_row(report: GradeReport | None, columns: list[str]) -> list[str]:
    """The exercise cells, total and max of one student's row (all empty if not graded)."""
    if report is None:
        return [""] * (len(columns) + 2)
    points: dict[str, float] = {}
    for result in report.results:  # two files of one chapter: both count, as in the total
        points[result.exercise_id] = points.get(result.exercise_id, 0.0) + result.score
    cells = [_points(points[column]) if column in points else "" for column in columns]
    return [*cells, _points(report.score), _points(report.max_score)]


def _points(value: float) -> str:
    return f"{value:g}"


def write_gradebook(path: str | os.PathLike, rows: list[list[str]]) -> None:
    """Write the CSV ``rows`` to ``path`` atomically."""
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    results_file.write_text(path, text.getvalue(), "--gradebook")


def feedback_text(report: GradeReport) -> str:
    """What ``dlbook grade`` prints for ``report``, as plain text: lost points, then the table."""
    lost = [result for result in report.results if result.score < result.max_score]
    return "".join(f"{result.text()}\n\n" for result in lost) + report.table() + "\n"


def write_feedback(student: StudentResult, folder: Path, hidden_visibility: str) -> None:
    """``<student>.txt`` (the feedback, or why nothing was graded) and ``<student>.json``
    (Gradescope's results; none for a folder that could not be graded)."""
    text, results = folder / f"{student.name}.txt", folder / f"{student.name}.json"
    if student.report is None:
        results_file.write_text(text, f"{student.status}\n", "--feedback")
        results.unlink(missing_ok=True)  # not last run's results
        return
    results_file.write_text(text, feedback_text(student.report), "--feedback")
    results_file.write_json(results, student.report.gradescope(hidden_visibility), "--feedback")
