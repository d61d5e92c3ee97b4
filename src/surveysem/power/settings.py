"""Checks of the ``power:`` settings, run when the workflow is parsed (imports nothing heavy).

A power grid that cannot work ends in one line naming the key before any job starts: a sample
size not above the observed variables of the P4 model (its sample covariance matrix would be
singular: no ML, two-stage or FIML fit), an unknown proposition, no ``simulate:`` population.
(Zero replications is refused by the schema.) Sizes between the observed variables and the free
parameters (58 and 133 for the bundled P4 models) are allowed: the issue's default grid starts at
100, and the pipeline fits P4 at 150 firms; such replications fail or not as they do. The count of free
parameters is the covariance structure's, as lavaan numbers them for the P4 syntax of
:func:`surveysem.propositions.p4.p4_syntax` (marker loadings fixed, residual variances of every
indicator and latent variable, covariances among exogenous latent variables);
``tests/power/test_settings.py`` checks it against the SEM engine's parameter table.
"""

from __future__ import annotations

from surveysem.errors import SurveySemError, exit_with

GROWTH_INDICATORS = 3  # g_spread, g_div, g_int (surveysem.propositions.p4.GROWTH_INDICATORS)


def p4_free_parameters(processes: dict[str, list[str]], indicators: dict[str, int], model: str) -> int:
    """Free parameters of the covariance structure of P4 model ``model`` (a, b or c)."""
    caps = [c for members in processes.values() for c in members]
    observed = sum(indicators[c] for c in caps) + GROWTH_INDICATORS
    n_proc = len(processes)
    loadings = sum(indicators[c] - 1 for c in caps) + GROWTH_INDICATORS - 1
    latent_variances = len(caps) + 1
    if model in ("a", "b"):
        loadings += sum(len(m) - 1 for m in processes.values())
        latent_variances += n_proc
    paths = {"a": n_proc, "b": n_proc, "c": len(caps)}[model]
    exogenous_covariances = {"a": n_proc * (n_proc - 1) // 2, "b": 0, "c": len(caps) * (len(caps) - 1) // 2}[model]
    return observed + loadings + latent_variances + paths + exogenous_covariances


def p4_degrees_of_freedom(processes: dict[str, list[str]], indicators: dict[str, int], model: str) -> int:
    """Degrees of freedom of P4 model ``model``: moments p(p + 1)/2 minus free parameters."""
    p = sum(indicators[c] for members in processes.values() for c in members) + GROWTH_INDICATORS
    return p * (p + 1) // 2 - p4_free_parameters(processes, indicators, model)


def power_models(config: dict) -> tuple[str, ...]:
    """The P4 models a power replication fits: the verdict's and the one it is nested in."""
    from surveysem.propositions.model_choice import LESS_RESTRICTED

    rule = config["verdict_rule"]
    models = [rule["p4_model"]]
    if rule["p4_model_choice"]["rule"] == "theory_unless_worse":
        models.append(LESS_RESTRICTED[rule["p4_model"]])
    return tuple(models)


def check_power(config: dict, hyps, inst, config_name: str = "config/config.yaml") -> None:
    """One-line SurveySemError for a power grid that cannot run (module docstring)."""
    from surveysem.instrument.analysed import scale_indicators

    power = config["power"]
    if "simulate" not in config:
        raise SurveySemError("power: needs the simulate: section (the population the studies are drawn from)",
                             file=config_name)
    ids = [h.id for h in hyps]
    for pid in power["propositions"] or []:
        if pid not in ids:
            raise SurveySemError(f"power.propositions: unknown proposition {pid!r} (hypotheses: {', '.join(ids)})",
                                 file=config_name)
    studied = [h for h in hyps if power["propositions"] is None or h.id in power["propositions"]]
    sem = next((h for h in studied if h.is_sem), None)
    if sem is None or inst is None:
        return
    counts = {c: len(items) for c, items in scale_indicators(inst).items()}
    observed = sum(counts[c] for members in sem.processes.values() for c in members) + GROWTH_INDICATORS
    free = {m: p4_free_parameters(sem.processes, counts, m) for m in power_models(config)}
    model, most = max(free.items(), key=lambda kv: kv[1])
    for n in power["sizes"]:
        if n <= observed:
            raise SurveySemError(f"power.sizes: N = {n} is not above the {observed} observed variables of the P4 "
                                 f"model, whose sample covariance matrix would then be singular (P4 model ({model}) "
                                 f"has {most} free parameters); use sizes above {observed}", file=config_name)


def workflow_power(config: dict, scales_dir) -> None:
    """For power.smk at parse time: :func:`check_power` with one line and exit 1 on a problem."""
    from surveysem.instrument.analysed import analysed_instrument, capability_processes
    from surveysem.instrument.scales import load_instrument
    from surveysem.propositions.hypotheses import parse_hypotheses

    try:
        try:
            inst = analysed_instrument(load_instrument(scales_dir, regions=False), config.get("scales"))
        except SurveySemError:
            inst = None  # the instrument rules report their own problems
        known = list(inst.constructs) if inst is not None else None
        processes = capability_processes(inst) if inst is not None else None
        check_power(config, parse_hypotheses(config["hypotheses"], known, processes=processes), inst)
    except SurveySemError as err:
        exit_with(err)
