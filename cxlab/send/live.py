"""The running recognition page: one static HTML page in the site's look.

This week's shout-outs, the latest story and drawing, and the review-collection
leaderboard. ``cxlab recognize`` writes it after each run (:func:`write_live_page`), to
:func:`cxlab.config.live_page_path`; put that folder behind any web server, or open the file.
It shows exactly what the team channels were sent (names under the same rules) and the
report's leaderboard, with its fairness rules (shrunken rates, ranks only where the data tell
employees apart). Every data-derived string is escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pandas as pd
from markupsafe import Markup

from cxlab import config
from cxlab.fsutil import replace_file

if TYPE_CHECKING:  # opened here only when not given
    from cxlab.study import Study

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Recognition: {{ client }}</title>
<style>{{ css }}</style>
<style>body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:52rem;
margin:0 auto;padding:1rem;line-height:1.5}
.cx-live-item{border-left:4px solid #1f4e79;padding:.3rem .8rem;margin:.8rem 0}
.cx-live-when{color:#5f6b7a;font-size:.9em}</style>
</head>
<body>
<main class="page">
<h1>Recognition: {{ client }}</h1>
<p class="cx-live-when">Customers' words about the people who served them, as they come in.
Updated {{ updated }}, with data up to {{ latest }}.</p>
<h2>This week's shout-outs</h2>
{% for item in week %}<div class="cx-live-item"><p><strong>{{ item.title }}</strong></p>
<p>{{ item.text }}</p></div>
{% else %}<p>No customer named anyone positively in the week to {{ latest }}.</p>
{% endfor %}
{% if story %}<h2>{{ story.title }}</h2>
<div class="cx-live-item"><p>{{ story.text }}</p></div>
{% endif %}{% if drawing %}<h2>{{ drawing.title }}</h2>
<div class="cx-live-item"><p>{{ drawing.text }}</p></div>
{% endif %}<h2>Reviews collected, {{ quarter }}</h2>
{% if board_html %}{{ board_html }}{% else %}<p>{{ board_text }}</p>{% endif %}
</main>
</body>
</html>
"""


@dataclass(frozen=True)
class Post:
    """One item of the page: a title and the text the team channels got."""

    title: str
    text: str


def write_live_page(client: str, dataset: str, settings: dict, messages: list[tuple],
                    latest: date, path: Path | None = None, study: Study | None = None) -> Path:
    """Write the page from this run's messages: ``(key, day, Message)`` in any order.

    The week is the seven days to ``latest``; the story and drawing are the latest announced.
    ``study`` is the client's latest study if already open (else it is opened here).
    """
    from cxlab.report.html_tables import table_html
    from cxlab.report.recognition import review_leaderboard
    from cxlab.study import open_study

    path = path or config.live_page_path(client)
    study = study or open_study(client, None, dataset, settings={
        k: v for k, v in settings.items() if k in config.CLIENT_SETTINGS})
    board = review_leaderboard(study)
    board_html = board_text = None
    if isinstance(board, pd.DataFrame):
        board_html = Markup(table_html(board))  # escaped by the table's own template
    else:  # a sentence in Markdown, its data already escaped as entities: read as text
        board_text = html.unescape(getattr(board, "data", str(board)).strip("*"))
    week_start = latest - timedelta(days=6)
    week = [Post(m.title, m.text) for key, day, m in sorted(messages, key=lambda x: x[1],
                                                               reverse=True)
            if key.startswith("shoutout:") and day >= week_start]

    def last(kind: str) -> Post | None:
        found = sorted((d, m) for k, d, m in messages if k.startswith(kind + ":"))
        return Post(found[-1][1].title, found[-1][1].text) if found else None

    css = (Path(__file__).resolve().parent.parent / "site" / "style.css").read_text()
    page = jinja2.Environment(autoescape=True).from_string(_PAGE).render(
        client=study.client_name, css=css, week=week, story=last("story"),
        drawing=last("drawing"), quarter=study.quarter, board_html=board_html,
        board_text=board_text, latest=f"{latest:%d %b %Y}",
        updated=datetime.now(UTC).strftime("%d %b %Y %H:%M UTC"))
    replace_file(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return path
