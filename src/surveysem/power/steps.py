"""Steps of the power stage (``workflow/rules/power.smk``), one per rule.

Outputs under ``results/power/``:

``chunks/n<n>_c<k>.csv``  the verdict rows of the replications of chunk k at size n
``monte_carlo.csv``       the Monte Carlo table per parameter and N
``power.csv``             power (share supported) of every sub-hypothesis, proposition and true null by N
``sample_size.csv``       N needed for 80 % and 90 % power
``rmsea_power.csv``       analytic power of the P4 model's RMSEA tests of close and not-close fit
``verdicts.csv``          share of each verdict of every proposition by N
``calibration.csv``       coverage of the CIs against their nominal level, within Monte Carlo error

The study is ``power:`` of the config; its population is ``simulate:``. Each step receives plain
values: ``inputs`` and ``outputs`` (name -> path), ``config`` (the keys its rule declares) and its
wildcards.
"""

from __future__ import annotations

import logging
import time

import pandas as pd

from surveysem import io as sio
from surveysem.io import write_csv

log = logging.getLogger(__name__)


def chunk_replications(replications: int, chunks: int, chunk: int) -> range:
    """Replications of chunk ``chunk`` of ``chunks``: an even split of 0 .. replications - 1."""
    return range(chunk * replications // chunks, (chunk + 1) * replications // chunks)


def _study(inputs: dict, config: dict):
    from surveysem.instrument.scales import scales_dir_of
    from surveysem.power.replicate import power_study

    config = {**config, "instrument": {"scales_dir": str(scales_dir_of(inputs["scales"]))}}
    return power_study(config)


def chunk(inputs: dict, outputs: dict, config: dict, n: str, chunk: str) -> pd.DataFrame:
    """The replications of one (N, chunk) job (rule ``power_chunk``); each has its own seed."""
    from surveysem.power.replicate import ROW_COLUMNS, replicate

    n, k = int(n), int(chunk)
    power = config["power"]
    study = _study(inputs, config)
    todo = chunk_replications(int(power["replications"]), int(power["chunks"]), k)
    log.info("power: N = %d, chunk %d of %d, replications %d-%d, seed %d", n, k + 1, power["chunks"],
             todo.start, todo.stop - 1, power["seed"])
    rows, start = [], time.perf_counter()
    for done, r in enumerate(todo, 1):
        t0 = time.perf_counter()
        rows.extend(replicate(study, n, r))
        log.info("power: N = %d, chunk %d: replication %d done (%d of %d) in %.2f s", n, k + 1, r, done, len(todo),
                 time.perf_counter() - t0)
    log.info("power: N = %d, chunk %d: %d replications in %.1f s", n, k + 1, len(todo), time.perf_counter() - start)
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    write_csv(outputs["csv"], frame)
    return frame


def _rows(paths) -> pd.DataFrame:
    frames = [sio.read_csv(p, keep_default_na=False, na_values=[""]) for p in paths]
    rows = pd.concat(frames, ignore_index=True)
    for col in ("problem", "parameter"):
        rows[col] = rows[col].fillna("").astype(str)
    return rows.sort_values(["n", "replication"], kind="stable").reset_index(drop=True)


def rmsea_table(study, config: dict) -> pd.DataFrame:
    """Analytic RMSEA power of the P4 models a replication fits, at every N of the grid."""
    from surveysem.instrument.analysed import scale_indicators
    from surveysem.power.rmsea_power import rmsea_power_table
    from surveysem.power.settings import p4_degrees_of_freedom, power_models

    counts = {c: len(items) for c, items in scale_indicators(study.inst).items()}
    dfs = {}
    if study.sem is not None:
        dfs = {m: p4_degrees_of_freedom(study.sem.processes, counts, m) for m in power_models(config)}
    return rmsea_power_table(config["power"]["sizes"], dfs, alpha=float(config["verdict_rule"]["alpha"]))


def summary(inputs: dict, outputs: dict, config: dict) -> dict:
    """The power study's tables from its chunks (rule ``power_summary``)."""
    from surveysem.power.replicate import replication_seed
    from surveysem.power.summarise import (
        interval_calibration,
        monte_carlo_table,
        population_values,
        power_table,
        sample_size_table,
        true_nulls,
        verdict_table,
    )

    study = _study(inputs, config)
    rows = _rows(inputs["chunks"])
    # the population draw has a seed no replication has (sizes are at least 10)
    truth = population_values(study, replication_seed(config["power"]["seed"], 0, 0))
    log.info("power: population values from one draw of %d firms", config["power"]["truth_n"])
    nulls = true_nulls(study.config, study.hyps, study.fielded)
    power = power_table(rows, nulls)
    mc = monte_carlo_table(rows, truth)
    tables = {"monte_carlo": mc, "power": power, "sample_size": sample_size_table(power),
              "rmsea_power": rmsea_table(study, config), "verdicts": verdict_table(rows),
              "calibration": interval_calibration(mc, float(config["p4"]["level"]))}
    for name, frame in tables.items():
        write_csv(outputs[name], frame)
    for r in tables["calibration"].query("assessment != 'within Monte Carlo error'").itertuples():
        log.info("power: %s (%s) at N = %d: CIs %s, coverage %.1f %% (nominal %.0f %%)", r.target, r.parameter, r.n,
                 r.assessment, 100 * r.coverage, 100 * r.nominal)
    for r in power[power["kind"] == "true null"].itertuples():
        log.info("power: true null %s at N = %d: supported in %.1f %% of %d replications", r.target, r.n,
                 100 * r.share_supported, r.replications)
    return tables
