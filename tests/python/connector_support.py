"""Helpers of tests/python/test_connector_<shape>.py: one generated world built twice on an
engine (docs/funnel_rules.md §10) and the marts compared row by row.

(a) through the connector: the world written as the connector lands it
    (``lead_funnel.generation.shapes.write_shape``), loaded into the connector's schema
    (``lead-funnel load --shape``) and built with var crm_connector set;
(b) from its restricted raw rendition (``restrict_to_shape``: the four §2 tables with only what
    the connector can express), loaded into raw and built with crm_connector raw.

The world is clean (dirty_rate 0: the connector's tables have no place for the raw contract's
malformed text) and small (300 contacts). Every mart of parity_support.RELATION_KEYS but the
quarantine (whose row ids hash the raw rows, which differ by construction) is compared with
parity_support.compare, lead_stages without crm_mql_at (the CRM's own stamp, which only the
connector has). Each build has a workspace of its own (parity_support.Workspace).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from lead_funnel.dbt_runner import build_command
from lead_funnel.generation.shapes import restrict_to_shape, write_shape
from lead_funnel.generator import GeneratorConfig, generate_to_dir
from lead_funnel.loader import recreate_postgres_database

from parity_support import (PROJECT_DIR, RELATION_KEYS, Comparison, Table, Workspace, compare,
                            contract_types)

WORLD = GeneratorConfig(contacts=300, seed=23, dirty_rate=0.0, as_of="2025-06-30T12:00:00Z")
COMPARED = tuple(relation for relation in RELATION_KEYS if not relation.startswith("dq_"))
CONNECTOR_ONLY_COLUMNS: Mapping[str, tuple[str, ...]] = {"lead_stages": ("crm_mql_at",)}
# Both builds of a world run with these vars. Most generated MQLs come from page views and
# hand-raiser forms that a connector may not express (HubSpot: no page views; forms unmapped by
# default), so a lower MQL bar lets more contacts reach MQL through what the connector does
# carry, and the handoff readings (acceptance, rejection, qualification) get exercised.
WORLD_VARS: Mapping[str, object] = {"mql_threshold": 40}
BUILDS = ("connector", "restricted")


def write_world(shape: str, work: Path, config: GeneratorConfig = WORLD) -> dict[str, Path]:
    """The generated world in work/raw, as the connector lands it in work/connector and its
    restricted rendition in work/restricted."""
    folders = {name: work / name for name in ("raw", "connector", "restricted")}
    generate_to_dir(folders["raw"], config)
    write_shape(shape, folders["raw"], folders["connector"])
    restrict_to_shape(shape, folders["raw"], folders["restricted"])
    return folders


def workspace(engine: str, root: Path, database_suffix: str) -> Workspace:
    """A workspace of its own; on PostgreSQL a fresh database
    <LEAD_FUNNEL_PG_DATABASE>_<database_suffix>."""
    root.mkdir(parents=True, exist_ok=True)
    if engine != "postgres":
        return Workspace(engine, root)
    name = f"{os.environ.get('LEAD_FUNNEL_PG_DATABASE', 'lead_funnel')}_{database_suffix}"
    recreate_postgres_database(name)
    return Workspace(engine, root, postgres_database=name)


def load_and_build(space: Workspace, data_dir: Path, shape: str, as_of: str,
                   dbt_vars: Mapping[str, object] | None = None) -> bool:
    """`lead-funnel load [--shape]` then a full `dbt build` (seeds, models, data tests; unit
    tests are the fixture builds' business). False when a step failed (see space.steps)."""
    argv = [str(Path(sys.executable).parent / "lead-funnel"), "load", "--engine", space.engine,
            "--data", str(data_dir), "--shape", shape]
    if space.engine == "duckdb":
        argv += ["--database", str(space.duckdb_file)]
    if space.run(f"load {shape}", argv).returncode != 0:
        return False
    build = build_command("build", as_of=as_of, project=PROJECT_DIR, dbt_vars=dbt_vars,
                          extra_args=["--exclude-resource-type", "unit_test", "--full-refresh"])
    return space.run("dbt build", build, space.env("-build")).returncode == 0


def without_columns(table: Table, dropped: tuple[str, ...]) -> Table:
    keep = [index for index, name in enumerate(table.names) if name not in dropped]
    return Table(table.schema, tuple(table.columns[index] for index in keep),
                 tuple(tuple(row[index] for index in keep) for row in table.rows))


@dataclass
class ConnectorParity:
    shape: str
    engine: str
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    tables: dict[str, dict[str, Table]] = field(default_factory=dict)  # build -> relation

    def failures(self) -> list[str]:
        return [step.failure for space in self.workspaces.values() for step in space.steps
                if step.failure]

    def comparison(self, relation: str) -> Comparison:
        """The connector build's relation against the restricted build's (the reference; both
        of the same engine, whose type names compare reads)."""
        dropped = CONNECTOR_ONLY_COLUMNS.get(relation, ())
        expected = {column: kind for column, kind in contract_types()[relation].items()
                    if column not in dropped}
        reference = without_columns(self.tables["restricted"][relation], dropped)
        other = without_columns(self.tables["connector"][relation], dropped)
        return compare(relation, reference, self.engine, other, expected,
                       reference_engine=self.engine)


def run_connector_parity(shape: str, engine: str, work: Path,
                         config: GeneratorConfig = WORLD) -> ConnectorParity:
    """Both builds of one world on one engine, and their marts read back."""
    folders = write_world(shape, work, config)
    parity = ConnectorParity(shape, engine)
    plans = {"connector": (folders["connector"], shape, {**WORLD_VARS, "crm_connector": shape}),
             "restricted": (folders["restricted"], "raw", dict(WORLD_VARS))}
    for build, (data_dir, load_shape, dbt_vars) in plans.items():
        space = workspace(engine, work / f"{engine}-{build}", f"{shape}_{build}")
        parity.workspaces[build] = space
        if load_and_build(space, data_dir, load_shape, config.as_of, dbt_vars):
            parity.tables[build] = space.read(list(RELATION_KEYS))
    return parity
