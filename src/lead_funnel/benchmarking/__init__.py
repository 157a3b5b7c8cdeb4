"""``lead-funnel benchmark``: what the funnel costs to build, as figures, never pass/fail.

:mod:`.duckdb_run` runs every DuckDB figure on one generated set, :mod:`.engine_run` a full build
and a one-day refresh on PostgreSQL or Spark; both time ``dbt build`` with :mod:`.builds`
(peak memory from :mod:`.proc_memory`) and :mod:`.queries` holds the floor and reference SQL.
A developer's tool: it needs the project checkout (the fixture, dbt_project.yml), not only the
installed package.
"""
