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
- **Isolation** (:mod:`~dlbook.grading.isolation`,
  :mod:`~dlbook.grading.supervisor`, :mod:`~dlbook.grading.seccomp`): student
  code runs only in workers, one per exercise (public cases, then hidden
  cases in another). The supervisor (the grader's side) starts each in a
  bubblewrap sandbox: own PID, network, IPC and mount namespaces, a
  read-only file system with the interpreter, NumPy (or Keras) and the
  worker side (:mod:`~dlbook.grading.runtime`) and nothing of the grader, no
  capabilities, ``no_new_privs``, a seccomp filter against new processes, an
  unprivileged uid under root; held to a wall-clock limit, ``RLIMIT_CPU`` and
  ``RLIMIT_AS`` (:mod:`~dlbook.grading.runtime.limits`: 10 s, 10 s, 1 GiB for
  NumPy exercises). Where the sandbox cannot start, plain processes (weak,
  and said so). The job and each result travel as typed records
  (:mod:`~dlbook.grading.runtime.protocol`) in framed plain data
  (:mod:`~dlbook.grading.runtime.codec`: JSON plus ``.npy`` arrays, no
  pickle); the grader reads the results only after every process of the
  worker is gone, without following links, with capped sizes, and checks
  every field; the worker's stdout and stderr are shown truncated, and only
  for public cases.
- **Judging** happens in the grading process only, on those plain values:
  a submission that patches NumPy patches its own process; an object whose
  ``__eq__`` always says True arrives as data or not at all; NaN, a wrong
  dtype or shape, and changes made in place to the inputs each fail the
  case with their own message. Backward passes are also checked against
  finite differences. Hidden cases report pass/fail and points only.
- **Feedback** (:mod:`~dlbook.grading.report`): per case, the expected and
  received shapes and dtypes, the largest absolute and relative errors, the
  first differing index, the student's own traceback lines, a hint and a link
  to the book section; rich text in a terminal, HTML in Jupyter.

On Gradescope, ``dlbook gradescope build`` writes the autograder zip
(:mod:`~dlbook.grading.gradescope`); its ``run_autograder`` grades
``/autograder/submission`` into ``/autograder/results/results.json`` (hidden
cases get ``visibility: after_published``). The exit code of ``dlbook
grade`` is 0 whenever grading ran.

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
