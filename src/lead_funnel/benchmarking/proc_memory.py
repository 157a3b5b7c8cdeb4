"""Peak memory of a dbt process, sampled from /proc while it runs, and the peak size of the
directory an engine spills to.

Wall times are of the whole dbt process. Peak memory is the larger of the resident set of the
dbt process tree, sampled from /proc every 50 ms, and the dbt process's own resident peak
(VmHWM, which resets at exec). The kernel's ru_maxrss is not used: a child forked from this
process starts with the parent's resident set in its ru_maxrss, so after generating a large set
in-process it reported the benchmark's memory, not dbt's.

Spill: DuckDB writes what does not fit its memory_limit to ``<database>.tmp/`` and removes the
files when an operator is done with them, so their size is sampled with the memory; the peak
is the most spilled at one time (a lower bound: a file made and removed between two samples is
missed).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def child_processes() -> dict[int, list[int]]:
    """parent pid -> the pids of its children, of every process in /proc now."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def _status_kb(pid: int, name: str = "VmRSS") -> int:
    """A kB figure of /proc/<pid>/status (VmRSS: resident now; VmHWM: the resident peak of the
    process since its exec), 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in kB."""
    tree, total, todo = child_processes(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _status_kb(pid)
        todo += tree.get(pid, [])
    return total


def directory_bytes(directory: Path | None) -> int:
    """Total size of the files under ``directory`` (0 when it is missing or None); files removed
    while it is read are skipped."""
    if directory is None:
        return 0
    total = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


class PeakSampler(threading.Thread):
    """Samples the process tree's resident set, the root's own high-water mark (VmHWM) and the
    size of ``spill_dir`` (when given)."""

    def __init__(self, pid: int, interval: float = 0.05, spill_dir: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb, self.hwm_kb = pid, interval, 0, 0
        self.spill_dir, self.spill_bytes = spill_dir, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self.hwm_kb = max(self.hwm_kb, _status_kb(self.pid, "VmHWM"))
            self.spill_bytes = max(self.spill_bytes, directory_bytes(self.spill_dir))
            self.done.wait(self.interval)
