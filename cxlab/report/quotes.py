"""Quoting what customers and employees wrote: only where allowed, always redacted.

A quote reaches a page only when the client's settings allow quoting comments
(``quote_comments``, default false), and then only after three steps: personal data is
redacted (emails, phone, card and account numbers: :mod:`cxlab.text.redact`); every internal
employee id is replaced by the employee's label; and, unless the client shows employee names,
every name of an employee on the roster is replaced by that label too, the same label the
tables use (:func:`cxlab.text.mentions.mask_names`).
"""

from __future__ import annotations

import pandas as pd

from cxlab import config, privacy
from cxlab.report.employees import employee_labels, show_names
from cxlab.study import Study
from cxlab.text.mentions import mask_names, names_any
from cxlab.text.redact import redact_series

#: What a table shows in place of a quote the client's settings do not allow.
NOT_QUOTED = "not quoted (the client's settings keep comments unpublished)"


def may_quote(study: Study) -> bool:
    """Whether the client allows quoting comments in its reports (default: no)."""
    return config.setting(study.settings, "quote_comments")


def publishable(study: Study, texts: pd.Series, served_by: pd.Series | None = None) -> pd.Series:
    """``texts`` as a report may quote them: redacted, and employees' names replaced.

    ``served_by`` (the employee who served each text's customer, same index) helps tell
    namesakes apart, as in the mention matcher. Without the client's leave to quote, every
    text becomes ``NOT_QUOTED``.
    """
    if not may_quote(study):
        return pd.Series(NOT_QUOTED, index=texts.index, dtype=object).where(texts.notna())
    return cleaned(study, texts, served_by)


def cleaned(study: Study, texts: pd.Series, served_by: pd.Series | None = None) -> pd.Series:
    """``texts`` redacted and, unless the client shows names, with employees' names replaced.

    For text the client wrote itself (the "you said, we did" log), which is published
    whatever ``quote_comments`` says but may still name people or hold contact details.
    """
    roster = study.tables["employees"]
    labels = dict(zip(roster["employee_id"], employee_labels(study, roster["employee_id"]),
                      strict=True))
    clean = privacy.mask_ids(redact_series(texts), labels)
    if not show_names(study):
        return mask_names(clean, roster, labels, served_by)
    hidden = config.opted_out(study.settings)
    if not hidden:
        return clean
    # Names show, except those of employees who opted out: a text naming one is masked whole.
    touches = names_any(clean, roster, hidden, served_by)
    return clean.where(~touches, mask_names(clean, roster, labels, served_by))
