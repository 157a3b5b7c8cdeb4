"""An interrupted test session leaves no server running.

A pytest session that started the Spark cluster (the `spark_cluster` fixture of conftest.py: a
standalone master, two workers, a Thrift server and the executors it asks the workers for) is
killed with SIGTERM, as a CI runner cancels a job; once it has exited, no process of the cluster
may be left. The session runs in a subprocess on a probe test that holds the cluster open.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROJECT_DIR

PROBE = '''
import json, os, time
from pathlib import Path

import pytest

@pytest.mark.spark_cluster
def test_hold_the_cluster_open(spark_cluster):
    Path(os.environ["PROBE_READY"]).write_text(json.dumps(spark_cluster))
    time.sleep(900)
'''


def process_groups() -> dict[int, int]:
    """pid -> process group of every process on the machine."""
    groups = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
            groups[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[2])
    return groups


def cluster_processes(leaders: set[int]) -> set[int]:
    """The cluster's processes: each component runs in a session of its own (setsid), so its
    children (the executors of a worker) share its process group."""
    return {pid for pid, group in process_groups().items() if group in leaders or pid in leaders}


@pytest.mark.spark_cluster
@pytest.mark.slow
def test_sigterm_stops_the_cluster_the_session_started(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    ready = tmp_path / "ready.json"
    env = dict(os.environ, PROBE_READY=str(ready),
               PYTHONPATH=os.pathsep.join([str(PROJECT_DIR / "tests" / "python"),
                                           str(PROJECT_DIR / "src"), os.environ.get("PYTHONPATH", "")]))
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-q", "-s", "-c", str(tmp_path / "pytest.ini"),
         "--basetemp", str(tmp_path / "inner"), str(tmp_path / "test_probe.py")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    state: Path | None = None
    try:
        deadline = time.monotonic() + 600
        while not ready.exists():
            if session.poll() is not None:
                pytest.fail("the session ended early:\n" + session.communicate()[0])
            assert time.monotonic() < deadline, "the cluster did not start in 10 minutes"
            time.sleep(2)
        state = Path(json.loads(ready.read_text())["LEAD_FUNNEL_SPARK_CLUSTER_DIR"])
        leaders = {int(pid_file.read_text()) for pid_file in (state / "pids").glob("*.pid")}
        assert len(leaders) == 4, f"master, two workers and the Thrift server: {leaders}"
        running = cluster_processes(leaders)
        # The Thrift server registers as an application: the workers launch its executors.
        assert len(running) > len(leaders), running

        session.send_signal(signal.SIGTERM)
        output, _ = session.communicate(timeout=300)
        left = cluster_processes(leaders)
        assert not left, f"left running after SIGTERM: {sorted(left)}\n{output}"
        assert session.returncode != 0, output  # interrupted, not passed
        assert not list((state / "pids").glob("*.pid")), output
    finally:
        if session.poll() is None:
            session.kill()
        if state is not None:  # whatever the test found, nothing of the probe's cluster stays up
            subprocess.run(["bash", str(PROJECT_DIR / "scripts" / "spark_cluster.sh"), "down"],
                           env=dict(os.environ, LEAD_FUNNEL_SPARK_CLUSTER_DIR=str(state)),
                           capture_output=True, check=False)
