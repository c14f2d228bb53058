"""The autograder: graded coding exercises with instant, specific feedback.

Students implement the functions in ``exercises/chNN_<topic>.py``; two entry
points grade them:

- in a notebook, ``from dlbook.grading import check`` then
  ``check("ch03.backward", backward)``;
- from a shell, ``dlbook grade PATH [--json results.json] [--exercise ID]``
  on a ``.py`` file, a folder, or a notebook (``.ipynb`` or MyST ``.md``),
  writing Gradescope's ``results.json`` if asked.

How it works, and why it cannot be fooled:

- **Registry** (:mod:`~dlbook.grading.registry`, exercise sets in
  :mod:`~dlbook.grading.checks`): each exercise has an id, the function name,
  seeded public and hidden calls, a reference in ``dlbook``, a stated
  tolerance (:mod:`~dlbook.grading.compare`), a hint and a book section.
- **Isolation** (:mod:`~dlbook.grading.sandbox`,
  :mod:`~dlbook.grading.runtime.worker`): student code runs only in worker
  processes, one per exercise (public cases, then hidden cases in another),
  forked from a fork server that has loaded NumPy (or Keras) once, and held
  to a wall-clock limit, ``RLIMIT_CPU`` and ``RLIMIT_AS``
  (:mod:`~dlbook.grading.runtime.limits` states the defaults: 10 s, 10 s, 1 GiB for
  NumPy exercises). A worker writes each result to a result file as framed
  plain data (:mod:`~dlbook.grading.runtime.codec`: JSON plus ``.npy`` arrays, no
  pickle), never through stdout; its stdout and stderr are captured and
  shown truncated, and only for public cases.
- **Judging** happens in the grading process only, on those plain values:
  a submission that patches NumPy, ``dlbook`` or the grader's modules
  patches its own process; an object whose ``__eq__`` always says True
  arrives as data or not at all; NaN, a wrong dtype or shape, and changes
  made in place to the inputs each fail the case with their own message.
  Backward passes are also checked against finite differences.
- **Feedback** (:mod:`~dlbook.grading.report`): per case, the expected and
  received shapes and dtypes, the largest absolute and relative errors, the
  first differing index, the student's own traceback lines, a hint and a link
  to the book section; rich text in a terminal, HTML in Jupyter.

On Gradescope, the autograder's ``run_autograder`` script is one line:
``dlbook grade /autograder/submission --json /autograder/results/results.json``
(hidden cases get ``visibility: after_published``; ``--hidden-visibility
hidden`` hides them for good). The exit code is 0 whenever grading ran.

Limits of the isolation: workers run as the grader's user, without a
network or file-system sandbox; a submission that deliberately signals
other processes of that user, or starts a process that leaves its session,
can disturb the grading run (never the scores of other exercises it has
already received). Run the grader in a container, as Gradescope does.

Importing this package is cheap; its parts load on first use.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "check": "dlbook.grading.notebook",
    "coding_exercises": "dlbook.grading.listing",
    "grade_path": "dlbook.grading.runner",
    "exercises": "dlbook.grading.registry",
    "Limits": "dlbook.grading.runtime.limits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
