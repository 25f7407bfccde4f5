"""Read real exports (CSV, Excel, Parquet) into cxlab's tables through a column mapping.

A mapping file (YAML) says which table a file feeds and how its columns become ours::

    table: customer_responses
    source:
      header_rows: 2          # rows under the header to skip (survey tools: question text, ids)
      sheet: Responses        # Excel only (default: the first sheet)
    columns:                  # our column: the file's column
      response_id: ResponseId
      responded_on: RecordedDate
      nps: Q1
      csat: Q2
    constants:                # our column: one value for every row
      client: acme
      channel: web
    missing: [-99, "N/A"]     # values that mean "no answer" (blank cells always do)
    values:
      nps: {shift: -1}                                  # exported 1-11, ours 0-10
      csat: {recode: {"Very satisfied": 5, "Satisfied": 4, "Neutral": 3,
                      "Dissatisfied": 2, "Very dissatisfied": 1}}
    dates:
      responded_on: "%d/%m/%Y"
    row_ids: [customer_id]    # our id columns the file lacks: "<file name>-<line number>"

CSV files may use any common delimiter (comma, semicolon, tab, pipe) and encoding: UTF-8
with or without a byte-order mark, else Windows-1252 (noted in the result). Every row keeps
its line number in the file (``_row``), so each rejection names it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from cxlab.data.schema import TABLES
from cxlab.data.validate import ValidationResult, validate

MAPPING_KEYS = {"table", "source", "columns", "constants", "missing", "values", "dates",
                "row_ids"}
DELIMITERS = ",;\t|"


class ImportError_(ValueError):
    """A file or mapping that cannot be read; the message names the file and the problem."""


@dataclass
class Mapping:
    """A parsed, checked mapping file."""

    path: Path
    table: str
    columns: dict[str, str]
    constants: dict[str, object] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    values: dict[str, dict] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    header_rows: int = 0
    sheet: str | int = 0
    row_ids: list[str] = field(default_factory=list)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file (unknown keys, tables and columns are errors)."""
    path = Path(path)
    if not path.is_file():
        raise ImportError_(f"mapping file {path} not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ImportError_(f"{path}: not valid YAML: {err}") from None
    unknown = set(doc) - MAPPING_KEYS
    if unknown:
        raise ImportError_(f"{path}: unknown key(s) {sorted(unknown)}; expected among "
                           f"{sorted(MAPPING_KEYS)}")
    table = doc.get("table")
    if table not in TABLES:
        raise ImportError_(f"{path}: table {table!r} unknown; expected one of {sorted(TABLES)}")
    ours = set(TABLES[table].column_names)
    columns = {str(k): str(v) for k, v in (doc.get("columns") or {}).items()}
    constants = dict(doc.get("constants") or {})
    row_ids = [str(c) for c in doc.get("row_ids") or []]
    for section, names in (("columns", columns), ("constants", constants), ("row_ids", row_ids),
                           ("values", doc.get("values") or {}), ("dates", doc.get("dates") or {})):
        bad = sorted(set(names) - ours)
        if bad:
            raise ImportError_(f"{path}: {section} name(s) {bad} are not columns of {table}; "
                               f"its columns are {TABLES[table].column_names}")
    for col, rule in (doc.get("values") or {}).items():
        if not isinstance(rule, dict) or not set(rule) <= {"shift", "recode"}:
            raise ImportError_(f"{path}: values.{col} must be {{shift: n}} and/or "
                               "{recode: {label: value}}")
    source = doc.get("source") or {}
    return Mapping(path, table, columns, constants,
                   [str(v) for v in doc.get("missing") or []], dict(doc.get("values") or {}),
                   {str(k): str(v) for k, v in (doc.get("dates") or {}).items()},
                   int(source.get("header_rows", 0)), source.get("sheet", 0), row_ids)


def read_source(path: str | Path, mapping: Mapping) -> tuple[pd.DataFrame, list[str]]:
    """The file's cells as text with a ``_row`` column (line numbers), and reading notes."""
    path = Path(path)
    if not path.is_file():
        raise ImportError_(f"file {path} not found")
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix == ".parquet":
        frame = pd.read_parquet(path).astype("string")
        first_data_line = 1
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, sheet_name=mapping.sheet, dtype=str)
        first_data_line = 2
    else:
        text, encoding = _decode(path.read_bytes())
        if encoding != "utf-8":
            notes.append(f"{path.name}: not UTF-8; decoded as {encoding}")
        if not text.strip():
            raise ImportError_(f"{path}: the file is empty")
        delimiter = _delimiter(text)
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str,
                            keep_default_na=False, skip_blank_lines=False)
        first_data_line = 2
    frame = frame.iloc[mapping.header_rows:].reset_index(drop=True)
    frame["_row"] = range(first_data_line + mapping.header_rows,
                          first_data_line + mapping.header_rows + len(frame))
    return frame, notes


def _decode(data: bytes) -> tuple[str, str]:
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


def apply_mapping(raw: pd.DataFrame, mapping: Mapping, source: str) -> pd.DataFrame:
    """The file's rows as our table's columns: renamed, recoded, shifted, dates made ISO."""
    absent = sorted(set(mapping.columns.values()) - set(raw.columns))
    if absent:
        raise ImportError_(f"{source}: column(s) {absent} named in {mapping.path.name} are not "
                           f"in the file; it has {[c for c in raw.columns if c != '_row']}")
    out = pd.DataFrame({ours: raw[theirs].astype("string").str.strip()
                        for ours, theirs in mapping.columns.items()})
    missing = {"", *mapping.missing}
    out = out.mask(out.isin(missing))
    for col, value in mapping.constants.items():
        out[col] = str(value)
    for col, rule in mapping.values.items():
        if "recode" in rule:
            table = {str(k).strip().casefold(): str(v) for k, v in rule["recode"].items()}
            out[col] = out[col].map(lambda v, t=table: t.get(v.casefold(), v)
                                    if isinstance(v, str) else v)
        if "shift" in rule:
            numbers = pd.to_numeric(out[col], errors="coerce")
            shifted = (numbers + float(rule["shift"])).map(
                lambda x: f"{x:g}" if pd.notna(x) else pd.NA)
            out[col] = shifted.where(numbers.notna(), out[col])  # unparsable: left for validation
    for col, fmt in mapping.dates.items():
        parsed = pd.to_datetime(out[col], format=fmt, errors="coerce")
        bad = parsed.isna() & out[col].notna()
        # Unreadable dates stay as written, marked with the expected format for the message.
        out[col] = parsed.dt.strftime("%Y-%m-%d").where(
            ~bad, out[col] + f" (not a date in the mapping format {fmt})")
    stem = Path(source).stem
    for col in mapping.row_ids:
        out[col] = [f"{stem}-{row}" for row in raw["_row"]]
    out["_row"] = raw["_row"].to_numpy()
    return out


def check_file(path: str | Path, mapping_path: str | Path, as_of=None,
               known_ids: dict | None = None) -> ValidationResult:
    """Read, map and validate a file without writing anything."""
    return validate_file(path, load_mapping(mapping_path), as_of, known_ids)


def validate_file(path: str | Path, mapping: Mapping, as_of=None,
                  known_ids: dict | None = None) -> ValidationResult:
    """Read a file through a loaded mapping and validate it; reading notes come first."""
    raw, notes = read_source(path, mapping)
    if raw.empty:
        raise ImportError_(f"{path}: no data rows (only a header)")
    frame = apply_mapping(raw, mapping, str(path))
    result = validate(frame, mapping.table, str(path), as_of=as_of, known_ids=known_ids)
    result.notes[:0] = notes
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


def import_file(path: str | Path, mapping_path: str | Path, dataset: str, client: str,
                as_of=None, root: Path | None = None) -> tuple[ValidationResult, Path]:
    """Check a file and merge its accepted rows into one client's table of a dataset.

    Rows whose id is already in the table are not added again, so importing the same file
    twice changes nothing. The rejected rows are kept beside the table (Parquet, and a CSV
    safe to open in a spreadsheet), and the client's data-quality record is updated.
    Returns the validation result and the client's folder.
    """
    import json

    from cxlab import config
    from cxlab.data.schema import REFERENCES
    from cxlab.data.store import dataset_dir, read_table

    config.check_slug(dataset, "dataset")
    config.check_slug(client, "client")
    mapping = load_mapping(mapping_path)
    if mapping.constants.get("client", client) != client:
        raise ImportError_(f"{mapping.path}: sets client {mapping.constants['client']!r}, but "
                           f"the import is for {client!r}")
    mapping.constants["client"] = client
    folder = dataset_dir(dataset, root) / client
    known = {}
    if any(t == mapping.table for t, _ in REFERENCES) and (folder / "employees.parquet").is_file():
        known[("employees", "employee_id")] = set(
            read_table(dataset, client, "employees", root)["employee_id"])
    result = validate_file(path, mapping, as_of, known or None)

    table = TABLES[mapping.table]
    target = folder / f"{mapping.table}.parquet"
    merged = result.accepted
    if target.is_file():
        existing = pd.read_parquet(target)
        ids = [c.name for c in table.columns if c.unique]
        new = (merged[~merged[ids[0]].isin(existing[ids[0]])] if ids
               else merged.merge(existing, how="left", indicator=True)
               .query("_merge == 'left_only'").drop(columns="_merge"))
        result.notes.append(f"{len(merged) - len(new):,} accepted row(s) were already in "
                            f"{target.name} and were not added again")
        merged = pd.concat([existing, new], ignore_index=True)
    (folder / "rejected").mkdir(parents=True, exist_ok=True)
    _replace(target, lambda tmp: merged.to_parquet(tmp, index=False))
    rejected = result.rejected.astype("string")
    stem = folder / "rejected" / mapping.table
    _replace(stem.with_suffix(".parquet"), lambda tmp: rejected.to_parquet(tmp, index=False))
    _replace(stem.with_suffix(".csv"),
             lambda tmp: spreadsheet_safe(rejected.astype(object)).to_csv(tmp, index=False))
    quality_path = folder / "quality.json"
    quality = json.loads(quality_path.read_text()) if quality_path.is_file() else []
    quality = [q for q in quality if q["table"] != mapping.table] + [result.summary()]
    _replace(quality_path, lambda tmp: tmp.write_text(json.dumps(quality, indent=2, default=str)))
    manifest_path = dataset_dir(dataset, root) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    manifest["clients"] = sorted({*manifest.get("clients", []), client})
    _replace(manifest_path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=2)))
    return result, folder


def _replace(path: Path, write) -> None:
    """Write through a temporary file and rename it into place (never half-written)."""
    import os

    tmp = path.with_name(path.name + ".partial")
    write(tmp)
    os.replace(tmp, path)
