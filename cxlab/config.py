"""Where cxlab keeps data and reports, and the rules for names that become paths.

Client names, dataset names and quarters come from users and files; they are never trusted as
paths. Each must match a strict pattern before it is joined to a directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


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


def check_slug(value: str, what: str) -> str:
    """Return ``value`` if it is a safe name (lower-case letters, digits, ``-``, ``_``).

    Raises:
        ValueError: naming ``what`` and the value when it could escape a directory or is empty.
    """
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValueError(
            f"{what} {value!r} is not a valid name: expected 1-63 lower-case letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return value
