"""The same generated world as an EL tool's connector lands it (docs/funnel_rules.md §10).

``lead-funnel generate`` writes the world as the four raw tables of docs/funnel_rules.md §2. A
*shape* rewrites such a directory as a connector's own tables (HubSpot or Salesforce, as Fivetran
lands them: table and column names of fivetran/dbt_hubspot and fivetran/dbt_salesforce), and
*restricts* it: the §2 rendition of the same world with only what the connector can express
(no page views through HubSpot, BANT only as the status mapping gives it, ...). Built through the
connector's adapter and from the restricted rendition, the project must give the same marts: that
is the parity test of tests/python/test_connector_*.py.

Each connector lives in a module of its own (``hubspot.py``, ``salesforce.py``) with
``write_<shape>(raw_dir, out_dir)`` and ``restrict_<shape>(raw_dir, out_dir)``; they are imported
lazily, so one connector's module is not needed to use the other.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable, Final

SHAPES: Final[tuple[str, ...]] = ("raw", "hubspot", "salesforce")
CONNECTOR_SHAPES: Final[tuple[str, ...]] = SHAPES[1:]

ShapeFunction = Callable[[Path, Path], None]


def _function(shape: str, verb: str) -> ShapeFunction:
    if shape not in CONNECTOR_SHAPES:
        raise ValueError(f"unknown shape {shape!r} (available: {', '.join(SHAPES)})")
    module = importlib.import_module(f"lead_funnel.generation.shapes.{shape}")
    function: ShapeFunction = getattr(module, f"{verb}_{shape}")
    return function


def _copy_raw(raw_dir: Path, out_dir: Path) -> None:
    from lead_funnel.contract import TABLES

    out_dir.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        (out_dir / f"{table}.csv").write_bytes((raw_dir / f"{table}.csv").read_bytes())


def write_shape(shape: str, raw_dir: Path, out_dir: Path) -> None:
    """Write the raw-contract CSVs of ``raw_dir`` (a ``lead-funnel generate`` output) as the
    connector's tables, one CSV per table, in ``out_dir``; ``raw`` copies the four CSVs."""
    if shape == "raw":
        _copy_raw(Path(raw_dir), Path(out_dir))
        return
    _function(shape, "write")(Path(raw_dir), Path(out_dir))


def restrict_to_shape(shape: str, raw_dir: Path, out_dir: Path) -> None:
    """Write the raw-contract rendition of the world of ``raw_dir`` restricted to what the
    connector can express (the four §2 CSVs) in ``out_dir``; ``raw`` copies them unchanged."""
    if shape == "raw":
        _copy_raw(Path(raw_dir), Path(out_dir))
        return
    _function(shape, "restrict")(Path(raw_dir), Path(out_dir))
