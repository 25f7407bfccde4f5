"""The maturity model as data: loading ``model.yml``, the questionnaire, and its page."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from cxlab.maturity import ELEMENTS, FOCUS

MODEL_PATH = Path(__file__).with_name("model.yml")
LEVELS = (1, 2, 3, 4, 5)


@lru_cache(maxsize=1)
def load_model() -> dict:
    """The model: answer scale, level names and the nine elements (checked on load)."""
    model = yaml.safe_load(MODEL_PATH.read_text(encoding="utf-8"))
    elements = model["elements"]
    if set(elements) != set(ELEMENTS):
        raise ValueError(f"{MODEL_PATH}: elements {list(elements)} differ from {list(ELEMENTS)}")
    for key, element in elements.items():
        if set(element["levels"]) != set(LEVELS):
            raise ValueError(f"{MODEL_PATH}: element {key!r} must describe levels 1 to 5")
        for level, text in element["levels"].items():
            if not text.get("statement"):
                raise ValueError(f"{MODEL_PATH}: {key} level {level} has no statement")
    return model


def question_id(element: str, level: int) -> str:
    """The id of the statement for ``element`` at ``level``, e.g. ``culture.l3``."""
    return f"{element}.l{level}"


def questionnaire() -> pd.DataFrame:
    """Every self-assessment statement, one per element and level.

    Columns: question_id, element, element_name, level, statement, and ``ours`` (the wording
    of that element's levels is cxlab's own; all but employee experience).
    """
    model = load_model()
    rows = [{"question_id": question_id(key, level), "element": key, "element_name": e["name"],
             "level": level, "statement": " ".join(e["levels"][level]["statement"].split()),
             "ours": bool(e["ours"])}
            for key, e in model["elements"].items() for level in LEVELS]
    return pd.DataFrame(rows)


def focus_level(level: int) -> dict:
    """The employee-experience description of one level (looks like, priorities, actions)."""
    return load_model()["elements"][FOCUS]["levels"][level]


def model_markdown() -> str:
    """The whole model as a Markdown page for the site."""
    model = load_model()
    focus = model["elements"][FOCUS]
    lines = [
        "---", 'title: "The maturity model"',
        'subtitle: "Employee experience in five levels, and the eight other elements"', "---", "",
        "Organizations are placed on five levels for each of nine elements. **Employee "
        "experience** is modelled in full: what each level looks like, what to prioritize to "
        "reach the next one, and concrete actions. Each report's maturity section scores the "
        "client twice: from its own answers to the questionnaire below (self-assessed), and "
        "from indicators computed from its data (evidenced), and shows where they disagree.",
        "", "A level counts only when it and every lower level are met (a staged model): a "
        f"statement is met when at least {model['met_share']:.0%} of respondents agree (4 or 5 "
        "on the 1-5 scale). The continuous score adds, for each level above 1, the share of "
        "respondents who agree with its statement, so partial progress shows.", "",
        "## Employee experience", ""]
    for level in LEVELS:
        text = focus["levels"][level]
        lines += [f"### Level {level}: {model['levels'][level]}", "",
                  " ".join(text["looks_like"].split()), "",
                  f"*Self-assessment statement:* {' '.join(text['statement'].split())}", ""]
        if text.get("evidence"):
            lines += ["*Evidence from the client's data:*", ""]
            lines += [f"- {statement}" for statement in text["evidence"].values()]
            lines.append("")
        lines += [
                  "**Priorities for the next level**" if level < 5 else "**Keep doing**", ""]
        lines += [f"- {' '.join(p.split())}" for p in text["priorities"]]
        lines += ["", "**Actions**", ""] + [f"- {' '.join(a.split())}" for a in text["actions"]]
        lines.append("")
    lines += ["## The other elements", "",
              "Descriptors and statements for these eight elements are cxlab's own wording.", ""]
    for key, element in model["elements"].items():
        if key == FOCUS:
            continue
        lines += [f"### {element['name']}", "", "| level | what it looks like | statement |",
                  "|---|---|---|"]
        lines += [f"| {lv} | {element['levels'][lv]['descriptor']} | "
                  f"{element['levels'][lv]['statement']} |" for lv in LEVELS]
        lines.append("")
    return "\n".join(lines)
