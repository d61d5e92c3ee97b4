"""The power page (power.html): the Monte Carlo study of ``snakemake power`` in tables and curves.

Power by N of every sub-hypothesis and proposition with its Monte Carlo SE, where the
intervals behind it do not cover at their nominal level, the N needed for 80 % and 90 % power,
the type-I error of every true null, power curves (one figure per proposition, one line per
sub-hypothesis, the 80 % line drawn), the Monte Carlo table of the estimates and the analytic
power of the P4 model's RMSEA tests. Every study on it is simulated.
"""

from __future__ import annotations

import pandas as pd

from surveysem.report.figures import figure, line_plot
from surveysem.report.html import PAGES, join, page, paragraph, section, tag
from surveysem.report.pages.sections import _number_figures
from surveysem.report.tables import (
    fmt_int,
    fmt_num,
    fmt_percent,
    fmt_text_blank,
    frame_table,
)

POWER_PAGES = [*PAGES, ("power.html", "Power study")]
SIMULATED = ("Simulated studies: every number on this page comes from studies drawn from the config's simulate: "
             "population, not from a real survey.")


def _pct(x) -> str:
    return fmt_percent(x, 1)


def _power_by_n(power: pd.DataFrame, kinds) -> pd.DataFrame:
    """Targets as rows, one 'share (MCSE)' column per N."""
    sub = power[power["kind"].isin(kinds)]
    wide = {}
    for r in sub.itertuples():
        wide.setdefault((r.target, r.kind), {})[f"N = {r.n}"] = f"{_pct(r.share_supported)} ({_pct(r.mcse)})"
    return pd.DataFrame([{"target": t, "kind": k, **cells} for (t, k), cells in wide.items()])


def _power_section(power: pd.DataFrame, tables: list) -> list:
    frame = _power_by_n(power, ("proposition", "sub-hypothesis"))
    t = frame_table(frame, "Power (share of replications judged supported) by N, Monte Carlo SE in parentheses",
                    text_columns=list(frame.columns), number=len(tables) + 1,
                    note="A replication whose model failed counts as not supported. Sub-hypotheses are judged by "
                         "the verdict rule (one-sided tests, Holm within the proposition, fit gate); a proposition is "
                         "supported when all its sub-hypotheses are. Where the intervals cover too rarely "
                         "(Calibration of the intervals, below), the power shown is overstated.")
    tables.append(("power_by_n", t))
    return [t.to_html()]


def _calibration_section(cal: pd.DataFrame, tables: list) -> list:
    """The parameters x N whose CIs do not cover at their nominal level within Monte Carlo error
    (``cal``: results/power/calibration.csv, which states the level it was judged at)."""
    if not len(cal):
        return [paragraph("No studied parameter has a population value: the coverage of its intervals is not "
                          "assessed.")]
    off = cal[cal["assessment"] != "within Monte Carlo error"]
    summary = paragraph(
        f"{len(cal) - len(off)} of {len(cal)} parameter and N combinations with a population value have intervals "
        f"that cover it at their nominal {_pct(cal['nominal'].iloc[0])} within Monte Carlo error (99 % band over the "
        "replications used)" + ("." if not len(off) else "; the others are listed below. Intervals that cover too rarely make "
                   "the test liberal: the power shown for that sub-hypothesis at that N is overstated (for a true "
                   "null: its type-I error too); too wide intervals make it conservative."))
    if not len(off):
        return [summary]
    t = frame_table(off, "Intervals that do not cover at their nominal level", number=len(tables) + 1,
                    text_columns=["target", "parameter", "assessment"],
                    formatters={"n": fmt_int, "coverage": _pct, "nominal": _pct, "band_lower": _pct,
                                "band_upper": _pct, "sd_over_se": lambda v: fmt_num(v, 2)},
                    columns={"target": "Sub-hypothesis", "parameter": "Parameter", "n": "N", "coverage": "Coverage",
                             "nominal": "Nominal", "band_lower": "Band from", "band_upper": "Band to",
                             "sd_over_se": "SD / mean SE", "assessment": "Intervals"},
                    note="Band: the coverages a calibrated interval shows with 99 % probability over these "
                         "replications. SD / mean SE above 1: the standard errors understate the variability of "
                         "the estimates.")
    tables.append(("calibration", t))
    return [summary, t.to_html()]


def _verdicts_section(verdicts: pd.DataFrame, tables: list) -> list:
    wide = {}
    for r in verdicts.itertuples():
        wide.setdefault((r.target, r.verdict), {})[f"N = {r.n}"] = _pct(r.share)
    frame = pd.DataFrame([{"target": t, "verdict": v, **cells} for (t, v), cells in wide.items()]).fillna(_pct(0.0))
    t = frame_table(frame, "Verdicts of the propositions by N (share of replications)", number=len(tables) + 1,
                    text_columns=list(frame.columns),
                    note="Why a proposition is not supported: some sub-hypotheses failed, a model could not be "
                         "estimated, or the verdict rule found it not assessable (fit gate, model choice, too few "
                         "resamples).")
    tables.append(("verdicts", t))
    return [t.to_html()]


def _type_one_section(power: pd.DataFrame, tables: list, alpha: float) -> list:
    nulls = power[power["kind"] == "true null"]
    if not len(nulls):
        return [paragraph("The population has no true null among the studied sub-hypotheses.")]
    frame = nulls[["target", "n", "replications", "share_supported", "mcse"]]
    t = frame_table(frame, "Type-I error of the true nulls (share judged supported)", number=len(tables) + 1,
                    formatters={"n": fmt_int, "replications": fmt_int, "share_supported": _pct, "mcse": _pct},
                    columns={"target": "Sub-hypothesis", "n": "N", "replications": "Replications",
                             "share_supported": "Supported", "mcse": "MCSE"},
                    note=f"The population effect is 0; the nominal level is alpha = {alpha} one-sided before the "
                         f"Holm adjustment, which makes the test of a true null conservative.")
    tables.append(("type_one", t))
    return [t.to_html()]


def _sample_size_section(sizes: pd.DataFrame, tables: list) -> list:
    frame = sizes.assign(power_level=sizes["power_level"].map(lambda v: f"{v:.0%}"))
    t = frame_table(frame, "N needed for 80 % and 90 % power", number=len(tables) + 1,
                    formatters={"n_required": lambda v: fmt_num(v, 0), "note": fmt_text_blank,
                                "power_level": fmt_text_blank},
                    columns={"target": "Target", "power_level": "Power", "n_required": "N needed", "note": "How"},
                    note="Linear interpolation between the sizes studied around the first size reaching the power; "
                         "outside the grid the note says so (a dash: not reached at the largest N).")
    tables.append(("sample_size", t))
    return [t.to_html()]


def _curves(power: pd.DataFrame) -> list:
    figures = []
    subs = power[power["kind"] != "proposition"].copy()
    subs["proposition"] = subs["target"].str.extract(r"^(.*?)[a-z]*$", expand=False)
    sizes = sorted(power["n"].unique())
    for prop, g in subs.groupby("proposition", sort=False):
        series = []
        for target, h in g.groupby("target", sort=False):
            h = h.set_index("n").reindex(sizes)
            label = f"{target} (true null)" if (h["kind"] == "true null").any() else target
            series.append((label, h["share_supported"].tolist()))
        svg = line_plot(series, title=f"Power of {prop} by N", xlabel="N (firms after screening)",
                        ylabel="share supported", hline=0.8, x_values=[float(n) for n in sizes])
        figures.append(figure(svg, f"Figure. Power of the sub-hypotheses of {prop} against N; dotted line: 80 %."))
    return figures


def _monte_carlo_section(mc: pd.DataFrame, tables: list, level: str) -> list:
    t = frame_table(mc.drop(columns=["proposition"]), "Monte Carlo table of the tested parameters",
                    number=len(tables) + 1, text_columns=["target", "parameter"],
                    formatters={"n": fmt_int, "replications": fmt_int, "not_converged": fmt_int,
                                "inadmissible": fmt_int, "coverage": _pct, "share_significant": _pct,
                                "population_value": lambda v: fmt_num(v, 3), "mean_estimate": lambda v: fmt_num(v, 3),
                                "sd_estimate": lambda v: fmt_num(v, 3), "mean_se": lambda v: fmt_num(v, 3),
                                "mse": lambda v: fmt_num(v, 4)},
                    note=f"Over the replications without a problem; coverage and share significant use the "
                         f"{level} CIs of the verdicts. Population values: the estimand on one large draw "
                         f"(power.truth_n firms); composite-score GLMs estimate other quantities (dash).")
    tables.append(("monte_carlo", t))
    return [t.to_html()]


def _rmsea_section(rmsea: pd.DataFrame, tables: list) -> list:
    if not len(rmsea):
        return [paragraph("P4 is not part of the study.")]
    t = frame_table(rmsea, "Power of the RMSEA tests of the P4 models (MacCallum, Browne & Sugawara, 1996)",
                    number=len(tables) + 1, text_columns=["model", "test"],
                    formatters={"n": fmt_int, "df": fmt_int, "power": _pct, "rmsea_h0": lambda v: fmt_num(v, 2),
                                "rmsea_alternative": lambda v: fmt_num(v, 2), "alpha": lambda v: fmt_num(v, 2)},
                    note="Close fit: H0 RMSEA <= .05 against .08; not-close fit: H0 RMSEA >= .05 against .01; "
                         "noncentral chi-square with noncentrality (N - 1) df RMSEA^2.")
    tables.append(("rmsea", t))
    return [t.to_html()]


def power_page(results: dict[str, pd.DataFrame], config: dict) -> tuple[str, list]:
    """(HTML of power.html, its tables) from the power stage's tables (``results``: monte_carlo,
    power, sample_size, rmsea_power, verdicts, calibration)."""
    power, tables = results["power"], []
    pw = config["power"]
    studied = ", ".join(pw["propositions"]) if pw["propositions"] else "all hypotheses"
    banner = tag("div", SIMULATED, class_="banner-synthetic", role="note", id="synthetic-banner")
    intro = paragraph(
        f"{pw['replications']} replications at each N of {', '.join(str(n) for n in pw['sizes'])} "
        f"firms after screening ({studied}; seed {pw['seed']}). Each replication is judged by the pipeline's own "
        f"estimators and verdict rule; P4 by "
        + ("its bootstrap (bootstrap: settings) in every replication." if pw["p4_bootstrap"]
           else "Wald / delta-method CIs (power.p4_bootstrap: false)."))
    alpha = config["verdict_rule"]["alpha"]
    body = join([
        banner,
        intro,
        section("power-by-n", "Power by N", *_power_section(power, tables)),
        section("calibration", "Calibration of the intervals",
                *_calibration_section(results["calibration"], tables)),
        section("verdicts", "Verdicts of the propositions", *_verdicts_section(results["verdicts"], tables)),
        section("sample-size", "Sample size needed", *_sample_size_section(results["sample_size"], tables)),
        section("type-one", "Type-I error of true nulls", *_type_one_section(power, tables, alpha)),
        section("curves", "Power curves", *_curves(power)),
        section("monte-carlo", "Monte Carlo table", *_monte_carlo_section(results["monte_carlo"], tables, "two-sided")),
        section("rmsea", "Analytic power of the RMSEA tests", *_rmsea_section(results["rmsea_power"], tables)),
    ])
    html = page("Power study", _number_figures(body), current="power.html", study_title=config["study"]["title"],
                synthetic=False, pages=POWER_PAGES)
    return html, tables
