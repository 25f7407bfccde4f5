"""Text analytics: redaction, sentiment, employee name mentions, themes and statements."""

from cxlab.text.redact import redact, redact_series

__all__ = ["redact", "redact_series"]
