"""Validate a raw table against its schema; keep every rejected row with its reason.

Nothing is dropped silently: each input row ends up either in ``accepted`` (typed per the
schema) or in ``rejected`` (as it came in, plus ``row``, ``reason``, ``reason_code`` and
``reason_public``). ``reason`` is for the analyst: it quotes the file, row and value.
``reason_public`` is what a report may publish: the column, the kind of value and what was
expected, never the value itself or a path.
A missing required column is not a row problem, so it raises :class:`DataValidationError`.

No value changes silently: numbers that are not finite (``inf``, ``Infinity``, ``1e400``),
cells holding a NUL character and cells longer than a spreadsheet cell are rejected, each with
its own reason; times with a UTC offset are converted to UTC (dates keep the day as written)
and a note says how many.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlab.data.schema import (
    FOLLOWS_ANSWER,
    NOT_IN_FUTURE,
    PERIOD_COLUMN,
    REFERENCES,
    TABLES,
    Column,
    Table,
)
from cxlab.errors import CxlabError

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
#: Examples of each rejection reason kept in the quality record.
EXAMPLES_PER_REASON = 3
#: Longest text cell accepted: what a spreadsheet cell holds. Longer cells are usually many
#: rows joined by an unbalanced quote, and could not be opened in Excel anyway.
MAX_TEXT_LENGTH = 32_767


class DataValidationError(CxlabError, ValueError):
    """Input that cannot be used, with a message naming file, row, column, value and expectation."""


@dataclass
class RejectTally:
    """Rejected rows counted by reason, with a few examples of each, as they are found."""

    count: int = 0
    reasons: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)

    def add(self, rejected: pd.DataFrame) -> RejectTally:
        """Count the rows of ``rejected`` (with ``reason_code``, ``reason``, ``reason_public``)."""
        self.count += len(rejected)
        for code, reason, public in zip(rejected.get("reason_code", []),
                                        rejected.get("reason", []),
                                        rejected.get("reason_public", []), strict=True):
            self.reasons[code] += 1
            bucket = self.examples.setdefault(code, [])
            if len(bucket) < EXAMPLES_PER_REASON:
                bucket.append(reason)
            self.published.setdefault(code, public)
        return self


@dataclass
class ValidationResult:
    """Outcome of validating one table from one source."""

    table: str
    source: str
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: After an import: how the accepted rows were stored (added, updated, unchanged, skipped).
    stored: dict | None = None
    #: The file's row number of each accepted row, when known.
    accepted_rows: np.ndarray | None = field(default=None, repr=False)
    #: Rows accepted, when they were written away as they were validated (an import) and
    #: ``accepted`` holds none of them; None: ``len(accepted)``.
    accepted_count: int | None = None
    #: Rejected rows, when they were written away as they were found (an import) and
    #: ``rejected`` holds none of them; None: ``rejected`` holds them all.
    rejected_tally: RejectTally | None = None
    #: Columns the source did not collect (a mapping's ``not_collected``): stored empty.
    not_collected: list[str] = field(default_factory=list)
    #: Attribute ratings the source declared: ``{name: {"label", "scale"}}``.
    ratings: dict[str, dict] = field(default_factory=dict)
    #: Segments the source declared: ``{name: {"label"}}``.
    segments: dict[str, dict] = field(default_factory=dict)
    #: Rows a mapping's filters or ``one_row_per`` left out on purpose (not rejections).
    rows_filtered: int = 0

    @property
    def rows_accepted(self) -> int:
        """Rows accepted (held in ``accepted``, or written away: ``accepted_count``)."""
        return len(self.accepted) if self.accepted_count is None else self.accepted_count

    @property
    def rows_rejected(self) -> int:
        """Rows rejected (held in ``rejected``, or written away: ``rejected_tally``)."""
        return len(self.rejected) if self.rejected_tally is None else self.rejected_tally.count

    @property
    def rows_read(self) -> int:
        """Rows in the input: always accepted + rejected + filtered."""
        return self.rows_accepted + self.rows_rejected + self.rows_filtered

    def summary(self) -> dict:
        """A JSON-ready record: counts, counts by reason and a few examples of each."""
        tally = self.rejected_tally or RejectTally().add(self.rejected)
        return {
            "table": self.table,
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": tally.count,
            "rows_filtered": self.rows_filtered,
            "reasons": dict(tally.reasons.most_common()),
            "examples": {code: list(found) for code, found in tally.examples.items()},
            "published_examples": dict(tally.published),
            "notes": list(self.notes),
            **({"stored": dict(self.stored)} if self.stored is not None else {}),
            **({"not_collected": list(self.not_collected)} if self.not_collected else {}),
            **({"ratings": dict(self.ratings)} if self.ratings else {}),
            **({"segments": dict(self.segments)} if self.segments else {}),
        }


def validate(
    data: pd.DataFrame,
    table: str | Table,
    source: str = "<memory>",
    as_of: pd.Timestamp | str | None = None,
    known_ids: dict[tuple[str, str], set] | None = None,
    on_error: str = "reject",
    seen_ids: dict[str, np.ndarray] | None = None,
    not_collected: tuple[str, ...] | list[str] = (),
) -> ValidationResult:
    """Check ``data`` against the schema of ``table``.

    Args:
        data: The raw table. A ``_row`` column, if present, gives each row's number in the
            source file; otherwise rows are numbered 1, 2, ... in order.
        table: Table name (see ``cxlab.data.schema.TABLES``) or a :class:`Table`.
        source: File or label named in messages.
        as_of: Dates after this day are rejected as "in the future".
        known_ids: ``{(table, column): ids}`` for reference checks, e.g. the roster's
            employee ids under ``("employees", "employee_id")``. For a table that follows up
            answers (``schema.FOLLOWS_ANSWER``), the answers may be given instead of their
            ids, as a frame indexed by ``response_id`` with ``responded_on``, ``nps`` and
            ``csat``: a row citing an answer that is not unhappy, or dated before it, is
            then rejected too.
        on_error: ``"reject"`` keeps bad rows aside; ``"raise"`` raises on the first ones.
        seen_ids: For a file validated in chunks, the ids of its unique columns in earlier
            chunks: a repeat of one is a duplicate. Start with ``{}``; it is updated in place
            with each chunk's ids, kept as sorted 64-bit hashes (8 bytes an id, where a set
            of strings takes about 70; two different ids share a hash with a chance of about
            1 in 10^7 for a file of a million rows, and the row is then rejected, not lost).
        not_collected: Columns the source did not collect: a required one among them may be
            absent or empty (every value missing) without rejecting rows.

    Returns:
        A :class:`ValidationResult`.

    Raises:
        DataValidationError: A required column is missing, or ``on_error="raise"`` and some
            row failed.
    """
    schema = TABLES[table] if isinstance(table, str) else table
    rows = data["_row"].to_numpy() if "_row" in data else np.arange(1, len(data) + 1)
    raw = data.drop(columns=["_row"], errors="ignore").reset_index(drop=True)
    uncollected = set(not_collected)
    notes = _check_columns(raw, schema, source, uncollected)

    reasons: list[list[str]] = [[] for _ in range(len(raw))]
    codes: list[list[str]] = [[] for _ in range(len(raw))]
    publics: list[list[str]] = [[] for _ in range(len(raw))]

    def flag(mask: np.ndarray, col: str, code: str, describe: Callable[..., str],
             expected: str) -> None:
        for pos in np.flatnonzero(mask):
            value = raw.at[pos, col] if col in raw else None
            value = value.item() if isinstance(value, np.generic) else value
            reasons[pos].append(f"{source}, row {rows[pos]}, column '{col}': {describe(value)}")
            codes[pos].append(f"{col}: {code}")
            publics[pos].append(f"column '{col}': {kind_of(value)}; expected {expected}")

    typed = {}
    for col in schema.columns:
        if col.name not in raw:
            typed[col.name] = empty_column(col, len(raw))
            continue
        text = _as_text(raw[col.name])
        # Cells no check below may quote: too long to show, or holding a NUL character.
        long = (text.str.len() > MAX_TEXT_LENGTH).fillna(False).to_numpy(dtype=bool)
        flag(long, col.name, "text too long",
             lambda v: f"text of {len(str(v)):,} characters: expected at most "
                       f"{MAX_TEXT_LENGTH:,} (an unbalanced quote in a CSV can join many "
                       "rows into one cell)", f"at most {MAX_TEXT_LENGTH:,} characters")
        nul = text.str.contains("\x00", regex=False).fillna(False).to_numpy(dtype=bool) & ~long
        flag(nul, col.name, "NUL character",
             lambda v: f"value {str(v).replace(chr(0), '<NUL>')[:200]!r} holds a NUL character "
                       "(byte 0, shown as <NUL>): expected text without it (a truncated or "
                       "binary export?)", "text without NUL characters")
        odd = long | nul
        values, unparsable, note = _coerce(raw[col.name].mask(odd), col, rows)
        if note:
            notes.append(note)
        expect = col.expectation()
        flag(unparsable, col.name, "wrong type",
             lambda v, e=expect: f"value {v!r}: expected {e}{_not_finite(v)}", expect)
        present = values.notna().to_numpy()
        if col.required and col.name not in uncollected:
            excused = np.zeros(len(raw), dtype=bool)
            if col.unless and col.unless[0] in raw:
                excused = (_as_text(raw[col.unless[0]]).str.strip().str.casefold()
                           .isin(col.unless[1]).fillna(False).to_numpy(dtype=bool))
            flag(~present & ~unparsable & ~odd & ~excused, col.name, "missing value",
                 lambda v, e=expect: f"value is missing: expected {e}", expect)
        out = _out_of_range(values, col) & present
        flag(out, col.name, "out of range", lambda v, e=expect: f"value {v!r}: expected {e}",
             expect)
        if col.unique:
            dup = values.duplicated(keep="first").to_numpy() & present
            if seen_ids is not None:
                hashes = pd.util.hash_pandas_object(values, index=False).to_numpy()
                earlier = seen_ids.get(col.name, np.empty(0, dtype=np.uint64))
                at = np.searchsorted(earlier, hashes).clip(max=max(len(earlier) - 1, 0))
                dup |= (earlier[at] == hashes if len(earlier) else False) & present
                merged = np.concatenate([earlier, hashes[present]])
                merged.sort(kind="stable")  # a radix sort for integers: linear
                seen_ids[col.name] = merged
            flag(dup, col.name, "duplicate id",
                 lambda v: f"value {v!r} repeats an earlier row's id: expected unique ids",
                 "an id no earlier row has")
        typed[col.name] = values

    if as_of is not None and schema.name in NOT_IN_FUTURE:
        dated = NOT_IN_FUTURE[schema.name]
        limit = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        future = (typed[dated] >= limit).fillna(False).to_numpy(dtype=bool)
        flag(future, dated, "date in the future",
             lambda v: f"value {str(v)!r} is after the data's as-of date {pd.Timestamp(as_of).date()}",
             "a date no later than the data's as-of date")

    for (tname, cname), ref in REFERENCES.items():
        if tname != schema.name or not known_ids or ref not in known_ids:
            continue
        ids, known = typed[cname], known_ids[ref]
        pool = known.index if isinstance(known, pd.DataFrame) else known
        unknown = (ids.notna() & ~ids.isin(pool)).to_numpy(dtype=bool)
        flag(unknown, cname, f"not in {ref[0]}",
             lambda v, r=ref: f"value {v!r} is not in {r[0]}.{r[1]}: expected a known id",
             f"an id found in {ref[0]}")
        if schema.name in FOLLOWS_ANSWER and isinstance(known, pd.DataFrame):
            _check_follow_ups(typed, cname, known, FOLLOWS_ANSWER[schema.name], flag)

    bad = np.array([bool(r) for r in reasons], dtype=bool)
    accepted = pd.DataFrame(typed)[schema.column_names].loc[~bad].reset_index(drop=True)
    rejected = raw.loc[bad].copy()
    rejected.insert(0, "row", rows[bad])
    rejected["reason"] = ["; ".join(r) for r, b in zip(reasons, bad, strict=True) if b]
    rejected["reason_code"] = [c[0] for c, b in zip(codes, bad, strict=True) if b]
    rejected["reason_public"] = [p[0] for p, b in zip(publics, bad, strict=True) if b]
    rejected = rejected.reset_index(drop=True)
    if on_error == "raise" and len(rejected):
        shown = "\n  ".join(rejected["reason"].head(5))
        raise DataValidationError(
            f"{source}: {len(rejected)} of {len(raw)} rows failed validation:\n  {shown}"
        )
    return ValidationResult(schema.name, source, accepted, rejected, notes,
                            accepted_rows=np.asarray(rows)[~bad],
                            not_collected=sorted(uncollected))


def _check_follow_ups(typed: dict, cname: str, answers: pd.DataFrame, dates: tuple[str, str],
                      flag: Callable[..., None]) -> None:
    """Reject follow-ups of an answer that is not unhappy, or dated before the answer."""
    from cxlab.stats.followups import is_detractor

    ids = typed[cname]
    cited = answers.reindex(ids)
    found = ids.isin(answers.index).to_numpy(dtype=bool)
    happy = found & ~is_detractor(cited).to_numpy(dtype=bool)
    scores = {i: ", ".join(f"{k.upper()} {v:g}" for k, v in row.items() if pd.notna(v))
              or "no NPS or CSAT" for i, row in answers.loc[answers.index.isin(ids[happy]),
                                                            ["nps", "csat"]].iterrows()}
    flag(happy, cname, "not an unhappy answer",
         lambda v: f"answer {v!r} is not unhappy ({scores.get(str(v).strip())}): expected a follow-up of an "
                   "answer with NPS 0-6 or CSAT 1-2", "an unhappy answer's id")
    own, theirs = dates
    answered = pd.to_datetime(cited[theirs]).dt.normalize().to_numpy()
    contacted = pd.to_datetime(typed[own]).dt.normalize().to_numpy()
    early = found & ~happy & (contacted < answered)
    days = dict(zip(ids[early], answered[early], strict=True))
    flag(early, cname, "followed up before the answer",
         lambda v: f"{own} is before answer {v!r} was given (on "
                   f"{pd.Timestamp(days.get(str(v).strip())).date()}): expected a follow-up on or after the "
                   "answer's day", "a date on or after the answer's")


_WHOLE = re.compile(r"[+-]?\d+(?:\.0*)?")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?.*)?")


_COUNT = re.compile(r"(?<![\w.'])(\d[\d,]*)(?= )")
_FIRST = re.compile(r" \(first: [^)]*\)")


def merge_notes(notes: list[str]) -> list[str]:
    """One note per kind across chunks.

    The same note from several chunks gets its counts added (the first's example kept);
    identical notes appear once.
    """
    merged: dict[str, list] = {}
    for note in notes:
        found = _COUNT.search(note)
        key = _FIRST.sub("", _COUNT.sub("#", note, count=1)) if found else note
        if key not in merged:
            merged[key] = [note, int(found.group(1).replace(",", "")) if found else None]
        elif found:
            merged[key][1] += int(found.group(1).replace(",", ""))
    out = []
    for note, total in merged.values():
        found = _COUNT.search(note)
        out.append(note if not found else
                   note[:found.start()] + f"{total:,}" + note[found.end():])
    return out


def kind_of(value: object) -> str:
    """What kind of value a cell held, in words, without the value itself (for reports)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "an empty cell"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, int | np.integer):
        return "a whole number"
    if isinstance(value, float | np.floating):
        return "a decimal number"
    if isinstance(value, pd.Timestamp):
        return "a date"
    text = str(value).strip()
    if not text:
        return "an empty cell"
    if _WHOLE.fullmatch(text):
        return "a whole number"
    if _DECIMAL.fullmatch(text):
        return "a decimal number"
    if _DATE.fullmatch(text):
        return "a date"
    if text.lower() in _TRUE | _FALSE:
        return "a yes/no value"
    return f"text of {len(text):,} character{'s' if len(text) != 1 else ''}"


def _check_columns(raw: pd.DataFrame, schema: Table, source: str,
                   not_collected: AbstractSet[str] = frozenset()) -> list[str]:
    missing = [c.name for c in schema.columns
               if c.required and c.name not in raw and c.name not in not_collected]
    if missing:
        raise DataValidationError(
            f"{source}: table '{schema.name}' is missing required column(s) "
            f"{', '.join(repr(m) for m in missing)}; expected columns {schema.column_names}, "
            f"found {list(raw.columns)}"
        )
    notes = []
    absent = [c.name for c in schema.columns if c.name not in raw and c.name not in not_collected]
    if absent:
        notes.append(f"optional column(s) absent, left empty: {', '.join(absent)}")
    dated_by = PERIOD_COLUMN.get(schema.name)
    if dated_by in absent:
        notes.append(f"{dated_by} absent: it places each row in a quarter, so these rows fall "
                     "in no quarter's report")
    extra = [c for c in raw.columns if c not in schema.column_names]
    if extra:
        notes.append(f"column(s) not in the schema, ignored: {', '.join(map(str, extra))}")
    return notes


def empty_column(col: Column, n: int) -> pd.Series:
    """``n`` missing values of the column's type."""
    return pd.Series([None] * n, dtype=_DTYPES[col.dtype])


_DTYPES = {
    "str": "string", "int": "Int64", "float": "Float64", "bool": "boolean",
    "date": "datetime64[us]", "datetime": "datetime64[us]",
}


def _not_finite(value: object) -> str:
    """' (not a finite number)' for inf, Infinity, 1e400 or NaN written as text, else ''."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return ""
    return "" if np.isfinite(number) else " (not a finite number)"


def _as_text(series: pd.Series) -> pd.Series:
    """The cells of a raw column as text (missing stays missing), for checks on any type."""
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        return series
    return series.map(lambda v: v if isinstance(v, str) else None).astype("string")


#: A time zone at the end of an ISO 8601 time: ``Z``, ``+02:00``, ``-0500``, ``+01``.
_OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$",
                     re.IGNORECASE)


def _coerce(series: pd.Series, col: Column, rows: np.ndarray | None = None
            ) -> tuple[pd.Series, np.ndarray, str]:
    """Convert to the column's type.

    Returns the values, a mask of unparsable entries and a note ("" if none) on what was
    normalized: times with a UTC offset.
    """
    was_present = series.notna().to_numpy()
    if col.dtype == "str":
        values = series.astype("string").str.strip().replace("", pd.NA)
        return values, np.zeros(len(series), dtype=bool), ""
    if col.dtype in ("int", "float"):
        if pd.api.types.is_bool_dtype(series):
            series = series.astype("Int64")
        numbers = pd.to_numeric(series, errors="coerce").astype("Float64")
        # inf, Infinity and 1e400 (which overflows to inf) are no measurement: wrong type.
        numbers = numbers.mask(~np.isfinite(numbers.astype("float64").fillna(0.0)))
        bad = was_present & numbers.isna().to_numpy()
        if col.dtype == "int":
            fractional = (numbers.notna() & (numbers != numbers.round())).fillna(False)
            bad |= fractional.to_numpy(dtype=bool)
            numbers = numbers.mask(fractional).round().astype("Int64")
        return numbers, bad, ""
    if col.dtype == "bool":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("boolean"), np.zeros(len(series), dtype=bool), ""
        text = series.astype("string").str.strip().str.lower()
        values = pd.Series(pd.NA, index=series.index, dtype="boolean")
        values[text.isin(_TRUE).fillna(False)] = True
        values[text.isin(_FALSE).fillna(False)] = False
        return values, was_present & values.isna().to_numpy(), ""
    # dates and timestamps
    note = ""
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series
        if getattr(values.dt, "tz", None) is not None:
            values = (values.dt.tz_convert("UTC") if col.dtype == "datetime"
                      else values).dt.tz_localize(None)
    else:
        text = series.astype("string").str.strip()
        zoned = text.str.contains(_OFFSET).fillna(False).to_numpy(dtype=bool)
        values = pd.to_datetime(text.mask(zoned), errors="coerce", format="ISO8601")
        if zoned.any():
            # Each time with an offset on its own: one file may mix offsets (summer and
            # winter time) and times without one, which pandas refuses to parse together.
            at = pd.Series([pd.to_datetime(v, errors="coerce", format="ISO8601")
                            for v in text[zoned]], dtype=object)
            kept = [(v.tz_convert("UTC") if col.dtype == "datetime" else v).tz_localize(None)
                    if isinstance(v, pd.Timestamp) and v.tzinfo is not None else v for v in at]
            values = values.astype("datetime64[us]")
            values[zoned] = pd.to_datetime(pd.Series(kept, dtype=object), errors="coerce") \
                .astype("datetime64[us]").to_numpy()
            where = rows[np.flatnonzero(zoned)[0]] if rows is not None else None
            first = f" (first: row {where}, {text[zoned].iloc[0]!r})" if where is not None else ""
            note = (f"column '{col.name}': {int(zoned.sum()):,} time(s) with a UTC offset{first} "
                    + ("converted to UTC; times without an offset are kept as written"
                       if col.dtype == "datetime" else
                       "read as the local date written; the offset is not kept"))
    values = values.astype("datetime64[us]")
    if col.dtype == "date":
        values = values.dt.normalize()
    return values, was_present & values.isna().to_numpy(), note


def _out_of_range(values: pd.Series, col: Column) -> np.ndarray:
    mask = pd.Series(False, index=values.index)
    if col.low is not None:
        mask |= (values < col.low).fillna(False)
    if col.high is not None:
        mask |= (values > col.high).fillna(False)
    if col.allowed is not None:
        mask |= ~values.isin(col.allowed) & values.notna()
    return mask.to_numpy(dtype=bool)
