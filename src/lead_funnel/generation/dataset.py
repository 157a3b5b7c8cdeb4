"""A generated set: synthetic raw CRM / marketing-automation data in the docs/funnel_rules.md §2
source contract, written chunk by chunk with its manifest.

Everything is vectorised with numpy (one pass per table and per kind of row, never one per
row) and rendered to text with pyarrow compute kernels. The stages (contacts, engagement
events, the sales process and its activities, opportunities, dirty rows) are the modules of
this package, run in order by :func:`lead_funnel.generation.chunk.generate_chunk`; this module
drives them chunk by chunk and writes the files (:mod:`lead_funnel.generation.writer`).
:mod:`lead_funnel.generation.next_day` adds the rows an EL tool would append on the next day.

Chunks: contacts are generated ``chunk_size`` (250,000) at a time, each chunk with its own
random stream, and written before the next one is made, so memory stays that of one chunk
whatever the number of contacts. Chunk 0 uses ``PCG64(seed)`` and chunk ``i`` >= 1
``PCG64(SeedSequence([seed, i]))``; keys are numbered across chunks and the company pool is
drawn once, by chunk 0. A set of at most ``chunk_size`` contacts is therefore exactly the
single-stream set earlier versions wrote; a larger set depends on ``chunk_size`` (recorded in
the manifest) -- a different but equally deterministic stream.

The generator is deterministic: same seed and arguments -> byte-identical files (the writer
never depends on the wall clock, hash randomisation or set iteration order).

Dirty rows are built so that each fails exactly one docs/funnel_rules.md §3 check (the reason it is expected
to be quarantined with), and so that they never change what else gets staged. The counts
written to ``manifest.json`` are derived from the construction and are exactly true of the
files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from lead_funnel.contract import TABLES
from lead_funnel.generation.chunk import Chunk, generate_chunk
from lead_funnel.generation.contacts import Companies
from lead_funnel.generation.counts import KeyCounters, TableCounts
from lead_funnel.generation.text import DEFAULT_AS_OF, normalise_as_of, parse_as_of
from lead_funnel.generation.writer import DatasetWriter

DEFAULT_CHUNK_SIZE = 250_000


@dataclass(frozen=True)
class GeneratorConfig:
    contacts: int = 10_000
    seed: int = 42
    dirty_rate: float = 0.02
    as_of: str = DEFAULT_AS_OF
    chunk_size: int = DEFAULT_CHUNK_SIZE

    def __post_init__(self) -> None:
        if self.contacts < 1:
            raise ValueError("contacts must be >= 1")
        if not 0.0 <= self.dirty_rate < 0.5:
            raise ValueError("dirty_rate must be in [0, 0.5)")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        parse_as_of(self.as_of)

    @property
    def chunks(self) -> int:
        return -(-self.contacts // self.chunk_size)


@dataclass
class GeneratedData:
    tables: dict[str, pa.Table]
    manifest: dict[str, Any]


def chunk_stream(seed: int, index: int) -> np.random.Generator:
    """The random stream of chunk ``index`` (chunk 0: the historical single stream)."""
    if index == 0:
        return np.random.Generator(np.random.PCG64(seed))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index])))


class _Totals:
    """What the chunks made, summed for the manifest."""

    def __init__(self) -> None:
        self.counts = {t: TableCounts() for t in TABLES}
        self.raw_rows = {t: 0 for t in TABLES}
        self.unknown_event_types: dict[str, int] = {}
        self.product_usage_events: dict[str, int] = {}
        self.deleted_contacts = 0
        self.keys = KeyCounters()

    def add(self, chunk: Chunk) -> None:
        for t in TABLES:
            self.counts[t].add(chunk.counts[t])
            self.raw_rows[t] += chunk.tables[t].num_rows
        for name, n in chunk.unknown_event_types.items():
            self.unknown_event_types[name] = self.unknown_event_types.get(name, 0) + n
        for name, n in chunk.product_usage_events.items():
            self.product_usage_events[name] = self.product_usage_events.get(name, 0) + n
        self.deleted_contacts += chunk.deleted_contacts
        self.keys = chunk.keys_after

    def manifest(self, config: GeneratorConfig) -> dict[str, Any]:
        expected_quarantine = {t: {r: int(n) for r, n in self.counts[t].quarantine.items()}
                               for t in TABLES}
        for t in TABLES:
            total = (self.counts[t].staged + self.counts[t].folded
                     + sum(expected_quarantine[t].values()))
            if total != self.raw_rows[t]:  # construction invariant; never expected to trigger
                raise AssertionError(f"{t}: {self.raw_rows[t]} raw rows but {total} accounted for")
        return {
            "seed": config.seed,
            "contacts": config.contacts,
            "dirty_rate": config.dirty_rate,
            "as_of": normalise_as_of(config.as_of),
            "chunk_size": config.chunk_size,
            "day": 0,
            "raw_rows": dict(self.raw_rows),
            "expected_quarantine": expected_quarantine,
            "expected_folded_duplicates": {t: int(self.counts[t].folded) for t in TABLES},
            "expected_staged": {t: int(self.counts[t].staged) for t in TABLES},
            "unknown_event_types": dict(sorted(self.unknown_event_types.items())),
            "product_usage_events": dict(sorted(self.product_usage_events.items())),
            "deleted_contacts": int(self.deleted_contacts),
            "next_keys": self.keys.as_dict(),
        }


def generate_chunks(config: GeneratorConfig) -> Iterator[Chunk]:
    """The chunks of the set, one at a time (each one's keys follow the previous one's)."""
    as_of = parse_as_of(config.as_of)
    keys = KeyCounters()
    companies: Companies | None = None
    for index in range(config.chunks):
        n = min(config.chunk_size, config.contacts - index * config.chunk_size)
        chunk = generate_chunk(chunk_stream(config.seed, index), n, as_of, config.dirty_rate,
                               keys, companies)
        keys, companies = chunk.keys_after, chunk.companies
        yield chunk
        del chunk  # not held while the next chunk is made: one chunk in memory at a time


def generate(config: GeneratorConfig) -> GeneratedData:
    """Generate the four raw tables (as all-text pyarrow tables, in memory) and their manifest."""
    totals = _Totals()
    parts: dict[str, list[pa.Table]] = {t: [] for t in TABLES}
    for chunk in generate_chunks(config):
        totals.add(chunk)
        for t in TABLES:
            parts[t].append(chunk.tables[t])
    return GeneratedData({t: pa.concat_tables(parts[t]) for t in TABLES}, totals.manifest(config))


def write_manifest(manifest: dict[str, Any], out_dir: Path) -> Path:
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    return path


def write_dataset(data: GeneratedData, out_dir: Path, output_format: str = "csv") -> None:
    with DatasetWriter(out_dir, output_format) as writer:
        for name in TABLES:
            writer.write(name, data.tables[name])
    write_manifest(data.manifest, out_dir)


def generate_to_dir(out_dir: Path | str, config: GeneratorConfig,
                    output_format: str = "csv") -> dict[str, Any]:
    """Generate the four tables chunk by chunk, appending each chunk to
    ``<out_dir>/<table>.csv`` and/or ``.parquet`` (``output_format``: csv, parquet or both),
    then write manifest.json; return the manifest. Only one chunk is in memory at a time."""
    out = Path(out_dir)
    totals = _Totals()
    with DatasetWriter(out, output_format) as writer:
        for chunk in generate_chunks(config):
            totals.add(chunk)
            for name in TABLES:
                writer.write(name, chunk.tables[name])
            del chunk
    manifest = totals.manifest(config)
    write_manifest(manifest, out)
    return manifest

