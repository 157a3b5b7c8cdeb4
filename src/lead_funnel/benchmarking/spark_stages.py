"""What a build cost a Spark cluster in shuffles, read from the driver's monitoring REST API.

The Spark UI of the Thrift server (the cluster's one driver) answers
``GET /api/v1/applications`` and ``GET /api/v1/applications/<id>/stages``; each stage carries
its shuffle bytes read and written, its input bytes, what it spilled to disk, the executors' run
time and, as its description, the statement that ran it (the Thrift server sets it). A build's
stages are those whose ``stageId`` is above the largest one seen before the build started
(stage ids only grow within an application). ``scripts/spark_cluster.sh`` serves the UI only when
``LEAD_FUNNEL_SPARK_UI_PORT`` is set; without it the benchmark says the figures were not taken.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable

UI_PORT_VARIABLE = "LEAD_FUNNEL_SPARK_UI_PORT"
TOP_STAGES = 5
TOP_NODES = 8
# The group of the stages no dbt node ran (the loader's, the Thrift server's own).
NOT_DBT = "(statements without a dbt node)"
STATEMENT_CHARACTERS = 100
# dbt opens every statement with its query comment, `/* {"app": "dbt", ..., "node_id": ...} */`:
# the same first hundred characters for every model, so the node it names is shown instead.
DBT_QUERY_COMMENT = re.compile(r"\A\s*/\*\s*(\{.*?\})\s*\*/", re.DOTALL)

Fetch = Callable[[str], Any]


@dataclass(frozen=True)
class StageFigure:
    stage_id: int
    name: str
    shuffle_read_bytes: int
    shuffle_write_bytes: int
    executor_run_ms: int
    spilled_bytes: int
    node_id: str  # the dbt node whose statement ran the stage, '' for none

    @property
    def shuffle_bytes(self) -> int:
        return self.shuffle_read_bytes + self.shuffle_write_bytes


@dataclass(frozen=True)
class NodeFigure:
    """The stages of one dbt node (model, test, seed), summed: a model's statements run as
    several stages, so its cost is their sum."""
    node_id: str
    stages: int
    shuffle_bytes: int
    spilled_bytes: int
    executor_run_ms: int


@dataclass(frozen=True)
class ShuffleFigures:
    """The stages a build ran on the cluster, summed, and the ones that shuffled most."""
    stages: int
    shuffle_read_bytes: int
    shuffle_write_bytes: int
    input_bytes: int
    spilled_bytes: int
    executor_run_ms: int
    top: list[StageFigure]
    top_nodes: list[NodeFigure]

    def lines(self, label: str) -> list[str]:
        lines = [f"shuffles, {label}: {self.stages:,} stages, shuffle read "
                 f"{self.shuffle_read_bytes / 2**20:,.1f} MB, written "
                 f"{self.shuffle_write_bytes / 2**20:,.1f} MB, input "
                 f"{self.input_bytes / 2**20:,.1f} MB, spilled to disk "
                 f"{self.spilled_bytes / 2**20:,.1f} MB, executor run time "
                 f"{self.executor_run_ms / 1000:,.1f} s; the stages that shuffled most:"]
        lines += [f"  {stage.shuffle_bytes / 2**20:9,.1f} MB  {stage.executor_run_ms / 1000:7.1f} s  "
                  f"stage {stage.stage_id}: {stage.name}" for stage in self.top]
        lines.append(f"shuffles, {label}, by dbt node (shuffle read + written, executor run "
                     "time, spilled, stages):")
        lines += [f"  {node.shuffle_bytes / 2**20:9,.1f} MB  {node.executor_run_ms / 1000:7.1f} s  "
                  f"{node.spilled_bytes / 2**20:9,.1f} MB  {node.stages:4d}  {node.node_id}"
                  for node in self.top_nodes]
        return lines


def shuffle_figures(stages: list[dict[str, Any]], after_stage_id: int,
                    top: int = TOP_STAGES, top_nodes: int = TOP_NODES) -> ShuffleFigures:
    """The figures of the completed stages (every attempt) with a stageId above
    ``after_stage_id``; the `top` stages and the `top_nodes` dbt nodes that shuffled most."""
    mine = [stage for stage in stages
            if int(stage["stageId"]) > after_stage_id and stage.get("status") == "COMPLETE"]
    figures = [_stage_figure(stage) for stage in mine]
    figures.sort(key=lambda figure: (-figure.shuffle_bytes, figure.stage_id))
    return ShuffleFigures(
        stages=len(mine),
        shuffle_read_bytes=sum(figure.shuffle_read_bytes for figure in figures),
        shuffle_write_bytes=sum(figure.shuffle_write_bytes for figure in figures),
        input_bytes=sum(int(stage.get("inputBytes", 0)) for stage in mine),
        spilled_bytes=sum(figure.spilled_bytes for figure in figures),
        executor_run_ms=sum(figure.executor_run_ms for figure in figures),
        top=figures[:top],
        top_nodes=_by_node(figures)[:top_nodes])


def _by_node(figures: list[StageFigure]) -> list[NodeFigure]:
    """The stages summed by the dbt node that ran them, most shuffled first (ties by name)."""
    groups: dict[str, list[StageFigure]] = {}
    for figure in figures:
        groups.setdefault(figure.node_id or NOT_DBT, []).append(figure)
    nodes = [NodeFigure(node_id, len(group),
                        sum(figure.shuffle_bytes for figure in group),
                        sum(figure.spilled_bytes for figure in group),
                        sum(figure.executor_run_ms for figure in group))
             for node_id, group in groups.items()]
    return sorted(nodes, key=lambda node: (-node.shuffle_bytes, node.node_id))


def _stage_figure(stage: dict[str, Any]) -> StageFigure:
    """One stage's figures; its name is its statement on one line, cut short (its code location
    when it has none); a statement dbt ran is named by its node, `<node_id>: <statement>`,
    without dbt's comment."""
    text = str(stage.get("description") or stage.get("name") or "")
    comment = DBT_QUERY_COMMENT.match(text)
    node_id = ""
    if comment:
        node_id = _comment_node_id(comment.group(1))
        text = text[comment.end():]
    text = " ".join(text.split())
    if node_id:
        text = f"{node_id}: {text}"
    name = text if len(text) <= STATEMENT_CHARACTERS else text[:STATEMENT_CHARACTERS - 3] + "..."
    return StageFigure(int(stage["stageId"]), name,
                       int(stage.get("shuffleReadBytes", 0)),
                       int(stage.get("shuffleWriteBytes", 0)),
                       int(stage.get("executorRunTime", 0)),
                       int(stage.get("diskBytesSpilled", 0)), node_id)


def _comment_node_id(comment_json: str) -> str:
    """The node_id of dbt's query comment, or '' (none, or not JSON)."""
    try:
        fields = json.loads(comment_json)
    except ValueError:
        return ""
    return str(fields.get("node_id") or "") if isinstance(fields, dict) else ""


def last_stage_id(stages: list[dict[str, Any]]) -> int:
    """The largest stageId seen so far (-1 before any stage)."""
    return max((int(stage["stageId"]) for stage in stages), default=-1)


def _fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback UI)
        return json.load(response)


class SparkStagesClient:
    """The stages of the one application the cluster's driver UI serves."""

    def __init__(self, base_url: str, fetch: Fetch = _fetch_json) -> None:
        self.base_url, self.fetch = base_url.rstrip("/"), fetch

    @classmethod
    def from_environment(cls) -> SparkStagesClient | None:
        port = os.environ.get(UI_PORT_VARIABLE)
        return cls(f"http://127.0.0.1:{port}/api/v1") if port else None

    def stages(self) -> list[dict[str, Any]]:
        applications = self.fetch(f"{self.base_url}/applications")
        if not applications:
            return []
        application = applications[0]["id"]
        stages: list[dict[str, Any]] = self.fetch(
            f"{self.base_url}/applications/{application}/stages")
        return stages
