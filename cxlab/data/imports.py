"""Read real exports (CSV, Excel, Parquet) into cxlab's tables through a column mapping.

A mapping file (YAML) says which table a file feeds and how its columns become ours::

    table: customer_responses
    source:
      header_rows: 2          # rows under the header to skip (survey tools: question text, ids)
      delimiter: ";"          # CSV only (default: guessed among , ; tab |)
      sheet: Responses        # Excel only (default: the first sheet)
    columns:                  # our column: the file's column
      response_id: ResponseId
      responded_on: RecordedDate
      nps: Q1
      csat: Q2
    constants:                # our column: one value for every row
      client: acme
      channel: web
    missing: [-99, "N/A"]     # values that mean "no answer" (blank cells always do), or
                              # per column: {rating_speed: [0], "*": [-99, "N/A"]}
    values:
      nps: {shift: -1}                                  # exported 1-11, ours 0-10
      csat: {recode: {"Very satisfied": 5, "Satisfied": 4, "Neutral": 3,
                      "Dissatisfied": 2, "Very dissatisfied": 1}}
      handle_seconds: {duration: "hh:mm:ss"}            # or mm:ss, seconds, minutes
    dates:
      responded_on: "%d/%m/%Y"  # a date-time column keeps its time of day
    datetimes:                # one of our date-times from the file's date and time columns
      started_at: {date: CallDate, time: CallTime, format: "%d/%m/%Y %H:%M:%S"}
    filters:                  # rows to keep; the others are counted as filtered, not rejected
      - {column: responded_on, on_or_after: 2012-01-01}
      - {column: nps, present: true}                    # also: before, equals: [a, b]
    row_ids: [customer_id]    # our id columns the file lacks: "<file name>-<line number>"
    one_row_per: [employee_id]  # a roster from a call export: each agent once, repeats counted
    not_collected: [is_repeat_within_7d]  # columns the export does not have, required ones
                              # too: stored empty and recorded as not collected, so the report
                              # says "not collected in this export" (never invent a constant)

Customer responses may declare any number of attribute ratings, each a key-driver item under
its own wording (stored as a column of its own; missing codes and ``values`` apply to it)::

    ratings:
      rating_online_boarding: {column: "Online boarding", label: "Online boarding",
                               scale: [0, 5]}      # default scale [1, 5]
      rating_overall: {column: "Overall", label: "Overall rating", scale: [1, 10],
                       overall: true}  # at most one: what the others explain as key drivers

Customer responses may name survey columns to group results by (class of travel, type of
traveller), each stored as a text column and shown as a segment table in the report::

    segments:
      segment_travel_class: {column: Class, label: "Class of travel"}

Interactions may map ``outcome`` (answered, abandoned, missed: ``cxlab.data.schema.
CONTACT_OUTCOMES``; recode the export's words under ``values``): an unanswered contact may
then lack an employee, a handle time and a resolution (a missed one its wait), and the report
gives resolution and wait over answered contacts and over all contacts.

The format is declared and checked in :mod:`cxlab.data.mapping`: a key that is unknown or a
value of the wrong kind is an error naming both.

CSV files may use any common delimiter (comma, semicolon, tab, pipe) and encoding: UTF-8
with or without a byte-order mark, UTF-16 with or without one, else Windows-1252 (noted in
the result); :func:`read_chunks` lists what reading never changes silently. Every row keeps
its line number in the file (``_row``), so each rejection names it.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import sys
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from cxlab.data.mapping import MappingError, collapse_repeats, parse_mapping
from cxlab.data.schema import Table, extended
from cxlab.data.validate import RejectTally, ValidationResult, merge_notes, validate
from cxlab.errors import CxlabError

DELIMITERS = ",;\t|"


class ImportError_(CxlabError, ValueError):
    """A file or mapping that cannot be read; the message names the file and the problem."""


@dataclass
class Mapping:
    """A parsed, checked mapping file (its format: :mod:`cxlab.data.mapping`)."""

    path: Path
    table: str
    columns: dict[str, str]
    constants: dict[str, object] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    values: dict[str, dict] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    header_rows: int = 0
    sheet: str | int = 0
    delimiter: str | None = None
    row_ids: list[str] = field(default_factory=list)
    #: Missing codes of single columns, beside ``missing`` (every other column's).
    missing_by_column: dict[str, list[str]] = field(default_factory=dict)
    datetimes: dict[str, dict] = field(default_factory=dict)
    filters: list[dict] = field(default_factory=list)
    one_row_per: list[str] = field(default_factory=list)
    #: Our columns the export does not have: stored empty, recorded as not collected.
    not_collected: list[str] = field(default_factory=list)
    #: Attribute ratings: ``{name: {"column", "label", "scale"}}`` (also under ``columns``).
    ratings: dict[str, dict] = field(default_factory=dict)
    #: Segments: ``{name: {"column", "label"}}`` (also under ``columns``).
    segments: dict[str, dict] = field(default_factory=dict)

    @property
    def schema(self) -> Table:
        """The table's schema, with this mapping's ratings and segments as columns."""
        return extended(self.table, self.ratings, self.segments)

    def missing_codes(self, column: str) -> set[str]:
        """The cell values that mean "no answer" in one of our columns (blank always does)."""
        return {"", *self.missing_by_column.get(column, self.missing)}

    @property
    def source_columns(self) -> set[str]:
        """Every column of the file the mapping reads."""
        return {*self.columns.values(),
                *(part for spec in self.datetimes.values() for part in (spec["date"],
                                                                         spec["time"]))}


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file (any mistake is an error naming key and value)."""
    path = Path(path)
    if not path.is_file():
        raise ImportError_(f"mapping file {path} not found")
    try:
        doc = parse_mapping(path.read_text(encoding="utf-8"), str(path))
    except MappingError as err:
        raise ImportError_(str(err)) from None
    if isinstance(doc.missing, dict):
        every = [str(v) for v in doc.missing.get("*", [])]
        by_column = {c: [str(v) for v in codes] for c, codes in doc.missing.items() if c != "*"}
    else:
        every, by_column = [str(v) for v in doc.missing], {}
    ratings = {name: r.model_dump() for name, r in doc.ratings.items()}
    segments = {name: g.model_dump() for name, g in doc.segments.items()}
    columns = {**doc.columns, **{name: r["column"] for name, r in ratings.items()},
               **{name: g["column"] for name, g in segments.items()}}
    return Mapping(path, doc.table, columns, dict(doc.constants), missing=every,
                   values={c: rule.model_dump(exclude_none=True) for c, rule in doc.values.items()},
                   dates=dict(doc.dates), header_rows=doc.source.header_rows,
                   sheet=doc.source.sheet, delimiter=doc.source.delimiter,
                   row_ids=list(doc.row_ids), missing_by_column=by_column,
                   datetimes={c: spec.model_dump() for c, spec in doc.datetimes.items()},
                   filters=[f.model_dump(exclude_none=True) for f in doc.filters],
                   one_row_per=list(doc.one_row_per), not_collected=list(doc.not_collected),
                   ratings=ratings, segments=segments)


#: Data rows read, mapped and validated at a time, so a large file never sits whole in memory.
CHUNK_ROWS = 20_000
#: Columns of the rows rejected while reading a file, before any mapping.
READ_REJECT_COLUMNS = ["row", "reason", "reason_code", "reason_public"]


def read_source(path: str | Path, mapping: Mapping
                ) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """Read a file's cells as text, whole (see :func:`read_chunks` for the rules).

    Returns the rows (with ``_row``, each row's line number in the file), reading notes, and
    the rows rejected while reading, each with its reason and, where the cells could be
    aligned with the header, its cells as they came in.
    """
    notes: list[str] = []
    frames, rejected = [], []
    for frame, bad in read_chunks(path, mapping, notes):
        frames.append(frame)
        rejected.append(bad)
    return (pd.concat(frames, ignore_index=True), notes,
            pd.concat(rejected, ignore_index=True).sort_values("row", kind="stable")
            .reset_index(drop=True))


def read_chunks(path: str | Path, mapping: Mapping, notes: list[str],
                chunk_rows: int = CHUNK_ROWS
                ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    r"""Read a file's cells as text, ``chunk_rows`` data rows at a time.

    Yields (rows, rows rejected while reading) per chunk; at least one chunk, the first after
    the header is checked. Reading notes are appended to ``notes``.

    Nothing is changed silently while reading:

    * CSV encodings: UTF-8 (with or without a byte-order mark), UTF-16 (with a byte-order
      mark, or without one when the zero bytes show it), else Windows-1252, noted. A UTF-8
      file with some rows in another encoding keeps its UTF-8 rows untouched and rejects the
      others, naming their line (the cells keep the bytes shown as ``\xNN``); it is never
      re-decoded whole. Encodings are decided by rule: charset-normalizer's guesses on short
      exports (big5, johab, cp1250 for Windows-1252 text) would change values.
    * A CSV cell of any length is read (the csv module stops at 131,072 characters); the
      validation rejects cells longer than a spreadsheet cell, saying so.
    * Excel: a cell holding a formula with no saved value, or covered by merged cells, reads
      as blank; a row with one in a column the mapping reads is rejected naming the cell.
    * A file that is not what its name says (a garbage ``.xlsx``) is an error naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportError_(f"file {path} not found")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".xlsx", ".xlsm", ".xls"):
        if suffix == ".parquet":
            frame, bad = _read_parquet(path), _no_rejects()
        else:
            frame, bad = _read_excel(path, mapping)
        _check_header(frame, mapping, path)
        _note_header_rows(min(len(frame), mapping.header_rows), mapping, path, notes)
        frame = frame.iloc[mapping.header_rows:].reset_index(drop=True)
        if len(bad):  # rows under the header that a survey tool adds are skipped, not rejected
            bad = bad[bad["row"].isin(frame["_row"])].reset_index(drop=True)
            frame = frame[~frame["_row"].isin(bad["row"])].reset_index(drop=True)
        for start in range(0, max(len(frame), 1), chunk_rows):
            yield (frame.iloc[start:start + chunk_rows].reset_index(drop=True),
                   bad if start == 0 else _no_rejects())
        return
    encoding, bad_lines = _sniff_encoding(path)
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"{path.name}: not UTF-8; decoded as {_ENCODING_NAMES[encoding]}")
    if bad_lines:
        shown = ", ".join(map(str, sorted(bad_lines)[:10])) + (" ..." if len(bad_lines) > 10
                                                                else "")
        notes.append(f"{path.name}: {len(bad_lines):,} line(s) hold bytes that are not "
                     f"{_ENCODING_NAMES[encoding]} (line {shown}); their rows are rejected, "
                     "the other rows are read unchanged")
    lines = _lines(path, encoding, bad_lines)
    head = list(itertools.islice(lines, 20))
    if not "".join(head).strip():
        raise ImportError_(f"{path}: the file is empty")
    delimiter = mapping.delimiter or _delimiter("".join(head))
    yield from _read_csv(itertools.chain(head, lines), path, delimiter, mapping, notes,
                         bad_lines, encoding, chunk_rows)


_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                   "utf-16-le": "UTF-16 (little-endian, no byte-order mark)",
                   "utf-16-be": "UTF-16 (big-endian, no byte-order mark)",
                   "cp1252": "Windows-1252"}


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=READ_REJECT_COLUMNS)


def _sniff_encoding(path: Path) -> tuple[str, set[int]]:
    """The file's encoding, and the lines (numbered from 1) whose bytes it cannot decode.

    Read line by line, so memory stays flat. UTF-16 is recognized by its byte-order mark or,
    without one, by zero bytes in every other position (text that is mostly ASCII). A file
    that is not UTF-8 anywhere it has non-ASCII bytes is Windows-1252 (an older Windows
    export); one that is UTF-8 in some such lines and not in others is UTF-8, and the others
    are the lines returned.
    """
    with path.open("rb") as f:
        sample = f.read(65_536)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", set()
    if not sample.startswith(codecs.BOM_UTF8) and len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
        if zeros_odd > 0.3 and zeros_even < 0.05:
            return "utf-16-le", set()
        if zeros_even > 0.3 and zeros_odd < 0.05:
            return "utf-16-be", set()
    utf8_bad: set[int] = set()
    utf8_good = False
    with path.open("rb") as f:
        for number, line in enumerate(_physical_lines(f), 1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8_good = True
            except UnicodeDecodeError:
                utf8_bad.add(number)
    if not utf8_bad:
        return ("utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"), set()
    if utf8_good or sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", utf8_bad
    bad = set()
    with path.open("rb") as f:
        for number, line in enumerate(_physical_lines(f), 1):
            if number in utf8_bad:
                try:
                    line.decode("cp1252")
                except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
                    bad.add(number)
    return "cp1252", bad


def _physical_lines(f: IO[bytes]) -> Iterator[bytes]:
    """A binary file's lines, ended by LF, CR LF or a lone CR (as the csv module counts them)."""
    for line in f:
        if b"\r" in line[:-2]:
            yield from line.splitlines(keepends=True)
        else:
            yield line


def _lines(path: Path, encoding: str, bad_lines: set[int]) -> Iterator[str]:
    r"""The file's lines as text; the bad lines keep their undecodable bytes as ``\xNN``."""
    if encoding.startswith("utf-16"):
        try:
            with path.open(encoding=encoding, newline="") as f:
                yield from f
        except UnicodeDecodeError as err:
            raise ImportError_(f"{path}: not valid UTF-16 at byte {err.start:,} ({err.reason}); "
                               "nothing was read") from None
        return
    with path.open("rb") as f:
        for number, line in enumerate(_physical_lines(f), 1):
            codec = "utf-8-sig" if number == 1 and encoding == "utf-8-sig" else encoding
            yield line.decode(codec, errors="backslashreplace" if number in bad_lines
                              else "strict")


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _read_csv(lines: Iterator[str], path: Path, delimiter: str, mapping: Mapping,
              notes: list[str], bad_lines: AbstractSet[int] = frozenset(), encoding: str = "utf-8",
              chunk_rows: int = CHUNK_ROWS
              ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Split CSV lines into records, numbering each by the line it starts on, in chunks.

    A record with more or fewer cells than the header (a stray delimiter or quote) is not
    guessed at: it becomes a rejection quoting all its cells. Extra cells that are all empty
    (trailing delimiters) are dropped. A record on a line with undecodable bytes is rejected,
    its cells kept as they came in. A quote left open makes the file unreadable.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    records, numbers, bad = [], [], []
    blank = skip = 0
    start = 1
    first = True
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, path.stat().st_size + 1))  # any cell the file can hold
    try:
        for cells in reader:
            end = reader.line_num
            if header is None:
                header = [c.strip() for c in cells]
            elif not any(c.strip() for c in cells):
                blank += 1
            else:
                if len(cells) > len(header) and not any(c.strip() for c in cells[len(header):]):
                    cells = cells[:len(header)]
                undecodable = bad_lines and any(n in bad_lines for n in range(start, end + 1))
                if len(cells) != len(header):
                    bad.append({"row": start, "reason_code": "file: wrong number of cells",
                                "reason": f"{path}, row {start}: {len(cells)} cells where the "
                                          f"header has {len(header)} (a stray delimiter or "
                                          f"quote?): {cells!r}",
                                "reason_public": f"a row of {len(cells)} cells; expected "
                                                 f"{len(header)}, as in the header"})
                elif skip < mapping.header_rows:
                    skip += 1  # a survey tool's extra header row
                elif undecodable:
                    name = _ENCODING_NAMES[encoding]
                    shown = [c for c in cells if "\\x" in c]
                    bad.append({**dict(zip(header, cells, strict=True)), "row": start,
                                "reason_code": "file: undecodable bytes",
                                "reason": f"{path}, row {start}: bytes that are not {name} "
                                          f"(kept as \\xNN): {shown!r}"
                                          "; the row is set aside rather than read in another "
                                          "encoding, which would change its text",
                                "reason_public": f"a row with bytes that are not {name}, "
                                                 "the file's encoding"})
                else:
                    records.append(cells)
                    numbers.append(start)
            start = end + 1
            if header is not None and first:
                frame = pd.DataFrame(columns=header)
                _check_header(frame, mapping, path)
                first = False
            if len(records) >= chunk_rows:
                yield _chunk(records, numbers, header), _rejects(bad)
                records, numbers, bad = [], [], []
    except csv.Error as err:
        raise ImportError_(f"{path}, row {start}: {err}; a quoted cell that is never closed "
                           "would swallow the rest of the file, so nothing was read") from None
    finally:
        csv.field_size_limit(limit)
    if header is None:
        raise ImportError_(f"{path}: the file is empty")
    if blank:
        notes.append(f"{blank:,} blank row(s) skipped")
    _note_header_rows(skip, mapping, path, notes)
    yield _chunk(records, numbers, header), _rejects(bad)


def _note_header_rows(skipped: int, mapping: Mapping, path: Path, notes: list[str]) -> None:
    """Say how many rows ``source.header_rows`` skipped, or stop if the file has too few."""
    if skipped < mapping.header_rows:
        raise ImportError_(f"{path}: source.header_rows is {mapping.header_rows}, but the file "
                           f"has {skipped} row(s) under its header; lower header_rows to the "
                           "rows of question text or ids the export adds")
    if skipped:
        notes.append(f"{skipped} row(s) under the header skipped as source.header_rows")


def _chunk(records: list[list[str]], numbers: list[int], header: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=header, dtype="string")
    frame["_row"] = numbers
    return frame


def _rejects(bad: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(bad).reindex(columns=list(dict.fromkeys(
        [*READ_REJECT_COLUMNS, *(k for b in bad for k in b)]))) if bad else _no_rejects()


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path).astype("string")
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise ImportError_(f"{path}: not a readable Parquet file ({err})") from None
    frame["_row"] = range(1, len(frame) + 1)
    return frame


def _read_excel(path: Path, mapping: Mapping) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sheet's cells as text (row 1 the header), and the rows to reject.

    Rejected: rows whose cells read as blank only because they hold a formula never
    calculated or are covered by merged cells.
    """
    import zipfile

    try:
        frame = pd.read_excel(path, sheet_name=mapping.sheet, dtype=str)
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as err:
        raise ImportError_(f"{path}: not a readable Excel workbook, or no sheet "
                           f"{mapping.sheet!r} in it ({type(err).__name__}: {err})") from None
    frame["_row"] = range(2, len(frame) + 2)  # spreadsheet rows; row 1 is the header
    if path.suffix.lower() == ".xls":
        return frame, _no_rejects()
    problems = _excel_blank_cells(path, mapping, frame)
    if not problems:
        return frame, _no_rejects()
    rows = frame.set_index("_row")
    bad = []
    for row, cells in sorted(problems.items()):
        if row not in rows.index:
            continue
        described = "; ".join(cells)
        bad.append({**rows.loc[row].to_dict(), "row": row,
                    "reason_code": "file: cell without its value",
                    "reason": f"{path}, row {row}: {described}: it reads as blank, so the row "
                              "is set aside (unmerge the cells, or open and save the workbook "
                              "in Excel so formulas keep their values)",
                    "reason_public": "a spreadsheet cell that reads as blank (a formula "
                                     "without a saved value, or merged cells)"})
    return frame, _rejects(bad)


def _excel_blank_cells(path: Path, mapping: Mapping, frame: pd.DataFrame
                       ) -> dict[int, list[str]]:
    """Cells in mapped columns that read as blank but are not, as {row: descriptions}.

    They are formulas with no saved value, and cells under merged cells other than the first.
    """
    import openpyxl
    from openpyxl.utils import get_column_letter

    header = [c for c in frame.columns if c != "_row"]
    wanted = {i + 1 for i, name in enumerate(header) if name in set(mapping.columns.values())}
    problems: dict[int, list[str]] = {}
    try:
        formulas = openpyxl.load_workbook(path, data_only=False)
        values = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception:  # noqa: BLE001 - pandas read it; without openpyxl's view, no cell checks
        return problems
    try:
        sheet = mapping.sheet
        ws = formulas[sheet] if isinstance(sheet, str) else formulas.worksheets[sheet]
        wv = values[sheet] if isinstance(sheet, str) else values.worksheets[sheet]
        for merged in ws.merged_cells.ranges:
            for row in range(max(merged.min_row, 2), merged.max_row + 1):
                for col in range(merged.min_col, merged.max_col + 1):
                    if (row, col) != (merged.min_row, merged.min_col) and col in wanted:
                        problems.setdefault(row, []).append(
                            f"cell {get_column_letter(col)}{row} is covered by merged cells "
                            f"{merged.coord}, whose value is only in their first cell")
        cached = {}
        for row in wv.iter_rows(min_row=2):
            for cell in row:
                if getattr(cell, "column", None) in wanted:
                    cached[(cell.row, cell.column)] = cell.value
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if (cell.column in wanted and cell.data_type == "f"
                        and cached.get((cell.row, cell.column)) is None):
                    problems.setdefault(cell.row, []).append(
                        f"cell {cell.coordinate} holds a formula ({cell.value}) with no saved "
                        "value")
    finally:
        values.close()
    return problems


def _check_header(frame: pd.DataFrame, mapping: Mapping, path: Path) -> None:
    """A mapped column must appear once in the header, or its cells would be ambiguous."""
    counts = pd.Series(list(frame.columns)).value_counts()
    repeated = sorted(c for c in set(mapping.columns.values()) if counts.get(c, 0) > 1)
    if repeated:
        raise ImportError_(f"{path}: column(s) {repeated} appear more than once in the header; "
                           f"rename them in the export so {mapping.path.name} names one each")


def apply_mapping(raw: pd.DataFrame, mapping: Mapping, source: str) -> pd.DataFrame:
    """The file's rows as our table's columns: renamed, recoded, shifted, dates made ISO.

    In order: missing codes (per column), recodes, shifts and durations, dates and date-times,
    then the mapping's row filters. What changed is said in ``attrs["notes"]``: how many
    cells each column's missing codes blanked, and how many rows each filter left out (they
    are filtered, not rejected). Cells that cannot be converted stay as written, for
    validation to reject with the row's number.
    """
    absent = sorted(mapping.source_columns - set(raw.columns))
    if absent:
        raise ImportError_(f"{source}: column(s) {absent} named in {mapping.path.name} are not "
                           f"in the file; it has {[c for c in raw.columns if c != '_row']}")
    out = pd.DataFrame({ours: raw[theirs].astype("string").str.strip()
                        for ours, theirs in mapping.columns.items()}, index=raw.index)
    notes = []
    for col in out.columns:
        codes = mapping.missing_codes(col)
        hit = _is_missing_code(out[col], codes - {""})
        if hit.any():
            notes.append(f"{col}: {int(hit.sum()):,} cell(s) read as no answer (missing codes "
                         f"{sorted(codes - {''})})")
        out[col] = out[col].mask(hit | (out[col] == ""))
    for col, value in mapping.constants.items():
        out[col] = str(value)
    for col in mapping.not_collected:
        out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
    for col, rule in mapping.values.items():
        if "recode" in rule:
            table = {str(k).strip().casefold(): str(v) for k, v in rule["recode"].items()}
            out[col] = out[col].map(lambda v, t=table: t.get(v.casefold(), v)
                                    if isinstance(v, str) else v)
        if "shift" in rule:
            numbers = pd.to_numeric(out[col], errors="coerce")
            shifted = (numbers + float(rule["shift"])).map(_exact_text)
            out[col] = shifted.where(numbers.notna(), out[col])  # unparsable: left for validation
        if "duration" in rule:
            out[col] = _seconds(out[col], rule["duration"])
    kinds = {c.name: c.dtype for c in mapping.schema.columns}
    for col, fmt in mapping.dates.items():
        out[col] = _dates(out[col], fmt, with_time=kinds[col] == "datetime")
    for col, spec in mapping.datetimes.items():
        joined = (raw[spec["date"]].astype("string").str.strip() + " "
                  + raw[spec["time"]].astype("string").str.strip())
        out[col] = _dates(joined.mask(joined.str.strip() == ""), spec.get("format"),
                          with_time=True)
    stem = Path(source).stem
    for col in mapping.row_ids:
        out[col] = [f"{stem}-{row}" for row in raw["_row"]]
    out["_row"] = raw["_row"].to_numpy()
    mapped = len(out)
    for rule in mapping.filters:
        keep = _kept_by(out[rule["column"]], rule)
        if (~keep).any():
            notes.append(f"{int((~keep).sum()):,} row(s) filtered out by the mapping "
                         f"({_describe_filter(rule)}); they are not rejections")
        out = out[keep.to_numpy()]
    if mapping.one_row_per:
        out, repeats = collapse_repeats(out, mapping.one_row_per)
        if repeats:
            notes.append(f"{repeats:,} row(s) repeated an earlier row's "
                         f"{'/'.join(mapping.one_row_per)} with the same values and were kept "
                         "once (one_row_per); they are not rejections")
    out = out.reset_index(drop=True)
    out.attrs["notes"] = notes
    out.attrs["filtered"] = mapped - len(out)  # counted as read, neither accepted nor rejected
    return out


def _is_missing_code(cells: pd.Series, codes: set[str]) -> pd.Series:
    """Which cells are missing codes: as written, or as the same number (``0`` and ``0.0``)."""
    hit = cells.isin(codes) & cells.notna()
    numbers = pd.to_numeric(pd.Series(sorted(codes), dtype="string"), errors="coerce").dropna()
    if len(numbers):
        values = pd.to_numeric(cells, errors="coerce")
        hit |= values.isin(numbers.to_numpy()) & values.notna()
    return hit.fillna(False).astype(bool)


def _exact_text(x: float) -> object:
    """A number as text without rounding (``f"{x:g}"`` kept six digits)."""
    if pd.isna(x):
        return pd.NA
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _seconds(cells: pd.Series, form: str) -> pd.Series:
    """Durations as seconds: ``hh:mm:ss``, ``mm:ss``, plain seconds or minutes.

    A cell that does not fit the form stays as written (validation then rejects its row).
    """
    if form in ("seconds", "minutes"):
        numbers = pd.to_numeric(cells, errors="coerce")
        factor = 60.0 if form == "minutes" else 1.0
        return (numbers * factor).map(_exact_text).where(numbers.notna(), cells)
    parts = 3 if form == "hh:mm:ss" else 2
    pattern = r"^(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)$" if parts == 3 else \
        r"^(\d+):([0-5]?\d(?:\.\d+)?)$"
    found = cells.str.extract(pattern)
    weights = (3600.0, 60.0, 1.0) if parts == 3 else (60.0, 1.0)
    seconds = sum(pd.to_numeric(found[i]) * w for i, w in enumerate(weights))
    return seconds.map(_exact_text).where(seconds.notna(), cells)


#: A time written with its UTC offset (``+02:00``, ``-0500``, ``Z``) at the end.
_OFFSET = r"(?:[+-]\d{2}:?\d{2}|Z)$"


def _dates(cells: pd.Series, fmt: str | None, with_time: bool) -> pd.Series:
    """Dates (or date-times, keeping the time of day) as ISO text, by ``fmt`` or ISO 8601.

    A time with a UTC offset is kept with its offset, as UTC (``...+00:00``), for validation to
    read and note; a date keeps the day written. One file may mix offsets (summer and winter
    time), so those cells are read one by one.
    """
    zoned = cells.str.contains(_OFFSET, na=False, regex=True)
    plain = cells.where(~zoned)
    parsed = (pd.to_datetime(plain, format=fmt, errors="coerce") if fmt
              else pd.Series(pd.NaT, index=cells.index))
    # Real date cells (a spreadsheet's) arrive as ISO text; ISO is never ambiguous.
    parsed = parsed.fillna(pd.to_datetime(plain.where(parsed.isna()), format="ISO8601",
                                          errors="coerce"))
    text = parsed.dt.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d")
    if zoned.any():
        text = text.astype(object)
        text[zoned] = [_zoned_text(c, fmt, with_time) for c in cells[zoned]]
    bad = text.isna() & cells.notna()
    expected = f"the mapping format {fmt}" if fmt else "ISO 8601 (YYYY-MM-DD hh:mm:ss)"
    # Unreadable dates stay as written, marked with the expected format for the message.
    return text.where(~bad, cells + f" (not a date in {expected})").astype("string")


def _zoned_text(cell: str, fmt: str | None, with_time: bool) -> object:
    """One time with a UTC offset as ISO text in UTC (or the date written), or NA."""
    from datetime import UTC, datetime

    try:
        when = (datetime.strptime(cell, fmt) if fmt
                else datetime.fromisoformat(cell.replace("Z", "+00:00")))
    except ValueError:
        return pd.NA
    if not with_time or when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d")
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def _kept_by(values: pd.Series, rule: dict) -> pd.Series:
    """Which rows a mapping filter keeps; a value it cannot judge is kept for validation."""
    keep = pd.Series(True, index=values.index)
    if "present" in rule:
        keep &= values.notna() if rule["present"] else values.isna()
    if "equals" in rule:
        keep &= values.isin([str(v) for v in rule["equals"]])
    if "on_or_after" in rule or "before" in rule:
        when = pd.to_datetime(values, errors="coerce", format="ISO8601")
        judged = when.notna()
        if "on_or_after" in rule:
            keep &= ~judged | (when >= pd.Timestamp(rule["on_or_after"]))
        if "before" in rule:
            keep &= ~judged | (when < pd.Timestamp(rule["before"]))
    return keep


def _describe_filter(rule: dict) -> str:
    words = {"on_or_after": "on or after", "before": "before", "present": "has a value:",
             "equals": "is one of"}
    return f"{rule['column']} " + " and ".join(f"{words[k]} {rule[k]}" for k in words if k in rule)


def check_file(path: str | Path, mapping_path: str | Path, as_of: pd.Timestamp | str | None = None,
               known_ids: dict | None = None, keep_rows: bool = True) -> ValidationResult:
    """Read, map and validate a file without writing anything.

    With ``keep_rows=False`` the rows are counted, not kept (``accepted`` and ``rejected``
    are empty; ``summary()`` has the counts, reasons and examples): memory then holds one
    chunk of the file at a time.
    """
    return validate_file(path, load_mapping(mapping_path), as_of, known_ids,
                         sink=None if keep_rows else _discard,
                         reject_sink=None if keep_rows else _discard)


def _discard(frame: pd.DataFrame) -> None:
    """A sink that keeps nothing."""


def validate_file(path: str | Path, mapping: Mapping, as_of: pd.Timestamp | str | None = None,
                  known_ids: dict | None = None, chunk_rows: int = CHUNK_ROWS,
                  sink: Callable[[pd.DataFrame], None] | None = None,
                  reject_sink: Callable[[pd.DataFrame], None] | None = None
                  ) -> ValidationResult:
    """Read a file through a loaded mapping and validate it; reading notes come first.

    The file is read, mapped and validated ``chunk_rows`` rows at a time (ids are checked
    for repeats across chunks), so memory holds one chunk of text and the accepted rows,
    typed; with ``sink``, each chunk's accepted rows are passed to it instead of kept (the
    result's ``accepted`` is then empty and ``accepted_count`` counts them); with
    ``reject_sink``, the same for the rejected rows (``rejected_tally`` counts them by
    reason, with examples). Rejected rows
    keep the file's cells as they came in (before missing codes, recodes, shifts or date
    formats), beside the reason, which quotes the value checked. A mapping with
    ``one_row_per`` is read whole, since its repeats are collapsed across the file.
    """
    reading: list[str] = []
    mapping_notes: list[str] = []
    accepted, rejected, checks = [], [], []
    rows: list[np.ndarray] = []
    seen: dict[str, np.ndarray] = {}
    rows_in_file = n_accepted = 0
    tally = RejectTally()
    if getattr(mapping, "one_row_per", None):
        # Repeats of one entity are collapsed within what apply_mapping sees: the whole file.
        chunk_rows = sys.maxsize
    n_filtered = 0
    for raw, bad in read_chunks(path, mapping, reading, chunk_rows):
        rows_in_file += len(raw) + len(bad)
        frame = apply_mapping(raw, mapping, str(path))
        mapping_notes += frame.attrs.get("notes", [])
        n_filtered += frame.attrs.get("filtered", 0)
        part = validate(frame, mapping.schema, str(path), as_of=as_of, known_ids=known_ids,
                        seen_ids=seen, not_collected=getattr(mapping, "not_collected", ()))
        if sink is None:
            accepted.append(part.accepted)
        else:
            sink(part.accepted)
            n_accepted += len(part.accepted)
            accepted = [part.accepted.iloc[0:0]]
        assert part.accepted_rows is not None  # validate() always gives them
        rows.append(part.accepted_rows)
        # Sorted by row within each chunk; chunks follow the file, so the whole is sorted.
        here = _as_they_came(part.rejected, raw, mapping)
        if len(bad):
            here = pd.concat([here, _as_they_came(bad, None, mapping)], ignore_index=True) \
                .sort_values("row", kind="stable")
        if reject_sink is None:
            rejected.append(_compact(here))
        else:
            reject_sink(here)
            tally.add(here)
        checks += part.notes
        del raw, frame
    if not rows_in_file:
        raise ImportError_(f"{path}: no data rows (only a header)")
    rejected = [r for r in rejected if len(r)] or rejected[:1] or [pd.DataFrame(
        {"row": pd.Series(dtype="int64")}).reindex(columns=READ_REJECT_COLUMNS)]
    result = ValidationResult(
        mapping.table, str(path), pd.concat(accepted, ignore_index=True),
        pd.concat(rejected, ignore_index=True),
        merge_notes(reading + mapping_notes + checks),
        accepted_rows=np.concatenate(rows), accepted_count=None if sink is None else n_accepted,
        rejected_tally=None if reject_sink is None else tally,
        not_collected=list(getattr(mapping, "not_collected", ())), rows_filtered=n_filtered,
        ratings={n: {"label": r["label"], "scale": list(r["scale"]),
                     **({"overall": True} if r.get("overall") else {})}
                 for n, r in getattr(mapping, "ratings", {}).items()},
        segments={n: {"label": g["label"]} for n, g in getattr(mapping, "segments", {}).items()})
    return result


def _compact(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows with their text columns held as Arrow strings.

    They take a fraction of Python objects' memory, which matters when most of a large file
    is rejected.
    """
    return rejected.astype({c: "string" for c in rejected.columns if c != "row"})


def _as_they_came(rejected: pd.DataFrame, raw: pd.DataFrame | None, mapping: Mapping
                  ) -> pd.DataFrame:
    """Rejected rows with our columns holding the file's cells as they came in.

    ``raw`` is the chunk read from the file (None: ``rejected`` holds the file's columns,
    rows rejected while reading). Columns the file does not give (constants, made-up ids,
    date-times joined from two cells) keep the value checked.
    """
    if not len(rejected):
        return rejected
    out = rejected.copy()
    if raw is None:
        source = rejected
        out = out[[c for c in READ_REJECT_COLUMNS if c in out]]
        for col, value in mapping.constants.items():
            out[col] = str(value)
    else:
        source = raw.set_index("_row").loc[rejected["row"]].reset_index(drop=True)
    for ours, theirs in mapping.columns.items():
        if theirs in source:
            out[ours] = source[theirs].to_numpy()
    return out


#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy safe to open in Excel: text cells that would start a formula get a leading ``'``.

    This defuses formula injection (``=cmd|' /C calc'!A0``) in files written back for people.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str)
                                    and v.startswith(FORMULA_START) else v)
    return out


def _write_rejected(kept: pd.DataFrame, incoming: Path, out: Path, form: str) -> None:
    """Write the rejected rows kept from other files, then this file's (``incoming``).

    To one Parquet file or one spreadsheet-safe CSV, a row group at a time to bound memory.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(incoming)
    parts = itertools.chain([kept.astype("string")], (
        batch.to_pandas() for batch in source.iter_batches(batch_size=CHUNK_ROWS)))
    if form == "parquet":
        with pq.ParquetWriter(out, source.schema_arrow) as writer:
            for part in parts:
                writer.write_table(pa.Table.from_pandas(part, preserve_index=False)
                                   .cast(source.schema_arrow))
        return
    with open(out, "w", encoding="utf-8", newline="") as f:
        for i, part in enumerate(parts):
            spreadsheet_safe(part.astype(object)).to_csv(f, index=False, header=i == 0)


def known_ids(dataset: str, client: str, table: str, root: Path | None = None) -> dict | None:
    """The ids ``table`` must refer to, from the client's tables already in the dataset.

    None when the table cites no other table or the client has none of them yet (import the
    roster first, and every employee id in the other tables is checked against it). For
    follow-ups, the stored customer answers are given whole (indexed by ``response_id``,
    with their date, NPS and CSAT), so a follow-up of an answer that is not unhappy, or
    dated before it, is rejected too (see :func:`cxlab.data.validate.validate`).
    """
    from cxlab.data.schema import FOLLOWS_ANSWER, REFERENCES
    from cxlab.data.store import read_table, table_path

    cited = {ref for (name, _), ref in REFERENCES.items() if name == table}
    known: dict = {}
    for ref in cited:
        if not table_path(dataset, client, ref[0], root).is_file():
            continue
        rows = read_table(dataset, client, ref[0], root)
        if table in FOLLOWS_ANSWER and ref == ("customer_responses", "response_id"):
            known[ref] = rows.set_index(ref[1])[[FOLLOWS_ANSWER[table][1], "nps", "csat"]]
        else:
            known[ref] = set(rows[ref[1]])
    return known or None


def _merge_stored(result: ValidationResult, target: Path, incoming: Path, table: str,
                  on_conflict: str, path: str | Path, reject: Callable[[pd.DataFrame], None]
                  ) -> None:
    """Merge the accepted rows (in ``incoming``) into the stored table ``target``.

    Rows whose id is stored with other values follow ``on_conflict`` (see
    :func:`import_file`); skipped ones are passed to ``reject``, saying why.
    """
    from cxlab.data.store import merge_rows
    from cxlab.fsutil import replace_file

    existing, new = pd.read_parquet(target), pd.read_parquet(incoming)
    merged, counts, conflicts = merge_rows(existing, new, table, on_conflict)
    if counts["conflicts"] and on_conflict == "error":
        ids = ", ".join(repr(str(i)) for i in conflicts["id"].head(5))
        raise ImportError_(
            f"{path}: {counts['conflicts']:,} of {len(new):,} accepted row(s) have an id "
            f"already stored in {target.name} with other values (e.g. {ids}; first one's "
            f"{conflicts['columns'].iloc[0]} differ); nothing was written. The others: "
            f"{counts['added']:,} new, {counts['unchanged']:,} already stored unchanged. "
            "Import again with --on-conflict skip to keep the stored rows (the new ones are "
            "then rejected) or --on-conflict update to replace them")
    if counts["skipped"]:
        accepted_rows = result.accepted_rows
        assert accepted_rows is not None  # validate_file always gives them
        keep = ~np.isin(np.arange(len(new)), conflicts["position"])
        rows = accepted_rows[~keep]
        skipped = new.loc[~keep].astype("string")
        id_col = conflicts["id_column"].iloc[0]
        skipped.insert(0, "row", rows)
        skipped["reason"] = [f"{path}, row {r}, column '{id_col}': value {i!r} is already "
                             f"stored in {target.name} with other values ({cols} differ); "
                             "skipped (--on-conflict skip keeps the stored row)"
                             for r, i, cols in zip(rows, conflicts["id"], conflicts["columns"],
                                                   strict=True)]
        skipped["reason_code"] = f"{id_col}: already stored with other values"
        skipped["reason_public"] = (f"column '{id_col}': an id already stored with other "
                                    "values; the stored row was kept")
        result.accepted_rows = accepted_rows[keep]
        reject(skipped)
    result.accepted_count = len(new) - counts["skipped"]
    result.stored = {k: counts[k] for k in ("added", "updated", "unchanged", "skipped")}
    if counts["unchanged"]:
        result.notes.append(f"{counts['unchanged']:,} accepted row(s) were already in "
                            f"{target.name}, unchanged, and were not added again")
    if counts["updated"]:
        result.notes.append(f"{counts['updated']:,} row(s) stored in {target.name} with other "
                            "values were replaced (--on-conflict update)")
    replace_file(target, lambda tmp: merged.to_parquet(tmp, index=False))


def import_file(path: str | Path, mapping_path: str | Path, dataset: str, client: str,
                as_of: pd.Timestamp | str | None = None, root: Path | None = None,
                on_conflict: str = "error"
                ) -> tuple[ValidationResult, Path]:
    """Check a file and merge its accepted rows into one client's table of a dataset.

    A row whose id is already stored with the same values changes nothing, so importing the
    same file twice changes nothing. A row whose id is stored with other values (a corrected
    export) is a conflict, handled by ``on_conflict``: ``"error"`` (default) raises
    :class:`ImportError_` with the counts and writes nothing; ``"skip"`` keeps the stored row
    and rejects the new one, saying why; ``"update"`` replaces the stored row. Only rows that
    end up stored are counted as accepted; ``result.stored`` counts them as added, updated
    and unchanged (and the skipped ones). The accepted rows are written to disk as they are
    validated, so ``result.accepted`` holds none of them (``result.rows_accepted`` counts
    them): read the table for them. The same holds for the rejected rows
    (``result.rows_rejected`` and ``result.summary()`` count them; they are in
    ``rejected/<table>.parquet``).

    The rejected rows are kept beside the table (Parquet, and a CSV safe to open in a
    spreadsheet) with the name of the file they came from, and the client's data-quality
    record gets one entry per table and file name: re-importing a file (say a corrected
    export) replaces its own rejections and record, and keeps other files'.
    Returns the validation result and the client's folder.
    """
    import json

    from cxlab import config
    from cxlab.data.store import ON_CONFLICT, ParquetSink, dataset_dir
    from cxlab.fsutil import replace_file

    if on_conflict not in ON_CONFLICT:
        raise ImportError_(f"on_conflict {on_conflict!r}: expected one of {list(ON_CONFLICT)}")
    try:
        config.check_slug(dataset, "dataset")
        config.check_slug(client, "client")
    except ValueError as err:
        raise ImportError_(str(err)) from None
    mapping = load_mapping(mapping_path)
    if mapping.constants.get("client", client) != client:
        raise ImportError_(f"{mapping.path}: sets client {mapping.constants['client']!r}, but "
                           f"the import is for {client!r}")
    mapping.constants["client"] = client
    folder = dataset_dir(dataset, root) / client
    made = [d for d in (folder.parent, folder, folder / "rejected") if not d.exists()]
    folder.joinpath("rejected").mkdir(parents=True, exist_ok=True)
    target = folder / f"{mapping.table}.parquet"
    incoming = folder / f".{mapping.table}.incoming.parquet"
    stem = folder / "rejected" / mapping.table
    name = Path(path).name
    # Rejected rows of other files stay; this file's replace its earlier ones.
    kept = pd.read_parquet(stem.with_suffix(".parquet")) \
        if stem.with_suffix(".parquet").is_file() else pd.DataFrame()
    if "file" in kept:
        kept = kept[kept["file"] != name]
    columns = list(dict.fromkeys(["row", *mapping.schema.column_names, "reason",
                                  "reason_code", "reason_public", *kept.columns, "file"]))
    incoming_rejected = folder / f".{mapping.table}.incoming-rejected.parquet"
    sink, reject_sink = ParquetSink(incoming), ParquetSink(incoming_rejected)

    def reject(frame: pd.DataFrame) -> None:
        reject_sink(frame.assign(file=name).reindex(columns=columns).astype("string"))

    try:
        # Accepted and rejected rows go to disk chunk by chunk: memory never holds the file.
        result = validate_file(path, mapping, as_of,
                               known_ids(dataset, client, mapping.table, root), sink=sink,
                               reject_sink=reject)
        sink.close()
        if target.is_file():
            tally = result.rejected_tally
            assert tally is not None  # validate_file tallies what reject_sink is given

            def reject_skipped(skipped: pd.DataFrame) -> None:
                reject(skipped)
                tally.add(skipped)

            _merge_stored(result, target, incoming, mapping.table, on_conflict, path,
                          reject_skipped)
        else:
            result.stored = {"added": sink.rows, "updated": 0, "unchanged": 0, "skipped": 0}
            incoming.replace(target)
        reject(pd.DataFrame(columns=columns))  # the file exists even with no rejection
        reject_sink.close()
        replace_file(stem.with_suffix(".parquet"),
                     lambda tmp: _write_rejected(kept.reindex(columns=columns),
                                                 incoming_rejected, tmp, "parquet"))
        replace_file(stem.with_suffix(".csv"),
                     lambda tmp: _write_rejected(kept.reindex(columns=columns),
                                                 incoming_rejected, tmp, "csv"))
    except BaseException:
        for partial in (sink, reject_sink):
            partial.close()
            partial.path.unlink(missing_ok=True)
        for d in reversed(made):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        raise
    incoming_rejected.unlink(missing_ok=True)
    quality_path = folder / "quality.json"
    quality = json.loads(quality_path.read_text()) if quality_path.is_file() else []
    quality = [q for q in quality if (q["table"], Path(q["source"]).name) != (mapping.table, name)]
    quality.append(result.summary())
    replace_file(quality_path, lambda tmp: tmp.write_text(json.dumps(quality, indent=2, default=str)))
    manifest_path = dataset_dir(dataset, root) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    manifest["clients"] = sorted({*manifest.get("clients", []), client})
    replace_file(manifest_path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=2)))
    return result, folder
