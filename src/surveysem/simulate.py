"""A synthetic born-global survey drawn from a documented population model.

``surveysem simulate --config config/config.yaml --out data/survey_synthetic.csv [--n N] [--seed S]``

The population model is the ``simulate:`` section of the config; every number there is
commented, and :func:`population_truth` turns it into the true values a test or a reader can
compare estimates with. The model, in order of generation (all latent variables standard
normal, effects in standard deviations):

1. **Firm profile.** TECH, CUSTOMER (hence the typology group), SIZE, SECTOR, ROLE from the
   ``firms:`` probabilities; age and the "Nth year" of the first foreign sale give FOUNDED,
   FIRSTSALE (``FIRSTSALE = FOUNDED + N - 1``, ``age = survey_year - FOUNDED``; see
   :mod:`surveysem.outcomes.measures`). Group membership is independent of every latent variable.
2. **Capabilities (P4 structure).** Three correlated process factors -- sensing, seizing,
   reconfiguring -- with each capability ``cap = g * process + sqrt(1 - g^2) * u``
   (second-order loading ``g``; process membership from ``scales/``). The four OIE roles
   correlate with the process factors and each other; the marker correlates with nothing.
3. **Outcome propensities.** For outcome *o* in group *k*::

       y*_o = sum_c b[c,o] * m[k,o] * cap_c  (+ d * (ECP*SOE - E[ECP*SOE]) for spread)
              + mu[k,o] + l_o * G + s * e_o

   with ``m`` the group multipliers (own proposition stronger, population mean 1), ``mu`` the
   group mean shifts (centred), ``G`` a growth factor shared by the three outcomes and
   independent of the capabilities, and ``e_o`` a residual. ``y*_o`` is divided by its
   population SD (computed analytically) to give ``z_o``. CUS has no effect: a true null.
4. **Observed outcomes.** An actual market-entry history: ``z_div`` sets the number of
   regions, ``z_spread`` and the years abroad the number of countries (drawn from the
   ``countries:`` frame and ``scales/regions.csv``, so diversification is what MARKETS says),
   entry years between FIRSTSALE and the survey year; FSHARE = 25 + 75 * Phi(z_intensity).
   Because the capabilities are jointly normal and CUS enters nothing, CUS has exactly zero
   partial association with every observed outcome given the other capabilities, whatever the
   (monotone, noisy) mapping from ``z`` to the observed outcome.
5. **Responses.** Item ``i`` of construct ``k``: ``x* = s_i * l_i * eta_k + m * M +
   sqrt(1 - l_i^2 - m^2) * eps`` (``s_i = -1`` for reverse-keyed items: they are generated as
   reversed responses; ``M`` the common-method factor, acquiescence-like), cut at the
   thresholds into the 1-7 scale.
6. **Data problems.** A few ineligible firms (one born-global rule each), careless
   respondents (straight-liners, random responders, attention-check failures, speeders),
   MCAR and size-dependent MAR item missingness (some exported as the missing code),
   unfinished responses, duplicate submissions, and fake PII: names, ``@example.com`` e-mail
   addresses, IP addresses from the documentation ranges 192.0.2.0/24, 198.51.100.0/24,
   203.0.113.0/24 (RFC 5737), locations near the paper's Chinese cities.

The file is a Qualtrics-shaped CSV: three header rows (column ids, question wording,
``{"ImportId":"QID12_3"}``), Qualtrics metadata columns first, then the profile and item
columns in questionnaire order. The same config, n and seed give a byte-identical file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from surveysem.errors import SurveySemError

PROCESSES = ("sensing", "seizing", "reconfiguring")
OUTCOMES = ("spread", "diversification", "intensity")
GROUP_OF_OUTCOME = {"spread": 1, "diversification": 2, "intensity": 3}  # the group emphasising it
INELIGIBLE_KINDS = ("late_first_sale", "low_foreign_share", "one_continent", "short_experience")
CARELESS_KINDS = ("straightliner", "random", "attention_failure", "speeder")

# Qualtrics metadata: column, question text (English export), ImportId
QUALTRICS_METADATA = [
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "Asia/Shanghai"}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "Asia/Shanghai"}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "Asia/Shanghai"}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
]
METADATA_COLUMNS = [c for c, _, _ in QUALTRICS_METADATA]
PII_COLUMNS = ["IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
               "LocationLatitude", "LocationLongitude"]

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


# --------------------------------------------------------------------------- the model


@dataclass
class Model:
    """The population model (parsed from ``config['simulate']`` and the instrument)."""

    survey_year: int
    capabilities: list[str]
    process_of: dict[str, str]
    oie: list[str]
    markers: list[str]
    second_order: dict[str, float]
    latent_corr: np.ndarray  # over PROCESSES + oie + markers
    latent_names: list[str]
    effects: dict[str, dict[str, float]]  # outcome -> capability -> b (raw, before standardization)
    interaction: float
    ecp_soe_corr: float
    growth: dict[str, float]
    residual_sd: float
    group_shares: dict[int, float]
    multipliers: dict[int, dict[str, float]]  # group -> outcome -> m (population mean 1)
    mean_shifts: dict[int, dict[str, float]]  # group -> outcome -> centred shift
    outcome_sd: dict[str, float]
    item_loadings: dict[str, float]
    method_loading: float
    thresholds: np.ndarray
    cfg: dict = field(repr=False, default_factory=dict)


def _probs(mapping, where: str) -> tuple[list, np.ndarray]:
    keys = list(mapping)
    p = np.array([float(mapping[k]) for k in keys])
    if p.sum() <= 0:
        raise SurveySemError("probabilities must not all be zero", file="config", column=where)
    return keys, p / p.sum()


def build_model(config: dict, inst=None) -> Model:
    """Check ``config['simulate']`` against the instrument and compute the derived quantities."""
    from surveysem.instrument.scales import load_instrument

    if "simulate" not in config:
        raise SurveySemError("the config has no simulate: section")
    if inst is None:
        inst = load_instrument(config["instrument"]["scales_dir"])
    sim = config["simulate"]

    def fail(key, message, value=None):
        raise SurveySemError(f"simulate.{key}: {message}", value=value)

    caps = [c.id for c in inst.constructs_of_kind("capability")]
    process_of = {c.id: c.process for c in inst.constructs_of_kind("capability")}
    for cid, proc in process_of.items():
        if proc not in PROCESSES:
            fail("second_order", f"capability {cid} has no process (sensing/seizing/reconfiguring) in scales/")
    for needed in ("ECP", "SOE"):
        if needed not in caps:
            fail("effects.interaction_ECP_SOE_spread", f"the instrument has no capability {needed}")
    oie = [c.id for c in inst.constructs_of_kind("oie")]
    markers = [c.id for c in inst.constructs_of_kind("marker")]

    so = sim["second_order"]["loadings"]
    for cid in caps:
        if cid not in so:
            fail(f"second_order.loadings.{cid}", "missing (every capability needs a second-order loading)")
    for cid in so:
        if cid not in caps:
            fail(f"second_order.loadings.{cid}", "not a capability of the instrument", cid)

    names = list(PROCESSES) + oie + markers
    k = len(names)
    corr = np.eye(k)
    pc = sim["second_order"]["correlations"]
    pairs = {("sensing", "seizing"): pc["sensing_seizing"], ("sensing", "reconfiguring"): pc["sensing_reconfiguring"],
             ("seizing", "reconfiguring"): pc["seizing_reconfiguring"]}
    for (a, b), r in pairs.items():
        i, j = names.index(a), names.index(b)
        corr[i, j] = corr[j, i] = r
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i == j:
                continue
            if a in oie and b in oie:
                corr[i, j] = sim["oie"]["correlation_among_roles"]
            elif (a in oie and b in PROCESSES) or (b in oie and a in PROCESSES):
                corr[i, j] = sim["oie"]["correlation_with_processes"]
    try:
        np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        fail("oie", "the correlations of process factors and OIE roles are not a valid (positive definite) matrix")

    effects: dict[str, dict[str, float]] = {}
    for o in OUTCOMES:
        effects[o] = {}
        for cid, b in (sim["effects"][o] or {}).items():
            if cid not in caps:
                fail(f"effects.{o}.{cid}", "not a capability of the instrument", cid)
            effects[o][cid] = float(b)

    # groups
    tech_keys, tech_p = _probs(sim["firms"]["tech"], "simulate.firms.tech")
    ind = sim["firms"]["individual_customers"]
    shares = {1: 0.0, 2: 0.0, 3: 0.0}
    for t, p in zip(tech_keys, tech_p):
        if int(t) == 1:
            shares[1] += p
        else:
            if t not in ind:
                fail(f"firms.individual_customers.{t}", "missing")
            shares[2] += p * ind[t]
            shares[3] += p * (1 - ind[t])
    own, other = float(sim["groups"]["own"]), float(sim["groups"]["other"])
    multipliers = {g: {} for g in (1, 2, 3)}
    mean_shifts = {g: {} for g in (1, 2, 3)}
    for o in OUTCOMES:
        raw = {g: (own if g == GROUP_OF_OUTCOME[o] else other) for g in (1, 2, 3)}
        mean = sum(shares[g] * raw[g] for g in raw)
        if mean <= 0:
            fail("groups", "own and other multipliers must not both be zero")
        shift = {g: (sim["groups"]["mean_shift"] if g == GROUP_OF_OUTCOME[o] else 0.0) for g in (1, 2, 3)}
        centre = sum(shares[g] * shift[g] for g in shift)
        for g in (1, 2, 3):
            multipliers[g][o] = raw[g] / mean
            mean_shifts[g][o] = shift[g] - centre

    # capability correlation matrix and analytic outcome SDs
    cap_cov = _capability_corr(caps, process_of, so, corr, names)
    ecp_soe = float(cap_cov[caps.index("ECP"), caps.index("SOE")])
    outcome_sd = {}
    for o in OUTCOMES:
        b = np.array([effects[o].get(c, 0.0) for c in caps])
        e_m2 = sum(shares[g] * multipliers[g][o] ** 2 for g in (1, 2, 3))
        var = e_m2 * float(b @ cap_cov @ b)
        if o == "spread":
            var += sim["effects"]["interaction_ECP_SOE_spread"] ** 2 * (1 + ecp_soe**2)
        var += sum(shares[g] * mean_shifts[g][o] ** 2 for g in (1, 2, 3))
        var += sim["effects"]["growth_loadings"][o] ** 2 + sim["effects"]["residual_sd"] ** 2
        outcome_sd[o] = math.sqrt(var)

    meas = sim["measurement"]
    hi, lo, m = meas["loading_high"], meas["loading_low"], meas["method_loading"]
    if lo > hi:
        fail("measurement.loading_low", "must not exceed loading_high", lo)
    if hi**2 + m**2 >= 1:
        fail("measurement.method_loading", "loading_high^2 + method_loading^2 must be below 1")
    thresholds = np.array(meas["thresholds"], dtype=float)
    if np.any(np.diff(thresholds) <= 0):
        fail("measurement.thresholds", "must increase")
    loadings: dict[str, float] = {}
    for c in inst.constructs.values():
        if c.kind == "attention":
            continue
        ncat = c.response_scale.max - c.response_scale.min + 1
        if ncat != len(thresholds) + 1:
            fail("measurement.thresholds", f"{len(thresholds)} thresholds give {len(thresholds) + 1} categories but "
                 f"{c.id} uses a {ncat}-point scale")
        regular = [it for it in c.items if not it.reverse]
        steps = np.linspace(hi, lo, len(regular)) if len(regular) > 1 else np.array([hi])
        for it, lam in zip(regular, steps):
            loadings[it.id] = float(lam)
        for it in c.items:
            if it.reverse:
                loadings[it.id] = float(lo)

    # market frame
    frame = sim["outcomes"]["countries"]
    home = config.get("outcomes", {}).get("home_country", "China")
    from surveysem.outcomes.measures import country_key

    for country in frame:
        try:
            inst.region_of(country)
        except SurveySemError:
            fail(f"outcomes.countries.{country}", "not in scales/regions.csv", country)
        if country_key(country) == country_key(home):
            fail(f"outcomes.countries.{country}", "the home country cannot be a foreign market", country)
    for country, alternatives in (sim["outcomes"].get("spellings") or {}).items():
        for alt in alternatives:
            try:
                same = inst.region_of(alt) == inst.region_of(country)
            except SurveySemError:
                fail(f"outcomes.spellings.{country}", f"{alt!r} is not in scales/regions.csv", alt)
            if not same:
                fail(f"outcomes.spellings.{country}", f"{alt!r} is in another region than {country!r}", alt)
    for key in ("tech", "size", "role", "first_entry_year_of_firm"):
        _probs(sim["firms"][key], f"simulate.firms.{key}")
    options = {p.id: p for p in inst.profile}
    for key, pid in (("tech", "TECH"), ("size", "SIZE"), ("role", "ROLE")):
        for code in sim["firms"][key]:
            if pid in options and options[pid].options and int(code) not in options[pid].options:
                fail(f"firms.{key}.{code}", f"not a code of {pid} in scales/profile.yaml", code)
    for t, dist in sim["firms"]["sector_given_tech"].items():
        for code in dist:
            if "SECTOR" in options and options["SECTOR"].options and int(code) not in options["SECTOR"].options:
                fail(f"firms.sector_given_tech.{t}.{code}", "not a SECTOR code of scales/profile.yaml", code)
    for t in tech_keys:
        if t not in sim["firms"]["sector_given_tech"]:
            fail(f"firms.sector_given_tech.{t}", "missing")
    return Model(
        survey_year=int(config["study"]["survey_year"]),
        capabilities=caps,
        process_of=process_of,
        oie=oie,
        markers=markers,
        second_order={c: float(so[c]) for c in caps},
        latent_corr=corr,
        latent_names=names,
        effects=effects,
        interaction=float(sim["effects"]["interaction_ECP_SOE_spread"]),
        ecp_soe_corr=ecp_soe,
        growth={o: float(sim["effects"]["growth_loadings"][o]) for o in OUTCOMES},
        residual_sd=float(sim["effects"]["residual_sd"]),
        group_shares=shares,
        multipliers=multipliers,
        mean_shifts=mean_shifts,
        outcome_sd=outcome_sd,
        item_loadings=loadings,
        method_loading=float(m),
        thresholds=thresholds,
        cfg=sim,
    )


def _capability_corr(caps, process_of, so, corr, names) -> np.ndarray:
    n = len(caps)
    out = np.eye(n)
    for i, a in enumerate(caps):
        for j, b in enumerate(caps):
            if i != j:
                out[i, j] = so[a] * so[b] * corr[names.index(process_of[a]), names.index(process_of[b])]
    return out


def population_truth(config: dict, inst=None) -> dict:
    """The true values of the synthetic population described by ``config['simulate']``.

    Keys: ``effects`` (outcome -> capability -> standardized effect on the outcome propensity,
    averaged over groups; 0 for capabilities without effect), ``effects_by_group``,
    ``interaction`` ({"spread": {"ECP:SOE": d}}), ``null_effects`` (hypothesized
    capability-outcome pairs of P1-P3 whose true effect is zero, e.g. CUS on spread),
    ``second_order_loadings``, ``process_correlations``, ``capability_correlations``,
    ``process_outcome_correlations`` (P4: correlation of each process factor with each
    outcome propensity), ``oie_direct_effects`` (all 0) and ``oie_outcome_correlations``
    (the OIE roles' association with the outcome propensities, entirely through the
    capabilities), ``group_shares``, ``group_multipliers``, ``group_mean_shifts``,
    ``item_loadings``, ``method_loading``, ``marker_correlation`` (0), ``outcome_sd``.
    """
    model = build_model(config, inst)
    caps = model.capabilities
    hyp = {"spread": ["PDC", "SOE", "ECP", "CUS"], "diversification": ["CCA", "ODV", "TOC"],
           "intensity": ["EFT", "TEC", "BMM", "ICO"]}
    effects = {o: {c: model.effects[o].get(c, 0.0) / model.outcome_sd[o] for c in caps} for o in OUTCOMES}
    by_group = {g: {o: {c: effects[o][c] * model.multipliers[g][o] for c in caps} for o in OUTCOMES}
                for g in (1, 2, 3)}
    nulls = [{"outcome": o, "predictor": c} for o in OUTCOMES for c in hyp[o] if c in caps and effects[o][c] == 0.0]
    names = model.latent_names
    cap_corr = _capability_corr(caps, model.process_of, model.second_order, model.latent_corr, names)
    proc_out = {}
    for p in PROCESSES:
        proc_out[p] = {}
        for o in OUTCOMES:
            cov = sum(model.effects[o].get(c, 0.0) * model.second_order[c]
                      * model.latent_corr[names.index(model.process_of[c]), names.index(p)] for c in caps)
            proc_out[p][o] = float(cov / model.outcome_sd[o])
    oie_out = {}
    for k in model.oie:
        oie_out[k] = {}
        for o in OUTCOMES:
            cov = sum(model.effects[o].get(c, 0.0) * model.second_order[c]
                      * model.latent_corr[names.index(model.process_of[c]), names.index(k)] for c in caps)
            oie_out[k][o] = float(cov / model.outcome_sd[o])
    return {
        "synthetic": True,
        "effects": effects,
        "effects_by_group": by_group,
        "interaction": {"spread": {"ECP:SOE": model.interaction / model.outcome_sd["spread"]}},
        "null_effects": nulls,
        "second_order_loadings": dict(model.second_order),
        "process_correlations": {f"{a}_{b}": float(model.latent_corr[names.index(a), names.index(b)])
                                 for i, a in enumerate(PROCESSES) for b in PROCESSES[i + 1:]},
        "capability_correlations": {a: {b: float(cap_corr[i, j]) for j, b in enumerate(caps)}
                                    for i, a in enumerate(caps)},
        "process_outcome_correlations": proc_out,
        "growth_loadings": {o: model.growth[o] / model.outcome_sd[o] for o in OUTCOMES},
        "group_shares": dict(model.group_shares),
        "group_multipliers": model.multipliers,
        "group_mean_shifts": {g: {o: v / model.outcome_sd[o] for o, v in d.items()} for g, d in model.mean_shifts.items()},
        "item_loadings": dict(model.item_loadings),
        "method_loading": model.method_loading,
        "marker_correlation": 0.0,
        "oie_process_correlation": float(model.cfg["oie"]["correlation_with_processes"]),
        "oie_direct_effects": {k: {o: 0.0 for o in OUTCOMES} for k in model.oie},
        "oie_outcome_correlations": oie_out,
        "outcome_sd": dict(model.outcome_sd),
        "ineligible_share": float(model.cfg["ineligible"]["share"]),
    }


# --------------------------------------------------------------------------- drawing


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


def _choice(rng, keys, p):
    return keys[int(rng.choice(len(keys), p=p))]


def _questionnaire(inst):
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


def _market_text(entries, rng, one_group: bool, spellings: dict, variation: float) -> str:
    written = []
    for country, year in entries:
        alts = spellings.get(country) or []
        if alts and rng.random() < variation:
            country = alts[int(rng.integers(len(alts)))]
        written.append((country, year))
    if one_group:
        groups: list[tuple[int, list[str]]] = []
        for country, year in written:
            if groups and groups[-1][0] == year:
                groups[-1][1].append(country)
            else:
                groups.append((year, [country]))
        return "; ".join(f"{', '.join(cs)} ({y})" for y, cs in groups)
    return "; ".join(f"{c} ({y})" for c, y in written)


class _Frame:
    """Country sampling frame: countries with weights, their regions and continents."""

    def __init__(self, countries: dict, inst):
        self.countries = list(countries)
        self.weight = {c: float(w) for c, w in countries.items()}
        self.region = {c: inst.region_of(c) for c in self.countries}
        self.continent = {c: inst.continent_of(c) for c in self.countries}
        self.regions = sorted(set(self.region.values()))
        self.region_weight = {r: sum(self.weight[c] for c in self.countries if self.region[c] == r)
                              for r in self.regions}

    def draw(self, rng, n_regions: int, n_countries: int, continent: str | None = None):
        countries = [c for c in self.countries if continent is None or self.continent[c] == continent]
        regions = sorted({self.region[c] for c in countries})
        n_regions = max(1, min(n_regions, len(regions)))
        w = np.array([sum(self.weight[c] for c in countries if self.region[c] == r) for r in regions])
        picked = list(rng.choice(len(regions), size=n_regions, replace=False, p=w / w.sum()))
        chosen_regions = [regions[i] for i in picked]
        chosen: list[str] = []
        for r in chosen_regions:
            pool = [c for c in countries if self.region[c] == r]
            pw = np.array([self.weight[c] for c in pool])
            chosen.append(pool[int(rng.choice(len(pool), p=pw / pw.sum()))])
        rest = [c for c in countries if self.region[c] in chosen_regions and c not in chosen]
        extra = max(0, min(n_countries - len(chosen), len(rest)))
        if extra:
            rw = np.array([self.weight[c] for c in rest])
            idx = rng.choice(len(rest), size=extra, replace=False, p=rw / rw.sum())
            chosen += [rest[i] for i in sorted(idx)]
        return chosen


def simulate(config: dict, n: int | None = None, seed: int | None = None, inst=None) -> SimulatedSurvey:
    """Draw a synthetic survey (see the module docstring for the model)."""
    from surveysem.instrument.scales import load_instrument

    if inst is None:
        inst = load_instrument(config["instrument"]["scales_dir"])
    model = build_model(config, inst)
    sim = model.cfg
    n = int(sim["n"] if n is None else n)
    seed = int(sim["seed"] if seed is None else seed)
    if n < 10:
        raise SurveySemError("simulate: n must be at least 10", value=n)
    rng = np.random.default_rng(seed)
    year = model.survey_year
    caps = model.capabilities

    # ---- firm profile and groups
    firms_cfg = sim["firms"]
    tech_keys, tech_p = _probs(firms_cfg["tech"], "tech")
    size_keys, size_p = _probs(firms_cfg["size"], "size")
    role_keys, role_p = _probs(firms_cfg["role"], "role")
    nth_keys, nth_p = _probs(firms_cfg["first_entry_year_of_firm"], "first_entry_year_of_firm")
    tech = np.array([int(_choice(rng, tech_keys, tech_p)) for _ in range(n)])
    individual = np.array([rng.random() < firms_cfg["individual_customers"][t] for t in tech])
    customer = np.where(individual, 1, 2)
    group = np.where(tech == 1, 1, np.where(customer == 1, 2, 3))
    size = np.array([int(_choice(rng, size_keys, size_p)) for _ in range(n)])
    sector = np.empty(n, dtype=int)
    for i, t in enumerate(tech):
        keys, p = _probs(firms_cfg["sector_given_tech"][t], "sector_given_tech")
        sector[i] = int(_choice(rng, keys, p))
    role = np.array([int(_choice(rng, role_keys, role_p)) for _ in range(n)])

    # ---- latent variables
    chol = np.linalg.cholesky(model.latent_corr)
    latent = rng.standard_normal((n, len(model.latent_names))) @ chol.T
    lat = {name: latent[:, i] for i, name in enumerate(model.latent_names)}
    eta: dict[str, np.ndarray] = {}
    for c in caps:
        g = model.second_order[c]
        eta[c] = g * lat[model.process_of[c]] + math.sqrt(1 - g * g) * rng.standard_normal(n)
    for c in model.oie + model.markers:
        eta[c] = lat[c]
    method = rng.standard_normal(n)
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

    # ---- eligibility violations
    n_inel = int(round(sim["ineligible"]["share"] * n))
    inel_kind = np.array([""] * n, dtype=object)
    if n_inel:
        who = rng.choice(n, size=n_inel, replace=False)
        for j, i in enumerate(sorted(who)):
            inel_kind[i] = INELIGIBLE_KINDS[j % len(INELIGIBLE_KINDS)]

    # ---- market histories and outcomes
    out_cfg = sim["outcomes"]
    frame = _Frame(out_cfg["countries"], inst)
    spellings = out_cfg.get("spellings") or {}
    founded = np.empty(n, dtype=int)
    firstsale = np.empty(n, dtype=int)
    fshare = np.empty(n, dtype=int)
    markets_text = [""] * n
    n_countries = np.empty(n, dtype=int)
    n_regions = np.empty(n, dtype=int)
    for i in range(n):
        kind = inel_kind[i]
        nth = int(_choice(rng, nth_keys, nth_p))
        age = firms_cfg["age_min"] + int(math.floor(rng.exponential(firms_cfg["age_mean_extra"])))
        age = min(age, firms_cfg["age_max"])
        if kind == "late_first_sale":
            nth = int(rng.integers(5, 9))  # first foreign sale in the 5th-8th year: FIRSTSALE - FOUNDED >= 4
            age = max(age, nth + 1)
        elif kind == "short_experience":
            age = nth  # years abroad = age - nth + 1 = 1
        else:
            age = max(age, nth + 1)  # at least two years abroad
        years = age - nth + 1
        founded[i] = year - age
        firstsale[i] = founded[i] + nth - 1
        r = int(np.clip(round(out_cfg["regions_mean"] + out_cfg["regions_scale"] * z["diversification"][i]),
                        2, out_cfg["regions_max"]))
        k = int(round(math.exp(math.log(out_cfg["spread_base"]) + out_cfg["spread_years_power"] * math.log(years)
                               + out_cfg["spread_scale"] * z["spread"][i])))
        k = min(k, int(math.floor(out_cfg["spread_max"] * years)))
        k = max(k, 2, r)
        if kind == "one_continent":
            continents = sorted({frame.continent[c] for c in frame.countries})
            cw = np.array([sum(frame.weight[c] for c in frame.countries if frame.continent[c] == co)
                           for co in continents])
            continent = continents[int(rng.choice(len(continents), p=cw / cw.sum()))]
            chosen = frame.draw(rng, r, k, continent=continent)
        else:
            for _attempt in range(200):
                chosen = frame.draw(rng, r, k)
                if len({frame.continent[c] for c in chosen}) >= 2:
                    break
        # entry years: the first country at FIRSTSALE, the others front-loaded up to the survey year
        years_of = [int(firstsale[i])]
        power = out_cfg["entry_timing_power"]
        for _ in chosen[1:]:
            years_of.append(int(firstsale[i]) + int(math.floor((years + 1) * rng.random() ** power)))
        order = sorted(range(len(chosen)), key=lambda j: (years_of[j], j))
        entries = [(chosen[j], years_of[j]) for j in order]
        markets_text[i] = _market_text(entries, rng, rng.random() < out_cfg.get("one_group_per_year", 0.5),
                                       spellings, out_cfg.get("spelling_variation", 0.0))
        n_countries[i] = len(chosen)
        n_regions[i] = len({frame.region[c] for c in chosen})
        if kind == "low_foreign_share":
            fshare[i] = int(rng.integers(5, 21))
        else:
            share = 25 + 75 * norm.cdf(z["intensity"][i])
            fshare[i] = int(5 * round(share / 5)) if rng.random() < out_cfg["share_heaping"] else int(round(share))

    # ---- careless respondents
    care = sim["careless"]
    careless = np.array([""] * n, dtype=object)
    counts = [int(round(care[k] * n)) for k in ("straightliners", "random", "attention_failures", "speeders")]
    order = rng.permutation(n)
    pos = 0
    for kind, cnt in zip(CARELESS_KINDS, counts):
        careless[order[pos:pos + cnt]] = kind
        pos += cnt

    # ---- item responses
    meas_items = [it for it in inst.items]
    responses: dict[str, np.ndarray] = {}
    m_load = model.method_loading
    for it in meas_items:
        construct = inst.constructs[it.construct]
        lo, hi = construct.response_scale.min, construct.response_scale.max
        if construct.kind == "attention":
            responses[it.id] = np.full(n, it.expected if it.expected is not None else lo, dtype=int)
            continue
        lam = model.item_loadings[it.id]
        sign = -1.0 if it.reverse else 1.0
        xstar = sign * lam * eta[it.construct] + m_load * method + math.sqrt(1 - lam**2 - m_load**2) * rng.standard_normal(n)
        responses[it.id] = lo + np.searchsorted(model.thresholds, xstar, side="right")
    straight_values = np.array([4, 5, 6, 7])
    for i in range(n):
        kind = careless[i]
        if not kind:
            continue
        if kind == "straightliner":
            v = int(rng.choice(straight_values, p=[0.3, 0.3, 0.2, 0.2]))
            for it in meas_items:
                responses[it.id][i] = v
        elif kind == "random":
            for it in meas_items:
                sc = inst.constructs[it.construct].response_scale
                responses[it.id][i] = int(rng.integers(sc.min, sc.max + 1))
        elif kind == "attention_failure":
            for it in meas_items:
                if it.expected is not None:
                    sc = inst.constructs[it.construct].response_scale
                    wrong = [v for v in range(sc.min, sc.max + 1) if v != it.expected]
                    responses[it.id][i] = int(wrong[int(rng.integers(len(wrong)))])
        elif kind == "speeder":
            for it in meas_items:
                if rng.random() < 0.5:
                    sc = inst.constructs[it.construct].response_scale
                    responses[it.id][i] = int(rng.integers(sc.min, sc.max + 1))

    # ---- durations
    fw = sim["fieldwork"]
    median = float(fw["duration_median"])
    duration = np.exp(np.log(median) + fw["duration_sigma"] * rng.standard_normal(n))
    for i in range(n):
        if careless[i] == "straightliner":
            duration[i] = math.exp(math.log(0.45 * median) + 0.3 * rng.standard_normal())
        elif careless[i] == "random":
            duration[i] = math.exp(math.log(0.5 * median) + 0.3 * rng.standard_normal())
        elif careless[i] == "speeder":
            duration[i] = float(rng.uniform(90, 200))

    # ---- missing data
    miss_cfg = sim["missing"]
    item_missing: dict[str, np.ndarray] = {}
    mar = miss_cfg["mar_by_size"]
    p_size = np.array([float(mar.get(int(s), mar.get(str(s), 0.0))) for s in size])
    p_cell = 1 - (1 - miss_cfg["mcar"]) * (1 - p_size)
    for it in meas_items:
        if it.expected is not None:
            item_missing[it.id] = np.zeros(n, dtype=bool)
        else:
            item_missing[it.id] = rng.random(n) < p_cell
    profile_missing = {pid: rng.random(n) < miss_cfg.get("profile_mcar", 0.0) for pid in ("FSHARE", "CUSTOMER", "ROLE")}
    code_cells = {it.id: rng.random(n) < miss_cfg.get("code_share", 0.0) for it in meas_items}

    # unfinished: stop at a construct block after the profile
    blocks = _questionnaire(inst)
    construct_blocks = [b for kind_, b in blocks if kind_ == "construct"]
    n_unf = int(round(miss_cfg.get("unfinished", 0.0) * n))
    stop_at = np.full(n, -1)
    if n_unf:
        eligible_unf = [i for i in range(n) if not careless[i]]
        for i in rng.choice(eligible_unf, size=min(n_unf, len(eligible_unf)), replace=False):
            stop_at[i] = int(rng.integers(1, len(construct_blocks)))
    progress = np.full(n, 100)
    total_items = sum(len(c.items) for c in construct_blocks)
    for i in np.flatnonzero(stop_at >= 0):
        answered = sum(len(c.items) for c in construct_blocks[: stop_at[i]])
        progress[i] = int(round(100 * (len(inst.profile) + answered) / (len(inst.profile) + total_items)))
        duration[i] *= progress[i] / 100

    comments = [""] * n
    for i in range(n):
        if rng.random() < sim.get("comments", 0.0):
            comments[i] = _COMMENTS[int(rng.integers(len(_COMMENTS)))]

    # ---- metadata and fake PII
    start0 = dt.datetime.fromisoformat(fw["start"])
    start = [start0 + dt.timedelta(days=int(rng.integers(fw["days"])), seconds=int(rng.integers(8 * 3600, 22 * 3600)))
             for _ in range(n)]
    alnum = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    used_ids: set[str] = set()

    def response_id() -> str:
        while True:
            rid = "R_" + "".join(rng.choice(alnum, size=15))
            if rid not in used_ids:
                used_ids.add(rid)
                return rid

    meta = []
    for i in range(n):
        channel = "email" if rng.random() < 0.7 else "anonymous"
        last = _LAST_NAMES[int(rng.integers(len(_LAST_NAMES)))]
        first = _FIRST_NAMES[int(rng.integers(len(_FIRST_NAMES)))]
        city = _CITIES[int(rng.integers(len(_CITIES)))]
        ip = f"{_TEST_NETS[int(rng.integers(3))]}.{int(rng.integers(1, 255))}"
        lat_, lon_ = city[0] + 0.05 * rng.standard_normal(), city[1] + 0.05 * rng.standard_normal()
        meta.append({
            "channel": channel,
            "last": last if channel == "email" else "",
            "first": first if channel == "email" else "",
            "email": f"{first}.{last}{i + 1:03d}@example.com".lower() if channel == "email" else "",
            "external": f"SYN-{i + 1:04d}" if channel == "email" else "",
            "ip": ip, "lat": f"{lat_:.4f}", "lon": f"{lon_:.4f}",
            "lang": "ZH-S" if rng.random() < 0.6 else "EN",
        })

    # ---- duplicate submissions (same person, same answers, later)
    n_dup = int(sim.get("duplicates", 0))
    candidates = [i for i in range(n) if not careless[i] and stop_at[i] < 0]
    dup_of = list(rng.choice(candidates, size=min(n_dup, len(candidates)), replace=False)) if n_dup else []

    # ---- assemble rows
    columns = list(METADATA_COLUMNS)
    wording = [w for _, w, _ in QUALTRICS_METADATA]
    import_ids = [json.dumps(imp, separators=(",", ":")) for _, _, imp in QUALTRICS_METADATA]
    qid = 0
    layout: list[tuple[str, str, object]] = []  # (column, kind, block index)
    for b_index, (kind_, block) in enumerate(blocks):
        if kind_ == "profile":
            for p in block:
                qid += 1
                columns.append(p.id)
                wording.append(p.wording)
                text_entry = p.type in ("integer", "number", "percent", "text", "market_history")
                import_ids.append(json.dumps({"ImportId": f"QID{qid}_TEXT" if text_entry else f"QID{qid}"},
                                             separators=(",", ":")))
                layout.append((p.id, "profile", b_index))
        else:
            qid += 1
            for j, it in enumerate(block.items, start=1):
                columns.append(it.id)
                wording.append(f"{block.stem} - {it.wording}" if block.stem else it.wording)
                import_ids.append(json.dumps({"ImportId": f"QID{qid}_{j}"}, separators=(",", ":")))
                layout.append((it.id, "item", construct_blocks.index(block)))

    profile_values = {
        "FOUNDED": founded, "SIZE": size, "SECTOR": sector, "TECH": tech, "CUSTOMER": customer,
        "FIRSTSALE": firstsale, "FSHARE": fshare, "MARKETS": markets_text, "ROLE": role, "COMMENTS": comments,
    }
    missing_code = str(miss_cfg.get("code", -99))

    def row_for(i: int, when: dt.datetime, rid: str, dur: float) -> list[str]:
        d = int(round(dur))
        end = when + dt.timedelta(seconds=d)
        rec = end + dt.timedelta(seconds=int(rng.integers(0, 3)))
        mt = meta[i]
        out = [when.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"), "0", mt["ip"],
               str(progress[i]), str(d), "1" if stop_at[i] < 0 else "0", rec.strftime("%Y-%m-%d %H:%M:%S"), rid,
               mt["last"], mt["first"], mt["email"], mt["external"], mt["lat"], mt["lon"], mt["channel"], mt["lang"]]
        for col, kind_, b_index in layout:
            if kind_ == "profile":
                if col == "COMMENTS" and stop_at[i] >= 0:
                    out.append("")
                    continue
                if col in profile_missing and profile_missing[col][i]:
                    out.append("")
                    continue
                value = profile_values.get(col)
                out.append("" if value is None else str(value[i]))
            else:
                if stop_at[i] >= 0 and b_index >= stop_at[i]:
                    out.append("")
                elif item_missing[col][i]:
                    out.append(missing_code if code_cells[col][i] else "")
                else:
                    out.append(str(int(responses[col][i])))
        return out

    records = []
    for i in range(n):
        records.append((start[i], i, False, row_for(i, start[i], response_id(), duration[i])))
    for i in dup_of:
        later = start[i] + dt.timedelta(seconds=int(rng.integers(3600, 48 * 3600)))
        dur = math.exp(math.log(0.8 * median) + 0.3 * rng.standard_normal())
        records.append((later, int(i), True, row_for(int(i), later, response_id(), dur)))
    records.sort(key=lambda r: (r[0], r[1], r[2]))

    truth_rows = []
    for when, i, is_dup, row in records:
        truth = {"ResponseId": row[METADATA_COLUMNS.index("ResponseId")], "firm": i, "duplicate": is_dup,
                 "group": int(group[i]), "ineligible": inel_kind[i], "careless": careless[i],
                 "unfinished": bool(stop_at[i] >= 0), "n_countries": int(n_countries[i]),
                 "n_regions": int(n_regions[i]), "duration": float(duration[i])}
        for c in caps + model.oie + model.markers:
            truth[f"eta_{c}"] = float(eta[c][i])
        for proc in PROCESSES:
            truth[f"eta_{proc}"] = float(lat[proc][i])
        for o in OUTCOMES:
            truth[f"z_{o}"] = float(z[o][i])
        truth["method"] = float(method[i])
        truth_rows.append(truth)
    return SimulatedSurvey(columns=columns, wording=wording, import_ids=import_ids,
                           rows=[r[3] for r in records], firms=pd.DataFrame(truth_rows), seed=seed, n=n)


def write_survey(path, survey: SimulatedSurvey) -> None:
    """Write the Qualtrics-shaped CSV (UTF-8, ``\\n`` line ends) atomically."""
    from surveysem.io import write_text

    write_text(path, survey.to_csv())


# --------------------------------------------------------------------------- command line


def configure_parser(parser) -> None:
    parser.add_argument("--config", default="config/config.yaml", help="config file (default: %(default)s)")
    parser.add_argument("--out", required=True, help="CSV file to write, e.g. data/survey_synthetic.csv")
    parser.add_argument("--n", type=int, default=None, help="number of firms (default: simulate.n of the config)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: simulate.seed of the config)")


def run(args) -> int:
    from surveysem.config import load_config

    config = load_config(args.config)
    if args.n is not None and args.n < 10:
        raise SurveySemError("--n must be at least 10", value=args.n)
    if args.seed is not None and args.seed < 0:
        raise SurveySemError("--seed must not be negative", value=args.seed)
    try:
        survey = simulate(config, n=args.n, seed=args.seed)
    except SurveySemError as err:
        if err.file is None and err.message.startswith("simulate."):
            raise SurveySemError(err.message, file=args.config, value=err.value) from None
        raise
    out = Path(args.out)
    write_survey(out, survey)
    n_dup = int(survey.firms["duplicate"].sum())
    print(f"wrote {out}: {len(survey.rows)} responses ({survey.n} synthetic firms + {n_dup} duplicate submissions), "
          f"seed {survey.seed}")
    if not config["data"].get("synthetic", False) and Path(config["data"]["survey"]).resolve() == out.resolve():
        print("note: data.synthetic is false in the config; set it to true when analysing this file")
    return 0
