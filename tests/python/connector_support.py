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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from lead_funnel.dbt_runner import build_command
from lead_funnel.generation.shapes import restrict_to_shape, write_shape
from lead_funnel.generation.dataset import GeneratorConfig, generate_to_dir
from lead_funnel.warehouse.connections import recreate_postgres_database

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
    """`lead-funnel load [--shape]` then a full `dbt build` (seeds, models and, except on Spark,
    data tests: there each takes seconds, and the DuckDB and PostgreSQL builds of the same
    world run them; unit tests are the fixture builds' business). False when a step failed
    (see space.steps)."""
    argv = [str(Path(sys.executable).parent / "lead-funnel"), "load", "--engine", space.engine,
            "--data", str(data_dir), "--shape", shape]
    if space.engine == "duckdb":
        argv += ["--database", str(space.duckdb_file)]
    if space.run(f"load {shape}", argv).returncode != 0:
        return False
    build = build_command("build", as_of=as_of, project=PROJECT_DIR, dbt_vars=dbt_vars,
                          extra_args=["--exclude-resource-type", "unit_test",
                                      *(["test"] if space.engine == "spark" else []),
                                      "--full-refresh"])
    return space.run("dbt build", build, space.env("-build")).returncode == 0


def without_columns(table: Table, dropped: tuple[str, ...]) -> Table:
    keep = [index for index, name in enumerate(table.names) if name not in dropped]
    return Table(table.schema, tuple(table.columns[index] for index in keep),
                 tuple(tuple(row[index] for index in keep) for row in table.rows))


@dataclass
class ConnectorParity:
    shape: str
    engine: str
    reference_engine: str  # the engine of the restricted build
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    tables: dict[str, dict[str, Table]] = field(default_factory=dict)  # build -> relation

    def failures(self) -> list[str]:
        return [step.failure for space in self.workspaces.values() for step in space.steps
                if step.failure]

    def comparison(self, relation: str) -> Comparison:
        """The connector build's relation against the restricted build's (the reference),
        each read with its own engine's type names."""
        dropped = CONNECTOR_ONLY_COLUMNS.get(relation, ())
        expected = {column: kind for column, kind in contract_types()[relation].items()
                    if column not in dropped}
        reference = without_columns(self.tables["restricted"][relation], dropped)
        other = without_columns(self.tables["connector"][relation], dropped)
        return compare(relation, reference, self.engine, other, expected,
                       reference_engine=self.reference_engine)


def run_connector_parity(shape: str, engine: str, work: Path,
                         config: GeneratorConfig = WORLD,
                         reference_engine: str | None = None) -> ConnectorParity:
    """Both builds of one world, and their marts read back: through the connector on `engine`,
    and from the restricted raw rendition on `reference_engine` (default: the same engine; on
    Spark, where a build takes minutes, DuckDB: that the raw path gives the same marts on Spark
    as on DuckDB is what the engine parity test shows)."""
    folders = write_world(shape, work, config)
    parity = ConnectorParity(shape, engine, reference_engine or engine)
    plans = {"connector": (engine, folders["connector"], shape,
                           {**WORLD_VARS, "crm_connector": shape}),
             "restricted": (parity.reference_engine, folders["restricted"], "raw",
                            dict(WORLD_VARS))}
    def build_and_read(build: str) -> None:
        build_engine, data_dir, load_shape, dbt_vars = plans[build]
        space = workspace(build_engine, work / f"{build_engine}-{build}", f"{shape}_{build}")
        parity.workspaces[build] = space
        if load_and_build(space, data_dir, load_shape, config.as_of, dbt_vars):
            parity.tables[build] = space.read(list(RELATION_KEYS))

    # The two builds share nothing (a workspace each): side by side.
    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        for done in [pool.submit(build_and_read, build) for build in plans]:
            done.result()
    return parity


# --- shared by the connectors' test files -------------------------------------------------------

def assert_same_mart(parity: ConnectorParity, relation: str) -> None:
    """The relation built through the connector equals the restricted build's row by row (and is
    not empty, which would prove nothing); prints the rows compared."""
    import pytest

    if parity.failures() or set(parity.tables) != set(BUILDS):
        pytest.fail("\n".join(parity.failures()) or "a build was not read")
    comparison = parity.comparison(relation)
    rows = len(parity.tables["restricted"][relation].rows)
    print(f"[{parity.shape} parity] {parity.engine} {relation}: {rows} rows restricted, "
          f"{comparison.rows} through the adapter: "
          f"{'same' if not comparison.problems else 'DIFFERENT'}")
    assert rows > 0, f"{relation} is empty: the comparison would prove nothing"
    assert not comparison.problems, "\n".join(comparison.problems)


def rules_doc_columns(heading: str) -> dict[str, list[list[str]]]:
    """table -> [required columns, optional columns] of the table under `<heading>:` in
    docs/funnel_rules.md §10 (the rows up to the readings that follow it)."""
    rules = (PROJECT_DIR / "docs" / "funnel_rules.md").read_text(encoding="utf-8")
    section = rules.split(f"\n{heading}:\n", 1)[1].split("\n\n- ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = [[name.strip(" `") for name in cell.split(",")
                                          if name.strip()] for cell in cells[1:]]
    return rows


def load_landed_tables(root: Path, shape: str, columns: Mapping[str, Sequence[str]]) -> Workspace:
    """A DuckDB workspace under root with empty landed tables of these columns, loaded by
    `lead-funnel load --shape`."""
    data = root / "landed"
    data.mkdir()
    for table, names in columns.items():
        (data / f"{table}.csv").write_text(",".join(names) + "\n", encoding="utf-8")
    space = Workspace("duckdb", root)
    loaded = space.run("load", [str(Path(sys.executable).parent / "lead-funnel"), "load",
                                "--shape", shape, "--data", str(data), "--database",
                                str(space.duckdb_file)])
    assert loaded.returncode == 0, loaded.failure
    return space


def connector_funnel(parity: ConnectorParity) -> tuple[set[str], bool, set[str]]:
    """What the build through the connector reached: its handoff outcomes, whether any handoff
    reached SQL, and the current stages of lead_stages."""
    import pytest

    if "connector" not in parity.tables:
        pytest.fail("\n".join(parity.failures()))
    handoffs = parity.tables["connector"]["lead_handoffs"]
    stages = parity.tables["connector"]["lead_stages"]
    return ({row[handoffs.names.index("outcome")] for row in handoffs.rows},
            any(row[handoffs.names.index("sql_at")] for row in handoffs.rows),
            {row[stages.names.index("current_stage")] for row in stages.rows})


def assert_adapter_builds_empty(space: Workspace, shape: str, as_of: str = WORLD.as_of) -> None:
    """`dbt build` (models only) through the connector on the empty landed tables of `space`
    succeeds, each adapter view has exactly the §2 columns in order, and lead_stages is empty."""
    import duckdb

    from lead_funnel.contract import TABLE_COLUMNS

    build = space.run("dbt build", build_command(
        "build", as_of=as_of, project=PROJECT_DIR, dbt_vars={"crm_connector": shape},
        extra_args=["--full-refresh", "--exclude-resource-type", "test", "unit_test"]),
        space.env("-build"))
    assert build.returncode == 0, build.failure
    with duckdb.connect(str(space.duckdb_file), read_only=True) as connection:
        for table, expected in TABLE_COLUMNS.items():
            found = connection.execute(
                "select column_name from information_schema.columns where table_schema = "
                "'analytics_staging' and table_name = ? order by ordinal_position",
                [f"{shape}__{table}"]).fetchall()
            assert [name for (name,) in found] == list(expected), table
        assert connection.execute("select count(*) from analytics.lead_stages").fetchall() == [(0,)]
