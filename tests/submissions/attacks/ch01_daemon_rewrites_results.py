"""softmax leaves behind a daemon that rewrites results.json with full marks once the grader exits.

The daemon double-forks and calls setsid, so killing the worker's process group
does not reach it; it stays around for 20 s. It finds the grader among its ancestors in /proc (the process
whose command line is ``... grade ... --json FILE``), waits for it to exit, then
gives every test its max_score. softmax itself returns a wrong answer, so every
point it gets is forged. Deserved: softmax 0, every other exercise full marks.
"""

import json
import os
import time

from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("softmax",)


def softmax(z):
    grader = _find_grader()  # now, while the grader is still our ancestor
    if os.fork() == 0:  # first child: leave the worker's session, fork the daemon, exit
        try:
            os.setsid()
            if os.fork() == 0:
                _rewrite_results_after_grader(*grader)
        finally:
            os._exit(0)
    os.wait()  # reap the first child; the daemon is now an orphan in a session of its own
    return z  # wrong on purpose


def _find_grader():
    """(pid, absolute --json path) of the ancestor whose command line is `... grade ... --json FILE`."""
    pid = os.getppid()
    while pid > 1:  # worker -> fork server -> grader
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            argv = stream.read().decode(errors="replace").split("\0")
        if "grade" in argv and "--json" in argv:
            # /proc/PID/cwd is refused (we hold fewer capabilities than the grader), but the
            # environment we inherited from it names the folder it was started in
            return pid, os.path.join(os.environ.get("PWD", "/"), argv[argv.index("--json") + 1])
        with open(f"/proc/{pid}/status") as stream:
            pid = int(next(line.split()[1] for line in stream if line.startswith("PPid:")))
    return None, None


def _rewrite_results_after_grader(pid, path):
    deadline = time.monotonic() + 20  # never outlive the grader by more than ~20 s
    while pid and os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid and not os.path.exists(f"/proc/{pid}") and os.path.exists(path):
        _give_full_marks(path)
    while time.monotonic() < deadline:  # and stay around, as a leftover process would
        time.sleep(0.1)


def _give_full_marks(path):
    with open(path) as stream:
        results = json.load(stream)
    for test in results["tests"]:
        test.update(score=test["max_score"], status="passed", output="passed")
    results["score"] = results["max_score"]
    with open(f"{path}.{os.getpid()}", "w") as stream:  # the hidden worker's daemon writes too
        json.dump(results, stream, indent=2)
    os.replace(f"{path}.{os.getpid()}", path)
