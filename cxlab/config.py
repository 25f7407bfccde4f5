"""Where cxlab keeps data and reports, and the rules for names that become paths.

Client names, dataset names and quarters come from users and files; they are never trusted as
paths. Each must match a strict pattern before it is joined to a directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from cxlab import measures
from cxlab.errors import CxlabError


class SettingsError(CxlabError, ValueError):
    """A setting (studies.yml, a client's settings, a name) that cxlab cannot use."""


SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def project_root() -> Path:
    """The directory holding data/ and reports/.

    ``$CXLAB_HOME`` if set; else the checkout this package lives in (a directory with
    ``pyproject.toml`` beside ``cxlab/``); else the current working directory.
    """
    if os.environ.get("CXLAB_HOME"):
        return Path(os.environ["CXLAB_HOME"]).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").is_file():
        return here
    return Path.cwd()


def data_dir() -> Path:
    """Root of the typed datasets (``<root>/data``)."""
    return project_root() / "data"


def reports_dir() -> Path:
    """Root of the executed report notebooks (``<root>/reports``)."""
    return project_root() / "reports"


def outbox_path(dataset: str, client: str) -> Path:
    """The record of what ``cxlab recognize`` sent for one client of one dataset.

    Beside the datasets, not inside one (an import replaces a dataset's folder whole):
    ``<root>/data/_outbox/<dataset>/<client>.sqlite``.
    """
    return (data_dir() / "_outbox" / check_slug(dataset, "dataset")
            / f"{check_slug(client, 'client')}.sqlite")


def live_page_path(client: str) -> Path:
    """The running recognition page ``cxlab recognize`` writes: ``<root>/live/<client>/``."""
    return project_root() / "live" / check_slug(client, "client") / "index.html"


#: The environment variable naming where the kernels of a ``cxlab run`` write each report's
#: exports (workbook, deck); the run moves them beside the report once it is written.
EXPORT_ROOT_ENV = "CXLAB_EXPORT_ROOT"


def check_slug(value: str, what: str) -> str:
    """Return ``value`` if it is a safe name (lower-case letters, digits, ``-``, ``_``).

    Raises:
        SettingsError: naming ``what`` and the value when it could escape a directory or is empty.
    """
    if not isinstance(value, str) or not SLUG.fullmatch(value):
        raise SettingsError(
            f"{what} {value!r} is not a valid name: expected 1-63 lower-case letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return value


#: Per-client report settings (``settings:`` under a client in studies.yml): type, default
#: and meaning. Reports read them from ``Study.settings``.
CLIENT_SETTINGS = {
    "show_employee_names": (bool, False, "show employees by name rather than a pseudonym"),
    "quote_comments": (bool, False, "quote customers' and employees' comments (redacted, "
                                    "employee names replaced) in recognition and voice"),
    "min_group_size": (int, 5, "fewest respondents an employee-survey result may stand on; "
                               "smaller groups are hidden, with complementary suppression"),
    "min_n_rank": (int, 10, "fewest answers for an employee to be ranked in the team"),
    "rank_by": (str, "csat_top2", "scorecard measure employees are ranked on within their "
                                  "team: the registry's name (csat_top2, nps, "
                                  "first_contact_resolution, repeat_contact_rate, wait_minutes) "
                                  "or its column (csat)"),
    "employee_themes": (dict, None, "themes of employee comments: {theme: [phrases]} "
                                    "(default: cxlab.text.themes.EMPLOYEE_THEMES)"),
    "customer_themes": (dict, None, "themes of customer comments: {theme: [phrases]} "
                                    "(default: cxlab.text.themes.CUSTOMER_THEMES)"),
    "three_statements": (list, None, "the three things customers should say: a list of three "
                                     "{label, phrases} (default: DEFAULT_STATEMENTS)"),
    "weighting": (dict, None, "survey weights for customer answers: {column: a weight column "
                              "of customer_responses, margins: {variable: {level: share}}} "
                              "(each quarter raked to the margins); default: unweighted"),
    "recognition": (dict, None, "where `cxlab recognize` sends shout-outs: {channels: [{type: "
                                "slack|teams|email|file, ...}], opt_out: [employee ids]} "
                                "(see cxlab.send)"),
    "follow_up": (dict, None, "where `cxlab follow-up` sends each unhappy customer's answer to "
                              "be followed up: {channels: [...]} as for recognition"),
    "engine": ((str, dict), "duckdb", "what holds the rows while a report reads them: duckdb "
                                      "(default), spark, {backend: spark, master: local[*] or a "
                                      "cluster's address}, or pandas (every table read whole)"),
}

#: The values of the ``engine`` setting (``pandas`` reads every table into memory at once).
ENGINES = ("duckdb", "spark", "pandas")

#: The employee scorecard's measures, by the registry's name (:mod:`cxlab.measures`), which
#: is also the key of their columns in the per-employee frames (``csat_top2``,
#: ``csat_top2_n``, ...). ``rank_by`` names one of them.
SCORECARD_MEASURES = ("csat_top2", "nps", "first_contact_resolution", "repeat_contact_rate",
                      "wait_minutes")


def scorecard_key(name: str, where: str = "rank_by") -> str:
    """The registry's name of the scorecard measure called ``name``, found as the registry finds it.

    ``csat`` (a column, standing for its headline measure) gives ``csat_top2``; an old name
    (``fcr``) still gives ``first_contact_resolution``, with a DeprecationWarning naming the
    registry's name for the settings file.

    Raises:
        SettingsError: naming ``where``, the value and the scorecard's measures.
    """
    wanted = measures.find(name) if isinstance(name, str) else None
    if wanted is None or wanted.name not in SCORECARD_MEASURES:
        raise SettingsError(f"{where}: {name!r} is not a measure of the employee scorecard; "
                            f"expected one of {list(SCORECARD_MEASURES)}")
    return wanted.name


#: What customers should say when a client has not chosen its own three statements.
DEFAULT_STATEMENTS = [
    {"label": "They solved it first time",
     "phrases": ["first time", "one call", "sorted everything", "fixed it", "solved"]},
    {"label": "They know me", "phrases": ["know me", "my account", "remembered me"]},
    {"label": "They are easy to deal with",
     "phrases": ["easy to deal with", "easy", "smooth", "no waiting", "quick"]},
]


def check_settings(settings: object, where: str) -> dict[str, Any]:
    """Return ``settings`` as a dict if every key is known and every value has its type.

    Raises:
        ValueError: naming ``where``, the key and what was expected.
    """
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise SettingsError(f"{where}: settings must be a mapping, got {type(settings).__name__}")
    for key, value in settings.items():
        if key not in CLIENT_SETTINGS:
            raise SettingsError(f"{where}: unknown setting {key!r}; known: {sorted(CLIENT_SETTINGS)}")
        kind: Any = CLIENT_SETTINGS[key][0]  # a type, or a tuple of types
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple)
                                                        else (kind,)))
            raise SettingsError(f"{where}: setting {key!r} must be {expected}, got {value!r}")
        if kind is int and isinstance(value, int) and value < 1:
            raise SettingsError(f"{where}: setting {key!r} must be at least 1, got {value!r}")
    if "rank_by" in settings:
        scorecard_key(settings["rank_by"], f"{where}: setting 'rank_by'")
    if "three_statements" in settings:
        _check_statements(settings["three_statements"], f"{where}: three_statements")
    if "employee_themes" in settings:
        _check_themes(settings["employee_themes"], f"{where}: employee_themes")
    if "customer_themes" in settings:
        _check_themes(settings["customer_themes"], f"{where}: customer_themes")
    if "weighting" in settings:
        _check_weighting(settings["weighting"], f"{where}: weighting")
    if "engine" in settings:
        engine_setting(settings, f"{where}: engine")
    if "recognition" in settings:
        from cxlab.send.channels import check_recognition

        check_recognition(settings["recognition"], f"{where}: recognition")
    if "follow_up" in settings:
        from cxlab.send.channels import check_recognition

        if isinstance(settings["follow_up"], dict) and "opt_out" in settings["follow_up"]:
            raise SettingsError(f"{where}: follow_up: opt_out belongs under recognition: "
                                "(it applies to every page, export and message)")
        check_recognition(settings["follow_up"], f"{where}: follow_up")
    return dict(settings)


def engine_setting(settings: dict, where: str) -> tuple[str, str | None]:
    """The ``engine`` setting as (backend, Spark master or None), checked.

    ``"duckdb"`` by default; ``{backend: spark, master: "spark://host:7077"}`` names a
    cluster (a master given for another backend is an error, not ignored).
    """
    value = settings.get("engine", CLIENT_SETTINGS["engine"][1])
    spec = {"backend": value} if isinstance(value, str) else value
    if not isinstance(spec, dict) or set(spec) - {"backend", "master"}:
        raise SettingsError(f"{where}: expected one of {list(ENGINES)} or {{backend: spark, "
                            f"master: ...}}, got {value!r}")
    backend, master = spec.get("backend"), spec.get("master")
    if backend not in ENGINES:
        raise SettingsError(f"{where}: backend {backend!r} unknown; expected one of "
                            f"{list(ENGINES)}")
    if master is not None and (backend != "spark" or not isinstance(master, str) or not master):
        raise SettingsError(f"{where}: master names a Spark cluster (e.g. 'local[*]' or "
                            f"'spark://host:7077'), for backend spark only; got {master!r} "
                            f"with backend {backend!r}")
    return str(backend), master


def _check_weighting(spec: dict, where: str) -> None:
    unknown = set(spec) - {"column", "margins"}
    if unknown or not spec:
        raise SettingsError(f"{where}: expected 'column' and/or 'margins', got {sorted(spec)}")
    if "column" in spec and not (isinstance(spec["column"], str) and spec["column"]):
        raise SettingsError(f"{where}: column must be a column name, got {spec['column']!r}")
    margins = spec.get("margins", {})
    if not isinstance(margins, dict) or ("margins" in spec and not margins):
        raise SettingsError(f"{where}: margins must be {{variable: {{level: share}}}}, got "
                         f"{margins!r}")
    from cxlab.data.schema import TABLES

    columns = TABLES["customer_responses"].column_names
    for variable, levels in margins.items():
        if variable not in columns:
            raise SettingsError(f"{where}: margin variable {variable!r} is not a column of "
                             f"customer_responses; expected one of {list(columns)}")
        ok = isinstance(levels, dict) and levels and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
            for v in levels.values())
        if not ok:
            raise SettingsError(f"{where}: margins of {variable!r} must be {{level: share}} with "
                             f"shares (or counts) of at least 0, got {levels!r}")
        from cxlab.stats.weighting import check_targets

        try:
            check_targets(variable, levels)
        except ValueError as err:
            raise SettingsError(f"{where}: {err}") from None


def _check_themes(themes: dict, where: str) -> None:
    for theme, phrases in themes.items():
        ok = (isinstance(theme, str) and theme.strip() and isinstance(phrases, list) and phrases
              and all(isinstance(x, str) and x.strip() for x in phrases))
        if not ok:
            raise SettingsError(f"{where}: expected {{theme: [phrase, ...]}} with text only, got "
                             f"{theme!r}: {phrases!r}")


def _check_statements(statements: list, where: str) -> None:
    if len(statements) != 3:
        raise SettingsError(f"{where}: expected exactly three statements, got {len(statements)}")
    for i, item in enumerate(statements, 1):
        ok = (isinstance(item, dict) and isinstance(item.get("label"), str)
              and isinstance(item.get("phrases"), list) and item["phrases"]
              and all(isinstance(x, str) and x.strip() for x in item["phrases"]))
        if not ok:
            raise SettingsError(f"{where}: statement {i} must be {{label: text, phrases: [text, "
                             f"...]}} with at least one phrase, got {item!r}")


def opted_out(settings: dict) -> frozenset[str]:
    """The employees who asked not to be named (``recognition.opt_out``).

    Never named, on a page, in an export or a message, whatever ``show_employee_names`` says.
    """
    return frozenset((settings.get("recognition") or {}).get("opt_out", []))


def setting(settings: dict, key: str) -> Any:
    """A client's setting, or its default."""
    if key == "three_statements":
        return settings.get(key) or DEFAULT_STATEMENTS
    return settings.get(key, CLIENT_SETTINGS[key][1])
