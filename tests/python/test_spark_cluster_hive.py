"""The Spark Thrift server can load Hive's function registry.

pyspark's jars hold hive-exec 2.3 without hive-llap-common, and Hive's FunctionRegistry cannot be
initialised without the type LlapSigner.Signable; Hive initialises it when a Thrift session is
closed on a thread whose Hive client it makes afresh, so without a remedy some dbt connections to
the cluster failed as they closed (a dbt build of the fixture failed that way, at random).
scripts/spark_cluster.sh compiles a stand-in for that one type (scripts/hive_llap_stub) and puts
it on the Thrift server's class path. This module shows the gap, the remedy, and that the server
runs with it; when a pyspark release ships the type, the first assertion fails and the stand-in
can go.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyspark
import pytest

from lead_funnel.benchmarking.proc_memory import child_processes

PROBE = """
public class Probe {
    public static void main(String[] args) throws Exception {
        Class.forName("org.apache.hadoop.hive.ql.exec.FunctionRegistry");
        System.out.println("FunctionRegistry initialised");
    }
}
"""
# What Spark's own launcher opens to the unnamed module for Hive's reflection on Java 17.
OPENS = [f"--add-opens=java.base/{package}=ALL-UNNAMED"
         for package in ("java.lang", "java.net", "java.util")]


def run_probe(classes: Path, *extra: Path) -> subprocess.CompletedProcess[str]:
    jars = Path(pyspark.__file__).parent / "jars"
    class_path = ":".join([f"{jars}/*", str(classes), *map(str, extra)])
    return subprocess.run(["java", *OPENS, "-cp", class_path, "Probe"], capture_output=True,
                          text=True, check=False, timeout=120)


def process_tree_command_lines(root: int) -> list[str]:
    """The command lines of `root` and its descendants (the launcher scripts exec java, or
    start it as a child)."""
    children = child_processes()
    lines, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            lines.append((Path("/proc") / str(pid) / "cmdline").read_text().replace("\0", " "))
        except OSError:
            pass
        todo += children.get(pid, [])
    return lines


@pytest.mark.spark_cluster
def test_the_thrift_server_can_initialise_hives_function_registry(
        tmp_path: Path, spark_cluster: dict[str, str]) -> None:
    (tmp_path / "Probe.java").write_text(PROBE, encoding="utf-8")
    compiled = subprocess.run(["javac", "-d", str(tmp_path), str(tmp_path / "Probe.java")],
                              capture_output=True, text=True, check=False)
    assert compiled.returncode == 0, compiled.stderr
    # the gap: pyspark's jars alone cannot initialise the registry
    without = run_probe(tmp_path)
    assert without.returncode != 0
    assert "NoClassDefFoundError: org/apache/hadoop/hive/llap/security/LlapSigner$Signable" in (
        without.stderr), without.stderr[-2000:]
    # the remedy the cluster script compiled
    state = Path(spark_cluster["LEAD_FUNNEL_SPARK_CLUSTER_DIR"])
    stub = state / "hive-llap-stub"
    assert (stub / "org/apache/hadoop/hive/llap/security/LlapSigner$Signable.class").is_file()
    with_stub = run_probe(tmp_path, stub)
    assert with_stub.returncode == 0, with_stub.stderr[-2000:]
    assert "FunctionRegistry initialised" in with_stub.stdout
    # the running Thrift server has it on its class path
    thrift = int((state / "pids" / "thrift.pid").read_text())
    java_lines = [line for line in process_tree_command_lines(thrift) if "HiveThriftServer2" in line]
    assert java_lines and all(str(stub) in line for line in java_lines), java_lines
