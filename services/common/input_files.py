"""Files ops give OneStock (CSV or Parquet), read row by row with every field checked.

A bad row raises ``InputError`` naming the file, the line (CSV: the line in the file,
header = 1; Parquet: the row number, first row = 1) and the field, so the person who
wrote the file can fix that row. A reader given a ``skipped`` counter counts bad rows
there instead and goes on. A missing file or column always stops the read.

The chain's files are described by the modules that own them: locations, SKUs and
stock counts by ``services.inventory.files``; stock levels, orders and replenishment
for the simulator by ``services.simulation.files``.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common.errors import Collector
from services.common.text import NotUtf8, utf8_text
from services.common.validation import check_optional_id, check_point, check_text

SUFFIXES = (".csv", ".parquet")


class InputError(ValueError):
    """Bad input, named down to the file, line and field, so ops can fix the row."""

    def __init__(self, path: str | Path, line: int | None, field_name: str, problem: str):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {field_name}: {problem}")
        self.path, self.line, self.field, self.problem = str(path), line, field_name, problem

    def __reduce__(self):  # crosses from worker processes back to the caller intact
        return InputError, (self.path, self.line, self.field, self.problem)


class BadField(Exception):
    """A field that cannot be used: raised by a row's parser, located by ``parse_rows``."""

    def __init__(self, field_name: str, problem: str):
        self.field, self.problem = field_name, problem


@dataclass(frozen=True)
class FileKind:
    """One kind of file: its name in messages and the columns a file may not leave out."""

    name: str
    required: tuple[str, ...]


def find(directory: str | Path, stem: str, *, required: bool = True) -> Path | None:
    """``stem.csv`` or ``stem.parquet`` in ``directory`` (exactly one of them)."""
    found = [path for path in (Path(directory) / f"{stem}{s}" for s in SUFFIXES) if path.exists()]
    if len(found) > 1:
        raise InputError(directory, None, stem, "both a .csv and a .parquet file; keep one")
    if not found:
        if required:
            raise InputError(directory, None, stem, f"no {stem}.csv or {stem}.parquet here")
        return None
    return found[0]


def rows(path: Path, kind: FileKind) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, row) for every data row, after checking the required columns are there.
    A row holds every column of its file, None where a cell is missing, so ``name in row``
    says whether the file has that column at all."""
    if not path.exists():
        raise InputError(path, None, kind.name, "file not found")
    if path.suffix == ".parquet":
        yield from _parquet_rows(path, kind)
    elif path.suffix == ".csv":
        yield from _csv_rows(path, kind)
    else:
        raise InputError(path, None, kind.name, "must be a .csv or .parquet file")


def parse_rows(path: Path, kind: FileKind, parse: Callable[[dict], Any],
               skipped: Counter | None) -> Iterator[Any]:
    """Parse every row; a bad one stops the read, or is counted when ``skipped`` is given."""
    for line, row in rows(path, kind):
        try:
            yield parse(row)
        except BadField as bad:
            if skipped is None:
                raise InputError(path, line, bad.field, bad.problem) from None
            skipped[f"{path.name}: {bad.field}"] += 1


def _check_columns(path: Path, kind: FileKind, columns) -> None:
    missing = [c for c in kind.required if c not in columns]
    if missing:
        raise InputError(path, 1 if path.suffix == ".csv" else None, missing[0],
                         f"column missing (the {kind.name} file needs {', '.join(kind.required)})")


def _csv_rows(path: Path, kind: FileKind) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of a UTF-8 CSV file, each with the line it starts on (a quoted field may hold
    line breaks); text that is not UTF-8, or not CSV (a field over the csv module's
    128 KiB limit), is an InputError at its line, like any other bad row."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        start = 1
        try:
            header = next(reader, [])
            _check_columns(path, kind, header)
            start = reader.line_num + 1
            for values in reader:
                if values:  # a blank line is no row; a field missing at its end reads as None
                    yield start, {name: values[i] if i < len(values) else None
                                  for i, name in enumerate(header)}
                start = reader.line_num + 1
        except UnicodeDecodeError:
            raise InputError(path, _first_line_not_utf8(path), "encoding",
                             "is not UTF-8 text (save the file as UTF-8)") from None
        except csv.Error as error:
            raise InputError(path, start, "row", f"is not valid CSV: {error}") from None


def _first_line_not_utf8(path: Path) -> int:
    """The line of the first byte that is not UTF-8: the text reader decodes ahead in
    chunks, so where it stopped says nothing about the line."""
    try:
        utf8_text(path.read_bytes(), byte_order_mark=True)
    except NotUtf8 as error:
        return error.line
    return 1


def _parquet_rows(path: Path, kind: FileKind) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        raise InputError(path, None, kind.name, f"is not a Parquet file: {error}") from error
    _check_columns(path, kind, file.schema_arrow.names)
    n = 0
    batches = file.iter_batches(batch_size=65_536)
    while True:
        try:  # a damaged page fails only when it is read, with one of several pyarrow errors
            batch = next(batches, None)
        except Exception as error:
            raise InputError(path, n + 1, "row", f"cannot be read: {error}") from None
        if batch is None:
            return
        for row in batch.to_pylist():
            n += 1
            yield n, row


# --- fields -------------------------------------------------------------------


def text(row: dict, name: str, *, default: str | None = None) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise BadField(name, "is required")
        return default
    return str(value).strip()


def by_rule(check, *args) -> None:
    """A field checked by the API's own rule (services.common.validation), so that a file
    and a request refuse the same values with the same words."""
    errors = Collector()
    check(errors, *args)
    if errors.violations:
        raise BadField(errors.violations[0].field, errors.violations[0].description)


def checked_text(row: dict, name: str, max_len: int, *, default: str | None = None) -> str:
    """Text for people (a name, a city): at most ``max_len`` characters, no control characters."""
    value = text(row, name, default=default)
    by_rule(check_text, value, name, max_len)
    return value


def identifier(row: dict, name: str, *, optional: bool = False) -> str:
    value = text(row, name, default="" if optional else None)
    by_rule(check_optional_id, value, name)
    return value


def number(row: dict, name: str, *, default: float | None = None) -> float:
    value = row.get(name)
    if value is None or value == "":
        if default is None:
            raise BadField(name, "is required")
        return default
    try:
        found = float(value)
    except (TypeError, ValueError):
        raise BadField(name, f"{value!r} is not a number") from None
    if not math.isfinite(found):
        raise BadField(name, f"{value!r} is not a finite number")
    return found


def whole(row: dict, name: str, *, minimum: int, maximum: int, default: int | None = None) -> int:
    found = number(row, name, default=default)
    if found != int(found) or not minimum <= found <= maximum:
        raise BadField(name, f"{row.get(name)!r} must be a whole number from {minimum} to {maximum}")
    return int(found)


def flag(row: dict, name: str) -> bool:
    value = row.get(name)
    if value is None or value == "" or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().lower()
    if word in ("true", "yes", "1", "y"):
        return True
    if word in ("false", "no", "0", "n"):
        return False
    raise BadField(name, f"{value!r} must be true or false")


def point(row: dict) -> tuple[float, float]:
    latitude, longitude = number(row, "latitude"), number(row, "longitude")
    by_rule(check_point, latitude, longitude)
    return latitude, longitude


# --- writing ----------------------------------------------------------------------


def write_csv(path: Path, columns: tuple[str, ...], records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(records)
