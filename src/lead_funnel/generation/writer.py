"""Writing the raw tables: CSV (RFC 4180, deterministic) and/or Parquet (all-text columns),
appended chunk by chunk so that no more than one chunk of rows is in memory."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lead_funnel.contract import TABLES, TABLE_COLUMNS
from lead_funnel.generation.text import join_text

FORMATS = ("csv", "parquet", "both")
_BATCH_ROWS = 500_000


def formats_of(output_format: str) -> tuple[str, ...]:
    """``csv`` | ``parquet`` | ``both`` -> the file suffixes to write."""
    if output_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {output_format!r}")
    return ("csv", "parquet") if output_format == "both" else (output_format,)


def _csv_field(values: pa.Array) -> pa.Array:
    """Quote the values that contain a delimiter, a quote or a line break."""
    needs = pc.match_substring_regex(values, '[",\r\n]')
    if not pc.any(needs).as_py():
        return values
    quoted = join_text('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.if_else(needs, quoted, values)


def _string_bytes(values: pa.Array) -> bytes:
    """The concatenated UTF-8 bytes of a (null-free) string array."""
    values = values.cast(pa.large_string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[
        values.offset: values.offset + len(values) + 1]
    data = values.buffers()[2]
    if data is None or len(values) == 0:
        return b""
    return data.to_pybytes()[int(offsets[0]): int(offsets[-1])]


def _csv_rows(table: pa.Table, handle: Any) -> None:
    for start in range(0, table.num_rows, _BATCH_ROWS):
        chunk = table.slice(start, _BATCH_ROWS)
        cols = [_csv_field(pc.fill_null(chunk.column(c).combine_chunks(), ""))
                for c in table.column_names]
        lines = pc.binary_join_element_wise(*cols, ",")
        handle.write(_string_bytes(join_text(lines, "\n")))


def write_csv(table: pa.Table, path: Path) -> None:
    """Plain RFC-4180 CSV: header row, '\\n' line ends, quotes only where needed, blank
    values as empty fields. Deterministic, streamed in batches."""
    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
        _csv_rows(table, fh)


def text_schema(name: str) -> pa.Schema:
    return pa.schema([(column, pa.string()) for column in TABLE_COLUMNS[name]])


class DatasetWriter:
    """``<dir>/<table>.csv`` and/or ``<dir>/<table>.parquet`` of the four tables, the rows of
    each :meth:`write` appended to the files (one header / one Parquet file per table)."""

    def __init__(self, out_dir: Path, output_format: str = "csv") -> None:
        self.out_dir = out_dir
        self.suffixes = formats_of(output_format)
        out_dir.mkdir(parents=True, exist_ok=True)
        self._csv: dict[str, Any] = {}
        self._parquet: dict[str, pq.ParquetWriter] = {}
        for name in TABLES:
            if "csv" in self.suffixes:
                handle = open(out_dir / f"{name}.csv", "wb")
                handle.write((",".join(TABLE_COLUMNS[name]) + "\n").encode("utf-8"))
                self._csv[name] = handle
            if "parquet" in self.suffixes:
                self._parquet[name] = pq.ParquetWriter(out_dir / f"{name}.parquet",
                                                       text_schema(name))

    def paths(self) -> dict[str, list[Path]]:
        return {name: [self.out_dir / f"{name}.{suffix}" for suffix in self.suffixes]
                for name in TABLES}

    def write(self, name: str, table: pa.Table) -> None:
        table = table.select(list(TABLE_COLUMNS[name])).cast(text_schema(name))
        if name in self._csv:
            _csv_rows(table, self._csv[name])
        if name in self._parquet:
            filled = pa.table({c: pc.fill_null(table.column(c), "") for c in table.column_names},
                              schema=text_schema(name))
            self._parquet[name].write_table(filled)

    def close(self) -> None:
        for handle in self._csv.values():
            handle.close()
        for writer in self._parquet.values():
            writer.close()
        self._csv.clear()
        self._parquet.clear()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
