"""Reading raw CSV extracts as they come out of CRMs and spreadsheets.

Before anything is loaded every file is inspected (:func:`inspect_csv`): its encoding (UTF-8,
UTF-8 with a byte-order mark as Excel writes it, or UTF-16 with one), its separator (comma,
semicolon, tab or pipe, chosen as the one that splits the header into the columns of the raw
contract; an Excel ``sep=;`` first line is honoured), its header and whether it holds any row.
A file that is not plain comma-separated UTF-8 is rewritten as such (:func:`canonical_copy`),
value for value, so that every engine's loader reads one format only.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Mapping, Sequence

DELIMITERS: Final[Mapping[str, str]] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SEP_LINE = re.compile(r"sep=(.)\r?\n?")
_CHUNK = 1 << 20


class CsvFileError(ValueError):
    """A CSV file that cannot be read as a raw extract; the message names the problem."""


@dataclass(frozen=True)
class CsvFile:
    path: Path
    encoding: str  # a Python codec: utf-8, utf-8-sig or utf-16
    delimiter: str
    header: tuple[str, ...]  # the column names, trimmed
    raw_header: tuple[str, ...]  # as written
    has_rows: bool  # at least one data row after the header
    sep_line: bool  # an Excel `sep=` line precedes the header

    @property
    def canonical(self) -> bool:
        """Plain comma-separated UTF-8 with a trimmed header: loadable as it is."""
        return (self.encoding == "utf-8" and self.delimiter == "," and not self.sep_line
                and self.header == self.raw_header)

    def notes(self) -> list[str]:
        """What was read differently from plain comma-separated UTF-8, in words."""
        notes = []
        if self.encoding == "utf-8-sig":
            notes.append("UTF-8 with a byte-order mark (removed)")
        elif self.encoding == "utf-16":
            notes.append("UTF-16 text")
        if self.delimiter != ",":
            notes.append(f"{DELIMITERS.get(self.delimiter, repr(self.delimiter))}-separated")
        if self.sep_line:
            notes.append(f"Excel 'sep={self.delimiter}' line skipped")
        if self.header != self.raw_header:
            notes.append("spaces around column names trimmed")
        return notes


def _encoding(path: Path) -> str:
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _check_decodes(path: Path, encoding: str) -> None:
    """The whole file decodes, else the first bad byte, its line and a way out."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    lines = 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            pending = len(decoder.getstate()[0])  # bytes of the previous chunk not decoded yet
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                in_chunk = max(exc.start - pending, 0)
                bad = bytes(exc.object[exc.start:exc.start + 1]).hex().upper()
                name = "UTF-16" if encoding == "utf-16" else "UTF-8"
                line = lines + chunk[:in_chunk].count(b"\n")
                raise CsvFileError(
                    f"{path}: not {name} text (byte 0x{bad} on line {line}, offset "
                    f"{offset + in_chunk}): "
                    "export it as UTF-8 (Excel: 'CSV UTF-8')") from exc
            if not chunk:
                return
            offset += len(chunk)
            lines += chunk.count(b"\n")


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _describe(fields: Sequence[str]) -> str:
    shown = fields[0] if len(fields) == 1 else ", ".join(fields)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{len(fields)} column{'s' if len(fields) != 1 else ''} {shown!r}"


def _separator_guess(header: str) -> str:
    """Why a header did not split: the character that seems to separate it, if any."""
    names = list(DELIMITERS.values())
    readable = ", ".join(names[:-1]) + " or " + names[-1]
    counts = Counter(ch for ch in header if not (ch.isalnum() or ch in "_ \"'"))
    if counts:
        char, n = counts.most_common(1)[0]
        if n >= 2:
            return (f"the file looks {char!r}-separated; the loader reads {readable}-separated "
                    "files: export it with one of those")
    return f"it is not {readable}-separated"


def inspect_csv(path: Path, required: Sequence[str]) -> CsvFile:
    """Encoding, separator, header and emptiness of ``path``, whose header must hold every
    column of ``required``; CsvFileError with the real problem otherwise."""
    encoding = _encoding(path)
    _check_decodes(path, encoding)
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
        hint = _SEP_LINE.fullmatch(first)
        header_line = handle.readline() if hint else first
        if not header_line.strip():
            raise CsvFileError(f"{path}: empty file, no header (the raw contract needs columns "
                               f"{', '.join(required)})")
        candidates = [hint.group(1)] if hint else list(DELIMITERS)
        scored = []
        for delimiter in candidates:
            fields = _split(header_line.rstrip("\r\n"), delimiter)
            present = {field.strip() for field in fields}
            scored.append((sum(column in present for column in required), delimiter, fields))
        best = max(scored, key=lambda s: s[0])  # the first candidate wins a tie
        score, delimiter, raw = best
        header = tuple(field.strip() for field in raw)
        absent = [column for column in required if column not in header]
        if absent and len(raw) == 1 and len(required) > 1:
            raise CsvFileError(f"{path}: header has {_describe(raw)}: {_separator_guess(raw[0])}"
                               f" (the raw contract needs {', '.join(required)})")
        if absent:
            raise CsvFileError(
                f"{path}: header lacks column(s) of the raw contract: {', '.join(absent)}")
        duplicated = sorted({name for name in header if header.count(name) > 1})
        if duplicated:
            raise CsvFileError(f"{path}: column(s) named twice in the header: "
                               + ", ".join(duplicated))
        has_rows = any(row for row in csv.reader(handle, delimiter=delimiter))
    return CsvFile(path, encoding, delimiter, header, tuple(raw), has_rows, hint is not None)


def canonical_copy(source: CsvFile, target: Path) -> Path:
    """Rewrite ``source`` as comma-separated UTF-8 with the trimmed header, every value as it
    was; CsvFileError naming the line of a row whose number of fields differs from the header's
    (it could not be loaded without losing or inventing values)."""
    width = len(source.header)
    with source.path.open(encoding=source.encoding, newline="") as handle, \
            target.open("w", encoding="utf-8", newline="") as out:
        if source.sep_line:
            handle.readline()
        reader = csv.reader(handle, delimiter=source.delimiter)
        writer = csv.writer(out, lineterminator="\n")
        next(reader)
        writer.writerow(source.header)
        for row in reader:
            if not row:
                continue
            if len(row) != width:
                raise CsvFileError(
                    f"{source.path}: line {reader.line_num} has {len(row)} fields, the header "
                    f"has {width} (read as {DELIMITERS.get(source.delimiter, source.delimiter)}"
                    "-separated)")
            writer.writerow(row)
    return target
