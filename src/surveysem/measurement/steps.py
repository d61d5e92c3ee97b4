"""Steps of the measurement stage: from ``results/clean/analysis.csv`` to validated scales and scores.

One function per rule (``workflow/rules/measurement.smk``), each writing the files of its rule:

1. :func:`reliability` (``measurement_reliability``) – per scale alpha (Feldt CI), standardized
   alpha, omega, item statistics; KMO, Bartlett, parallel analysis and EFA of the capability items.
2. :func:`cfa` (``measurement_cfa``) – CFA of all measured constructs (capabilities, OIE roles,
   marker) with the SEM engine: fit, standardized loadings with delta-method SEs, CR/AVE,
   Fornell–Larcker, the largest modification indices, common-method variance, scale scores. When
   the joint CFA cannot be estimated, each scale's numbers come from the cascade of
   :mod:`surveysem.measurement.cfa_cascade` (process / group CFAs, then one-factor CFAs), the model
   named in a ``model`` column and the cascade recorded in cfa_fit.json.
3. :func:`htmt` (``measurement_htmt``) – HTMT and HTMT2 with seeded bootstrap CIs (log-scale standard intervals).
4. :func:`invariance` (``measurement_invariance``) – configural / metric / scalar invariance.
5. :func:`verdicts` (``measurement_verdicts``) – a verdict per scale, the refinement assistant's
   candidate items (:mod:`surveysem.measurement.refinement`) and every warning of the stage.
6. :func:`ordinal` (``measurement_ordinal``, only with ``measurement.ordinal_check: true``) – the
   CFA of all scales by WLSMV with the items as ordered, beside the ML / MLR CFA
   (:mod:`surveysem.measurement.ordinal_check`).

The statistics are in :mod:`surveysem.measurement.tables` and the modules it uses. Each step
receives plain values: ``inputs`` and ``out`` (name -> path) and ``config``, the keys its rule
declares (``surveysem.workflow.params``). JSON side files carry ``synthetic`` from
``ingest.json``; CSVs stay plain tables.
"""

from __future__ import annotations

import dataclasses
import json

import pandas as pd

from surveysem import io as sio
from surveysem.errors import SurveySemError
from surveysem.instrument.analysed import load_analysed, with_parcels
from surveysem.io import write_csv, write_json
from surveysem.measurement import degenerate
from surveysem.measurement import scores as scores_mod
from surveysem.measurement.intervals import LOG_NORMAL_CI_TEXT
from surveysem.measurement.partial import PARTIAL_COLUMNS
from surveysem.measurement.refinement import candidate_table
from surveysem.measurement.tables import (
    INVARIANCE_COLUMNS,
    cfa_modindices,
    cfa_tables,
    cmv_report,
    construct_scales,
    efa_report,
    group_label,
    htmt_tables,
    invariance_tables,
    items_numeric,
    reliability_tables,
    settings,
    verdict_rows,
)


def read_analysis(path) -> pd.DataFrame:
    try:
        data = sio.read_csv(path, dtype={"respondent_id": str})
    except FileNotFoundError:
        raise SurveySemError("analysis table not found", file=path) from None
    if "respondent_id" not in data.columns:
        raise SurveySemError("analysis table has no respondent_id column", file=path, column="respondent_id")
    return data


def read_synthetic(ingest_path) -> bool:
    try:
        with open(ingest_path, encoding="utf-8") as fh:
            return bool(json.load(fh)["synthetic"])
    except FileNotFoundError:
        raise SurveySemError("ingest report not found", file=ingest_path) from None


def reliability(inputs: dict, out: dict, config: dict) -> None:
    """Write reliability.csv, item_stats.csv, efa.json, kmo.csv."""
    cfg = settings(config)
    synthetic = read_synthetic(inputs["ingest"])
    inst = load_analysed(inputs["scales"], config.get("scales"))
    scales = construct_scales(inst)
    data = with_parcels(read_analysis(inputs["analysis"]), inst)
    tabs = reliability_tables(data, scales, cfg)
    write_csv(out["reliability"], tabs["reliability"])
    write_csv(out["item_stats"], tabs["item_stats"])
    pc = degenerate.precheck(items_numeric(data, scales), scales, analysis="EFA")
    cap_items = [i for c in inst.constructs_of_kind("capability") for i in pc.scales.get(c.id, [])]
    e = efa_report(data, cap_items, cfg)
    e["warnings"] = tabs["warnings"] + [w for w in pc.warnings if w not in tabs["warnings"]] + e["warnings"]
    e["precheck"] = pc.record()
    e["synthetic"] = synthetic
    e["item_pool"] = "capability items"
    write_json(out["efa"], e)
    kmo_rows = []
    if "kmo" in e:
        kmo_rows = [{"item": "(overall)", "msa": e["kmo"]["overall"]}] + [
            {"item": k, "msa": v} for k, v in e["kmo"]["items"].items()]
    write_csv(out["kmo"], pd.DataFrame(kmo_rows, columns=["item", "msa"]))


LOADINGS_COLUMNS = ["construct", "item", "est", "se", "z", "pvalue", "std_all", "std_se", "std_z", "std_pvalue", "model"]
VALIDITY_COLUMNS = ["construct", "k", "cr", "ave", "sqrt_ave", "fornell_larcker_pass", "model", "fornell_larcker_note"]


def _latent_correlations_json(lc: pd.DataFrame) -> dict:
    """construct -> construct -> r, only the pairs of one model (pairs across models are not comparable)."""
    return {i: {j: v for j, v in lc.loc[i].items() if pd.notna(v)} for i in lc.index}


def _factor_scores(X: pd.DataFrame, t: dict) -> pd.DataFrame:
    """Factor scores of each scale from the model its loadings come from."""
    parts = [scores_mod.factor_scores(X, est)[members] for members, est in t.get("estimates_by_model", [])]
    return pd.concat(parts, axis=1)[[s for s in t["scales"] if any(s in p.columns for p in parts)]] if parts else None


def cfa(inputs: dict, out: dict, config: dict) -> None:
    """Write cfa_fit.json, cfa_modindices.csv, loadings.csv, validity.csv, fornell_larcker.csv, cmv.json,
    scale_scores.csv."""
    from surveysem.measurement.cfa_cascade import cascade_record, cfa_groups
    from surveysem.measurement.tables import cascade_fit_summary

    cfg = settings(config)
    synthetic = read_synthetic(inputs["ingest"])
    inst = load_analysed(inputs["scales"], config.get("scales"))
    scales = construct_scales(inst)
    data = with_parcels(read_analysis(inputs["analysis"]), inst)
    t = cfa_tables(data, scales, cfg, groups=cfa_groups(inst.constructs.values(), scales))
    modindices, modindices_note = cfa_modindices(t)
    fit_json = {k: t.get(k) for k in ("syntax", "converged", "fit", "small_sample_chisq", "estimator", "missing",
                                        "warnings")}
    fit_json["modindices_note"] = modindices_note
    fit_json["synthetic"] = synthetic
    fit_json["n_constructs"] = len(t["scales"])
    fit_json["missing_note"] = ("FIML (data.missing = fiml)" if t["missing"] == "fiml" else
                                "listwise deletion (the SEM engine has no pairwise option)")
    fit_json["cascade"] = cascade_record(t["cascade"], cascade_fit_summary)
    if "latent_correlations" in t:
        fit_json["latent_correlations"] = _latent_correlations_json(t["latent_correlations"])
    write_json(out["cfa_fit"], fit_json)
    write_csv(out["cfa_modindices"], modindices)
    write_csv(out["loadings"], t.get("loadings", pd.DataFrame(columns=LOADINGS_COLUMNS)))
    write_csv(out["validity"], t.get("validity", pd.DataFrame(columns=VALIDITY_COLUMNS)))
    fl = t.get("fornell_larcker")
    write_csv(out["fornell_larcker"], fl.rename_axis("construct").reset_index() if fl is not None
              else pd.DataFrame(columns=["construct"]))
    X = items_numeric(data, scales)
    ms = scores_mod.composite_table(data, inst, cfg["min_item_share"]).drop(columns="respondent_id")
    base = t["_fit"]["result"] if "_fit" in t else None
    c = cmv_report(data, scales, cfg, base_result=base, mean_scores=ms)
    c["synthetic"] = synthetic
    write_json(out["cmv"], c)
    sc = ms.copy()
    fs = _factor_scores(X, t) if cfg["factor_scores"] else None
    if fs is not None:
        for col in fs.columns:
            sc[f"{col}_fs"] = fs[col]
    sc.insert(0, "respondent_id", data["respondent_id"].astype(str))
    write_csv(out["scale_scores"], sc)


def htmt(inputs: dict, out: dict, config: dict) -> None:
    """Write htmt.csv (and htmt.json with warnings and the synthetic flag)."""
    cfg = settings(config)
    inst = load_analysed(inputs["scales"], config.get("scales"))
    t = htmt_tables(with_parcels(read_analysis(inputs["analysis"]), inst), construct_scales(inst), cfg)
    write_csv(out["htmt"], t["table"])
    write_json(out["json"], {"synthetic": read_synthetic(inputs["ingest"]), "warnings": t["warnings"], "n": t["n"],
                             "B": int(cfg["htmt_bootstrap_B"]), "seed": int(cfg["seed"]),
                             "missing": t.get("missing"),
                             "ci": f"{LOG_NORMAL_CI_TEXT}, 95%" + (f", {t['ci_problem']}" if t.get("ci_problem") else "")})


def invariance(inputs: dict, out: dict, config: dict) -> None:
    """Write invariance.csv, partial_invariance.csv (the partial-invariance search where a level
    fails) and invariance.json."""
    cfg = settings(config)
    inst = load_analysed(inputs["scales"], config.get("scales"))
    data = with_parcels(read_analysis(inputs["analysis"]), inst)
    gname = cfg["invariance_group"]
    info: dict = {"synthetic": read_synthetic(inputs["ingest"]), "group": gname, "estimator": cfg["estimator"]}
    if not gname:
        t = {"table": pd.DataFrame(), "warnings": ["invariance not tested: measurement.invariance_group is null"]}
    else:
        group = None
        if inputs.get("outcomes"):
            oc = sio.read_csv(inputs["outcomes"], dtype={"respondent_id": str})
            if gname in oc.columns:
                group = data[["respondent_id"]].merge(oc[["respondent_id", gname]], on="respondent_id", how="left")[gname]
        if group is None:
            if gname not in data.columns:
                raise SurveySemError("measurement.invariance_group is neither a column of the outcomes table nor of "
                                     "the analysis table", file="config/config.yaml", value=gname)
            group = data[gname]
        group = group.reset_index(drop=True).set_axis(data.index).map(group_label)
        t = invariance_tables(data, construct_scales(inst), group, cfg)
        info["group_sizes"] = t.get("group_sizes")
        info["free_parameters_per_group"] = t.get("free_parameters_per_group")
        info["scope"] = t.get("scope")
    info["warnings"] = t["warnings"]
    info["partial_invariance"] = cfg["partial_invariance"]
    table = t["table"] if len(t["table"]) else pd.DataFrame(columns=INVARIANCE_COLUMNS)
    partial = t.get("partial")
    write_csv(out["invariance"], table)
    write_csv(out["partial_invariance"], partial if partial is not None else pd.DataFrame(columns=PARTIAL_COLUMNS))
    write_json(out["json"], info)


def _read_csv_or_empty(path) -> pd.DataFrame:
    try:
        return sio.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def scale_model_reasons(cfa_fit: dict) -> dict[str, list[str]]:
    """Scale -> why its CFA numbers are not the joint model's, or are unreliable (cfa_fit.json's cascade)."""
    reasons = {}
    for scale, rec in ((cfa_fit.get("cascade") or {}).get("scales") or {}).items():
        if rec.get("not_estimated"):
            reasons[scale] = [f"no CFA could be fitted ({rec['not_estimated']}): no loadings, CR or AVE"]
        elif not rec.get("converged"):
            reasons[scale] = [f"the {rec['model']} did not converge: loadings, CR and AVE are unreliable"]
        elif rec.get("level") != "joint":
            reasons[scale] = [f"loadings, CR and AVE from the {rec['model']} ({rec.get('levels_above_failed', '')})"]
    return reasons


def _not_estimable_verdicts(table: pd.DataFrame, not_estimable: dict[str, str]) -> pd.DataFrame:
    """Scales the pre-check left out of every model: verdict "not estimable" with its reason."""
    table = table.copy()
    for construct, reason in not_estimable.items():
        rows = table["construct"] == construct
        table.loc[rows, "verdict"] = "not estimable"
        table.loc[rows, "reasons"] = reason
        table.loc[rows, "suggestions"] = ""
    return table


def verdicts(inputs: dict, out: dict, config: dict) -> None:
    """Collect warnings of all steps; write verdicts.csv, refinement.csv (the refinement assistant's
    candidate items) and warnings.json."""
    cfg = settings(config)
    inst = load_analysed(inputs["scales"], config.get("scales"))
    scales = construct_scales(inst)
    all_warnings: list[dict] = []
    flat: list[str] = []
    for step, key in (("reliability/EFA", "efa"), ("CFA", "cfa_fit"), ("CMV", "cmv"), ("HTMT", "htmt_json"),
                      ("invariance", "invariance_json")):
        with open(inputs[key], encoding="utf-8") as fh:
            ws = json.load(fh).get("warnings", []) or []
        for w in ws:
            if w in flat and w.startswith("pre-check:"):  # every step runs the same pre-check: listed once
                continue
            all_warnings.append({"step": "pre-check" if w.startswith("pre-check:") else step, "message": w})
            flat.append(w)
    with open(inputs["cfa_fit"], encoding="utf-8") as fh:
        cfa = json.load(fh)
    model_level = scale_model_reasons(cfa)
    reliability, validity = _read_csv_or_empty(inputs["reliability"]), _read_csv_or_empty(inputs["validity"])
    loadings = _read_csv_or_empty(inputs["loadings"])
    with open(inputs["efa"], encoding="utf-8") as fh:
        efa = json.load(fh)
    efa_pattern = (efa.get("efa") or {}).get("loadings")
    candidates = candidate_table(scales, loadings, validity, reliability, _read_csv_or_empty(inputs["item_stats"]),
                                 efa_pattern, _read_csv_or_empty(inputs["cfa_modindices"]),
                                 thresholds=cfg["thresholds"])
    table = verdict_rows(scales, reliability, validity, loadings, _read_csv_or_empty(inputs["htmt"]), flat,
                         cfg["thresholds"], model_level, candidates)
    table = _not_estimable_verdicts(table, (efa.get("precheck") or {}).get("not_estimable") or {})
    write_csv(out["refinement"], candidates)
    write_csv(out["verdicts"], table)
    write_json(out["warnings"], {"synthetic": read_synthetic(inputs["ingest"]), "n_warnings": len(all_warnings),
                                 "warnings": all_warnings,
                                 "verdicts": dict(zip(table["construct"], table["verdict"]))})


def dropped(inputs: dict, out: dict, config: dict) -> None:
    """Write dropped_items.csv: each item the config's ``scales:`` drops, with its loading and its
    construct's CR / AVE in a CFA of the scales as fielded (no CFA when nothing is dropped)."""
    from surveysem.measurement.dropped import DROPPED_COLUMNS, analysed_homes, dropped_table

    inst = load_analysed(inputs["scales"], config.get("scales"))
    table = pd.DataFrame(columns=DROPPED_COLUMNS)
    if inst.dropped:
        cfg = settings(config)
        fielded = construct_scales(dataclasses.replace(inst, constructs=inst.fielded_constructs))
        from surveysem.measurement.cfa_cascade import cfa_groups

        groups = cfa_groups(inst.fielded_constructs.values(), fielded)
        t = cfa_tables(read_analysis(inputs["analysis"]), fielded, cfg, groups=groups)
        empty = pd.DataFrame(columns=["construct", "item", "std_all", "cr", "ave"])
        table = dropped_table(inst.dropped, analysed_homes(inst), t.get("loadings", empty), t.get("validity", empty))
    write_csv(out["dropped"], table)


def ordinal(inputs: dict, out: dict, config: dict) -> None:
    """Write ordinal_check.json: the CFA of all scales by WLSMV (items as ordered) beside the ML / MLR
    CFA's loadings, fit and composite reliability (rule ``measurement_ordinal``, run only with
    ``measurement.ordinal_check: true``)."""
    from surveysem.measurement.ordinal_check import ordinal_check_record

    inst = load_analysed(inputs["scales"], config.get("scales"))
    with open(inputs["cfa_fit"], encoding="utf-8") as fh:
        ml = {"fit": json.load(fh), "loadings": sio.read_csv(inputs["loadings"]),
              "validity": sio.read_csv(inputs["validity"])}
    record = ordinal_check_record(with_parcels(read_analysis(inputs["analysis"]), inst), construct_scales(inst),
                                  inst.parcels, settings(config), ml)
    record["synthetic"] = read_synthetic(inputs["ingest"])
    write_json(out["ordinal_check"], record)
