"""Peak memory of a dbt process, sampled from /proc while it runs.

Wall times are of the whole dbt process. Peak memory is the larger of the resident set of the
dbt process tree, sampled from /proc every 50 ms, and the dbt process's own resident peak
(VmHWM, which resets at exec). The kernel's ru_maxrss is not used: a child forked from this
process starts with the parent's resident set in its ru_maxrss, so after generating a large set
in-process it reported the benchmark's memory, not dbt's.
"""

from __future__ import annotations

import os
import threading


def _children() -> dict[int, list[int]]:
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
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _status_kb(pid)
        todo += tree.get(pid, [])
    return total


class PeakSampler(threading.Thread):
    """Samples the process tree's resident set and the root's own high-water mark (VmHWM)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb, self.hwm_kb = pid, interval, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self.hwm_kb = max(self.hwm_kb, _status_kb(self.pid, "VmHWM"))
            self.done.wait(self.interval)
