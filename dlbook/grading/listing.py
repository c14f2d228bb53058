"""The list of a chapter's coding exercises, as the book page shows it.

A chapter ends with ``coding_exercises("ch03")``: a table of its graded
functions (id, function, task, public and hidden cases, points), the file
that holds the stubs and the two ways to check them. The table is read from
the registry, so the page can never list an exercise the grader lacks.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from dlbook import distribution, validation
from dlbook.grading import registry


@dataclass(frozen=True)
class Row:
    id: str
    function: str
    title: str
    public: int
    hidden: int
    points: float


@dataclass(frozen=True)
class ExerciseListing:
    """A chapter's graded exercises; shown as HTML in Jupyter and as text elsewhere."""

    chapter: str
    path: str
    rows: tuple[Row, ...]

    def how_to_check(self) -> str:
        first = self.rows[0]
        return (f"Get the stubs: dlbook exercises {self.chapter} (or {self.path} in a clone). "
                f'In a notebook: from dlbook.grading import check; check("{first.id}", '
                f"{first.function}). From a shell: dlbook grade {self.path}")

    def __str__(self) -> str:
        lines = [f"Coding exercises in {self.path}:"]
        lines += [f"  {r.id:<32} {r.function}: {r.title} ({r.public} public + {r.hidden} hidden "
                  f"cases, {r.points:g} points)" for r in self.rows]
        return "\n".join(lines + [self.how_to_check()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td><code>{html.escape(r.id)}</code></td><td><code>{html.escape(r.function)}"
            f"</code></td><td>{html.escape(r.title)}</td><td>{r.public} + {r.hidden}</td>"
            f"<td>{r.points:g}</td></tr>" for r in self.rows)
        first = self.rows[0]
        return (
            f"<p>Stubs in <code>{html.escape(self.path)}</code> of the repository; "
            f"<code>dlbook exercises {self.chapter}</code> writes them anywhere dlbook is "
            "installed.</p>"
            "<table><thead><tr><th>Exercise</th><th>Function</th><th>Task</th>"
            "<th>Cases (public + hidden)</th><th>Points</th></tr></thead>"
            f"<tbody>{cells}</tbody></table>"
            "<p>Check one function in a notebook:</p><pre>from dlbook.grading import check\n"
            f"check(\"{html.escape(first.id)}\", {html.escape(first.function)})</pre>"
            f"<p>Grade the whole file from a shell:</p><pre>dlbook grade {html.escape(self.path)}"
            "</pre>")


def exercise_file(chapter: str) -> str:
    """The stub file of ``chapter`` as a clone names it: ``exercises/ch03_backprop.py``."""
    return f"exercises/{distribution.stub_file(chapter).name}"


def coding_exercises(chapter: str) -> ExerciseListing:
    """The graded exercises of ``chapter`` (``"ch01"``, ``"ch02"``, ...), in registry order."""
    from dlbook.grading.checks import CHAPTERS

    validation.choice("chapter", chapter, CHAPTERS)
    rows = []
    for exercise in registry.of_chapter(chapter):
        calls = exercise.calls()
        checks = sum(len(exercise.planned_checks(call)) for call in calls)
        hidden = sum(call.hidden for call in calls)
        rows.append(Row(exercise.id, exercise.function, exercise.title, len(calls) - hidden,
                        hidden, checks * exercise.points))
    return ExerciseListing(chapter, exercise_file(chapter), tuple(rows))
