"""Drawing one synthetic study from the population model: :func:`simulate`.

The draw is a fixed sequence of numbered steps, ``step01_firm_profile`` to ``step18_truth``.
Each step takes the random generator and what earlier steps made, and returns new values
without changing its inputs. All steps draw from one generator, in the order below and in a
fixed order inside each step: that order *is* the seed's meaning, so the same config, n and seed
give a byte-identical file, and moving a draw changes every value drawn after it.

1. firm profile: TECH, CUSTOMER (hence the typology group), SIZE, SECTOR, ROLE;
2. latent scores: process factors, capabilities, OIE roles, markers, common-method factor;
3. outcome propensities ``z`` (:mod:`surveysem.simulate.population`);
4. eligibility violations, one born-global rule each;
5. market histories: age, FOUNDED and FIRSTSALE (``FIRSTSALE = FOUNDED + N - 1``,
   ``age = survey_year - FOUNDED``; see :mod:`surveysem.outcomes.measures`), the countries entered and
   their years, MARKETS as written, FSHARE;
6. careless respondents; 7. item responses; 8. the careless respondents' answers;
9. durations; 10. missingness (MCAR, size-dependent MAR, the missing code);
11. unfinished responses; 12. comments; 13. start times; 14. fake contact data;
15. duplicate submissions; 16. export columns; 17. export rows; 18. the per-firm truth.

Observed outcomes: ``z_div`` sets the number of regions, ``z_spread`` and the years abroad the
number of countries (drawn from the ``countries:`` frame and ``scales/regions.csv``, so
diversification is what MARKETS says), entry years lie between FIRSTSALE and the survey year;
FSHARE = 25 + 75 * Phi(z_intensity). Because the capabilities are jointly normal and CUS enters
nothing, CUS has exactly zero partial association with every observed outcome given the other
capabilities, whatever the (monotone, noisy) mapping from ``z`` to the observed outcome.
Responses: item ``i`` of construct ``k`` is ``x* = s_i * l_i * eta_k + m * M +
sqrt(1 - l_i^2 - m^2) * eps`` (``s_i = -1`` for reverse-keyed items: they are generated as
reversed responses; ``M`` the common-method factor, acquiescence-like), cut at the thresholds
into the 1-7 scale.

Fake PII: names, ``@example.com`` e-mail addresses, IP addresses from the documentation ranges
192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737), locations near the paper's Chinese
cities. The file is a Qualtrics-shaped CSV: three header rows (column ids, question wording,
``{"ImportId":"QID12_3"}``), Qualtrics metadata columns first, then the profile and item
columns in questionnaire order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import load_instrument
from surveysem.io import write_text
from surveysem.simulate.population import OUTCOMES, PROCESSES, Model, build_model, probabilities

INELIGIBLE_KINDS = ("late_first_sale", "low_foreign_share", "one_continent", "short_experience")
# careless kind -> its share in config['simulate']['careless']
CARELESS_SHARE_KEYS = {"straightliner": "straightliners", "random": "random",
                       "attention_failure": "attention_failures", "speeder": "speeders"}
CARELESS_KINDS = tuple(CARELESS_SHARE_KEYS)

# Qualtrics metadata: column, question text (English export), ImportId. A Qualtrics export
# also names the time zone of its three timestamps: the fieldwork's, China time.
_METADATA = [
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
]
_TIMESTAMPS = ("StartDate", "EndDate", "RecordedDate")
QUALTRICS_METADATA = [
    (column, text, {"ImportId": import_id, **({"timeZone": "Asia/Shanghai"} if column in _TIMESTAMPS else {})})
    for column, text, import_id in _METADATA
]
METADATA_COLUMNS = [c for c, _, _ in QUALTRICS_METADATA]
PII_COLUMNS = ["IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
               "LocationLatitude", "LocationLongitude"]
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_RESPONSE_ID_CHARS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))

# Fake identities: common pinyin names, reserved e-mail domain, documentation IP ranges.
_LAST_NAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma",
               "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo"]
_FIRST_NAMES = ["Wei", "Fang", "Na", "Min", "Jing", "Lei", "Jun", "Yan", "Tao", "Hui", "Ying", "Qiang", "Xin",
                "Ping", "Hong", "Chao", "Lin", "Yu", "Hao", "Mei"]
_TEST_NETS = ["192.0.2", "198.51.100", "203.0.113"]
# The paper's fieldwork cities (Section 3.3): Beijing, Hangzhou, Shanghai, Shenzhen, Wuhan, Kunming (Yunnan)
_CITIES = [(39.9042, 116.4074), (30.2741, 120.1551), (31.2304, 121.4737), (22.5431, 114.0579),
           (30.5928, 114.3055), (25.0389, 102.7183)]
_COMMENTS = [
    "Thank you, interesting survey.",
    "Some questions were hard to answer for a small firm like ours.",
    'We sell mostly through "cross-border" e-commerce platforms, so markets change every year.',
    "Our main markets are in Europe; the US market became difficult after the tariffs.",
    "The year of entry is approximate for some markets, sorry.",
    "Please send me the results of the study.",
    "We work with a state-owned trading company for Africa, and alone elsewhere.",
    "问卷很好，谢谢！",
    "Très bien, merci. Some items repeated similar ideas.",
    "Government support (export credit, trade fairs) was essential in the first years.",
    "N/A",
    "Our customers are companies, not consumers; some questions on reviews did not fit.",
    "We entered Hong Kong first but I did not list it as a foreign country.",
    "Line one of my comment.\nLine two: we also export via distributors, which the survey did not ask about.",
]
# Careless pace: median duration of straight-liners and random responders as a share of the
# attentive median; speeders take 90-200 s whatever the median.
_CARELESS_PACE = {"straightliner": 0.45, "random": 0.5}
_DUPLICATE_PACE = 0.8  # a repeated submission goes faster: the answers are known
_STRAIGHT_VALUES = np.array([4, 5, 6, 7])  # straight-liners agree (acquiescence), never disagree
_STRAIGHT_P = [0.3, 0.3, 0.2, 0.2]
_SKIPPABLE_PROFILE = ("FSHARE", "CUSTOMER", "ROLE")  # profile answers a respondent may skip (step 10)


# --------------------------------------------------------------------------- results of the steps


@dataclass
class SimulatedSurvey:
    """The drawn survey: export columns (strings), header rows, and the per-firm truth."""

    columns: list[str]
    wording: list[str]
    import_ids: list[str]
    rows: list[list[str]]
    firms: pd.DataFrame  # one row per exported row: latent values, kinds, eligibility (for tests)
    seed: int
    n: int

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(self.columns)
        writer.writerow(self.wording)
        writer.writerow(self.import_ids)
        writer.writerows(self.rows)
        return buf.getvalue()

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


@dataclass(frozen=True)
class Profile:
    """Step 1: the firm-profile codes, one value per firm."""

    tech: np.ndarray
    customer: np.ndarray
    group: np.ndarray  # typology group 1-3
    size: np.ndarray
    sector: np.ndarray
    role: np.ndarray


@dataclass(frozen=True)
class Latent:
    """Step 2: latent scores per firm."""

    factors: dict[str, np.ndarray]  # process factors, OIE roles, markers (Model.latent_names)
    eta: dict[str, np.ndarray]  # construct -> score (capabilities, OIE roles, markers)
    method: np.ndarray  # common-method factor


@dataclass(frozen=True)
class MarketHistory:
    """Step 5, one firm: founding, first foreign sale, foreign share and the markets entered."""

    founded: int
    firstsale: int
    fshare: int
    text: str  # MARKETS as the respondent writes it
    n_countries: int
    n_regions: int


@dataclass(frozen=True)
class Missingness:
    """Step 10: which cells are left empty."""

    items: dict[str, np.ndarray]  # item -> skipped
    profile: dict[str, np.ndarray]  # FSHARE, CUSTOMER, ROLE -> skipped
    coded: dict[str, np.ndarray]  # item -> a skipped cell is exported as the missing code


@dataclass(frozen=True)
class Unfinished:
    """Step 11: where unfinished responses stop, and what that does to progress and duration."""

    stop_at: np.ndarray  # construct block the respondent stopped at; -1 = finished
    progress: np.ndarray  # percent
    duration: np.ndarray  # seconds, shortened by the unanswered share


@dataclass(frozen=True)
class Layout:
    """Step 16: the export columns, their wording and ImportId header rows, and what each cell holds."""

    columns: list[str]
    wording: list[str]
    import_ids: list[str]
    cells: list[tuple[str, str, int | None]]  # (column, "profile" | "item", construct block or None)


@dataclass(frozen=True)
class Answers:
    """Everything an export row shows of a firm (steps 1, 5 and 7-14), by firm index."""

    profile: dict[str, object]  # profile column -> per-firm values
    responses: dict[str, np.ndarray]
    missing: Missingness
    unfinished: Unfinished
    contacts: list[dict[str, str]]
    missing_code: str


class Record(NamedTuple):
    """Step 17: one exported row."""

    when: dt.datetime
    firm: int
    duplicate: bool
    response_id: str
    row: list[str]


# --------------------------------------------------------------------------- shared helpers


def _cdf(p) -> np.ndarray:
    """The normalised cumulative probabilities that ``rng.choice(len(p), p=p)`` searches."""
    cdf = np.cumsum(p, dtype=float)
    cdf /= cdf[-1]
    return cdf


def _pick_cdf(rng, cdf: np.ndarray) -> int:
    """``rng.choice(len(p), p=p)`` with ``cdf = _cdf(p)``: the same draw (one uniform against the
    normalised cumulative probabilities, numpy's own algorithm) from the same random stream,
    without its argument checks, and the probabilities summed once; the simulator makes thousands
    of such draws for every study."""
    return int(cdf.searchsorted(rng.random(), side="right"))


def _picks(rng, keys, p, n: int) -> np.ndarray:
    """``n`` draws of :func:`_pick_cdf` in one call, as ints of ``keys``: ``n`` uniforms drawn
    together are the ``n`` drawn one by one."""
    return _keys_at(keys, p, rng.random(n))


def _keys_at(keys, p, u: np.ndarray) -> np.ndarray:
    """The ints of ``keys`` that uniforms ``u`` pick with probabilities ``p`` (the step of :func:`_pick_cdf`)."""
    return np.array([int(k) for k in keys])[_cdf(p).searchsorted(u, side="right")]


def _sample_without_replacement(rng, p, size: int) -> np.ndarray:
    """``rng.choice(len(p), size=size, replace=False, p=p)``: numpy's own algorithm (uniforms
    against the cumulative probabilities, repeated for the indices already taken, each round's new
    ones kept in drawing order), so the same indices from the same random stream, without the
    argument checks that cost more than the draw (thousands per study)."""
    p = np.array(p, dtype=float)
    found = np.zeros(size, dtype=np.int64)
    taken = 0
    while taken < size:
        x = rng.random(size - taken)
        if taken:
            p[found[:taken]] = 0
        cdf = np.cumsum(p)
        cdf /= cdf[-1]
        new = cdf.searchsorted(x, side="right")
        first = np.unique(new, return_index=True)[1]
        first.sort()
        new = new.take(first)
        found[taken:taken + new.size] = new
        taken += new.size
    return found


def _lognormal_duration(rng, median: float) -> float:
    # the careless and duplicate submissions scatter less around their median than attentive ones
    return math.exp(math.log(median) + 0.3 * rng.standard_normal())


def _uniform_answer(rng, scale) -> int:
    return int(rng.integers(scale.min, scale.max + 1))


def questionnaire(inst) -> list[tuple[str, object]]:
    """Blocks in questionnaire order: ('profile', [ProfileItem]) / ('construct', Construct); COMMENTS last."""
    blocks = [(c.order, 1, c.id, ("construct", c)) for c in inst.constructs.values()]
    profile = [p for p in inst.profile if p.id != "COMMENTS"]
    blocks.append((inst.profile_order, 0, "PROFILE", ("profile", profile)))
    blocks.sort(key=lambda b: (b[0], b[1], b[2]))
    out = [b[3] for b in blocks]
    tail = [p for p in inst.profile if p.id == "COMMENTS"]
    if tail:
        out.append(("profile", tail))
    return out


class CountryFrame:
    """Country sampling frame: countries with weights, their regions and continents."""

    def __init__(self, countries: dict, inst):
        self.countries = list(countries)
        self.weight = {c: float(w) for c, w in countries.items()}
        self.region = {c: inst.region_of(c) for c in self.countries}
        self.continent = {c: inst.continent_of(c) for c in self.countries}
        # the sampling probabilities, once (every firm draws from them): of the continents, and
        # by continent (None: the whole frame)
        self.continents = sorted({self.continent[c] for c in self.countries})
        cw = np.array([sum(self.weight[c] for c in self.countries if self.continent[c] == co)
                       for co in self.continents])
        self.continent_p = cw / cw.sum()
        self.continent_cdf = _cdf(self.continent_p)
        self.position = {c: k for k, c in enumerate(self.countries)}
        self._frames = {co: self._frame_of(co) for co in [None] + self.continents}

    def draw_continent(self, rng) -> str:
        """One continent, with probability proportional to the weight of its countries."""
        return self.continents[_pick_cdf(rng, self.continent_cdf)]

    def _frame_of(self, continent):
        """(countries, regions, region probabilities, per region (countries, cumulative probabilities)) of the
        whole frame or one continent."""
        countries = [c for c in self.countries if continent is None or self.continent[c] == continent]
        regions = sorted({self.region[c] for c in countries})
        w = np.array([sum(self.weight[c] for c in countries if self.region[c] == r) for r in regions])
        pools = {}
        for r in regions:
            pool = [c for c in countries if self.region[c] == r]
            pw = np.array([self.weight[c] for c in pool])
            pools[r] = (pool, _cdf(pw / pw.sum()))
        return countries, regions, w / w.sum(), pools

    def draw(self, rng, n_regions: int, n_countries: int, continent: str | None = None) -> list[str]:
        """``n_regions`` regions by weight, one country in each, then more countries of those regions.

        Notes
        -----
        Both counts are capped by what the frame (or the continent) holds.
        """
        countries, regions, w, pools = self._frames[continent]
        n_regions = max(1, min(n_regions, len(regions)))
        chosen_regions = [regions[i] for i in _sample_without_replacement(rng, w, n_regions)]
        chosen: list[str] = []
        for r in chosen_regions:
            pool, cdf = pools[r]
            chosen.append(pool[_pick_cdf(rng, cdf)])
        # the other countries of the chosen regions, in the frame's order
        rest = sorted((c for r in chosen_regions for c in pools[r][0] if c not in chosen), key=self.position.get)
        extra = max(0, min(n_countries - len(chosen), len(rest)))
        if extra:
            rw = np.array([self.weight[c] for c in rest])
            idx = _sample_without_replacement(rng, rw / rw.sum(), extra)
            chosen += [rest[i] for i in sorted(idx)]
        return chosen


# --------------------------------------------------------------------------- step 01: firm profile
# TECH, CUSTOMER (hence the typology group), SIZE, SECTOR given TECH, and ROLE, each from its
# firms: distribution, one variable at a time over all firms. First: group membership is
# independent of every latent variable, and later steps read the group (step 3) and SIZE (step 10).


def step01_firm_profile(rng, firms_cfg: dict, n: int) -> Profile:
    """Draw the firm-profile codes.

    Parameters
    ----------
    rng : numpy.random.Generator
    firms_cfg : dict
        ``config['simulate']['firms']``.
    n : int
        Number of firms.

    Returns
    -------
    Profile

    Notes
    -----
    Group 1 is TECH 1 (low-tech); other firms are group 2 with individual customers, else group 3.
    """
    tech_keys, tech_p = probabilities(firms_cfg["tech"], "tech")
    size_keys, size_p = probabilities(firms_cfg["size"], "size")
    role_keys, role_p = probabilities(firms_cfg["role"], "role")
    # one uniform per firm and variable, variable after variable (drawn n at a time)
    tech = _picks(rng, tech_keys, tech_p, n)
    individual = rng.random(n) < np.array([firms_cfg["individual_customers"][t] for t in tech.tolist()])
    customer = np.where(individual, 1, 2)
    group = np.where(tech == 1, 1, np.where(customer == 1, 2, 3))
    size = _picks(rng, size_keys, size_p, n)
    sector = np.empty(n, dtype=int)
    u = rng.random(n)
    for t in sorted(set(tech.tolist())):
        keys, p = probabilities(firms_cfg["sector_given_tech"][t], "sector_given_tech")
        at = tech == t
        sector[at] = _keys_at(keys, p, u[at])
    role = _picks(rng, role_keys, role_p, n)
    return Profile(tech=tech, customer=customer, group=group, size=size, sector=sector, role=role)


# --------------------------------------------------------------------------- step 02: latent scores
# Correlated process factors, OIE roles and markers; each capability from its process factor
# plus a unique part; then the common-method factor. Before the outcomes and items, which
# are functions of these scores.


def step02_latent_scores(rng, model: Model, n: int) -> Latent:
    """Draw the latent variables.

    Parameters
    ----------
    rng : numpy.random.Generator
    model : Model
    n : int

    Returns
    -------
    Latent

    Notes
    -----
    ``cap = g * process + sqrt(1 - g^2) * u`` keeps every capability standard normal.
    """
    chol = np.linalg.cholesky(model.latent_corr)
    latent = rng.standard_normal((n, len(model.latent_names))) @ chol.T
    factors = {name: latent[:, i] for i, name in enumerate(model.latent_names)}
    eta: dict[str, np.ndarray] = {}
    for c in model.capabilities:
        g = model.second_order[c]
        eta[c] = g * factors[model.process_of[c]] + math.sqrt(1 - g * g) * rng.standard_normal(n)
    for c in model.oie + model.markers:
        eta[c] = factors[c]
    return Latent(factors=factors, eta=eta, method=rng.standard_normal(n))


# --------------------------------------------------------------------------- step 03: outcome propensities
# The growth factor, then per outcome the group-weighted capability effects, the ECP x SOE
# interaction (spread), the group mean shift, growth and a residual, standardized by the
# analytic SD. After the latent scores and the groups it combines.


def step03_outcome_propensities(rng, model: Model, eta: dict[str, np.ndarray], group: np.ndarray) -> dict:
    """Draw the standardized outcome propensities ``z_o``.

    Parameters
    ----------
    rng : numpy.random.Generator
    model : Model
    eta : dict
        Construct scores (step 2).
    group : numpy.ndarray
        Typology group of each firm (step 1).

    Returns
    -------
    dict
        Outcome -> ``z`` per firm (unit variance in the population).
    """
    n = len(group)
    growth = rng.standard_normal(n)
    z: dict[str, np.ndarray] = {}
    for o in OUTCOMES:
        m = np.array([model.multipliers[g][o] for g in group])
        shift = np.array([model.mean_shifts[g][o] for g in group])
        y = m * sum(b * eta[c] for c, b in model.effects[o].items()) if model.effects[o] else np.zeros(n)
        if o == "spread":
            y = y + model.interaction * (eta["ECP"] * eta["SOE"] - model.ecp_soe_corr)
        y = y + shift + model.growth[o] * growth + model.residual_sd * rng.standard_normal(n)
        z[o] = y / model.outcome_sd[o]
    return z


# --------------------------------------------------------------------------- step 04: eligibility violations
# A configured share of firms each break one born-global rule, the kinds taken in turn. Before
# the market histories, which are drawn to break the rule (late first sale, low foreign share,
# one continent, short experience).


def step04_eligibility_violations(rng, share: float, n: int) -> np.ndarray:
    """Choose the ineligible firms and the rule each breaks.

    Parameters
    ----------
    rng : numpy.random.Generator
    share : float
        ``config['simulate']['ineligible']['share']``.
    n : int

    Returns
    -------
    numpy.ndarray
        Per firm, the broken rule (one of ``INELIGIBLE_KINDS``) or "".
    """
    n_inel = int(round(share * n))
    kinds = np.array([""] * n, dtype=object)
    if n_inel:
        who = rng.choice(n, size=n_inel, replace=False)
        for j, i in enumerate(sorted(who)):
            kinds[i] = INELIGIBLE_KINDS[j % len(INELIGIBLE_KINDS)]
    return kinds


# --------------------------------------------------------------------------- step 05: market histories
# Per firm, in turn: the Nth year of the first foreign sale and the age (hence FOUNDED and
# FIRSTSALE), how many regions and countries, which ones, their entry years, how MARKETS is
# written, and FSHARE. After the propensities (step 3) and the eligibility kinds (step 4),
# which set the counts and the rule a firm breaks.


def _first_sale_and_age(rng, firms_cfg: dict, nth_dist, kind: str) -> tuple[int, int]:
    """``(N, age)``: the Nth year of the firm's first foreign sale and its age at the survey
    (``nth_dist``: the years and their cumulative probabilities)."""
    years, cdf = nth_dist
    nth = int(years[_pick_cdf(rng, cdf)])
    age = firms_cfg["age_min"] + int(math.floor(rng.exponential(firms_cfg["age_mean_extra"])))
    age = min(age, firms_cfg["age_max"])
    if kind == "late_first_sale":
        nth = int(rng.integers(5, 9))  # first foreign sale in the 5th-8th year: FIRSTSALE - FOUNDED >= 4
        age = max(age, nth + 1)
    elif kind == "short_experience":
        age = nth  # years abroad = age - nth + 1 = 1
    else:
        age = max(age, nth + 1)  # at least two years abroad
    return nth, age


def _market_counts(out_cfg: dict, years: int, z_spread, z_div) -> tuple[int, int]:
    """``(regions, countries)`` to enter, from the propensities and the years abroad.

    A firm cannot enter more regions than countries: the region count is capped at the country
    count, not the country count raised to it, so that spread depends on the spread propensity
    alone (raising it would tie spread to the diversification capabilities and make CUS, the
    study's true null on spread, look related to spread through them)."""
    r = int(min(max(round(out_cfg["regions_mean"] + out_cfg["regions_scale"] * z_div), 2), out_cfg["regions_max"]))
    k = int(round(math.exp(math.log(out_cfg["spread_base"]) + out_cfg["spread_years_power"] * math.log(years)
                           + out_cfg["spread_scale"] * z_spread)))
    k = max(min(k, int(math.floor(out_cfg["spread_max"] * years))), 2)
    return min(r, k), k


def _choose_markets(rng, frame: CountryFrame, kind: str, n_regions: int, n_countries: int) -> list[str]:
    """The countries entered: on one continent for a "one_continent" firm, else on two or more."""
    if kind == "one_continent":
        return frame.draw(rng, n_regions, n_countries, continent=frame.draw_continent(rng))
    for _attempt in range(200):
        chosen = frame.draw(rng, n_regions, n_countries)
        if len({frame.continent[c] for c in chosen}) >= 2:
            break
    return chosen


def _entry_years(rng, chosen: list[str], firstsale: int, years: int, power: float) -> list[tuple[str, int]]:
    """(country, entry year) in entry order: the first at FIRSTSALE, later ones front-loaded."""
    years_of = [int(firstsale)]
    for _ in chosen[1:]:
        years_of.append(int(firstsale) + int(math.floor((years + 1) * rng.random() ** power)))
    order = sorted(range(len(chosen)), key=lambda j: (years_of[j], j))
    return [(chosen[j], years_of[j]) for j in order]


def _respell(rng, entries, spellings: dict, variation: float) -> list[tuple[str, int]]:
    """Entries with some country names written another (same-region) way."""
    written = []
    for country, year in entries:
        alts = spellings.get(country) or []
        if alts and rng.random() < variation:
            country = alts[int(rng.integers(len(alts)))]
        written.append((country, year))
    return written


def _market_text(written: list[tuple[str, int]], one_group: bool) -> str:
    """MARKETS: "USA (2015); UK (2016)", or with one group a year "USA, UK (2015)"."""
    if one_group:
        groups: list[tuple[int, list[str]]] = []
        for country, year in written:
            if groups and groups[-1][0] == year:
                groups[-1][1].append(country)
            else:
                groups.append((year, [country]))
        return "; ".join(f"{', '.join(cs)} ({y})" for y, cs in groups)
    return "; ".join(f"{c} ({y})" for c, y in written)


def _foreign_share(rng, kind: str, z_intensity, heaping: float) -> int:
    """FSHARE in percent: 25 + 75 * Phi(z), heaped to multiples of 5 by some respondents."""
    if kind == "low_foreign_share":
        return int(rng.integers(5, 21))
    share = 25 + 75 * special.ndtr(z_intensity)  # norm.cdf without its argument checks
    return int(5 * round(share / 5)) if rng.random() < heaping else int(round(share))


def _market_history(rng, model: Model, frame: CountryFrame, nth_dist, kind: str, z_firm: dict) -> MarketHistory:
    """One firm's history (the draws of step 5, in their order)."""
    out_cfg = model.cfg["outcomes"]
    nth, age = _first_sale_and_age(rng, model.cfg["firms"], nth_dist, kind)
    years = age - nth + 1
    founded = model.survey_year - age
    firstsale = founded + nth - 1
    n_regions, n_countries = _market_counts(out_cfg, years, z_firm["spread"], z_firm["diversification"])
    chosen = _choose_markets(rng, frame, kind, n_regions, n_countries)
    entries = _entry_years(rng, chosen, firstsale, years, out_cfg["entry_timing_power"])
    one_group = rng.random() < out_cfg["one_group_per_year"]
    written = _respell(rng, entries, out_cfg["spellings"], out_cfg["spelling_variation"])
    fshare = _foreign_share(rng, kind, z_firm["intensity"], out_cfg["share_heaping"])
    return MarketHistory(founded=founded, firstsale=firstsale, fshare=fshare, text=_market_text(written, one_group),
                         n_countries=len(chosen), n_regions=len({frame.region[c] for c in chosen}))


def step05_market_histories(rng, model: Model, inst, z: dict, ineligible: np.ndarray) -> list[MarketHistory]:
    """Draw every firm's market-entry history.

    Parameters
    ----------
    rng : numpy.random.Generator
    model : Model
    inst : Instrument
        For the regions and continents of the countries.
    z : dict
        Outcome propensities (step 3).
    ineligible : numpy.ndarray
        Broken rule per firm (step 4).

    Returns
    -------
    list of MarketHistory
        One per firm.
    """
    frame = CountryFrame(model.cfg["outcomes"]["countries"], inst)
    years, p = probabilities(model.cfg["firms"]["first_entry_year_of_firm"], "first_entry_year_of_firm")
    nth_dist = (years, _cdf(p))
    return [_market_history(rng, model, frame, nth_dist, kind, {o: z[o][i] for o in OUTCOMES})
            for i, kind in enumerate(ineligible)]


# --------------------------------------------------------------------------- step 06: careless respondents
# One random permutation of the firms assigns the configured counts of straight-liners, random
# responders, attention-check failures and speeders (disjoint). Before the item responses,
# which it overrides (step 8), and the durations (step 9).


def step06_careless_respondents(rng, careless_cfg: dict, n: int) -> np.ndarray:
    """Choose the careless respondents.

    Parameters
    ----------
    rng : numpy.random.Generator
    careless_cfg : dict
        ``config['simulate']['careless']``: share of each kind.
    n : int

    Returns
    -------
    numpy.ndarray
        Per firm, one of ``CARELESS_KINDS`` or "".
    """
    kinds = np.array([""] * n, dtype=object)
    counts = [int(round(careless_cfg[CARELESS_SHARE_KEYS[k]] * n)) for k in CARELESS_KINDS]
    order = rng.permutation(n)
    pos = 0
    for kind, count in zip(CARELESS_KINDS, counts):
        kinds[order[pos:pos + count]] = kind
        pos += count
    return kinds


# --------------------------------------------------------------------------- step 07: item responses
# Every rated item from its construct score, the method factor and noise, cut at the
# thresholds; attention checks hold the expected answer. Attentive answers for everybody
# first: the careless ones replace them in step 8.


def _latent_response(rng, model: Model, item, eta: np.ndarray, method: np.ndarray) -> np.ndarray:
    # reverse-keyed items are generated as reversed responses
    lam, m_load = model.item_loadings[item.id], model.method_loading
    sign = -1.0 if item.reverse else 1.0
    return sign * lam * eta + m_load * method + math.sqrt(1 - lam**2 - m_load**2) * rng.standard_normal(len(method))


def step07_item_responses(rng, model: Model, inst, latent: Latent) -> dict[str, np.ndarray]:
    """Draw the attentive response to every item.

    Parameters
    ----------
    rng : numpy.random.Generator
    model : Model
    inst : Instrument
    latent : Latent
        Step 2.

    Returns
    -------
    dict
        Item -> response per firm (integers of the response scale).
    """
    n = len(latent.method)
    responses: dict[str, np.ndarray] = {}
    for it in inst.items:
        construct = inst.constructs[it.construct]
        lo = construct.response_scale.min
        if construct.kind == "attention":
            responses[it.id] = np.full(n, it.expected if it.expected is not None else lo, dtype=int)
            continue
        xstar = _latent_response(rng, model, it, latent.eta[it.construct], latent.method)
        responses[it.id] = lo + np.searchsorted(model.thresholds, xstar, side="right")
    return responses


# --------------------------------------------------------------------------- step 08: careless answers
# Firm by firm, the careless respondents' answers replace the attentive ones: one agreeing
# value throughout, uniform random answers, a wrong attention-check answer, or half the items
# at random. After step 7, whose answers are kept where a careless kind leaves them.


def _wrong_answer(rng, item, scale) -> int:
    wrong = [v for v in range(scale.min, scale.max + 1) if v != item.expected]
    return int(wrong[int(rng.integers(len(wrong)))])


def _careless_answers(rng, kind: str, inst) -> dict[str, int]:
    """One careless respondent's answers (item -> value) for the items their kind changes."""
    items = inst.items
    scale = {it.id: inst.constructs[it.construct].response_scale for it in items}
    if kind == "straightliner":
        value = int(rng.choice(_STRAIGHT_VALUES, p=_STRAIGHT_P))
        return {it.id: value for it in items}
    if kind == "random":
        return {it.id: _uniform_answer(rng, scale[it.id]) for it in items}
    if kind == "attention_failure":
        return {it.id: _wrong_answer(rng, it, scale[it.id]) for it in items if it.expected is not None}
    # speeder: each item answered at random with probability 1/2
    return {it.id: _uniform_answer(rng, scale[it.id]) for it in items if rng.random() < 0.5}


def step08_careless_answers(rng, inst, responses: dict[str, np.ndarray], careless: np.ndarray) -> dict:
    """Replace the careless respondents' answers.

    Parameters
    ----------
    rng : numpy.random.Generator
    inst : Instrument
    responses : dict
        Item -> attentive responses (step 7); not changed.
    careless : numpy.ndarray
        Careless kind per firm (step 6).

    Returns
    -------
    dict
        Item -> responses per firm, careless answers in place.
    """
    out = {item: values.copy() for item, values in responses.items()}
    for i, kind in enumerate(careless):
        if kind:
            for item, value in _careless_answers(rng, kind, inst).items():
                out[item][i] = value
    return out


# --------------------------------------------------------------------------- step 09: durations
# Lognormal completion times around the configured median; straight-liners and random
# responders are faster, speeders take 90-200 s. After step 6, which says who is careless.


def step09_durations(rng, fieldwork: dict, careless: np.ndarray) -> np.ndarray:
    """Draw the "Duration (in seconds)" of every response.

    Parameters
    ----------
    rng : numpy.random.Generator
    fieldwork : dict
        ``config['simulate']['fieldwork']``: ``duration_median``, ``duration_sigma``.
    careless : numpy.ndarray
        Careless kind per firm (step 6).

    Returns
    -------
    numpy.ndarray
        Seconds per firm (before unfinished responses are shortened in step 11).
    """
    median = float(fieldwork["duration_median"])
    duration = np.exp(np.log(median) + fieldwork["duration_sigma"] * rng.standard_normal(len(careless)))
    for i, kind in enumerate(careless):
        if kind in _CARELESS_PACE:
            duration[i] = _lognormal_duration(rng, _CARELESS_PACE[kind] * median)
        elif kind == "speeder":
            duration[i] = float(rng.uniform(90, 200))
    return duration


# --------------------------------------------------------------------------- step 10: missingness
# Item cells missing completely at random or by firm size (MAR), except attention checks;
# a few profile answers skipped; and which skipped item cells carry the missing code. After
# step 1, whose SIZE drives the MAR part.


def step10_missingness(rng, missing_cfg: dict, items, size: np.ndarray) -> Missingness:
    """Draw the skipped cells.

    Parameters
    ----------
    rng : numpy.random.Generator
    missing_cfg : dict
        ``config['simulate']['missing']``.
    items : list of Item
        The instrument's items.
    size : numpy.ndarray
        SIZE code per firm (step 1).

    Returns
    -------
    Missingness

    Notes
    -----
    ``P(missing) = 1 - (1 - mcar) * (1 - mar_by_size[SIZE])``.
    """
    n = len(size)
    mar = missing_cfg["mar_by_size"]
    p_size = np.array([float(mar.get(int(s), mar.get(str(s), 0.0))) for s in size])
    p_cell = 1 - (1 - missing_cfg["mcar"]) * (1 - p_size)
    item_missing = {it.id: np.zeros(n, dtype=bool) if it.expected is not None else rng.random(n) < p_cell
                    for it in items}
    profile_missing = {pid: rng.random(n) < missing_cfg["profile_mcar"] for pid in _SKIPPABLE_PROFILE}
    coded = {it.id: rng.random(n) < missing_cfg["code_share"] for it in items}
    return Missingness(items=item_missing, profile=profile_missing, coded=coded)


# --------------------------------------------------------------------------- step 11: unfinished responses
# Some attentive respondents stop at a construct block after the profile; their progress and
# duration shrink with the share answered. After the careless kinds (step 6: only attentive
# respondents stop) and the durations (step 9) it shortens.


def _progress(inst, construct_blocks: list, stop_at: np.ndarray) -> np.ndarray:
    """Percent of the questions (profile and items) shown before each response stopped."""
    progress = np.full(len(stop_at), 100)
    total_items = sum(len(c.items) for c in construct_blocks)
    for i in np.flatnonzero(stop_at >= 0):
        answered = sum(len(c.items) for c in construct_blocks[: stop_at[i]])
        progress[i] = int(round(100 * (len(inst.profile) + answered) / (len(inst.profile) + total_items)))
    return progress


def step11_unfinished(rng, missing_cfg: dict, inst, blocks: list, careless: np.ndarray,
                      duration: np.ndarray) -> Unfinished:
    """Choose the unfinished responses and where they stop.

    Parameters
    ----------
    rng : numpy.random.Generator
    missing_cfg : dict
        ``config['simulate']['missing']``: ``unfinished`` share.
    inst : Instrument
    blocks : list
        Questionnaire blocks (:func:`questionnaire`).
    careless : numpy.ndarray
        Careless kind per firm (step 6).
    duration : numpy.ndarray
        Seconds per firm (step 9); not changed.

    Returns
    -------
    Unfinished
    """
    construct_blocks = [b for kind, b in blocks if kind == "construct"]
    n = len(careless)
    n_unf = int(round(missing_cfg["unfinished"] * n))
    stop_at = np.full(n, -1)
    if n_unf:
        attentive = [i for i in range(n) if not careless[i]]
        for i in rng.choice(attentive, size=min(n_unf, len(attentive)), replace=False):
            stop_at[i] = int(rng.integers(1, len(construct_blocks)))
    progress = _progress(inst, construct_blocks, stop_at)
    duration = duration.copy()
    for i in np.flatnonzero(stop_at >= 0):
        duration[i] *= progress[i] / 100
    return Unfinished(stop_at=stop_at, progress=progress, duration=duration)


# --------------------------------------------------------------------------- step 12: comments
# A configured share of respondents leave one of the canned comments (quotes, line breaks,
# non-ASCII: they test the CSV round trip). Independent of the answers; drawn here so the
# sequence of draws stays fixed.


def step12_comments(rng, share: float, n: int) -> list[str]:
    """Draw the COMMENTS answers.

    Parameters
    ----------
    rng : numpy.random.Generator
    share : float
        ``config['simulate']['comments']``: share of respondents who comment.
    n : int

    Returns
    -------
    list of str
        Per firm, a comment or "".
    """
    comments = [""] * n
    for i in range(n):
        if rng.random() < share:
            comments[i] = _COMMENTS[int(rng.integers(len(_COMMENTS)))]
    return comments


# --------------------------------------------------------------------------- step 13: start times
# Each response starts on a uniformly drawn fieldwork day between 08:00 and 22:00. Before the
# export rows (step 17), which add the duration to get EndDate.


def step13_start_times(rng, fieldwork: dict, n: int) -> list[dt.datetime]:
    """Draw the StartDate of every response.

    Parameters
    ----------
    rng : numpy.random.Generator
    fieldwork : dict
        ``config['simulate']['fieldwork']``: ``start`` (ISO date) and ``days``.
    n : int

    Returns
    -------
    list of datetime.datetime
    """
    start0 = dt.datetime.fromisoformat(fieldwork["start"])
    return [start0 + dt.timedelta(days=int(rng.integers(fieldwork["days"])),
                                  seconds=int(rng.integers(8 * 3600, 22 * 3600)))
            for _ in range(n)]


# --------------------------------------------------------------------------- step 14: contact data
# Fake PII for every firm: distribution channel, name and e-mail (e-mail invitations only),
# a documentation-range IP address, a location near a fieldwork city, the survey language.
# Obviously fake on purpose: ingest must drop these columns.


def _contact(rng, i: int) -> dict[str, str]:
    """Firm ``i``'s metadata and fake PII (the draws in this order)."""
    channel = "email" if rng.random() < 0.7 else "anonymous"
    last = _LAST_NAMES[int(rng.integers(len(_LAST_NAMES)))]
    first = _FIRST_NAMES[int(rng.integers(len(_FIRST_NAMES)))]
    city = _CITIES[int(rng.integers(len(_CITIES)))]
    ip = f"{_TEST_NETS[int(rng.integers(len(_TEST_NETS)))]}.{int(rng.integers(1, 255))}"
    lat, lon = city[0] + 0.05 * rng.standard_normal(), city[1] + 0.05 * rng.standard_normal()
    invited = channel == "email"
    return {
        "channel": channel,
        "last": last if invited else "",
        "first": first if invited else "",
        "email": f"{first}.{last}{i + 1:03d}@example.com".lower() if invited else "",
        "external": f"SYN-{i + 1:04d}" if invited else "",
        "ip": ip, "lat": f"{lat:.4f}", "lon": f"{lon:.4f}",
        "lang": "ZH-S" if rng.random() < 0.6 else "EN",
    }


def step14_contacts(rng, n: int) -> list[dict[str, str]]:
    """Draw every firm's metadata and fake PII.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int

    Returns
    -------
    list of dict
        Per firm: channel, last, first, email, external, ip, lat, lon, lang (strings).
    """
    return [_contact(rng, i) for i in range(n)]


# --------------------------------------------------------------------------- step 15: duplicate submissions
# A few attentive, finished respondents submit again (same person, same answers, later).
# After steps 6 and 11, which decide who is attentive and finished.


def step15_duplicates(rng, n_duplicates: int, careless: np.ndarray, stop_at: np.ndarray) -> list:
    """Choose the firms that submit twice.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_duplicates : int
        ``config['simulate']['duplicates']``.
    careless : numpy.ndarray
        Step 6.
    stop_at : numpy.ndarray
        Step 11 (-1 = finished).

    Returns
    -------
    list
        Firm indices, in drawing order.
    """
    candidates = [i for i in range(len(careless)) if not careless[i] and stop_at[i] < 0]
    if not n_duplicates:
        return []
    return list(rng.choice(candidates, size=min(n_duplicates, len(candidates)), replace=False))


# --------------------------------------------------------------------------- step 16: export columns
# The Qualtrics metadata columns, then the profile and item columns in questionnaire order,
# with their wording and ImportId header rows. No draws: the layout the rows of step 17 fill.


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def step16_export_columns(blocks: list) -> Layout:
    """Lay out the export columns.

    Parameters
    ----------
    blocks : list
        Questionnaire blocks (:func:`questionnaire`).

    Returns
    -------
    Layout

    Notes
    -----
    As Qualtrics numbers them: each profile question is its own QID (text entry ``_TEXT``);
    a construct block is one matrix QID whose items are ``QID<k>_<j>``.
    """
    columns = list(METADATA_COLUMNS)
    wording = [w for _, w, _ in QUALTRICS_METADATA]
    import_ids = [_json(imp) for _, _, imp in QUALTRICS_METADATA]
    cells: list[tuple[str, str, int | None]] = []
    qid, construct_index = 0, 0
    for kind, block in blocks:
        if kind == "profile":
            for p in block:
                qid += 1
                text_entry = p.type in ("integer", "number", "percent", "text", "market_history")
                columns.append(p.id)
                wording.append(p.wording)
                import_ids.append(_json({"ImportId": f"QID{qid}_TEXT" if text_entry else f"QID{qid}"}))
                cells.append((p.id, "profile", None))
            continue
        qid += 1
        for j, it in enumerate(block.items, start=1):
            columns.append(it.id)
            wording.append(f"{block.stem} - {it.wording}" if block.stem else it.wording)
            import_ids.append(_json({"ImportId": f"QID{qid}_{j}"}))
            cells.append((it.id, "item", construct_index))
        construct_index += 1
    return Layout(columns=columns, wording=wording, import_ids=import_ids, cells=cells)


# --------------------------------------------------------------------------- step 17: export rows
# One row per firm (response id, then recorded-date delay), then the duplicate submissions
# (later start, own duration, own id), sorted by start time. Last of the draws: a row shows
# everything drawn before.


def _new_response_id(rng, taken: set[str]) -> str:
    """A Qualtrics-style ``R_`` + 15 characters id not in ``taken``."""
    while True:
        # rng.choice(_RESPONSE_ID_CHARS, size=15): the same integers, without choice's checks
        rid = "R_" + "".join(_RESPONSE_ID_CHARS[rng.integers(0, len(_RESPONSE_ID_CHARS), size=15)])
        if rid not in taken:
            return rid


def _answer_cells(answers: Answers, layout: Layout) -> list[list[str]]:
    """Every firm's cells in the profile and item columns ("" where missing), built column by
    column (a study has tens of thousands of cells; one Python call per cell was most of step 17)."""
    stop_at = answers.unfinished.stop_at
    n = len(stop_at)
    columns = []
    for column, kind, block in layout.cells:
        if kind == "profile":
            values = answers.profile.get(column)
            cells = [""] * n if values is None else [str(v) for v in values]
            blank = (stop_at >= 0) if column == "COMMENTS" else np.zeros(n, dtype=bool)
            if column in answers.missing.profile:
                blank = blank | np.asarray(answers.missing.profile[column], dtype=bool)
        else:
            with np.errstate(invalid="ignore"):  # a skipped cell's response is never shown
                codes = np.asarray(answers.responses[column]).astype(np.int64)
            cells = [str(v) for v in codes.tolist()]
            coded = answers.missing.coded[column]
            for i in np.flatnonzero(answers.missing.items[column]):
                cells[i] = answers.missing_code if coded[i] else ""
            blank = (stop_at >= 0) & (block >= stop_at)  # after the block where the response stopped
        for i in np.flatnonzero(blank):
            cells[i] = ""
        columns.append(cells)
    return [list(row) for row in zip(*columns)]


def _export_row(answers: Answers, cells: list[str], i: int, when: dt.datetime, rid: str, duration: float,
                recorded_delay: int) -> list[str]:
    """One exported row of firm ``i``, in the column order of ``METADATA_COLUMNS`` and the layout
    (``cells``: the firm's profile and item cells, :func:`_answer_cells`)."""
    seconds = int(round(duration))
    end = when + dt.timedelta(seconds=seconds)
    recorded = end + dt.timedelta(seconds=recorded_delay)
    c = answers.contacts[i]
    finished = "1" if answers.unfinished.stop_at[i] < 0 else "0"
    out = [when.strftime(_TIME_FORMAT), end.strftime(_TIME_FORMAT), "0", c["ip"], str(answers.unfinished.progress[i]),
           str(seconds), finished, recorded.strftime(_TIME_FORMAT), rid, c["last"], c["first"], c["email"],
           c["external"], c["lat"], c["lon"], c["channel"], c["lang"]]
    return out + cells


def step17_export_rows(rng, answers: Answers, layout: Layout, start: list, duplicates_of: list,
                       median_duration: float) -> list[Record]:
    """Draw the response ids and recorded dates, and write every exported row.

    Parameters
    ----------
    rng : numpy.random.Generator
    answers : Answers
    layout : Layout
        Step 16.
    start : list of datetime.datetime
        Step 13.
    duplicates_of : list
        Firms submitting twice (step 15).
    median_duration : float
        Attentive median duration in seconds.

    Returns
    -------
    list of Record
        Sorted by start time (then firm, original before duplicate).
    """
    taken: set[str] = set()
    records: list[Record] = []
    cells = _answer_cells(answers, layout)

    def add(i: int, when: dt.datetime, duration: float, duplicate: bool) -> None:
        rid = _new_response_id(rng, taken)
        taken.add(rid)
        row = _export_row(answers, cells[i], i, when, rid, duration, int(rng.integers(0, 3)))
        records.append(Record(when=when, firm=i, duplicate=duplicate, response_id=rid, row=row))

    for i in range(len(start)):
        add(i, start[i], answers.unfinished.duration[i], False)
    for i in duplicates_of:
        later = start[i] + dt.timedelta(seconds=int(rng.integers(3600, 48 * 3600)))
        add(int(i), later, _lognormal_duration(rng, _DUPLICATE_PACE * median_duration), True)
    return sorted(records, key=lambda r: (r.when, r.firm, r.duplicate))


# --------------------------------------------------------------------------- step 18: truth
# What each firm really is: group, broken rule, careless kind, unfinished, market counts,
# duration and every latent score. No draws; last, because it reports all the steps.


def step18_truth(model: Model, profile: Profile, latent: Latent, z: dict, ineligible: np.ndarray,
                 markets: list[MarketHistory], careless: np.ndarray, unfinished: Unfinished) -> list[dict]:
    """The per-firm truth that tests compare the exported file with.

    Parameters
    ----------
    model : Model
    profile, latent, z, ineligible, markets, careless, unfinished
        The results of steps 1-6 and 11.

    Returns
    -------
    list of dict
        Per firm: group, ineligible, careless, unfinished, n_countries, n_regions, duration,
        ``eta_<construct>``, ``eta_<process>``, ``z_<outcome>``, method.
    """
    truth = []
    for i, history in enumerate(markets):
        firm = {"group": int(profile.group[i]), "ineligible": ineligible[i], "careless": careless[i],
                "unfinished": bool(unfinished.stop_at[i] >= 0), "n_countries": int(history.n_countries),
                "n_regions": int(history.n_regions), "duration": float(unfinished.duration[i])}
        for c in model.capabilities + model.oie + model.markers:
            firm[f"eta_{c}"] = float(latent.eta[c][i])
        for proc in PROCESSES:
            firm[f"eta_{proc}"] = float(latent.factors[proc][i])
        for o in OUTCOMES:
            firm[f"z_{o}"] = float(z[o][i])
        firm["method"] = float(latent.method[i])
        truth.append(firm)
    return truth


# --------------------------------------------------------------------------- the draw


def _profile_columns(profile: Profile, markets: list[MarketHistory], comments: list[str]) -> dict[str, object]:
    """Profile column -> per-firm values, as exported."""
    return {
        "FOUNDED": np.array([h.founded for h in markets], dtype=int), "SIZE": profile.size,
        "SECTOR": profile.sector, "TECH": profile.tech, "CUSTOMER": profile.customer,
        "FIRSTSALE": np.array([h.firstsale for h in markets], dtype=int),
        "FSHARE": np.array([h.fshare for h in markets], dtype=int), "MARKETS": [h.text for h in markets],
        "ROLE": profile.role, "COMMENTS": comments,
    }


def simulate(config: dict, n: int | None = None, seed: int | None = None, inst=None) -> SimulatedSurvey:
    """Draw a synthetic survey.

    Parameters
    ----------
    config : dict
        The loaded config (its ``simulate:`` section is the population model).
    n : int, optional
        Number of firms (default ``simulate.n``); at least 10.
    seed : int, optional
        Seed of the generator (default ``simulate.seed``).
    inst : Instrument, optional
        Loaded from ``config['instrument']['scales_dir']`` when omitted.

    Returns
    -------
    SimulatedSurvey
        ``n`` firms plus the duplicate submissions.

    Notes
    -----
    The steps run in their numbered order on one generator (see the module docstring).
    """
    if inst is None:
        inst = load_instrument(config["instrument"]["scales_dir"])
    model = build_model(config, inst)
    sim = model.cfg
    n = int(sim["n"] if n is None else n)
    seed = int(sim["seed"] if seed is None else seed)
    if n < 10:
        raise SurveySemError("simulate: n must be at least 10", value=n)
    rng = np.random.default_rng(seed)
    profile = step01_firm_profile(rng, sim["firms"], n)
    latent = step02_latent_scores(rng, model, n)
    z = step03_outcome_propensities(rng, model, latent.eta, profile.group)
    ineligible = step04_eligibility_violations(rng, sim["ineligible"]["share"], n)
    markets = step05_market_histories(rng, model, inst, z, ineligible)
    careless = step06_careless_respondents(rng, sim["careless"], n)
    attentive = step07_item_responses(rng, model, inst, latent)
    responses = step08_careless_answers(rng, inst, attentive, careless)
    duration = step09_durations(rng, sim["fieldwork"], careless)
    missing = step10_missingness(rng, sim["missing"], inst.items, profile.size)
    blocks = questionnaire(inst)
    unfinished = step11_unfinished(rng, sim["missing"], inst, blocks, careless, duration)
    comments = step12_comments(rng, sim["comments"], n)
    start = step13_start_times(rng, sim["fieldwork"], n)
    contacts = step14_contacts(rng, n)
    duplicates_of = step15_duplicates(rng, int(sim["duplicates"]), careless, unfinished.stop_at)
    layout = step16_export_columns(blocks)
    answers = Answers(profile=_profile_columns(profile, markets, comments), responses=responses, missing=missing,
                      unfinished=unfinished, contacts=contacts, missing_code=str(sim["missing"].get("code", -99)))
    records = step17_export_rows(rng, answers, layout, start, duplicates_of,
                                 float(sim["fieldwork"]["duration_median"]))
    truth = step18_truth(model, profile, latent, z, ineligible, markets, careless, unfinished)
    firms = pd.DataFrame([{"ResponseId": r.response_id, "firm": r.firm, "duplicate": r.duplicate, **truth[r.firm]}
                          for r in records])
    return SimulatedSurvey(columns=layout.columns, wording=layout.wording, import_ids=layout.import_ids,
                           rows=[r.row for r in records], firms=firms, seed=seed, n=n)


def write_survey(path, survey: SimulatedSurvey) -> None:
    """Write the Qualtrics-shaped CSV (UTF-8, ``\\n`` line ends) atomically."""
    write_text(path, survey.to_csv())
