"""Results and how they are shown: terminal text (rich), HTML for Jupyter, Gradescope JSON."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from dlbook import validation

OUTPUT_SHOWN = 1500  # characters of a submission's captured output shown in feedback
VISIBILITIES = ("after_published", "hidden", "after_due_date", "visible")

# Why a worker stopped before it finished (:func:`dlbook.grading.runner.stop_reason`).
StopReason = Literal["time limit", "CPU limit", "output limit", "killed", "invalid result",
                     "worker failed", "exited"]
# The status column of the table (:func:`dlbook.grading.runner.status`).
ExerciseStatus = Literal["passed", "partial", "failed", "not implemented yet", "not defined",
                         "import error", "uses the reference implementation", "memory limit",
                         StopReason]
EXERCISE_STATUSES = get_args(ExerciseStatus)


@dataclass(frozen=True)
class Item:
    """One scored check: a Gradescope test."""

    name: str
    points: float
    max_points: float
    hidden: bool = False
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems

    def feedback(self) -> str:
        """What the student may see: details for public checks, only the verdict for hidden."""
        if self.hidden:
            return "passed" if self.passed else "failed (hidden case: no details are shown)"
        return "passed" if self.passed else "\n".join(self.problems)


class Scored:
    """``score`` and ``max_score``: the points and the maximum of every scored item, summed."""

    def scored_items(self) -> Iterable[Item]:
        raise NotImplementedError

    @property
    def score(self) -> float:
        return sum(item.points for item in self.scored_items())

    @property
    def max_score(self) -> float:
        return sum(item.max_points for item in self.scored_items())


@dataclass
class ExerciseResult(Scored):
    """The graded exercise: its items, status, notes and the submission's captured output."""

    exercise_id: str
    function: str
    title: str
    link: str
    hint: str
    items: list[Item]
    status: ExerciseStatus
    notes: list[str] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    source: str = ""

    def __post_init__(self):
        validation.choice("status", self.status, EXERCISE_STATUSES)

    def scored_items(self) -> list[Item]:
        return self.items

    def lines(self) -> list[tuple[str, str]]:
        """The report as ``(style, text)`` lines; styles are rich style names."""
        out = [("bold", f"{self.exercise_id}  {self.function}: {self.title}   "
                        f"{_points(self.score)}/{_points(self.max_score)}  {self.status}")]
        shown: tuple[str, ...] = ()
        for item in self.items:
            mark, style = ("passed", "green") if item.passed else ("FAILED", "red")
            out.append((style, f"  {mark}  {item.name}   "
                               f"{_points(item.points)}/{_points(item.max_points)}"))
            if not item.passed and not item.hidden:
                repeated = item.problems == shown
                out += [("", _indent("(the same as above)", 10))] if repeated else [
                    ("", _indent(problem, 10)) for problem in item.problems]
                shown = item.problems
        out += [("yellow", _indent(note, 2)) for note in self.notes]
        if self.score < self.max_score:
            out += [("cyan", f"  hint: {self.hint}"), ("cyan", f"  read: {self.reading()}")]
        for name, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            if text.strip():
                out.append(("dim", f"  your {name} (public cases):\n{_indent(_truncate(text), 4)}"))
        return out

    def reading(self) -> str:
        """``chapter 3, "the algorithm" (book/03_backpropagation.html#the-algorithm)``."""
        chapter = self.exercise_id.split(".")[0].removeprefix("ch").lstrip("0")
        anchor = self.link.partition("#")[2].replace("-", " ")
        return f'chapter {chapter}, "{anchor}" ({self.link})' if anchor else self.link

    def text(self) -> str:
        return "\n".join(text for _, text in self.lines())

    def __repr__(self) -> str:
        return (f"<ExerciseResult {self.exercise_id}: {_points(self.score)}/"
                f"{_points(self.max_score)} {self.status}>")

    def __str__(self) -> str:
        return self.text()

    def __rich__(self):
        from rich.text import Text

        report = Text()
        for style, text in self.lines():
            report.append(text + "\n", style=style or None)
        return report

    def _repr_html_(self) -> str:
        return exercise_html(self)


def exercise_html(result: ExerciseResult) -> str:
    """A compact HTML card: header, one row per check, notes, hint, output."""
    colour = "#1b7837" if result.score == result.max_score else "#b2182b"
    rows = []
    for item in result.items:
        mark = "&#10004;" if item.passed else "&#10008;"
        detail = "" if item.passed or item.hidden else "<br>".join(
            f"<pre style='margin:2px 0'>{html.escape(p)}</pre>" for p in item.problems)
        rows.append(f"<tr><td>{mark}</td><td>{html.escape(item.name)}{detail}</td>"
                    f"<td>{_points(item.points)}/{_points(item.max_points)}</td></tr>")
    extra = [f"<div style='color:#8c510a'>{html.escape(note)}</div>" for note in result.notes]
    if result.score < result.max_score:
        extra.append(f"<div><b>hint:</b> {html.escape(result.hint)} "
                     f"(<a href='{html.escape(result.link)}'>read the section</a>)</div>")
    if result.stdout.strip():
        extra.append(f"<details><summary>your output</summary><pre>"
                     f"{html.escape(_truncate(result.stdout))}</pre></details>")
    return (f"<div style='border-left:4px solid {colour};padding:4px 8px'>"
            f"<b>{html.escape(result.exercise_id)}</b> <code>{html.escape(result.function)}"
            f"</code>: {html.escape(result.title)} &mdash; <b>{_points(result.score)}/"
            f"{_points(result.max_score)}</b> {html.escape(result.status)}"
            f"<table>{''.join(rows)}</table>{''.join(extra)}</div>")


@dataclass
class GradeReport(Scored):
    """All exercises graded from one or more student files."""

    sources: list[str]
    results: list[ExerciseResult]
    seconds: float = 0.0
    isolation: dict = field(default_factory=dict)  # isolation.describe() of what ran the code

    def scored_items(self) -> Iterable[Item]:
        return (item for result in self.results for item in result.items)

    def table(self) -> str:
        """The summary table: exercise, points, max, status, and the total."""
        width = max([len("exercise")] + [len(r.exercise_id) for r in self.results])
        lines = [f"{'exercise':<{width}}  {'points':>6}  {'max':>4}  status"]
        lines += [f"{r.exercise_id:<{width}}  {_points(r.score):>6}  {_points(r.max_score):>4}  "
                  f"{r.status}" for r in self.results]
        lines.append(f"{'total':<{width}}  {_points(self.score):>6}  "
                     f"{_points(self.max_score):>4}  ({self.seconds:.1f} s)")
        if self.isolation:
            lines.append(f"isolation: {self.isolation['description']}")
        return "\n".join(lines)

    def gradescope(self, hidden_visibility: str = "after_published") -> dict:
        """Gradescope's ``results.json``: one test per scored check."""
        validation.choice("hidden_visibility", hidden_visibility, VISIBILITIES)
        tests = []
        several = len(self.sources) > 1
        for result in self.results:
            prefix = f"{Path(result.source).name}: " if several and result.source else ""
            for number, item in enumerate(result.items):
                output = item.feedback()
                if number == 0 and result.notes:
                    output += "\n" + "\n".join(result.notes)
                if not item.passed and not item.hidden:
                    output += f"\nhint: {result.hint}\nread: {result.reading()}"
                tests.append({
                    "name": f"{prefix}{result.exercise_id}: {item.name}",
                    "score": float(item.points),
                    "max_score": float(item.max_points),
                    "output": output,
                    "visibility": hidden_visibility if item.hidden else "visible",
                    "status": "passed" if item.passed else "failed",
                })
        return {"score": float(self.score), "max_score": float(self.max_score),
                "execution_time": round(self.seconds, 3), "output": self.table(),
                "extra_data": {"isolation": self.isolation}, "tests": tests}


def _points(value: float) -> str:
    return f"{value:g}"


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in str(text).splitlines())


def _truncate(text: str) -> str:
    if len(text) <= OUTPUT_SHOWN:
        return text
    return text[:OUTPUT_SHOWN] + f"\n... ({len(text) - OUTPUT_SHOWN} more characters not shown)"
