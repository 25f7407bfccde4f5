"""The mapping file's format, declared once as a typed model (pydantic).

A mapping file (YAML) says which table a real export feeds and how its columns become
cxlab's. This module only defines and checks the format; :mod:`cxlab.data.imports` reads
files through it. Every mistake gets one message naming the key, the value found and what
was expected, e.g. ``source.header_rows: 'two' is not allowed; expected a whole number of
at least 0``.

YAML anchors and aliases are refused: a mapping never needs them, and nested aliases can
make a tiny file expand to gigabytes (the "billion laughs").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from cxlab.data.schema import PERIOD_COLUMN, TABLES
from cxlab.errors import CxlabError

#: Cell values a mapping may recode to, or give as a constant.
Scalar = str | int | float | bool
#: The duration formats ``values.<column>.duration`` understands.
DURATIONS = ("hh:mm:ss", "mm:ss", "seconds", "minutes")


class MappingError(CxlabError, ValueError):
    """A mapping file that does not follow the format; the message names key and value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """How to read the file."""

    header_rows: Annotated[int, Field(ge=0)] = 0
    sheet: str | Annotated[int, Field(ge=0)] = 0
    delimiter: Literal[",", ";", "\t", "|"] | None = None


class ValueRule(_Strict):
    """How one column's cells are changed on the way in (applied in this order)."""

    recode: dict[Scalar, Scalar] | None = None
    shift: float | None = None
    duration: Literal[DURATIONS] | None = None  # type: ignore[valid-type]


class DateTime(_Strict):
    """One of our date-time columns made from a date column and a time column of the file."""

    date: str
    time: str
    format: str | None = None  # of "<date> <time>", e.g. "%d/%m/%Y %H:%M:%S"; default ISO


class Filter(_Strict):
    """Rows to keep, by one of our columns (after mapping); the others are counted, not lost.

    ``on_or_after`` / ``before`` compare a date column; ``present: true`` keeps rows with a
    value; ``equals`` keeps rows whose value is one of those listed.
    """

    column: str
    on_or_after: date | None = None
    before: date | None = None
    present: bool | None = None
    equals: list[Scalar] | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Filter:
        given = [k for k in ("on_or_after", "before", "present", "equals")
                 if getattr(self, k) is not None]
        if not given:
            raise ValueError("a filter needs a condition: on_or_after, before, present or "
                             "equals")
        return self


class Rating(_Strict):
    """A rating of a survey, kept with its own wording and scale.

    An attribute rating (seat comfort, say) is a key-driver item; the one rating marked
    ``overall`` (the overall score of a review, say) is what the attributes explain instead.
    """

    column: str
    label: Annotated[str, Field(min_length=1)]
    scale: tuple[float, float] = (1, 5)
    overall: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Rating:
        if not self.scale[0] < self.scale[1]:
            raise ValueError(f"scale {list(self.scale)}: expected [lowest, highest] with the "
                             "lowest first")
        return self


class Segment(_Strict):
    """A survey column customers are grouped by in the report (class of travel, say)."""

    column: str
    label: Annotated[str, Field(min_length=1)]


#: A rating's name in our table: ``rating_`` and lower-case letters, digits or underscores.
RATING_NAME = re.compile(r"rating_[a-z0-9_]+")
#: A segment's name in our table: ``segment_`` and the same.
SEGMENT_NAME = re.compile(r"segment_[a-z0-9_]+")


class MappingFile(_Strict):
    """The whole mapping file."""

    table: str
    source: Source = Source()
    columns: dict[str, str] = {}
    constants: dict[str, Scalar] = {}
    #: Codes meaning "no answer": a list for every column, or ``{column: [codes]}`` per
    #: column (``"*"`` for every column not listed).
    missing: list[Scalar] | dict[str, list[Scalar]] = []
    values: dict[str, ValueRule] = {}
    dates: dict[str, str] = {}
    datetimes: dict[str, DateTime] = {}
    row_ids: list[str] = []
    filters: list[Filter] = []
    #: Our id columns each kept row is unique by: rows repeating one with the same values
    #: are one entity seen many times (an agent on every call of a contact-centre export,
    #: read as a roster) and are kept once, counted, not rejected.
    one_row_per: list[str] = []
    #: Our columns the export does not have (required ones too): stored empty and recorded
    #: as not collected, so each report section needing one says "not collected in this
    #: export" instead of a number. Never invent a value with ``constants`` instead.
    not_collected: list[str] = []
    #: Attribute ratings (customer_responses only), any number: ``{rating_<name>: {column:
    #: <the file's column>, label: <its wording>, scale: [low, high]}}``; each is stored as a
    #: column of its own and is a key-driver item under its label.
    ratings: dict[str, Rating] = {}
    #: Survey columns to group customers by (customer_responses only): ``{segment_<name>:
    #: {column: <the file's column>, label: <its name in the report>}}``; stored as text.
    segments: dict[str, Segment] = {}

    @model_validator(mode="after")
    def _known_names(self) -> MappingFile:
        if self.table not in TABLES:
            raise ValueError(f"table {self.table!r} unknown; expected one of {sorted(TABLES)}")
        problems: list[str] = []  # every mistake at once, not one per run
        for key, names, pattern, example in (
                ("ratings", self.ratings, RATING_NAME, "rating_online_boarding"),
                ("segments", self.segments, SEGMENT_NAME, "segment_travel_class")):
            if names and self.table != "customer_responses":
                problems.append(f"{key}: given for {self.table}; expected only for "
                                "customer_responses")
            bad = sorted(n for n in names if not pattern.fullmatch(n))
            if bad:
                problems.append(f"{key}: {bad} are not allowed names; expected "
                                f"{example.split('_')[0]}_ followed by lower-case letters, "
                                f"digits or underscores ({example})")
            both = sorted(set(names) & set(self.columns))
            if both:
                problems.append(f"{key}: {both} are also given under columns; give each once")
        overall = sorted(n for n, r in self.ratings.items() if r.overall)
        if len(overall) > 1:
            problems.append(f"ratings: {overall} are each marked overall; expected at most one "
                            "overall rating (the score the other ratings explain)")
        ours = TABLES[self.table].column_names + list(self.ratings) + list(self.segments)
        named: dict[str, Iterable[str]] = {
            "columns": self.columns, "constants": self.constants, "values": self.values,
            "dates": self.dates, "datetimes": self.datetimes, "row_ids": self.row_ids,
            "filters": [f.column for f in self.filters], "one_row_per": self.one_row_per,
            "not_collected": self.not_collected,
            "missing": [c for c in self.missing if c != "*"] if isinstance(self.missing, dict) else []}
        for key, listed in named.items():
            bad = sorted(set(listed) - set(ours))
            if bad:
                problems.append(f"{key}: {bad} are not columns of {self.table}; its columns are "
                                f"{ours}")
        twice = sorted(set(self.columns) & set(self.datetimes))
        if twice:
            problems.append(f"{twice} are given both under columns and under datetimes; "
                            "give each once")
        given: dict[str, Iterable[str]] = {"columns": self.columns, "constants": self.constants,
                 "datetimes": self.datetimes, "row_ids": self.row_ids}
        for key, listed in given.items():
            both = sorted(set(listed) & set(self.not_collected))
            if both:
                problems.append(f"not_collected: {both} are also given under {key}; a column "
                                "the export does not have gets no value: remove it from one")
        keys = sorted({"client", *(c.name for c in TABLES[self.table].columns if c.unique)}
                      & set(self.not_collected))
        if keys:
            problems.append(f"not_collected: {keys} identify the rows of {self.table} and "
                            "cannot be left empty; map them, or use row_ids for an id the "
                            "export lacks")
        dated_by = PERIOD_COLUMN.get(self.table)
        if dated_by in self.not_collected:
            problems.append(f"not_collected: {dated_by!r} places each row of {self.table} in a "
                            "quarter; rows without it would be in no report. Give the date "
                            "(or a constant: the fieldwork date) instead")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def collapse_repeats(rows: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, int]:
    """``rows`` with repeats of the same entity kept once (the first), and how many went.

    A repeat has the same ``keys`` and the same value in every other column (``_row``, the
    line number, aside); rows sharing keys but differing elsewhere are all kept, so that
    validation names the conflict instead of a silent choice.
    """
    columns = [c for c in rows.columns if c != "_row"]
    repeat = rows.duplicated(subset=columns, keep="first") & rows[keys].notna().all(axis=1)
    return rows[~repeat.to_numpy()], int(repeat.sum())


def parse_mapping(text: str, where: str) -> MappingFile:
    """The checked mapping in ``text`` (YAML), or a :class:`MappingError` naming ``where``."""
    try:
        aliased = any(isinstance(event, yaml.AliasEvent)
                      for event in yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise MappingError(f"{where}: not valid YAML: {err}") from None
    if aliased:
        raise MappingError(f"{where}: YAML aliases (*name) are not allowed in a mapping file; "
                           "write the values out")
    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as err:  # ValueError: e.g. a date 2012-13-01
        raise MappingError(f"{where}: not valid YAML: {err}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise MappingError(f"{where}: expected keys such as table, columns and source at the "
                           f"top level, found a {type(doc).__name__}")
    try:
        return MappingFile.model_validate(doc)
    except ValidationError as err:
        raise MappingError(f"{where}: " + "; ".join(_describe(err.errors()))) from None


#: Parts of a pydantic error location that name a type tried, not a key of the file.
_TYPE_TAGS = ("str", "int", "float", "bool", "date", "constrained-int", "list[", "dict[",
              "function-", "literal[")


def _describe(errors: list[ErrorDetails]) -> list[str]:
    """Pydantic's errors as 'key: value found is not allowed; expected ...', one per key."""
    by_key: dict[str, tuple[object, list[str]]] = {}
    for error in errors:
        key = ".".join(str(p) for p in error["loc"]
                       if not (isinstance(p, str) and p.startswith(_TYPE_TAGS)))
        expected = _expected(error)
        found, wanted = by_key.setdefault(key, (error.get("input"), []))
        if expected not in wanted:
            wanted.append(expected)
    out = []
    for key, (found, wanted) in by_key.items():
        if wanted == ["unknown key"]:
            out.append(f"{key}: unknown key; the keys a mapping may hold are described in "
                       "cxlab/data/imports.py")
        elif wanted == ["required"]:
            out.append(f"{key}: required and not given")
        elif all(w.startswith("!") for w in wanted):
            out.append(f"{key or 'mapping'}: " + "; ".join(w[1:] for w in wanted))
        else:
            out.append(f"{key or 'mapping'}: {found!r} is not allowed; expected "
                       + " or ".join(w.lstrip("!") for w in wanted))
    return out


def _expected(error: ErrorDetails) -> str:
    """What an error's key expected, in words (``!`` marks a whole sentence of our own)."""
    kind, message = error["type"], error["msg"]
    words = {"extra_forbidden": "unknown key", "missing": "required",
             "int_type": "a whole number", "int_parsing": "a whole number",
             "int_from_float": "a whole number", "greater_than_equal": "a whole number of at least 0",
             "string_type": "text", "dict_type": "a mapping of key: value",
             "list_type": "a list", "bool_type": "true or false", "bool_parsing": "true or false",
             "float_type": "a number", "float_parsing": "a number",
             "date_type": "a date (YYYY-MM-DD)", "date_parsing": "a date (YYYY-MM-DD)",
             "date_from_datetime_parsing": "a date (YYYY-MM-DD)"}
    if kind in words:
        return words[kind]
    if kind == "literal_error":
        return "one of " + message.removeprefix("Input should be ")
    return "!" + message.removeprefix("Value error, ")
