#!/usr/bin/env bash
# A Spark standalone cluster on this machine, as a team runs one when one machine is not enough:
# one master, two workers and a Spark Thrift server (HiveThriftServer2) in front of them, every
# process from the pyspark distribution in the project's virtual environment and bound to
# loopback. dbt reaches it through the profile's `spark_cluster` output (method: thrift).
#
#   scripts/spark_cluster.sh up      start it (idempotent); returns when the Thrift port answers
#   scripts/spark_cluster.sh down    stop every process it started
#   scripts/spark_cluster.sh status  what runs, and where the logs are
#
# Environment: LEAD_FUNNEL_SPARK_CLUSTER_DIR (state: logs, pids, warehouse, metastore; default
# ./spark-cluster), LEAD_FUNNEL_SPARK_PORT (Thrift port, default 10000),
# LEAD_FUNNEL_SPARK_MASTER_PORT (default 7077), LEAD_FUNNEL_PYTHON (default .venv/bin/python),
# LEAD_FUNNEL_SPARK_UI_PORT (unset: no UI; set: the Thrift server's Spark UI and its REST API on
# that port, keeping every stage, for `lead-funnel benchmark --engine spark_cluster`).
# The catalog (Derby metastore and warehouse) lives in the state directory and belongs to the
# Thrift server: load raw data through it (`lead-funnel load --engine spark_cluster`).
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-up}
state=${LEAD_FUNNEL_SPARK_CLUSTER_DIR:-$PWD/spark-cluster}
mkdir -p "$state"
state=$(cd "$state" && pwd)
thrift_port=${LEAD_FUNNEL_SPARK_PORT:-10000}
master_port=${LEAD_FUNNEL_SPARK_MASTER_PORT:-7077}
python=${LEAD_FUNNEL_PYTHON:-.venv/bin/python}
export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR="$state/logs" SPARK_WORKER_DIR="$state/work"
mkdir -p "$state/logs" "$state/work" "$state/pids"
master_url="spark://127.0.0.1:${master_port}"
ui_port=${LEAD_FUNNEL_SPARK_UI_PORT:-}

running() {  # running NAME: its recorded process is alive
    local pidfile="$state/pids/$1.pid"
    [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {  # start NAME COMMAND...: in its own session, output in logs/NAME.out
    local name=$1
    shift
    if running "$name"; then
        echo "$name: already running (pid $(cat "$state/pids/$name.pid"))"
        return
    fi
    setsid "$@" >"$state/logs/$name.out" 2>&1 </dev/null &
    echo $! >"$state/pids/$name.pid"
    echo "$name: started (pid $!, log $state/logs/$name.out)"
}

wait_for() {  # wait_for NAME SECONDS PATTERN: until the log shows PATTERN
    local name=$1 seconds=$2 pattern=$3
    for _ in $(seq 1 "$seconds"); do
        grep -q "$pattern" "$state/logs/$name.out" 2>/dev/null && return 0
        if ! running "$name"; then
            echo "$name exited before it was ready; the end of its log:" >&2
            tail -n 30 "$state/logs/$name.out" >&2
            return 1
        fi
        sleep 1
    done
    echo "$name not ready after ${seconds} s; the end of its log:" >&2
    tail -n 30 "$state/logs/$name.out" >&2
    return 1
}

port_open() {
    "$python" - "$1" <<'PY'
import socket, sys
with socket.socket() as probe:
    probe.settimeout(1)
    sys.exit(probe.connect_ex(("127.0.0.1", int(sys.argv[1]))))
PY
}

hive_llap_stub() {  # compile scripts/hive_llap_stub (see the Java file) into $state; print its path
    local out="$state/hive-llap-stub"
    if ! command -v javac >/dev/null; then
        echo "warning: no javac (a JDK): the Thrift server starts without the Hive LLAP stand-in" \
            "(scripts/hive_llap_stub) and a dbt connection may fail as it closes" >&2
        return
    fi
    rm -rf "$out" && mkdir -p "$out"
    javac -d "$out" scripts/hive_llap_stub/org/apache/hadoop/hive/llap/security/LlapSigner.java
    echo "$out"
}

up() {
    export SPARK_HOME
    SPARK_HOME=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
    local stub
    stub=$(hive_llap_stub)
    # The driver's UI only when asked for (a benchmark reads its stages); it keeps every stage
    # and job of a build (Spark keeps the last 1,000 stages by default).
    local ui=(--conf spark.ui.enabled=false)
    if [[ -n $ui_port ]]; then
        ui=(--conf spark.ui.enabled=true --conf "spark.ui.port=$ui_port"
            --conf spark.ui.retainedStages=1000000 --conf spark.ui.retainedJobs=1000000
            --conf spark.ui.retainedTasks=1000 --conf spark.sql.ui.retainedExecutions=100000)
    fi
    start master "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
        --host 127.0.0.1 --port "$master_port" --webui-port 0
    wait_for master 60 "I have been elected leader"
    for worker in 1 2; do
        start "worker$worker" "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
            --host 127.0.0.1 --cores 1 --memory 2g --webui-port 0 \
            --work-dir "$state/work/worker$worker" "$master_url"
    done
    wait_for worker1 60 "Successfully registered with master"
    wait_for worker2 60 "Successfully registered with master"
    # The Thrift server is the cluster's one driver: it owns the metastore and submits every
    # query to the two workers (one executor of one core each).
    start thrift "$SPARK_HOME/bin/spark-submit" \
        --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 \
        --name lead_funnel_thrift --master "$master_url" \
        --driver-memory 2g --executor-memory 1536m --total-executor-cores 2 \
        ${stub:+--driver-class-path "$stub"} \
        --conf spark.driver.bindAddress=127.0.0.1 --conf spark.driver.host=127.0.0.1 \
        "${ui[@]}" \
        --conf spark.sql.session.timeZone=UTC \
        --conf "spark.sql.warehouse.dir=$state/warehouse" \
        --conf "spark.driver.extraJavaOptions=-Dderby.system.home=$state" \
        --conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=$state/metastore_db;create=true" \
        spark-internal \
        --hiveconf "hive.server2.thrift.port=$thrift_port" \
        --hiveconf hive.server2.thrift.bind.host=127.0.0.1
    for _ in $(seq 1 180); do
        port_open "$thrift_port" && break
        if ! running thrift; then
            echo "the Thrift server exited; the end of its log:" >&2
            tail -n 30 "$state/logs/thrift.out" >&2
            exit 1
        fi
        sleep 1
    done
    port_open "$thrift_port" || { echo "the Thrift server did not open port $thrift_port" >&2; exit 1; }
    echo "Spark cluster up: master $master_url, 2 workers, Thrift server on 127.0.0.1:$thrift_port"
}

down() {
    for name in thrift worker2 worker1 master; do
        if running "$name"; then
            pid=$(cat "$state/pids/$name.pid")
            kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
            kill -9 -- "-$pid" 2>/dev/null || true
            echo "$name: stopped"
        fi
        rm -f "$state/pids/$name.pid"
    done
}

status() {
    for name in master worker1 worker2 thrift; do
        if running "$name"; then
            echo "$name: running (pid $(cat "$state/pids/$name.pid"), log $state/logs/$name.out)"
        else
            echo "$name: not running"
        fi
    done
}

case $action in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
