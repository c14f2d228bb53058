"""Submissions that try to forge their score get exactly what they deserve, as root and as a user.

Each file in ``tests/submissions/attacks/`` is a chapter-1 submission whose
functions named in ``ATTACKED`` carry one class of attack: a daemon that
rewrites results.json after the grader exits, edits to the grader or to a
reference module on disk, reaching the reference implementations, regaining
privileges, memory held by several processes, leaking hidden inputs, and a
hostile result channel. The score it deserves is the score of the same file
with those functions deleted. Both are graded through ``dlbook grade --json``
by a throwaway copy of the grader (the attacks write to disk), run as root
(as in a Gradescope container) and as an ordinary user who owns that copy.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from corpus import ROOT, SUBMISSIONS, digest, hand_in, without_attacks
from users import UID, as_user

from dlbook.grading import registry

ATTACKS = sorted(p.stem for p in (SUBMISSIONS / "attacks").glob("ch01_*.py"))
LIMITS = ["--wall-time", "4", "--cpu-time", "4", "--memory", "512"]
CANARY = {"DLBOOK_TEST_CANARY": "secret-canary"}
pytestmark = pytest.mark.slow


# Runs the grader as the child of a subreaper of its own, so that a process a submission leaves
# behind comes back to it once the grader has exited, however it detached; it reports each one
# (and kills it). Not this test process: under pytest-xdist it has children of its own (Chromium).
REAPER = """
import ctypes, json, os, subprocess, sys, time
assert ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
spec = json.loads(sys.argv[1])
done = subprocess.run(spec["argv"], capture_output=True, text=True, timeout=300, env=spec["env"],
                      cwd=spec["cwd"])
time.sleep(2.0)  # room for anything left behind to act after the grader has exited
found = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode()
    except OSError:
        continue
    if int(fields[1]) == os.getpid() and fields[0] != "Z":
        found.append(f"{pid}: {cmdline[:200]}")
        os.kill(int(pid), 9)
print(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                  "leftovers": found}))
"""


class Grader:
    """A fresh copy of dlbook (and of solutions/ beside it, as in a clone) run by ``user``."""

    def __init__(self, user: str, folder: Path):
        self.user, self.folder = user, folder
        self.install = folder / "install"
        ignore = shutil.ignore_patterns("__pycache__")
        for name in ("dlbook", "solutions"):
            shutil.copytree(ROOT / name, self.install / name, ignore=ignore)
        (folder / "home").mkdir()
        folder.chmod(0o777)
        if user == "user":  # the user's own installation, as a student or instructor has it
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, UID, UID)
        self.digest = digest(self.install)

    def grade(self, submission: Path, name: str, *extra: str) -> tuple[subprocess.CompletedProcess,
                                                                         dict | None]:
        results = self.folder / f"{name}.json"
        argv = [sys.executable, "-m", "dlbook", "grade", str(submission), "--json", str(results),
                *LIMITS, *extra]
        if self.user == "user":
            argv = as_user(argv, self.folder / "home")
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(self.install), **CANARY}
        spec = json.dumps({"argv": argv, "env": env, "cwd": str(self.folder)})
        reaped = json.loads(subprocess.run([sys.executable, "-c", REAPER, spec], check=True,
                                           capture_output=True, text=True).stdout)
        self.leftovers = reaped.pop("leftovers")
        process = subprocess.CompletedProcess(argv, **reaped)
        return process, json.loads(results.read_text()) if results.exists() else None


@pytest.fixture(scope="module", params=["root", "user"])
def user(request):
    return request.param


def hand_in_for(grader: Grader, name: str, text: str | None = None) -> Path:
    source = SUBMISSIONS / "attacks" / f"{name}.py"
    folder = grader.folder / name
    folder.mkdir(exist_ok=True)
    if text is not None:
        source = folder / "original.py"
        source.write_text(text)
    path = hand_in(source, folder, f"{name}.py")
    if grader.user == "user":
        for item in [folder, *folder.iterdir()]:
            os.chown(item, UID, UID)
    return path


def exercise_scores(results: dict) -> dict[str, float]:
    scores = defaultdict(float)
    for test in results["tests"]:
        scores[test["name"].split(":")[0]] += test["score"]
    return dict(scores)


@pytest.fixture(scope="module")
def graded(user, tmp_path_factory):
    """For each attack: (its grader, process, results, deserved results), each with a fresh copy."""
    out = {}
    for name in ATTACKS:
        grader = Grader(user, tmp_path_factory.mktemp(f"{user}-{name}"))
        attacked = grader.grade(hand_in_for(grader, name), name)
        text = without_attacks((SUBMISSIONS / "attacks" / f"{name}.py").read_text())
        deserved = Grader(user, tmp_path_factory.mktemp(f"{user}-{name}-deserved"))
        out[name] = (grader, *attacked, deserved.grade(hand_in_for(deserved, name, text), name)[1])
    return out


@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_scores_what_the_file_without_it_deserves(graded, name):
    _, process, results, deserved = graded[name]
    assert process.returncode == 0, process.stderr
    assert results is not None and deserved is not None
    assert exercise_scores(results) == exercise_scores(deserved)
    assert results["score"] == deserved["score"]
    assert results["extra_data"]["isolation"]["isolation"] == "bubblewrap"


@pytest.mark.parametrize("name", ATTACKS)
def test_nothing_an_attack_started_is_still_running(graded, name):
    assert graded[name][0].leftovers == []


@pytest.mark.parametrize("name", ["ch01_edits_grader", "ch01_edits_reference_module"])
def test_the_grader_on_disk_is_unchanged_and_still_gives_a_stub_zero(graded, name):
    grader = graded[name][0]
    assert all(digest(entry[0].install) == entry[0].digest for entry in graded.values())
    stub = grader.folder / "stub" / "ch01_neurons.py"
    stub.parent.mkdir()
    shutil.copyfile(ROOT / "exercises" / "ch01_neurons.py", stub)
    process, results = grader.grade(stub, "stub")
    assert process.returncode == 0 and results["score"] == 0


def test_the_worker_holds_no_privilege_and_sees_neither_the_grader_nor_the_network(graded):
    stdout = graded["ch01_regains_privileges"][1].stdout
    probe = json.loads(re.search(r"PROBE (\{.*\})", stdout).group(1))
    assert probe["uid"][0] != "0" and probe["cap_eff"] == probe["cap_bnd"] == "0" * 16
    assert probe["no_new_privs"] == "1" and probe["seccomp"] == "2"
    assert not probe["grader_visible"] and not probe["canary_in_environ"]
    assert probe["interfaces"] == ["lo"] and probe["proc_net_tcp_entries"] == 0
    assert probe["child_cap_eff"] is None  # it could not even start a child


def test_hidden_inputs_never_reach_what_the_student_sees(graded):
    _, process, results, _ = graded["ch01_leaks_hidden_inputs"]
    hidden = [call.args[0] for call in registry.get("ch01.sigmoid_prime").calls() if call.hidden]
    shown = "\n".join([results["output"], *(test["output"] for test in results["tests"]),
                       process.stdout, process.stderr])
    for z in hidden:
        assert np.array2string(np.asarray(z), threshold=sys.maxsize) not in shown
    assert "LEAK[" in shown  # the public cases' messages are shown, as they should be


def test_a_hostile_result_channel_makes_invalid_results_not_a_crash(graded):
    _, process, results, _ = graded["ch01_hostile_result_channel"]
    assert "invalid result" in process.stdout and "Traceback" not in process.stderr
    scores = exercise_scores(results)
    assert scores.pop("ch01.sigmoid") > 0 and set(scores.values()) == {0.0}


def test_the_reaper_reports_and_ends_a_process_left_behind():
    spec = json.dumps({"argv": ["sh", "-c", "setsid sleep 60 > /dev/null 2>&1 &"],
                       "env": {"PATH": os.environ["PATH"]}, "cwd": "/"})
    reaped = json.loads(subprocess.run([sys.executable, "-c", REAPER, spec], check=True,
                                       capture_output=True, text=True).stdout)
    assert reaped["returncode"] == 0 and len(reaped["leftovers"]) == 1
    assert reaped["leftovers"][0].endswith("sleep 60 ")
