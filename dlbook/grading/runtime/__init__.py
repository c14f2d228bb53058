"""The student's runtime: the only part of ``dlbook`` a graded submission can see.

The grader runs each exercise in a sandbox (:mod:`dlbook.grading.sandbox`)
whose file system holds the interpreter, NumPy (and Keras for the Keras
exercises) and this folder, mounted read-only as the package
``dlbook_runtime``; the grader's own modules, the reference implementations
and ``solutions/`` are not there at all. So these modules import nothing from
``dlbook`` (only each other, relatively), the standard library and NumPy:

- :mod:`.boot`: the sandbox's entry point: read the job, apply the limits, run it;
- :mod:`.worker`: load the student's code, call it, describe what happened;
- :mod:`.codec`: values as plain data across the boundary (no pickle);
- :mod:`.limits`: the resources one exercise may use;
- :mod:`.fixtures`: arguments built inside the sandbox (a function, a Keras model);
- :mod:`.keras_checks`: trusted measurements of a model a submission returned;
- :mod:`.standin`: the ``dlbook`` a submission sees: ``dlbook.grading.check``, nothing else.
"""
