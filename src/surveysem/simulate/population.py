"""The population model of the synthetic study, and its true values.

:func:`build_model` checks ``config['simulate']`` against the instrument and derives what a
draw needs (a :class:`Model`); :func:`population_truth` turns the model into the true values a
test or a reader can compare estimates with. All latent variables are standard normal and
effects are in standard deviations:

* **Capabilities (P4 structure).** Three correlated process factors -- sensing, seizing,
  reconfiguring -- with each capability ``cap = g * process + sqrt(1 - g^2) * u`` (second-order
  loading ``g``; process membership from ``scales/``). The four OIE roles correlate with the
  process factors and each other; the marker correlates with nothing.
* **Outcome propensities.** For outcome *o* in group *k*::

      y*_o = sum_c b[c,o] * m[k,o] * cap_c  (+ d * (ECP*SOE - E[ECP*SOE]) for spread)
             + mu[k,o] + l_o * G + s * e_o

  with ``m`` the group multipliers (own proposition stronger, population mean 1), ``mu`` the
  group mean shifts (centred), ``G`` a growth factor shared by the three outcomes and
  independent of the capabilities, and ``e_o`` a residual. ``y*_o`` is divided by its population
  SD (computed analytically here) to give ``z_o``. CUS has no effect: a true null.
* **Responses.** Item loadings run evenly from ``loading_high`` to ``loading_low`` within a
  construct (reverse-keyed items get ``loading_low``); one common-method loading; thresholds
  cut the latent response into the categories of the response scale.

Every check names the config key (``simulate.<key>``) it is about.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import load_instrument
from surveysem.outcomes.measures import country_key

PROCESSES = ("sensing", "seizing", "reconfiguring")
OUTCOMES = ("spread", "diversification", "intensity")
GROUPS = (1, 2, 3)  # typology groups (surveysem.outcomes.measures)
GROUP_OF_OUTCOME = {"spread": 1, "diversification": 2, "intensity": 3}  # the group emphasising it
# P1-P3: the capabilities hypothesized to drive each outcome (a zero true effect is a true null).
HYPOTHESIZED = {"spread": ["PDC", "SOE", "ECP", "CUS"], "diversification": ["CCA", "ODV", "TOC"],
                "intensity": ["EFT", "TEC", "BMM", "ICO"]}


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


def probabilities(mapping: dict, where: str) -> tuple[list, np.ndarray]:
    """Keys and normalized probabilities of a ``{value: weight}`` mapping.

    Parameters
    ----------
    mapping : dict
        Value -> non-negative weight, as written in the config.
    where : str
        The config key, named in the error.

    Returns
    -------
    tuple
        The keys in config order and their probabilities (summing to 1).
    """
    keys = list(mapping)
    p = np.array([float(mapping[k]) for k in keys])
    if p.sum() <= 0:
        raise SurveySemError("probabilities must not all be zero", file="config", column=where)
    return keys, p / p.sum()


def _fail(key: str, message: str, value=None):
    raise SurveySemError(f"simulate.{key}: {message}", value=value)


def latent_structure(inst) -> tuple[list[str], dict[str, str], list[str], list[str]]:
    """The latent variables of the instrument: capabilities (with their process), OIE roles, markers.

    Returns
    -------
    tuple
        ``(capabilities, process_of, oie, markers)``, each in instrument order.

    Notes
    -----
    ECP and SOE must exist: the spread model has their interaction.
    """
    caps = [c.id for c in inst.constructs_of_kind("capability")]
    process_of = {c.id: c.process for c in inst.constructs_of_kind("capability")}
    for cid, proc in process_of.items():
        if proc not in PROCESSES:
            _fail("second_order", f"capability {cid} has no process (sensing/seizing/reconfiguring) in scales/")
    for needed in ("ECP", "SOE"):
        if needed not in caps:
            _fail("effects.interaction_ECP_SOE_spread", f"the instrument has no capability {needed}")
    oie = [c.id for c in inst.constructs_of_kind("oie")]
    markers = [c.id for c in inst.constructs_of_kind("marker")]
    return caps, process_of, oie, markers


def check_second_order_loadings(loadings: dict, caps: list[str]) -> None:
    """Every capability, and nothing else, has a second-order loading."""
    for cid in caps:
        if cid not in loadings:
            _fail(f"second_order.loadings.{cid}", "missing (every capability needs a second-order loading)")
    for cid in loadings:
        if cid not in caps:
            _fail(f"second_order.loadings.{cid}", "not a capability of the instrument", cid)


def latent_correlations(sim: dict, oie: list[str], markers: list[str]) -> tuple[list[str], np.ndarray]:
    """Correlation matrix of the process factors, OIE roles and markers.

    Parameters
    ----------
    sim : dict
        ``config['simulate']`` (``second_order.correlations`` and ``oie``).
    oie, markers : list of str
        The OIE roles and marker constructs.

    Returns
    -------
    tuple
        ``(names, corr)``: ``PROCESSES + oie + markers`` and their correlation matrix.

    Notes
    -----
    Markers keep zero correlations. The matrix must be positive definite (it is factored to draw).
    """
    names = list(PROCESSES) + oie + markers
    corr = np.eye(len(names))
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
        _fail("oie", "the correlations of process factors and OIE roles are not a valid (positive definite) matrix")
    return names, corr


def outcome_effects(effects_cfg: dict, caps: list[str]) -> dict[str, dict[str, float]]:
    """Raw capability effects per outcome (outcome -> capability -> b); unlisted capabilities have none."""
    effects: dict[str, dict[str, float]] = {}
    for o in OUTCOMES:
        effects[o] = {}
        for cid, b in (effects_cfg[o] or {}).items():
            if cid not in caps:
                _fail(f"effects.{o}.{cid}", "not a capability of the instrument", cid)
            effects[o][cid] = float(b)
    return effects


def group_shares(firms_cfg: dict) -> dict[int, float]:
    """Population share of each typology group, from the TECH and CUSTOMER probabilities.

    Notes
    -----
    Group 1 is TECH 1; other firms are group 2 with individual customers, else group 3.
    """
    tech_keys, tech_p = probabilities(firms_cfg["tech"], "simulate.firms.tech")
    individual = firms_cfg["individual_customers"]
    shares = {1: 0.0, 2: 0.0, 3: 0.0}
    for t, p in zip(tech_keys, tech_p):
        if int(t) == 1:
            shares[1] += p
        else:
            if t not in individual:
                _fail(f"firms.individual_customers.{t}", "missing")
            shares[2] += p * individual[t]
            shares[3] += p * (1 - individual[t])
    return shares


def group_effects(groups_cfg: dict, shares: dict[int, float]) -> tuple[dict, dict]:
    """Group multipliers of the capability effects and group mean shifts of each outcome.

    Parameters
    ----------
    groups_cfg : dict
        ``config['simulate']['groups']``: ``own``, ``other`` and ``mean_shift``.
    shares : dict
        Group -> population share (:func:`group_shares`).

    Returns
    -------
    tuple
        ``(multipliers, mean_shifts)``, each group -> outcome -> value.

    Notes
    -----
    Multipliers are rescaled to a population mean of 1, so the configured effects are the
    population-average effects; shifts are centred, so the population mean stays 0.
    """
    own, other = float(groups_cfg["own"]), float(groups_cfg["other"])
    multipliers: dict[int, dict[str, float]] = {g: {} for g in GROUPS}
    mean_shifts: dict[int, dict[str, float]] = {g: {} for g in GROUPS}
    for o in OUTCOMES:
        raw = {g: (own if g == GROUP_OF_OUTCOME[o] else other) for g in GROUPS}
        mean = sum(shares[g] * raw[g] for g in raw)
        if mean <= 0:
            _fail("groups", "own and other multipliers must not both be zero")
        shift = {g: (groups_cfg["mean_shift"] if g == GROUP_OF_OUTCOME[o] else 0.0) for g in GROUPS}
        centre = sum(shares[g] * shift[g] for g in shift)
        for g in GROUPS:
            multipliers[g][o] = raw[g] / mean
            mean_shifts[g][o] = shift[g] - centre
    return multipliers, mean_shifts


def capability_correlations(caps, process_of, loadings, corr, names) -> np.ndarray:
    """Correlations of the capabilities implied by their second-order loadings.

    Notes
    -----
    ``corr(a, b) = g_a * g_b * corr(process_a, process_b)``; unit diagonal.
    """
    out = np.eye(len(caps))
    for i, a in enumerate(caps):
        for j, b in enumerate(caps):
            if i != j:
                out[i, j] = loadings[a] * loadings[b] * corr[names.index(process_of[a]), names.index(process_of[b])]
    return out


def outcome_sds(effects_cfg, effects, caps, cap_corr, ecp_soe, shares, multipliers, mean_shifts) -> dict[str, float]:
    """Analytic population SD of each outcome propensity ``y*_o`` (it standardizes ``z_o``).

    Notes
    -----
    Group membership is independent of the latent variables, so the variance adds up: the
    capability part (times the mean squared multiplier), the ECP x SOE term for spread
    (``Var(ECP*SOE) = 1 + r^2`` for standard normals), the group mean shifts, growth and residual.
    """
    sds = {}
    for o in OUTCOMES:
        b = np.array([effects[o].get(c, 0.0) for c in caps])
        e_m2 = sum(shares[g] * multipliers[g][o] ** 2 for g in GROUPS)
        var = e_m2 * float(b @ cap_corr @ b)
        if o == "spread":
            var += effects_cfg["interaction_ECP_SOE_spread"] ** 2 * (1 + ecp_soe**2)
        var += sum(shares[g] * mean_shifts[g][o] ** 2 for g in GROUPS)
        var += effects_cfg["growth_loadings"][o] ** 2 + effects_cfg["residual_sd"] ** 2
        sds[o] = math.sqrt(var)
    return sds


def measurement_settings(meas: dict) -> tuple[float, float, float, np.ndarray]:
    """``(loading_high, loading_low, method_loading, thresholds)``, checked for a valid response model."""
    hi, lo, m = meas["loading_high"], meas["loading_low"], meas["method_loading"]
    if lo > hi:
        _fail("measurement.loading_low", "must not exceed loading_high", lo)
    if hi**2 + m**2 >= 1:
        _fail("measurement.method_loading", "loading_high^2 + method_loading^2 must be below 1")
    thresholds = np.array(meas["thresholds"], dtype=float)
    if np.any(np.diff(thresholds) <= 0):
        _fail("measurement.thresholds", "must increase")
    return hi, lo, m, thresholds


def _rated_constructs(inst) -> list:
    # attention checks have an expected answer, not a loading
    return [c for c in inst.constructs.values() if c.kind != "attention"]


def check_scale_points(inst, thresholds: np.ndarray) -> None:
    """Every rated construct has as many categories as the thresholds make."""
    for c in _rated_constructs(inst):
        ncat = c.response_scale.max - c.response_scale.min + 1
        if ncat != len(thresholds) + 1:
            _fail("measurement.thresholds", f"{len(thresholds)} thresholds give {len(thresholds) + 1} categories but "
                  f"{c.id} uses a {ncat}-point scale")


def item_loadings(inst, high: float, low: float) -> dict[str, float]:
    """Standardized loading of every rated item: ``high`` to ``low`` in item order, reverse-keyed ``low``."""
    loadings: dict[str, float] = {}
    for c in _rated_constructs(inst):
        regular = [it for it in c.items if not it.reverse]
        steps = np.linspace(high, low, len(regular)) if len(regular) > 1 else np.array([high])
        for it, lam in zip(regular, steps):
            loadings[it.id] = float(lam)
        for it in c.items:
            if it.reverse:
                loadings[it.id] = float(low)
    return loadings


def check_market_frame(outcomes_cfg: dict, inst, home: str) -> None:
    """Every country of the frame and every spelling is a foreign market of ``scales/regions.csv``.

    Notes
    -----
    An alternative spelling must stay in its country's region, or MARKETS would change the
    diversification count it was drawn for.
    """
    for country in outcomes_cfg["countries"]:
        try:
            inst.region_of(country)
        except SurveySemError:
            _fail(f"outcomes.countries.{country}", "not in scales/regions.csv", country)
        if country_key(country) == country_key(home):
            _fail(f"outcomes.countries.{country}", "the home country cannot be a foreign market", country)
    for country, alternatives in (outcomes_cfg.get("spellings") or {}).items():
        for alt in alternatives:
            try:
                same = inst.region_of(alt) == inst.region_of(country)
            except SurveySemError:
                _fail(f"outcomes.spellings.{country}", f"{alt!r} is not in scales/regions.csv", alt)
            if not same:
                _fail(f"outcomes.spellings.{country}", f"{alt!r} is in another region than {country!r}", alt)


def check_firm_codes(firms_cfg: dict, inst) -> None:
    """The firm-profile distributions are valid and use the codes of ``scales/profile.yaml``."""
    for key in ("tech", "size", "role", "first_entry_year_of_firm"):
        probabilities(firms_cfg[key], f"simulate.firms.{key}")
    options = {p.id: p for p in inst.profile}
    for key, pid in (("tech", "TECH"), ("size", "SIZE"), ("role", "ROLE")):
        for code in firms_cfg[key]:
            if pid in options and options[pid].options and int(code) not in options[pid].options:
                _fail(f"firms.{key}.{code}", f"not a code of {pid} in scales/profile.yaml", code)
    for t, dist in firms_cfg["sector_given_tech"].items():
        for code in dist:
            if "SECTOR" in options and options["SECTOR"].options and int(code) not in options["SECTOR"].options:
                _fail(f"firms.sector_given_tech.{t}.{code}", "not a SECTOR code of scales/profile.yaml", code)
    for t in firms_cfg["tech"]:
        if t not in firms_cfg["sector_given_tech"]:
            _fail(f"firms.sector_given_tech.{t}", "missing")


def build_model(config: dict, inst=None) -> Model:
    """Check ``config['simulate']`` against the instrument and compute the derived quantities.

    Parameters
    ----------
    config : dict
        The loaded config (``simulate``, ``study.survey_year``, ``instrument``, ``outcomes``).
    inst : Instrument, optional
        The instrument; loaded from ``config['instrument']['scales_dir']`` when omitted.

    Returns
    -------
    Model

    Notes
    -----
    Raises :class:`SurveySemError` naming the first ``simulate.<key>`` that is wrong.
    """
    if "simulate" not in config:
        raise SurveySemError("the config has no simulate: section")
    if inst is None:
        inst = load_instrument(config["instrument"]["scales_dir"])
    sim = config["simulate"]
    caps, process_of, oie, markers = latent_structure(inst)
    so = sim["second_order"]["loadings"]
    check_second_order_loadings(so, caps)
    names, corr = latent_correlations(sim, oie, markers)
    effects = outcome_effects(sim["effects"], caps)
    shares = group_shares(sim["firms"])
    multipliers, mean_shifts = group_effects(sim["groups"], shares)
    cap_corr = capability_correlations(caps, process_of, so, corr, names)
    ecp_soe = float(cap_corr[caps.index("ECP"), caps.index("SOE")])
    outcome_sd = outcome_sds(sim["effects"], effects, caps, cap_corr, ecp_soe, shares, multipliers, mean_shifts)
    high, low, method_loading, thresholds = measurement_settings(sim["measurement"])
    check_scale_points(inst, thresholds)
    loadings = item_loadings(inst, high, low)
    check_market_frame(sim["outcomes"], inst, config["outcomes"]["home_country"])
    check_firm_codes(sim["firms"], inst)
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
        method_loading=float(method_loading),
        thresholds=thresholds,
        cfg=sim,
    )


def latent_outcome_correlations(model: Model, latents) -> dict[str, dict[str, float]]:
    """Correlation of each latent variable (process factor or OIE role) with each outcome propensity.

    Notes
    -----
    Only the capabilities affect the outcomes, so ``cov(k, y*_o) = sum_c b[c,o] * g_c *
    corr(process_c, k)``; divided by the outcome SD (the latent has unit variance).
    """
    names = model.latent_names
    out: dict[str, dict[str, float]] = {}
    for k in latents:
        out[k] = {}
        for o in OUTCOMES:
            cov = sum(model.effects[o].get(c, 0.0) * model.second_order[c]
                      * model.latent_corr[names.index(model.process_of[c]), names.index(k)] for c in model.capabilities)
            out[k][o] = float(cov / model.outcome_sd[o])
    return out


def population_truth(config: dict, inst=None) -> dict:
    """The true values of the synthetic population described by ``config['simulate']``.

    Parameters
    ----------
    config : dict
        The loaded config.
    inst : Instrument, optional
        The instrument; loaded from the config when omitted.

    Returns
    -------
    dict
        ``effects`` (outcome -> capability -> standardized effect on the outcome propensity,
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
    caps, names, sd = model.capabilities, model.latent_names, model.outcome_sd
    effects = {o: {c: model.effects[o].get(c, 0.0) / sd[o] for c in caps} for o in OUTCOMES}
    by_group = {g: {o: {c: effects[o][c] * model.multipliers[g][o] for c in caps} for o in OUTCOMES} for g in GROUPS}
    nulls = [{"outcome": o, "predictor": c} for o in OUTCOMES for c in HYPOTHESIZED[o]
             if c in caps and effects[o][c] == 0.0]
    cap_corr = capability_correlations(caps, model.process_of, model.second_order, model.latent_corr, names)
    return {
        "synthetic": True,
        "effects": effects,
        "effects_by_group": by_group,
        "interaction": {"spread": {"ECP:SOE": model.interaction / sd["spread"]}},
        "null_effects": nulls,
        "second_order_loadings": dict(model.second_order),
        "process_correlations": {f"{a}_{b}": float(model.latent_corr[names.index(a), names.index(b)])
                                 for i, a in enumerate(PROCESSES) for b in PROCESSES[i + 1:]},
        "capability_correlations": {a: {b: float(cap_corr[i, j]) for j, b in enumerate(caps)}
                                    for i, a in enumerate(caps)},
        "process_outcome_correlations": latent_outcome_correlations(model, PROCESSES),
        "growth_loadings": {o: model.growth[o] / sd[o] for o in OUTCOMES},
        "group_shares": dict(model.group_shares),
        "group_multipliers": model.multipliers,
        "group_mean_shifts": {g: {o: v / sd[o] for o, v in d.items()} for g, d in model.mean_shifts.items()},
        "item_loadings": dict(model.item_loadings),
        "method_loading": model.method_loading,
        "marker_correlation": 0.0,
        "oie_process_correlation": float(model.cfg["oie"]["correlation_with_processes"]),
        "oie_direct_effects": {k: {o: 0.0 for o in OUTCOMES} for k in model.oie},
        "oie_outcome_correlations": latent_outcome_correlations(model, model.oie),
        "outcome_sd": dict(model.outcome_sd),
        "ineligible_share": float(model.cfg["ineligible"]["share"]),
    }
