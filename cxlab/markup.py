"""The one rule for putting data into a page: every data-derived string goes through ``escape``.

Client, team, department, employee and file names, comments, reasons and settings come from
files a client sent. Written into Markdown as they are, ``<img src=x onerror=...>`` becomes a
live element, ``[x](javascript:...)`` a link, ``$...$`` mathematics and ``{{< ... >}}`` a
Quarto shortcode. ``escape`` turns every character that Markdown, HTML, Pandoc or Quarto give
a meaning to into an HTML character reference. Every renderer the site uses (Pandoc for
Quarto and the preview, mistune in nbconvert, a browser) shows a reference as the plain
character and never parses it as syntax, so the text reads as it was written and does
nothing.

Tables need no call: pandas escapes the cells of the HTML tables it writes. Charts switch
off matplotlib's mathematics for the same reason (see :mod:`cxlab.report.theme`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

#: Characters with a meaning somewhere in Markdown, Pandoc, Quarto or HTML (``#+-.`` start
#: headings and lists at the start of a line), and ``:`` (no ``javascript:`` survives as a word
#: a renderer might link). Quotes too, or Pandoc would curl them: the text would change.
_SPECIAL = frozenset("&<>\"'`*_[]{}#+-.!|\\$@~^:")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def escape(value: object) -> str:
    """``value`` as text that any renderer of the site shows literally.

    Line breaks become spaces (a new line could start a heading, a list or a raw HTML block)
    and other control characters are dropped. Missing values (None, NaN) become ``-``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = _CONTROL.sub("", _NEWLINES.sub(" ", str(value)))
    return "".join(f"&#{ord(c)};" if c in _SPECIAL else c for c in text)


def escape_all(values: Iterable[object]) -> str:
    """Escaped values joined by commas: a list of names in a sentence."""
    return ", ".join(escape(v) for v in values)

