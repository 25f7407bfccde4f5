"""Time redaction and name matching on long comments of awkward shapes (issue 15).

Run from the checkout::

    .venv/bin/python benchmarks/bench_text.py
    .venv/bin/python benchmarks/bench_text.py --sizes 1000 8000 --shapes prose letters

For each shape of comment and each length it prints the best of a few timed calls of
``redact``, ``find_mentions``, ``mask_names`` (200-employee roster) and both ``redact`` and
``mask_names`` as a quote gets them, and how much longer each took than at the previous length.
Linear work grows by the same factor as the length (x8, then x4, x4); quadratic work by its
square. Name matching includes building the roster's indexes (a few milliseconds, whatever the
length), so its first factors are smaller. The target is under 50 ms at 32,000 characters for
redact and mask together, whatever the shape.

The shapes after the first six are those a new-user trial found slow (issue: redaction is not
linear): a name part with marks between its letters (``a'a'a'``, ``a/b/a/b``, any of
``' ! # $ % & * / = ? ^ ` ~``), all-caps names, letters and digits, cards with the wider
separators, pieces of obfuscated addresses and typos of names.
Nothing here asserts a time: the numbers are for reading.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from cxlab.data.sample import FIRST_NAMES, SURNAMES  # noqa: E402
from cxlab.text import redact  # noqa: E402
from cxlab.text.mentions import find_mentions, mask_names  # noqa: E402

SIZES = (1_000, 8_000, 32_000, 128_000)
TOO_SLOW = 5.0  # seconds: longer sizes of a shape are skipped once one call takes this long


def roster(n: int = 200) -> pd.DataFrame:
    """``n`` employees with names drawn from the sample data's first names and surnames."""
    rng = random.Random(15)
    names = [f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}" for _ in range(n - 3)]
    names += ["Anne-Marie O'Neil", "José María García López", "Felix Novak"]
    return pd.DataFrame({"employee_id": [f"E{i:03d}" for i in range(n)], "display_name": names})


def _repeat(piece: Callable[[random.Random], str], size: int) -> str:
    rng, parts, length = random.Random(size), [], 0
    while length < size:
        parts.append(piece(rng))
        length += len(parts[-1])
    return "".join(parts)[:size]


def _prose(rng: random.Random) -> str:
    return rng.choice([
        "Felix was brilliant and sorted everything in one call. ",
        "I waited 45 minutes on 14/03/2026 and again on 2026-03-15, open 9:00-17:30. ",
        "Call me on +44 7700 900123 or write to sam.taylor@example.com please. ",
        "My card 4111 1111 1111 1111 was charged twice, about €1,234.56 in total! ",
        "Huge thanks to Maria, and to zoe who went above and beyond. ",
        "The app kept crashing, so the dev team should really fix it soon.\n",
    ])


#: The marks an address's name part may hold between its letters.
_MARKS = "'!#$%&*/=?^`~"
_ADDRESS_BITS = ["zoe", " dot ", " at ", "@", " @ ", ".", " . ", "com", "[at]", "(dot)", "%40",
                 "＠", "．", "d0t", "uk", "the", "'", "-", " "]


def _typo(rng: random.Random) -> str:
    name = rng.choice(FIRST_NAMES + SURNAMES)
    i = rng.randrange(1, max(2, len(name) - 1))
    word = name[:i] + name[i + 1:] if rng.random() < 0.5 else name[:i] + name[i] + name[i:]
    return rng.choice([word, word.lower(), word + "-approved"]) + rng.choice([" ", ". ", ", "])


def _capitalized(rng: random.Random) -> str:
    word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8)))
    return rng.choice([word.capitalize(), rng.choice(FIRST_NAMES), rng.choice(SURNAMES)]) + " "


SHAPES: dict[str, Callable[[int], str]] = {
    "prose": lambda n: _repeat(_prose, n),
    "letters": lambda n: _repeat(lambda r: "".join(r.choices(string.ascii_letters, k=100)), n),
    "digits": lambda n: _repeat(lambda r: str(r.randrange(10**99, 10**100)), n),
    "digit-seps": lambda n: _repeat(lambda r: r.choice("0123456789") + r.choice(" -./()+:"), n),
    "at-signs": lambda n: _repeat(lambda r: r.choice(["a@", "@", "b.c@", "x@y", " @ ", "at "]), n),
    "capitalized": lambda n: _repeat(_capitalized, n),
    "apostrophes": lambda n: _repeat(lambda r: "a'", n),
    "slashes": lambda n: _repeat(lambda r: "a/b/", n),
    "rock'n'roll": lambda n: _repeat(lambda r: "rock'n'roll'", n),
    "marks": lambda n: _repeat(lambda r: "a" + r.choice(_MARKS), n),
    "shouted-name": lambda n: _repeat(lambda r: "ZOË ", n),
    "letter-digit": lambda n: _repeat(lambda r: "a1", n),
    "wide-cards": lambda n: _repeat(lambda r: str(r.randrange(1000, 10000)) + r.choice(
        ["_", "*", ",", ";", "|", "~", "\t", "   "]), n),
    "addresses": lambda n: _repeat(lambda r: r.choice(_ADDRESS_BITS), n),
    "typos": lambda n: _repeat(_typo, n),
}


def best_of(call: Callable[[], object], rounds: int) -> float:
    """The fastest of ``rounds`` calls, in seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    """Print one table row per shape and task: time at each size and the growth factor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=None,
                        help="redact, find_mentions, mask_names, redact+mask (default: all)")
    args = parser.parse_args(argv)

    employees = roster()
    labels = {e: f"Employee {i:06X}" for i, e in enumerate(employees["employee_id"])}
    tasks: dict[str, Callable[[str], object]] = {
        "redact": redact,
        "find_mentions": lambda t: find_mentions(pd.Series({"r": t}), employees),
        "mask_names": lambda t: mask_names(pd.Series({"r": t}), employees, labels),
        "redact+mask": lambda t: mask_names(pd.Series({"r": redact(t)}), employees, labels),
    }
    if args.tasks:
        tasks = {name: call for name, call in tasks.items() if name in args.tasks}
    mask_names(pd.Series({"r": "Warm up: the word lists load once."}), employees, labels)
    header = f"{'shape':<12} {'task':<14}" + "".join(f"{n:>10,} ch  (x)" for n in args.sizes)
    print(header)
    print("-" * len(header))
    for shape in args.shapes:
        texts = {n: SHAPES[shape](n) for n in args.sizes}
        for task, call in tasks.items():
            cells, previous = [], None
            for n in args.sizes:
                if previous is not None and previous > TOO_SLOW:
                    cells.append(f"{'skipped':>18}")
                    continue
                seconds = best_of(lambda t=texts[n], c=call: c(t), args.rounds)
                ratio = f"x{seconds / previous:.1f}" if previous else ""
                cells.append(f"{seconds * 1000:>10.1f} ms {ratio:>5}")
                previous = seconds
            print(f"{shape:<12} {task:<14}" + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
