"""The worker side of the sandbox: the only part of ``dlbook`` a graded submission can see.

The supervisor (:mod:`dlbook.grading.supervisor`) runs each exercise in a
worker, in a sandbox whose file system holds the interpreter, NumPy (and
Keras for the Keras exercises) and this folder, mounted read-only as the
package ``dlbook_runtime``; the grader's own modules, the reference
implementations and ``solutions/`` are not there at all. So these modules
import nothing from ``dlbook`` (only each other, relatively), the standard
library, NumPy, and Keras as ``import keras`` (there is no
:mod:`dlbook.keras_import` in the sandbox; the worker's environment quiets
TensorFlow instead, :func:`dlbook.grading.isolation.worker_environment`):

- :mod:`.boot`: the sandbox's entry point: read the job, apply the limits, run it;
- :mod:`.worker`: load the student's code, call it, describe what happened;
- :mod:`.protocol`: the request, the jobs and the result frames, typed, and
  the checks on every frame a worker sends;
- :mod:`.codec`: values as plain data across the boundary (no pickle);
- :mod:`.limits`: the resources one exercise may use;
- :mod:`.fixtures`: arguments built inside the sandbox (a function, a Keras model);
- :mod:`.keras_checks`: trusted measurements of a model a submission returned;
- :mod:`.standin`: the ``dlbook`` a submission sees: ``dlbook.grading.check``, nothing else.
"""
