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

The format is declared and checked in :mod:`cxlab.data.mapping`: a key that is unknown or a
value of the wrong kind is an error naming both.

CSV files may use any common delimiter (comma, semicolon, tab, pipe) and encoding: UTF-8
with or without a byte-order mark, UTF-16 with one, else Windows-1252 (noted in the result). Every row keeps
its line number in the file (``_row``), so each rejection names it.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxlab.data.mapping import MappingError, collapse_repeats, parse_mapping
from cxlab.data.schema import TABLES
from cxlab.data.validate import ValidationResult, validate
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
    return Mapping(path, doc.table, dict(doc.columns), dict(doc.constants), missing=every,
                   values={c: rule.model_dump(exclude_none=True) for c, rule in doc.values.items()},
                   dates=dict(doc.dates), header_rows=doc.source.header_rows,
                   sheet=doc.source.sheet, delimiter=doc.source.delimiter,
                   row_ids=list(doc.row_ids), missing_by_column=by_column,
                   datetimes={c: spec.model_dump() for c, spec in doc.datetimes.items()},
                   filters=[f.model_dump(exclude_none=True) for f in doc.filters],
                   one_row_per=list(doc.one_row_per))


def read_source(path: str | Path, mapping: Mapping
                ) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """Read a file's cells as text.

    Returns the rows (with ``_row``, each row's line number in the file), reading notes, and
    the CSV rows that could not be split into the header's columns, as rejections.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportError_(f"file {path} not found")
    suffix = path.suffix.lower()
    notes: list[str] = []
    malformed = pd.DataFrame(columns=["row", "reason", "reason_code", "reason_public"])
    if suffix == ".parquet":
        frame = pd.read_parquet(path).astype("string")
        frame["_row"] = range(1, len(frame) + 1)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, sheet_name=mapping.sheet, dtype=str)
        frame["_row"] = range(2, len(frame) + 2)  # spreadsheet rows; row 1 is the header
    else:
        text, encoding = _decode(path.read_bytes())
        if encoding != "utf-8":
            notes.append(f"{path.name}: not UTF-8; decoded as {encoding}")
        if not text.strip():
            raise ImportError_(f"{path}: the file is empty")
        frame, malformed, csv_notes = _read_csv(text, path, mapping.delimiter or _delimiter(text))
        notes += csv_notes
    _check_header(frame, mapping, path)
    frame = frame.iloc[mapping.header_rows:].reset_index(drop=True)
    return frame, notes, malformed


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"  # spreadsheets' "Unicode text" exports
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _read_csv(text: str, path: Path, delimiter: str
              ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Split CSV text into records, numbering each by the line it starts on.

    A record with more or fewer cells than the header (a stray delimiter or quote) is not
    guessed at: it becomes a rejection quoting all its cells. Extra cells that are all empty
    (trailing delimiters) are dropped. A quote left open makes the file unreadable.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    records, lines, bad = [], [], []
    blank = 0
    start = 1
    try:
        for cells in reader:
            if header is None:
                header = [c.strip() for c in cells]
            elif not any(c.strip() for c in cells):
                blank += 1
            else:
                if len(cells) > len(header) and not any(c.strip() for c in cells[len(header):]):
                    cells = cells[:len(header)]
                if len(cells) == len(header):
                    records.append(cells)
                    lines.append(start)
                else:
                    bad.append({"row": start, "reason_code": "file: wrong number of cells",
                                "reason": f"{path}, row {start}: {len(cells)} cells where the "
                                          f"header has {len(header)} (a stray delimiter or "
                                          f"quote?): {cells!r}",
                                "reason_public": f"a row of {len(cells)} cells; expected "
                                                 f"{len(header)}, as in the header"})
            start = reader.line_num + 1
    except csv.Error as err:
        raise ImportError_(f"{path}, row {start}: {err}; a quoted cell that is never closed "
                           "would swallow the rest of the file, so nothing was read") from None
    frame = pd.DataFrame(records, columns=header, dtype="string")
    frame["_row"] = lines
    notes = [f"{blank:,} blank row(s) skipped"] if blank else []
    return frame, pd.DataFrame(bad, columns=["row", "reason", "reason_code", "reason_public"]), notes


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
        hit = out[col].isin(codes - {""}) & out[col].notna()
        if hit.any():
            notes.append(f"{col}: {int(hit.sum()):,} cell(s) read as no answer (missing codes "
                         f"{sorted(codes - {''})})")
        out[col] = out[col].mask(out[col].isin(codes))
    for col, value in mapping.constants.items():
        out[col] = str(value)
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
    kinds = {c.name: c.dtype for c in TABLES[mapping.table].columns}
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
    out.attrs["notes"] = notes
    return out.reset_index(drop=True)


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


def _dates(cells: pd.Series, fmt: str | None, with_time: bool) -> pd.Series:
    """Dates (or date-times, keeping the time of day) as ISO text, by ``fmt`` or ISO 8601."""
    parsed = (pd.to_datetime(cells, format=fmt, errors="coerce") if fmt
              else pd.Series(pd.NaT, index=cells.index))
    # Real date cells (a spreadsheet's) arrive as ISO text; ISO is never ambiguous.
    parsed = parsed.fillna(pd.to_datetime(cells.where(parsed.isna()), format="ISO8601",
                                          errors="coerce"))
    bad = parsed.isna() & cells.notna()
    expected = f"the mapping format {fmt}" if fmt else "ISO 8601 (YYYY-MM-DD hh:mm:ss)"
    text = parsed.dt.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d")
    # Unreadable dates stay as written, marked with the expected format for the message.
    return text.where(~bad, cells + f" (not a date in {expected})")


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


def check_file(path: str | Path, mapping_path: str | Path, as_of=None,
               known_ids: dict | None = None) -> ValidationResult:
    """Read, map and validate a file without writing anything."""
    return validate_file(path, load_mapping(mapping_path), as_of, known_ids)


def validate_file(path: str | Path, mapping: Mapping, as_of=None,
                  known_ids: dict | None = None) -> ValidationResult:
    """Read a file through a loaded mapping and validate it; reading notes come first."""
    raw, notes, malformed = read_source(path, mapping)
    if raw.empty and malformed.empty:
        raise ImportError_(f"{path}: no data rows (only a header)")
    frame = apply_mapping(raw, mapping, str(path))
    result = validate(frame, mapping.table, str(path), as_of=as_of, known_ids=known_ids)
    result.notes[:0] = notes + frame.attrs.get("notes", [])
    if len(malformed):
        result.rejected = (pd.concat([result.rejected, malformed], ignore_index=True)
                           .sort_values("row", kind="stable").reset_index(drop=True))
    return result


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


def known_ids(dataset: str, client: str, table: str, root: Path | None = None) -> dict | None:
    """The ids ``table`` must refer to, from the client's roster already in the dataset.

    None when the table cites no other table or the client has no roster yet (import the
    roster first, and every employee id in the other tables is checked against it).
    """
    from cxlab.data.schema import REFERENCES
    from cxlab.data.store import read_table, table_path

    cited = {ref for (name, _), ref in REFERENCES.items() if name == table}
    known = {ref: set(read_table(dataset, client, ref[0], root)[ref[1]]) for ref in cited
             if table_path(dataset, client, ref[0], root).is_file()}
    return known or None


def import_file(path: str | Path, mapping_path: str | Path, dataset: str, client: str,
                as_of=None, root: Path | None = None) -> tuple[ValidationResult, Path]:
    """Check a file and merge its accepted rows into one client's table of a dataset.

    Rows whose id is already in the table are not added again, so importing the same file
    twice changes nothing. The rejected rows are kept beside the table (Parquet, and a CSV
    safe to open in a spreadsheet) with the name of the file they came from, and the client's
    data-quality record gets one entry per table and file name: re-importing a file (say a
    corrected export) replaces its own rejections and record, and keeps other files'.
    Returns the validation result and the client's folder.
    """
    import json

    from cxlab import config
    from cxlab.data.store import dataset_dir
    from cxlab.fsutil import replace_file

    config.check_slug(dataset, "dataset")
    config.check_slug(client, "client")
    mapping = load_mapping(mapping_path)
    if mapping.constants.get("client", client) != client:
        raise ImportError_(f"{mapping.path}: sets client {mapping.constants['client']!r}, but "
                           f"the import is for {client!r}")
    mapping.constants["client"] = client
    folder = dataset_dir(dataset, root) / client
    result = validate_file(path, mapping, as_of, known_ids(dataset, client, mapping.table, root))

    table = TABLES[mapping.table]
    target = folder / f"{mapping.table}.parquet"
    merged = result.accepted
    if target.is_file():
        existing = pd.read_parquet(target)
        ids = [c.name for c in table.columns if c.unique]
        new = (merged[~merged[ids[0]].isin(existing[ids[0]].unique())] if ids
               else merged.merge(existing, how="left", indicator=True)
               .query("_merge == 'left_only'").drop(columns="_merge"))
        result.notes.append(f"{len(merged) - len(new):,} accepted row(s) were already in "
                            f"{target.name} and were not added again")
        merged = pd.concat([existing, new], ignore_index=True)
    (folder / "rejected").mkdir(parents=True, exist_ok=True)
    replace_file(target, lambda tmp: merged.to_parquet(tmp, index=False))
    # Rejected rows of other files stay; this file's replace its earlier ones.
    stem = folder / "rejected" / mapping.table
    name = Path(path).name
    rejected = result.rejected.assign(file=name).astype("string")
    if stem.with_suffix(".parquet").is_file():
        kept = pd.read_parquet(stem.with_suffix(".parquet"))
        if "file" in kept:
            kept = kept[kept["file"] != name]
        rejected = pd.concat([kept, rejected], ignore_index=True).astype("string")
    replace_file(stem.with_suffix(".parquet"), lambda tmp: rejected.to_parquet(tmp, index=False))
    replace_file(stem.with_suffix(".csv"),
             lambda tmp: spreadsheet_safe(rejected.astype(object)).to_csv(tmp, index=False))
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

