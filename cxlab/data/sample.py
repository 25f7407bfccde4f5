"""Seeded synthetic data for every cxlab table, with planted, documented effects.

The sample is the embedded default data: five client organizations of different sizes and
maturity over eight quarters. Effects are planted so that reports show real findings and tests
can check that each analysis recovers them; ``PLANTED_EFFECTS`` lists them, and the site's
methods page repeats them (a test keeps the two in step).

The customer-side latent satisfaction of a response is::

    L = mu_client + ENGAGEMENT_EFFECT * (team engagement last quarter - client mean)
        + WAIT_EFFECT * log2(1 + wait minutes) + employee skill
        + sum of DRIVER_WEIGHTS[k] * perception_k + N(0, 1)

where the four attribute perceptions are standard normal with correlation DRIVER_CORRELATION
and the survey's ``rating_*`` answers are noisy 1-5 readings of them

and NPS, CSAT and CES are cut from ``L`` (see ``_scores``).
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import periods
from cxlab.data.schema import EX_ITEMS
from cxlab.errors import CxlabError

FIRST_QUARTER, LAST_QUARTER = "2024Q4", "2026Q3"
#: The sample's as-of date: nothing in it happens later.
AS_OF = pd.Timestamp("2026-09-30")
DEFAULT_SEED = 20261122

ENGAGEMENT_EFFECT = 0.6
WAIT_EFFECT = -0.35
SKILL_SD = 0.35
CALLS_PER_DAY_FCR_LOGIT = -0.8
CALLS_PER_DAY_HANDLE_FACTOR = 0.7
ACQUISITION_ONLY_RENEWAL_DROP = 0.12
PRAISE_SHARE = 0.35
#: Contacts (interactions) per customer response, and the share of responses that answer a
#: contact (the rest are about sales, marketing or the product).
INTERACTIONS_PER_RESPONSE = 1.6
SERVICE_SHARE = 0.65
#: Customer responses of a quarter generated at once, at most: a larger quarter (from
#: ``--scale`` 100 for the largest client) is made in pieces, so memory stays that size.
QUARTER_PIECE = 250_000
#: Share of named praise with a typo in the name (two neighbouring letters swapped).
PRAISE_TYPO_SHARE = 0.05
#: Planted weights of the attribute perceptions behind the rating_* answers (the driver order).
DRIVER_WEIGHTS = {"rating_resolution": 0.40, "rating_knowledge": 0.28, "rating_speed": 0.16,
                  "rating_courtesy": 0.08}
DRIVER_CORRELATION = 0.35
#: Centre of each rating on the 1-5 scale: resolution is important but rated low.
DRIVER_RATING_CENTRE = {"rating_resolution": 2.7, "rating_knowledge": 3.4, "rating_speed": 2.9,
                        "rating_courtesy": 3.7}
#: Per standard deviation of an agent's rush trait, where Support is paid on calls per day.
RUSH_VOLUME, RUSH_FCR_LOGIT, RUSH_HANDLE = 0.35, -0.5, -0.15
#: Per standard deviation of a rep's hunger, where Sales is paid on new accounts only.
HUNGER_VOLUME, HUNGER_RENEWAL = 0.5, -0.10


@dataclass(frozen=True)
class PlantedEffect:
    """An effect built into the sample data that an analysis should recover."""

    key: str
    description: str
    size: str


PLANTED_EFFECTS = (
    PlantedEffect(
        "engagement_to_next_quarter_nps",
        "A team's mean engagement (mean of the five Likert items) in one quarter raises the "
        "customer satisfaction latent of the responses its members serve in the next quarter.",
        f"+{ENGAGEMENT_EFFECT} latent SD per engagement point",
    ),
    PlantedEffect(
        "wait_lowers_csat",
        "Longer waits lower satisfaction (CSAT, NPS and CES all follow the latent).",
        f"{WAIT_EFFECT} latent SD per doubling of (1 + wait minutes)",
    ),
    PlantedEffect(
        "calls_per_day_raises_repeats",
        "Where Support is paid on calls per day, agents rush: first-contact resolution falls "
        "and repeat contacts within 7 days rise; handle time shrinks.",
        f"{CALLS_PER_DAY_FCR_LOGIT} on the log-odds of first-contact resolution; "
        f"handle time x{CALLS_PER_DAY_HANDLE_FACTOR}",
    ),
    PlantedEffect(
        "rushing_agents_handle_more_calls",
        "Within a client that pays Support on calls per day, agents differ in how much they "
        "rush (a trait ~ Normal(0, 1)): those who rush take more calls, resolve fewer at first "
        "contact and cause more repeat contacts. The incentive audit should flag calls per day.",
        f"per SD of rush: volume x e^{RUSH_VOLUME}, {RUSH_FCR_LOGIT} on the log-odds of "
        f"first-contact resolution, handle time x e^{RUSH_HANDLE}",
    ),
    PlantedEffect(
        "hungry_reps_lose_renewals",
        "Within a client that pays Sales on new accounts only, reps differ in hunger for new "
        "business (~ Normal(0, 1)): hungrier reps open more accounts and renew fewer. The "
        "incentive audit should flag new accounts.",
        f"per SD of hunger: new accounts x e^{HUNGER_VOLUME}, {HUNGER_RENEWAL:+} on the renewal "
        "probability",
    ),
    PlantedEffect(
        "driver_weights",
        "Four attribute perceptions (resolution, knowledge, speed, courtesy; correlated "
        f"{DRIVER_CORRELATION}) add to the satisfaction latent, and the survey's rating_* "
        "answers are noisy 1-5 readings of them. Key-driver analysis should rank them in this "
        "order.",
        ", ".join(f"{k.removeprefix('rating_')} {w}" for k, w in DRIVER_WEIGHTS.items())
        + " latent SD per SD of perception",
    ),
    PlantedEffect(
        "acquisition_only_sales_lose_renewals",
        "Where Sales is paid on new accounts and not on renewals, fewer accounts renew.",
        f"-{ACQUISITION_ONLY_RENEWAL_DROP} on the renewal probability",
    ),
    PlantedEffect(
        "named_praise",
        "Promoters served by an employee sometimes praise that employee by name in the comment.",
        f"{PRAISE_SHARE:.0%} of commenting promoters with a known employee; "
        f"{PRAISE_TYPO_SHARE:.0%} of those with a typo in the name",
    ),
    PlantedEffect(
        "employee_skill",
        "Each employee has a true skill that shifts their customers' latent satisfaction and "
        "their first-contact resolution; it is the 'true value' behind employee scorecards.",
        f"skill ~ Normal(0, {SKILL_SD})",
    ),
    PlantedEffect(
        "maturity_levels",
        "Each client is built at one employee-experience maturity level, one client per level "
        "from 1 to 5: its incentive plan, employee pulse cadence (monthly at 5, quarterly at 4, "
        "twice a year at 3, else yearly, without eNPS at 1), share of pulse comments and "
        "self-assessment answers follow it. The level-2 client's answers overstate it; a year "
        "earlier, clients from level 2 up claimed one level less.",
        "the level-2 client claims level 4; 2025 answers one level lower",
    ),
    PlantedEffect(
        "data_quality_faults",
        "A few rows are broken on purpose so the data-quality section has something to show: "
        "NPS exported on a 1-11 scale (value 11), duplicated response ids, interactions by "
        "contractors missing from the roster.",
        "about 0.3%, 0.1% and 0.2% of rows",
    ),
)


@dataclass(frozen=True)
class ClientProfile:
    """How one sample client is built."""

    slug: str
    name: str
    headcount: int
    responses_per_quarter: int
    maturity_level: int


CLIENTS = (
    ClientProfile("northwind", "Northwind Telecom", 180, 2400, 3),
    ClientProfile("bluebird", "Bluebird Bank", 80, 1200, 1),
    ClientProfile("cedar", "Cedar Health", 40, 500, 5),
    ClientProfile("driftwood", "Driftwood Retail", 90, 1500, 2),
    ClientProfile("evergreen", "Evergreen Software", 50, 700, 4),
)

#: department -> (role, share of headcount, people per team)
DEPARTMENTS = {
    "Support": ("Support agent", 0.42, 9),
    "Success": ("Customer success manager", 0.16, 8),
    "Sales": ("Account executive", 0.16, 8),
    "Marketing": ("Marketing specialist", 0.08, 10),
    "Operations": ("Logistics coordinator", 0.12, 10),
    "HR": ("HR partner", 0.06, 10),
}
SERVICE_DEPARTMENTS = ("Support", "Success")

#: maturity level -> department -> {metric: weight}
INCENTIVE_PLANS = {
    1: {"Support": {"calls_per_day": 0.6, "average_handle_time": 0.4},
        "Success": {"tickets_closed": 1.0}, "Sales": {"new_accounts": 1.0},
        "Marketing": {"campaigns_launched": 1.0}, "Operations": {"orders_shipped": 1.0},
        "HR": {"time_to_hire": 1.0}},
    2: {"Support": {"calls_per_day": 0.6, "csat": 0.4},
        "Success": {"csat": 0.5, "tickets_closed": 0.5}, "Sales": {"new_accounts": 1.0},
        "Marketing": {"campaigns_launched": 1.0}, "Operations": {"orders_shipped": 1.0},
        "HR": {"time_to_hire": 1.0}},
    3: {"Support": {"first_contact_resolution": 0.5, "csat": 0.5},
        "Success": {"retention_rate": 0.6, "nps": 0.4},
        "Sales": {"new_accounts": 0.6, "renewal_rate": 0.4},
        "Marketing": {"campaigns_launched": 0.7, "positive_interactions": 0.3},
        "Operations": {"order_error_rate": 0.5, "orders_shipped": 0.5},
        "HR": {"time_to_hire": 1.0}},
    4: {"Support": {"first_contact_resolution": 0.5, "csat": 0.3, "nps": 0.2},
        "Success": {"retention_rate": 0.5, "nps": 0.5},
        "Sales": {"renewal_rate": 0.5, "new_accounts": 0.3, "referral_rate": 0.2},
        "Marketing": {"positive_interactions": 0.5, "comment_replies": 0.5},
        "Operations": {"order_error_rate": 0.6, "proactive_resolutions": 0.4},
        "HR": {"mentoring_hours": 0.5, "time_to_hire": 0.5}},
    5: {"Support": {"first_contact_resolution": 0.4, "csat": 0.3, "nps": 0.3},
        "Success": {"retention_rate": 0.4, "nps": 0.4, "cross_sell": 0.2},
        "Sales": {"renewal_rate": 0.5, "referral_rate": 0.3, "new_accounts": 0.2},
        "Marketing": {"positive_interactions": 0.4, "user_generated_content": 0.3,
                      "comment_replies": 0.3},
        "Operations": {"order_error_rate": 0.5, "proactive_resolutions": 0.5},
        "HR": {"mentoring_hours": 0.6, "time_to_hire": 0.4}},
}

FIRST_NAMES = (
    "Maria", "James", "Priya", "Liam", "Sofia", "Noah", "Aisha", "Lucas", "Zoë", "Mateo",
    "Grace", "Omar", "Hannah", "Kenji", "Chloé", "Daniel", "Fatima", "Ethan", "Amara", "Leo",
    "Nadia", "Samuel", "Ingrid", "Tomás", "Joy", "Ravi", "Elena", "Will", "Mei", "Hugo",
    "Hope", "Yusuf", "Clara", "Felix", "Anya", "Diego", "Rose", "Marcus", "Lena", "Kofi",
    "Isabel", "Arjun", "Olivia", "Björn", "Sara", "Jonas", "Carmen", "Dev", "Nina", "Rich",
)
SURNAMES = (
    "García", "Smith", "Patel", "Müller", "Okafor", "Nguyen", "Rossi", "Kowalski", "Silva",
    "Johnson", "Khan", "Andersson", "Dubois", "Tanaka", "O'Brien", "Haddad", "Novak", "Brown",
    "Fernández", "Larsen", "Mensah", "Ivanova", "Costa", "Schmidt", "Lee", "Moreau", "Singh",
    "Walker", "Jansen", "Popescu",
)
#: Employees a client can have with a first name and surname pair each: more get a middle initial.
NAME_PAIRS = len(FIRST_NAMES) * len(SURNAMES)
PRAISE = (
    "{name} was brilliant and sorted everything in one call.",
    "Huge thanks to {name}, who went above and beyond for me.",
    "{name} explained it clearly and was so patient.",
    "Really friendly service from {name} today.",
    "{name} fixed it first time, easy to deal with.",
)
POSITIVE = (
    "Quick and helpful, easy to deal with.", "They fixed it first time.",
    "Great service, they know me and my account.", "Friendly staff and no waiting around.",
    "Very smooth experience overall.",
)
NEUTRAL = (
    "It was fine, nothing special.", "Took a while but got there.",
    "OK service, the app could be clearer.", "Average experience.",
)
NEGATIVE = (
    "I had to explain my problem three times.", "Waited far too long on hold.",
    "Nobody called me back as promised.", "Still not fixed after two contacts.",
    "The agent rushed me off the phone.",
)
PII_TAILS = (
    " Reach me at sam.taylor@example.com.", " Call me back on +44 7700 900123.",
    " My card 4111 1111 1111 1111 was charged twice.",
)
EX_COMMENTS = {
    "positive": ("My manager shares customer feedback with us every week.",
                 "I feel my work matters to customers.", "Good training and tools this quarter."),
    "neutral": ("Workload is manageable but tools are slow.", "Some feedback gets acted on."),
    "negative": ("The CRM does not show the customer's history.",
                 "We are judged on call counts, not on helping people.",
                 "Nobody acts on what we say in these surveys.", "I never hear how customers feel."),
}


#: The sample's tables, in the order :func:`generate` returns them.
TABLE_NAMES = ("employees", "interactions", "customer_responses", "employee_responses",
               "accounts", "incentive_plan", "maturity_answers", "feedback_actions",
               "follow_ups")
#: The planted truth's tables, in the order :func:`generate` returns them.
TRUTH_NAMES = ("employee_skill", "team_engagement", "mentions", "response_latent")


class UnknownClient(CxlabError, ValueError):
    """A client name the sample does not have: the message lists the ones it has."""


@dataclass
class Part:
    """A piece of one client's sample: a table's rows, or one quarter's of a large table.

    ``truth`` marks a table of the planted truth (not stored with the data).
    """

    table: str
    frame: pd.DataFrame
    quarter: str | None = None
    truth: bool = False


def profiles(clients: Iterable[str] | None = None) -> list[tuple[int, ClientProfile]]:
    """The sample's clients (all, or those named, in the sample's order) with their index.

    Raises:
        UnknownClient: a name that is not one of the sample's clients.
    """
    known = [c.slug for c in CLIENTS]
    wanted = set(known if clients is None else clients)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise UnknownClient(f"no sample client {', '.join(map(repr, unknown))}; the sample's "
                            f"clients are {', '.join(known)}")
    return [(i, c) for i, c in enumerate(CLIENTS) if c.slug in wanted]


def generate(seed: int = DEFAULT_SEED, scale: float = 1.0, clients: Iterable[str] | None = None
             ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Generate every table for all sample clients (or those named in ``clients``).

    Args:
        seed: Master seed; the same seed and scale give identical tables.
        scale: Multiplies the number of responses and interactions (10 gives about 600,000
            customer responses; headcount grows with the square root).
        clients: Names of the clients to generate (default: all five).

    Returns:
        ``(tables, truth)``: raw tables (before validation, with the planted faults) and the
        planted true values: ``employee_skill`` (skill, rush, hunger and true first-contact
        resolution per employee), ``team_engagement``, ``mentions`` and ``response_latent``
        (each response's satisfaction latent before its N(0, 1) noise).
    """
    parts: dict[str, list[pd.DataFrame]] = {}
    truth: dict[str, list[pd.DataFrame]] = {}
    for tables, client_truth in generate_clients(seed, scale, clients):
        for name, frame in tables.items():
            parts.setdefault(name, []).append(frame)
        for name, frame in client_truth.items():
            truth.setdefault(name, []).append(frame)
    joined = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    return joined, {k: pd.concat(v, ignore_index=True) for k, v in truth.items()}


def generate_clients(seed: int = DEFAULT_SEED, scale: float = 1.0,
                     clients: Iterable[str] | None = None
                     ) -> Iterator[tuple[dict[str, pd.DataFrame], dict]]:
    """The sample one client at a time: ``(tables, truth)`` of each, as :func:`generate`.

    Each client has random streams of its own, so its tables are the same whether generated
    alone or with the others. Each table is its client's parts (:func:`client_parts`) joined.
    """
    for index, profile in profiles(clients):
        pieces: dict[tuple[bool, str], list[pd.DataFrame]] = {}
        for part in client_parts(profile, index, seed, scale):
            pieces.setdefault((part.truth, part.table), []).append(part.frame)
        tables = {name: pd.concat(pieces[False, name], ignore_index=True)
                  for name in TABLE_NAMES}
        yield tables, {name: pd.concat(pieces[True, name], ignore_index=True)
                       for name in TRUTH_NAMES}


def check_interactions_per_response(value: float | None) -> float:
    """The contacts per response to generate: ``value``, or the sample's own when None.

    Raises:
        ValueError: below 0.65, the share of responses that answer a contact, or not a number.
    """
    if value is None:
        return INTERACTIONS_PER_RESPONSE
    if not isinstance(value, int | float) or not value >= SERVICE_SHARE:
        raise ValueError(f"interactions_per_response must be a number of at least "
                         f"{SERVICE_SHARE} (the share of responses that answer a contact), "
                         f"got {value!r}")
    return float(value)


def client_parts(p: ClientProfile, index: int, seed: int = DEFAULT_SEED, scale: float = 1.0,
                 spill: Path | None = None, progress: Callable[[str], object] | None = None,
                 interactions_per_response: float | None = None) -> Iterator[Part]:
    """One client's sample a quarter at a time: the large tables in one part per quarter.

    The tables are those :func:`generate` makes (the same random draws): the quarters are
    generated first, from the client's main random stream, then the planted faults are drawn
    after the client's other tables, as over whole tables, and each quarter is handed out
    with its faults and its follow-ups. In between, each quarter's raw rows wait in memory,
    or with ``spill`` (a folder) on disk, so memory holds about one quarter of the client.
    A quarter of more than :data:`QUARTER_PIECE` responses is generated, and handed out, in
    pieces of about that size (its own random draws, in piece order), so memory holds one
    piece. ``progress`` is told each quarter as it is generated and as it is handed out.
    ``interactions_per_response``: contacts per customer response (default
    :data:`INTERACTIONS_PER_RESPONSE`); a contact centre that surveys fewer of its contacts
    has more (a benchmark's 50 million contacts and 20 million responses: 2.5).
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    per_response = check_interactions_per_response(interactions_per_response)
    say = progress or (lambda _: None)
    held = _Held(spill)
    rng = np.random.default_rng([seed, index])
    quarters = periods.quarter_range(FIRST_QUARTER, LAST_QUARTER)
    employees = _employees(p, rng, max(1.0, scale) ** 0.5)
    yield Part("employees", employees)
    teams = employees["team"].unique()
    eng_mean = 2.9 + 0.25 * p.maturity_level
    engagement = _engagement(rng, teams, ["lag", *quarters], eng_mean)
    ids = employees["employee_id"]
    skill = pd.Series(rng.normal(0, SKILL_SD, len(employees)), index=ids)
    plan = INCENTIVE_PLANS[p.maturity_level]
    calls_incentive = "calls_per_day" in plan["Support"]
    # Traits only matter where the incentive makes them pay: zero elsewhere.
    rush = pd.Series(rng.normal(0, 1, len(employees)), index=ids).where(
        (employees["department"] == "Support").to_numpy() & calls_incentive, 0.0)
    acquisition_only = "renewal_rate" not in plan["Sales"]
    hunger = pd.Series(rng.normal(0, 1, len(employees)), index=ids).where(
        (employees["department"] == "Sales").to_numpy() & acquisition_only, 0.0)
    mu = -0.45 + 0.3 * p.maturity_level

    # Per quarter, per piece: (responses, interactions) and the raw last response id.
    sizes: list[list[tuple[int, int]]] = []
    last_ids: list[list[str | None]] = []
    for qi, quarter in enumerate(quarters):
        start, end = periods.bounds(quarter)
        active = employees[(employees.hired_on < end) &
                           (employees.left_on.isna() | (employees.left_on >= start))]
        n = int(round(p.responses_per_quarter * scale * rng.uniform(0.9, 1.1)))
        say(f"{p.slug} {quarter}: generating {n:,} customer responses")
        prev_eng = engagement[["lag", *quarters][qi]] - eng_mean
        sizes.append([])
        last_ids.append([])
        made = _Made(n, int(n * per_response))
        for piece, (n_piece, n_contacts) in enumerate(_pieces(n, per_response)):
            i_df = _interactions(p, rng, active, quarter, n_contacts, calls_incentive, skill,
                                 rush, made)
            r_df, m_df, l_df = _responses(p, rng, active, quarter, n_piece, i_df, skill,
                                          prev_eng, mu, made)
            made.responses += len(r_df)
            made.interactions += len(i_df)
            sizes[qi].append((len(r_df), len(i_df)))
            last_ids[qi].append(r_df["response_id"].iloc[-1] if len(r_df) else None)
            held.put(quarter, f"interactions.{piece}", i_df)
            held.put(quarter, f"customer_responses.{piece}", r_df)
            held.put(quarter, f"scores.{piece}", r_df[["nps", "csat"]])
            del i_df, r_df
            yield Part("mentions", m_df, quarter, truth=True)
            yield Part("response_latent", l_df, quarter, truth=True)
            del m_df, l_df
        held.put(quarter, "employee_responses",
                 _employee_responses(p, rng, active, quarter, engagement[quarter]))

    yield Part("accounts", _accounts(p, rng, employees, scale, hunger))
    yield Part("incentive_plan", pd.DataFrame(
        [{"client": p.slug, "department": d, "role": None, "metric": m, "weight": w}
         for d, metrics in plan.items() for m, w in metrics.items()]))
    yield Part("maturity_answers", _maturity_answers(p, rng))
    yield Part("feedback_actions", _feedback_actions(p, rng, quarters))
    # Drawn after every other table, over all quarters' rows in turn, as over whole tables.
    faults = _fault_draws(rng, [sum(r for r, _ in q) for q in sizes],
                          [sum(i for _, i in q) for q in sizes])
    unhappy = [sum(int(_unhappy(_plant_scale_fault(held.take(quarter, f"scores.{piece}"),
                                                   fault)).sum())
                   for piece, fault in enumerate(_faults_by_piece(faults[qi], sizes[qi])))
               for qi, quarter in enumerate(quarters)]
    # A stream of its own, so the follow-ups leave every other table as it was.
    streams = _follow_up_streams(p, np.random.default_rng([seed, index, 1]), unhappy)
    managers = employees.set_index("employee_id")["manager_id"]
    before = None  # the raw last id of the piece before (None: none, or it was empty)
    for qi, quarter in enumerate(quarters):
        say(f"{p.slug} {quarter}: writing")
        for piece, fault in enumerate(_faults_by_piece(faults[qi], sizes[qi])):
            inter = held.take(quarter, f"interactions.{piece}")
            _plant_contractor_fault(inter, fault)
            yield Part("interactions", inter, quarter)
            del inter
            resp = held.take(quarter, f"customer_responses.{piece}")
            _plant_scale_fault(resp, fault)
            _plant_duplicate_fault(resp, fault, before)
            before = last_ids[qi][piece]
            follow = _follow_ups(p, streams[qi], resp, managers)
            yield Part("customer_responses", resp, quarter)
            del resp
            yield Part("follow_ups", follow, quarter)
            del follow
        yield Part("employee_responses", held.take(quarter, "employee_responses"), quarter)

    eng_long = engagement.rename_axis("team").reset_index().melt(
        id_vars="team", var_name="quarter", value_name="engagement")
    eng_long["client"] = p.slug
    service = employees["department"].isin(SERVICE_DEPARTMENTS).to_numpy()
    yield Part("employee_skill", pd.DataFrame({
        "client": p.slug, "employee_id": ids, "skill": skill.to_numpy(),
        "rush": rush.to_numpy(), "hunger": hunger.to_numpy(),
        "true_fcr": np.where(service, _fcr_probability(
            skill, rush, calls_incentive & (employees["department"] == "Support").to_numpy()),
            np.nan)}), truth=True)
    yield Part("team_engagement", eng_long, truth=True)


def _pieces(n: int, per_response: float) -> list[tuple[int, int]]:
    """A quarter's ``n`` responses in pieces of at most :data:`QUARTER_PIECE`, with theirs.

    Each piece has its number of interactions; up to that size, one piece: the quarter.
    """
    if n <= QUARTER_PIECE:
        return [(n, int(n * per_response))]
    bounds = np.linspace(0, n, math.ceil(n / QUARTER_PIECE) + 1).round().astype(int)
    return [(int(b - a), int((b - a) * per_response)) for a, b in itertools.pairwise(bounds)]


@dataclass
class _Made:
    """A quarter's rows so far (the next ids) and its full size (the customers' pool)."""

    n_responses: int
    n_interactions: int
    responses: int = 0
    interactions: int = 0


def _faults_by_piece(faults: _Faults, sizes: list[tuple[int, int]]) -> list[_Faults]:
    """A quarter's faults (positions in the quarter) split by piece, as positions in each."""
    out, first_r, first_i = [], 0, 0
    contractor = faults.contractor
    for n_r, n_i in sizes:
        in_r = (faults.bad_scale >= first_r) & (faults.bad_scale < first_r + n_r)
        dup = faults.duplicate[(faults.duplicate >= first_r) & (faults.duplicate < first_r + n_r)]
        in_i = (contractor >= first_i) & (contractor < first_i + n_i)
        out.append(_Faults(faults.bad_scale[in_r] - first_r, dup - first_r,
                           contractor[in_i] - first_i, faults.contractor_number[in_i]))
        first_r, first_i = first_r + n_r, first_i + n_i
    return out


class _Held:
    """Raw quarter tables waiting for their faults: in memory, or pickled in a folder.

    Pickle keeps every column's type as it was (the raw tables mix types in some columns).
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.frames: dict[tuple[str, str], pd.DataFrame] = {}

    def put(self, quarter: str, name: str, frame: pd.DataFrame) -> None:
        if self.folder is None:
            self.frames[quarter, name] = frame
        else:
            frame.to_pickle(self.folder / f"{quarter}-{name}.pickle")

    def take(self, quarter: str, name: str) -> pd.DataFrame:
        if self.folder is None:
            return self.frames.pop((quarter, name))
        path = self.folder / f"{quarter}-{name}.pickle"
        frame = pd.read_pickle(path)
        path.unlink()
        return frame


def _employees(p: ClientProfile, rng: np.random.Generator, grow: float) -> pd.DataFrame:
    rows: list[dict] = []
    used: set[str] = set()
    headcount = int(round(p.headcount * grow))
    for dept, (role, share, team_size) in DEPARTMENTS.items():
        n_dept = max(2, int(round(headcount * share)))
        n_teams = max(1, int(round(n_dept / team_size)))
        for k in range(n_dept):
            team = dept if n_teams == 1 else f"{dept} {k % n_teams + 1}"
            while True:
                first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                # Past every pair (a headcount over 1,500: --scale 70 for northwind), a middle
                # initial; the draws before are as they always were.
                middle = f"{chr(65 + int(rng.integers(26)))} " if len(used) >= NAME_PAIRS else ""
                name = f"{first} {middle}{surname}"
                if name not in used:
                    used.add(name)
                    break
            rows.append({"department": dept, "team": team, "role": role, "display_name": name})
    df = pd.DataFrame(rows)
    df.insert(0, "employee_id", [f"{p.slug[:2].upper()}{i:05d}" for i in range(1, len(df) + 1)])
    df.insert(1, "client", p.slug)
    leads = df.groupby("team")["employee_id"].transform("first")
    df["manager_id"] = leads.where(leads != df["employee_id"])
    df.loc[df["employee_id"] == leads, "role"] = "Team lead"
    days = rng.integers(0, 5 * 365, len(df))
    df["hired_on"] = (AS_OF - pd.to_timedelta(days + 120, unit="D")).normalize()
    leaving = rng.random(len(df)) < 0.06
    left = AS_OF - pd.to_timedelta(rng.integers(0, 700, len(df)), unit="D")
    df["left_on"] = pd.Series(left.normalize(), index=df.index).where(
        leaving & (left > df["hired_on"]))
    # Fictional addresses on the reserved .example domain: cxlab recognize writes to them.
    df["email"] = [re.sub(r"[^a-z.]", "", unicodedata.normalize("NFKD", name).lower()
                          .replace(" ", ".")) + f"@{p.slug}.example" for name in df["display_name"]]
    return df


def _engagement(rng: np.random.Generator, teams: np.ndarray, quarters: list[str], mean: float
                ) -> pd.DataFrame:
    base = rng.normal(0, 0.25, len(teams))
    dev = np.zeros(len(teams))
    cols = {}
    for q in quarters:
        dev = 0.5 * dev + rng.normal(0, 0.25, len(teams))
        cols[q] = np.clip(mean + base + dev, 1.2, 4.8)
    return pd.DataFrame(cols, index=teams)


def _timestamps(rng: np.random.Generator, quarter: str, n: int) -> pd.Series:
    start, end = periods.bounds(quarter)
    end = min(end, AS_OF + pd.Timedelta(days=1))
    seconds = rng.integers(0, int((end - start).total_seconds()), n)
    return pd.Series(start + pd.to_timedelta(seconds, unit="s"))


def _fcr_logit(skill: np.ndarray, rush: np.ndarray, rushed: np.ndarray) -> np.ndarray:
    """Log-odds of first-contact resolution for an agent (the same for all their contacts)."""
    return 1.1 + 1.5 * skill + np.where(rushed, CALLS_PER_DAY_FCR_LOGIT + RUSH_FCR_LOGIT * rush, 0)


def _fcr_probability(skill: pd.Series, rush: pd.Series, rushed: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-_fcr_logit(skill.to_numpy(), rush.to_numpy(), rushed)))


def _interactions(p: ClientProfile, rng: np.random.Generator, active: pd.DataFrame, quarter: str, n: int,
                  calls_incentive: bool, skill: pd.Series, rush: pd.Series, made: _Made
                  ) -> pd.DataFrame:
    staff = active[active.department.isin(SERVICE_DEPARTMENTS)]
    staff_rush = rush.loc[staff.employee_id].to_numpy()
    weights = np.where(staff.department == "Support", 3.0, 1.0) * np.exp(RUSH_VOLUME * staff_rush)
    who = staff.iloc[rng.choice(len(staff), n, p=weights / weights.sum())]
    is_support = (who.department == "Support").to_numpy()
    channel = np.where(rng.random(n) < 0.6, "phone", "chat")
    wait = rng.lognormal(np.log(np.where(channel == "phone", 100, 45)), 0.9)
    rushed = is_support & calls_incentive
    r = rush.loc[who.employee_id].to_numpy()
    handle = (rng.lognormal(np.log(380), 0.5, n) * np.exp(RUSH_HANDLE * r)
              * np.where(rushed, CALLS_PER_DAY_HANDLE_FACTOR, 1))
    logit = _fcr_logit(skill.loc[who.employee_id].to_numpy(), r, rushed)
    fcr = rng.random(n) < 1 / (1 + np.exp(-logit))
    repeat = rng.random(n) < np.where(fcr, 0.05, 0.6)
    first = made.interactions
    ids = [f"{p.slug[:2].upper()}-I{quarter}-{i:06d}" for i in range(first, first + n)]
    return pd.DataFrame({
        "interaction_id": ids, "client": p.slug, "started_at": _timestamps(rng, quarter, n),
        "customer_id": [f"C{x:06d}" for x in rng.integers(0, 20000 + made.n_interactions, n)],
        "employee_id": who.employee_id.to_numpy(), "team": who.team.to_numpy(),
        "channel": channel, "wait_seconds": wait.round(1), "handle_seconds": handle.round(1),
        "is_resolved_first_contact": fcr, "is_repeat_within_7d": repeat,
    })


def _responses(p: ClientProfile, rng: np.random.Generator, active: pd.DataFrame, quarter: str, n: int,
               interactions: pd.DataFrame, skill: pd.Series, prev_eng: pd.Series, mu: float,
               made: _Made) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_service = min(int(n * SERVICE_SHARE), len(interactions))
    surveyed = interactions.iloc[rng.choice(len(interactions), n_service, replace=False)]
    emp = active.set_index("employee_id").loc[surveyed.employee_id]
    wait_term = WAIT_EFFECT * np.log2(1 + surveyed.wait_seconds.to_numpy() / 60)
    service = pd.DataFrame({
        "channel": surveyed.channel.to_numpy(),
        "journey_stage": np.where(emp.department == "Support", "support",
                                  rng.choice(["onboarding", "usage", "renewal"], n_service)),
        "department": emp.department.to_numpy(), "employee_id": surveyed.employee_id.to_numpy(),
        "interaction_id": surveyed.interaction_id.to_numpy(),
        "customer_id": surveyed.customer_id.to_numpy(),
        "responded_on": (surveyed.started_at + pd.to_timedelta(rng.integers(0, 3, n_service),
                                                               unit="D")).dt.normalize().to_numpy(),
        "_team": emp.team.to_numpy(),
        "_shift": wait_term + skill.loc[surveyed.employee_id].to_numpy(),
        "_fcr": surveyed.is_resolved_first_contact.to_numpy(),
    })
    n_other = n - n_service
    dept = rng.choice(["Sales", "Marketing", "Operations"], n_other, p=[0.4, 0.3, 0.3])
    sales = active[active.department == "Sales"]
    rep = sales.iloc[rng.integers(0, len(sales), n_other)]
    team_of_dept = active.groupby("department")["team"].first()
    other = pd.DataFrame({
        "channel": np.where(dept == "Sales", "phone", rng.choice(["web", "app", "email", "store"],
                                                                 n_other)),
        "journey_stage": np.select([dept == "Sales", dept == "Marketing"],
                                   ["purchase", "awareness"], "usage"),
        "department": dept,
        "employee_id": np.where(dept == "Sales", rep.employee_id.to_numpy(), None),
        "interaction_id": None,
        "customer_id": [f"C{x:06d}" for x in rng.integers(0, 20000 + made.n_responses,
                                                          n_other)],
        "responded_on": _timestamps(rng, quarter, n_other).dt.normalize().to_numpy(),
        "_team": np.where(dept == "Sales", rep.team.to_numpy(), team_of_dept.loc[dept].to_numpy()),
        "_shift": np.where(dept == "Sales", skill.reindex(rep.employee_id).fillna(0).to_numpy(),
                           0.0),
        "_fcr": True,
    })
    df = pd.concat([service, other], ignore_index=True)
    df["responded_on"] = pd.to_datetime(df["responded_on"]).clip(upper=AS_OF)
    perception = _perceptions(rng, len(df))
    latent_mean = (mu + ENGAGEMENT_EFFECT * prev_eng.reindex(df["_team"]).to_numpy()
                   + df["_shift"].to_numpy() + perception @ np.array(list(DRIVER_WEIGHTS.values())))
    latent = latent_mean + rng.normal(0, 1, len(df))
    df["nps"], df["csat"], df["ces"] = _scores(rng, latent, df["_fcr"].to_numpy())
    for k, column in enumerate(DRIVER_WEIGHTS):
        noisy = DRIVER_RATING_CENTRE[column] + perception[:, k] + rng.normal(0, 0.5, len(df))
        rating = np.clip(np.round(noisy), 1, 5)
        df[column] = pd.array(rating, dtype="Int64")
        df.loc[rng.random(len(df)) < 0.08, column] = pd.NA
    names = active.set_index("employee_id")["display_name"]
    df["comment"], mentioned = _comments(rng, df, names)
    first = made.responses
    df.insert(0, "response_id", [f"{p.slug[:2].upper()}-R{quarter}-{i:06d}"
                                 for i in range(first, first + len(df))])
    df.insert(1, "client", p.slug)
    mentions = df.loc[mentioned, ["client", "response_id", "employee_id"]]
    latents = pd.DataFrame({"client": p.slug, "response_id": df["response_id"],
                            "latent_mean": latent_mean})
    return df.drop(columns=["_team", "_shift", "_fcr"]), mentions, latents


def _perceptions(rng: np.random.Generator, n: int) -> np.ndarray:
    """Standard-normal attribute perceptions sharing a common factor (equicorrelated)."""
    common = rng.normal(0, 1, (n, 1))
    own = rng.normal(0, 1, (n, len(DRIVER_WEIGHTS)))
    return np.sqrt(DRIVER_CORRELATION) * common + np.sqrt(1 - DRIVER_CORRELATION) * own


def _scores(rng: np.random.Generator, latent: np.ndarray, fcr: np.ndarray) -> list[pd.arrays.IntegerArray]:
    n = len(latent)
    nps = np.clip(np.round(7 + 1.8 * latent), 0, 10)
    csat = 1 + np.searchsorted([-1.8, -0.9, -0.1, 0.9], latent + rng.normal(0, 0.6, n))
    ease = 0.6 * latent + np.where(fcr, 0.4, -0.6) + rng.normal(0, 0.8, n)
    ces = 1 + np.searchsorted([-2.0, -1.3, -0.6, 0.0, 0.6, 1.3], ease)
    as_int = [pd.array(x, dtype="Int64") for x in (nps, csat, ces)]
    for arr, p_missing in zip(as_int, (0.05, 0.12, 0.35), strict=True):
        arr[rng.random(n) < p_missing] = pd.NA
    return as_int


def _comments(rng: np.random.Generator, df: pd.DataFrame, names: pd.Series
              ) -> tuple[np.ndarray, np.ndarray]:
    n = len(df)
    has_comment = rng.random(n) < 0.45
    comments = np.full(n, None, dtype=object)
    mentioned = np.zeros(n, dtype=bool)
    nps = df["nps"].fillna(7).to_numpy(dtype=float)
    for i in np.flatnonzero(has_comment):
        emp = df.at[i, "employee_id"]
        if nps[i] >= 9 and pd.notna(emp) and rng.random() < PRAISE_SHARE:
            full = names.get(emp, "")
            shown = full if rng.random() < 0.3 else full.split(" ")[0]
            if rng.random() < PRAISE_TYPO_SHARE:
                shown = _typo(shown, rng)
            text = rng.choice(PRAISE).format(name=shown)
            mentioned[i] = True
        else:
            pool = POSITIVE if nps[i] >= 9 else NEUTRAL if nps[i] >= 7 else NEGATIVE
            text = str(rng.choice(pool))
        if rng.random() < 0.02:
            text += str(rng.choice(PII_TAILS))
        comments[i] = text
    return comments, mentioned


def _typo(name: str, rng: np.random.Generator) -> str:
    """Swap two neighbouring letters inside the first word (never its first letter)."""
    first, _, rest = name.partition(" ")
    if len(first) < 4:
        return name
    i = int(rng.integers(1, len(first) - 1))
    first = first[:i] + first[i + 1] + first[i] + first[i + 2:]
    return f"{first} {rest}".strip()


def _employee_responses(p: ClientProfile, rng: np.random.Generator, active: pd.DataFrame, quarter: str,
                        team_engagement: pd.Series) -> pd.DataFrame:
    """Employee pulses of one quarter; the cadence follows maturity.

    Monthly at level 5 (continuous listening; each pulse asks a random half of the staff),
    quarterly at 4, twice a year at 3, else once a year.
    """
    q = int(quarter[-1])
    level = p.maturity_level
    if not (level >= 4 or (level == 3 and q in (2, 4)) or q == 4):
        return pd.DataFrame(columns=["response_id", "client", "responded_on", "employee_id",
                                     "team", "enps", *EX_ITEMS, "comment"])
    start, _ = periods.bounds(quarter)
    days, share_asked = ((15, 45, 75), 0.5) if level == 5 else ((45,), 1.0)
    pulses = []
    for pulse, day in enumerate(days):
        takers = active[rng.random(len(active)) < 0.75 * share_asked]
        answered = min(start + pd.Timedelta(days=day), AS_OF)
        pulses.append(_pulse(p, rng, takers, f"{quarter}{pulse}", answered, team_engagement))
    return pd.concat(pulses, ignore_index=True)


def _pulse(p: ClientProfile, rng: np.random.Generator, takers: pd.DataFrame, tag: str,
           answered_on: pd.Timestamp, team_engagement: pd.Series) -> pd.DataFrame:
    level = p.maturity_level
    n = len(takers)
    eng = team_engagement.reindex(takers.team).to_numpy()
    df = pd.DataFrame({"team": takers.team.to_numpy()})
    df.insert(0, "response_id", [f"{p.slug[:2].upper()}-E{tag}-{i:05d}" for i in range(n)])
    df.insert(1, "client", p.slug)
    df.insert(2, "responded_on", answered_on)
    anonymous = rng.random(n) < 0.3
    df.insert(3, "employee_id", np.where(anonymous, None, takers.employee_id.to_numpy()))
    personal = rng.normal(0, 0.45, n)
    enps = np.clip(np.round(6.2 + 2.0 * (eng - 3.5) + 2.2 * personal + rng.normal(0, 1.2, n)),
                   0, 10)
    df["enps"] = pd.array(enps, dtype="Int64") if level >= 2 else pd.array([pd.NA] * n, "Int64")
    for k, offset in zip(EX_ITEMS, (-0.2, 0.3, -0.3, -0.1, 0.0), strict=True):
        df[k] = np.clip(np.round(eng + offset + personal + rng.normal(0, 0.6, n)), 1, 5).astype(int)
    share = {1: 0.0, 2: 0.2, 3: 0.4}.get(level, 0.6)
    mood = np.where(enps >= 9, "positive", np.where(enps >= 7, "neutral", "negative"))
    df["comment"] = [str(rng.choice(EX_COMMENTS[m])) if rng.random() < share else None
                     for m in mood]
    return df


def _accounts(p: ClientProfile, rng: np.random.Generator, employees: pd.DataFrame, scale: float,
              hunger: pd.Series) -> pd.DataFrame:
    n = int(p.responses_per_quarter * 0.8 * scale)
    acquired = (AS_OF - pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")).normalize()
    due = acquired + pd.DateOffset(years=1)
    sales_plan = INCENTIVE_PLANS[p.maturity_level]["Sales"]
    p_renew = 0.84 + 0.02 * p.maturity_level
    if "renewal_rate" not in sales_plan:
        p_renew -= ACQUISITION_ONLY_RENEWAL_DROP
    is_due = due <= AS_OF
    sellers = employees.loc[employees.department == "Sales", "employee_id"].to_numpy()
    weights = np.exp(HUNGER_VOLUME * hunger.loc[sellers].to_numpy())
    owner = rng.choice(sellers, n, p=weights / weights.sum())
    renewed = rng.random(n) < p_renew + HUNGER_RENEWAL * hunger.loc[owner].to_numpy()
    return pd.DataFrame({
        "account_id": [f"{p.slug[:2].upper()}-A{i:06d}" for i in range(n)], "client": p.slug,
        "segment": rng.choice(["smb", "mid-market", "enterprise"], n, p=[0.6, 0.3, 0.1]),
        "acquired_on": acquired, "renewal_due_on": due,
        "is_renewed": pd.array(np.where(is_due, renewed, None), dtype="boolean"),
        "is_churned": is_due & ~renewed,
        "n_referrals": rng.poisson(0.2 + 0.1 * p.maturity_level, n),
        "sales_owner_id": owner,
    })


ACTIONS = (
    ("tools", "The CRM does not show the customer's history.",
     "Added the last five contacts to the agent screen."),
    ("targets", "We are judged on call counts, not on helping people.",
     "Replaced the calls-per-day target with first-contact resolution."),
    ("feedback heard", "Nobody acts on what we say in these surveys.",
     "Started publishing this log after every pulse."),
    ("customer connection", "I never hear how customers feel.",
     "Team leads share three customer comments in every weekly meeting."),
    ("training", "New starters learn the systems but not the customers.",
     "Added a customer-shadowing day to onboarding."),
)


def _unhappy(resp: pd.DataFrame) -> np.ndarray:
    """Which answers are unhappy (NPS 0-6 or CSAT 1-2): the ones followed up."""
    return ((resp["nps"] <= 6) | (resp["csat"] <= 2)).fillna(False).to_numpy(dtype=bool)


def _follow_up_draws(p: ClientProfile) -> tuple[Callable[[np.random.Generator, int], np.ndarray], ...]:
    """The follow-ups' random draws, in the order they are taken from their stream.

    Which unhappy answers are followed up (more higher up the maturity scale), hours until
    (sooner higher up), whether closed, days until closed, whether resolved.
    """
    level = p.maturity_level
    return (lambda rng, n: rng.random(n) < 0.15 * level,
            lambda rng, n: rng.exponential(60 / level, n),
            lambda rng, n: rng.random(n) < 0.85,
            lambda rng, n: rng.integers(0, 10, n),
            lambda rng, n: rng.random(n) < 0.7)


def _follow_up_streams(p: ClientProfile, rng: np.random.Generator, unhappy: list[int]
                       ) -> list[list[np.random.Generator]]:
    """Per quarter, a generator for each follow-up draw, where that quarter's share begins.

    Each draw is taken over the unhappy answers of all quarters in turn before the next draw
    (as over a whole table); walking the stream once, a quarter at a time, finds where each
    quarter's share of each draw begins. ``unhappy`` counts each quarter's unhappy answers.
    """
    streams: list[list[np.random.Generator]] = [[] for _ in unhappy]
    counts = unhappy
    for k, draw in enumerate(_follow_up_draws(p)):
        chosen = list(counts)
        for q, n in enumerate(counts):
            streams[q].append(copy.deepcopy(rng))  # a generator where this share begins
            values = draw(rng, n)
            if k == 0:
                chosen[q] = int(values.sum())
        counts = chosen  # after the first draw: the answers chosen to be followed up
    return streams


def _follow_ups(p: ClientProfile, streams: list[np.random.Generator], resp: pd.DataFrame,
                managers: pd.Series) -> pd.DataFrame:
    """Follow-ups of detractors (NPS 0-6 or CSAT 1-2), from their own random stream.

    More of them, sooner, higher up the maturity scale; most closed within days, most of
    those resolved. No effect on later answers is planted: the report must not find one.
    ``streams`` gives each draw of :func:`_follow_up_draws` its generator (see
    :func:`_follow_up_streams`); ``managers`` is each employee's manager.
    """
    chosen, hours, closing, days, resolving = _follow_up_draws(p)
    unhappy = resp[_unhappy(resp)]
    unhappy = unhappy[chosen(streams[0], len(unhappy))]
    n = len(unhappy)
    when = (pd.to_datetime(unhappy["responded_on"]) + pd.Timedelta(hours=9)
            + pd.to_timedelta(hours(streams[1], n), unit="h")).dt.floor("min")
    closed = closing(streams[2], n)
    closed_on = (when.dt.normalize()
                 + pd.to_timedelta(days(streams[3], n), unit="D")).where(closed)
    frame = pd.DataFrame({
        "client": p.slug, "response_id": unhappy["response_id"].to_numpy(),
        "followed_up_on": when.to_numpy(),
        "employee_id": unhappy["employee_id"].map(managers).to_numpy(),
        "closed_on": closed_on.to_numpy(),
        "resolved": pd.Series(resolving(streams[4], n), dtype=object).where(closed).to_numpy()})
    frame = frame[frame["followed_up_on"] <= AS_OF + pd.Timedelta(days=1)]
    frame.loc[frame["closed_on"] > AS_OF, ["closed_on", "resolved"]] = None
    return frame.reset_index(drop=True)


def _feedback_actions(p: ClientProfile, rng: np.random.Generator, quarters: list[str]) -> pd.DataFrame:
    """A 'you said, we did' log: kept from level 3 up, after each pulse, more often higher up."""
    rows = []
    if p.maturity_level >= 3:
        for quarter in quarters:
            if p.maturity_level == 3 and quarter[-1] not in "24":
                continue
            start, end = periods.bounds(quarter)
            for k in rng.choice(len(ACTIONS), size=1 + (p.maturity_level >= 4), replace=False):
                theme, said, did = ACTIONS[k]
                logged = min(start + pd.Timedelta(days=int(rng.integers(50, 85))), AS_OF)
                status = "done" if logged < AS_OF - pd.Timedelta(days=60) else "in progress"
                rows.append({"client": p.slug, "logged_on": logged.normalize(), "theme": theme,
                             "you_said": said, "we_did": did, "status": status})
    return pd.DataFrame(rows, columns=["client", "logged_on", "theme", "you_said", "we_did",
                                       "status"])


def _maturity_answers(p: ClientProfile, rng: np.random.Generator) -> pd.DataFrame:
    """Self-assessment answers (1-5 agreement) to each element's level statements.

    Statements at or below the claimed level are mostly agreed with, higher ones mostly not.
    Employee experience is claimed at the client's built level, other elements within one
    level of it. Driftwood (built at level 2) overstates itself by two levels, for the report
    to flag. A year earlier (2025) every client from level 2 up claimed one level less.
    """
    from cxlab.maturity import ELEMENTS, FOCUS

    built = min(5, p.maturity_level + (2 if p.slug == "driftwood" else 0))
    spread = {e: 0 if e == FOCUS else int(rng.integers(-1, 2)) for e in ELEMENTS}
    rows = []
    for answered_on in (pd.Timestamp("2025-09-15"), pd.Timestamp("2026-09-15")):
        earlier = answered_on.year == 2025 and p.maturity_level >= 2
        for role in ("CX lead", "HR lead", "Support manager"):
            for element in ELEMENTS:
                claimed = int(np.clip(built + spread[element] - earlier, 1, 5))
                for level in range(1, 6):
                    agree = level <= claimed
                    answer = int(np.clip(round((4.5 if agree else 1.8) + rng.normal(0, 0.5)), 1, 5))
                    rows.append({"client": p.slug, "answered_on": answered_on,
                                 "respondent_role": role, "question_id": f"{element}.l{level}",
                                 "answer": answer})
    return pd.DataFrame(rows)


@dataclass
class _Faults:
    """Where one quarter's planted faults go: row positions within the quarter."""

    bad_scale: np.ndarray
    duplicate: np.ndarray
    contractor: np.ndarray
    contractor_number: np.ndarray


def _fault_draws(rng: np.random.Generator, n_resp: list[int], n_inter: list[int]
                 ) -> list[_Faults]:
    """Draw the planted faults over all quarters' rows, a quarter at a time.

    The draws are those of whole tables (each draw over every quarter's rows in turn), so the
    faults fall where they did when the tables were generated whole. About 0.6% of rows: the
    positions are kept, not the draws.
    """
    bad = [np.flatnonzero(rng.random(n) < 0.003) for n in n_resp]
    dup = [np.flatnonzero(rng.random(n) < 0.001) for n in n_resp]
    contractor = [np.flatnonzero(rng.random(n) < 0.002) for n in n_inter]
    numbers = rng.integers(1, 9, sum(len(c) for c in contractor))
    split = np.split(numbers, np.cumsum([len(c) for c in contractor])[:-1])
    return [_Faults(*q) for q in zip(bad, dup, contractor, split, strict=True)]


def _plant_scale_fault(resp: pd.DataFrame, faults: _Faults) -> pd.DataFrame:
    """NPS exported on a 1-11 scale (value 11) in some rows; ``resp`` changed and returned."""
    bad_scale = np.zeros(len(resp), dtype=bool)
    bad_scale[faults.bad_scale] = True
    resp["nps"] = resp["nps"].astype("Int64").mask(bad_scale, 11)
    return resp


def _plant_duplicate_fault(resp: pd.DataFrame, faults: _Faults, before: str | None) -> None:
    """Some rows take the response id of the row before (duplicated ids).

    ``before`` is the previous quarter's last id: None in the first quarter, whose first row
    has no row before it.
    """
    ids = resp["response_id"].to_numpy()
    previous = np.concatenate([np.array([before], dtype=object), ids[:-1]])
    dup = faults.duplicate[(faults.duplicate > 0) | (before is not None)]
    resp.loc[dup, "response_id"] = previous[dup]


def _plant_contractor_fault(inter: pd.DataFrame, faults: _Faults) -> None:
    """Interactions by contractors missing from the roster."""
    inter.loc[faults.contractor, "employee_id"] = [
        f"CONTRACTOR-{k}" for k in faults.contractor_number]
