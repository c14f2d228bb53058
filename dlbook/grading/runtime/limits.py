"""The resources one exercise may use, and how a worker process is held to them.

Defaults (per exercise, public and hidden cases together):

===============  ==========  ==========  ====================================
limit            NumPy       Keras       enforced by
===============  ==========  ==========  ====================================
wall clock       10 s        90 s        the grader ends the sandbox
CPU time         10 s        180 s       ``RLIMIT_CPU`` (SIGXCPU, then SIGKILL)
memory           1024 MiB    4096 MiB    ``RLIMIT_AS``, on top of the libraries
                                         the worker had loaded when it started
files written    16 MiB      64 MiB      ``RLIMIT_FSIZE`` (captured output, results)
===============  ==========  ==========  ====================================

The clocks start when the student's code starts, after the interpreter and
its libraries have loaded. In the sandbox an exercise is a single process
(it cannot start others), so these per-process limits hold for the exercise
as a whole. Keras gets more CPU than wall time because TensorFlow trains on
several threads. Every limit can be overridden per run (``dlbook grade
--wall-time``, ``check(..., limits=...)``).

A worker running as root outside the sandbox (a notebook's ``check``) also
gives up all its capabilities once its limits are set.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource
import sys
from dataclasses import dataclass, fields, replace

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Wall-clock seconds, CPU seconds, extra address space (MiB) and largest file (MiB)."""

    wall_s: float = 10.0
    cpu_s: float = 10.0
    memory_mb: int = 1024
    output_mb: int = 16

    def __post_init__(self):
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{spec.name} must be a number, got {type(value).__name__}")
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{spec.name} must be a positive finite number, got {value}")

    def with_overrides(self, overrides: dict | None) -> Limits:
        """These limits with the non-None entries of ``overrides`` replacing fields."""
        changes = {key: value for key, value in (overrides or {}).items() if value is not None}
        unknown = set(changes) - {spec.name for spec in fields(self)}
        if unknown:
            raise ValueError(f"limit overrides must be among wall_s, cpu_s, memory_mb, "
                             f"output_mb, got {sorted(unknown)}")
        return replace(self, **changes)

    def describe(self) -> str:
        return (f"{self.wall_s:g} s wall clock, {self.cpu_s:g} s CPU, "
                f"{self.memory_mb:g} MiB memory, {self.output_mb:g} MiB output")


NUMPY_LIMITS = Limits()
KERAS_LIMITS = Limits(wall_s=90.0, cpu_s=180.0, memory_mb=4096, output_mb=64)


def address_space_in_use() -> int:
    """Bytes of virtual memory this process has mapped now (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def cpu_seconds_used() -> float:
    """CPU seconds this process has used so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def apply(limits: Limits) -> None:
    """Hold the calling process (a fresh worker) to ``limits``; irreversible by design.

    CPU time already spent (loading libraries) does not count against the
    limit. The hard CPU limit sits one second above the soft one, so a
    submission that ignores SIGXCPU is killed anyway. No core files are written.
    """
    cpu = math.ceil(cpu_seconds_used() + limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    output = int(limits.output_mb * MIB)
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
    in_use = address_space_in_use()
    if in_use:
        memory = in_use + int(limits.memory_mb * MIB)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if os.geteuid() == 0 and sys.platform == "linux":
        drop_capabilities()


class _CapabilityHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapabilityData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Give up every Linux capability of this process (root keeps its uid, not its powers).

    Without CAP_SYS_RESOURCE a root process cannot raise its hard limits.
    Files it owns stay readable, so Python and its libraries still import.
    """
    header = _CapabilityHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    none = (_CapabilityData * 2)()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.capset(ctypes.byref(header), none) != 0:
        raise OSError(ctypes.get_errno(), "capset: could not drop the worker's capabilities")
