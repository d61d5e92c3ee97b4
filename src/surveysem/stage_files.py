"""The files passed between stages: one registry of path, writer, readers and columns.

Rules take their inputs and outputs from here (``workflow/rules/common.smk``: ``path(key)``),
steps and report pages read columns by the names registered here, and ``CONTRIBUTING.md``'s
file table is generated from it (``python -m surveysem.stage_files``; a test compares). A test
of the whole workflow checks that every CSV written has exactly its registered columns and every
JSON its registered top-level keys.

Pure Python on purpose: parsing the workflow, on every ``snakemake`` call, reads this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from surveysem.stage_columns import COLUMNS


@dataclass(frozen=True)
class StageFile:
    """One file passed between stages.

    ``columns``: for a CSV, its columns in order (name -> meaning); for a JSON object, its
    top-level keys; empty for HTML and for tables whose columns depend on the instrument
    (``columns_vary`` says which part varies)."""

    key: str
    path: str
    writer: str
    readers: tuple[str, ...]
    description: str
    columns: dict[str, str] = field(default_factory=dict)
    columns_vary: str = ""

    @property
    def kind(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _file(key, path, writer, readers, description, columns_vary=""):
    return StageFile(key, path, writer, tuple(readers), description, COLUMNS.get(key, {}), columns_vary)


REPORT = "report_pages"

FILES: dict[str, StageFile] = {f.key: f for f in [
    _file("codebook_csv", "results/codebook.csv", "instrument_codebook", [REPORT],
          "one row per variable of the instrument: construct, wording, response scale, keying"),
    _file("codebook_html", "reports/codebook.html", "instrument_codebook", [REPORT], "the codebook as a page"),
    _file("questionnaire_html", "reports/questionnaire.html", "instrument_codebook", [REPORT],
          "the printable questionnaire"),
    _file("validated", "results/clean/validated.csv", "data_ingest", ["data_screen", REPORT],
          "valid rows as read: items in raw coding (missing codes empty), profile and screening columns; "
          "identifying columns dropped", "one column per item and profile question"),
    _file("ingest", "results/clean/ingest.json", "data_ingest",
          ["data_screen", "outcomes_firm_outcomes", "measurement_reliability", "measurement_cfa", "measurement_htmt",
           "measurement_invariance", "measurement_verdicts", "propositions_regression", "propositions_typology",
           "propositions_p4_fit", "propositions_bootstrap_chunk", "propositions_bootstrap_merge",
           "propositions_verdicts", REPORT],
          "source file and hash, format, rows read / valid / dropped, PII columns dropped (names only), "
          "missing-data method, synthetic flag"),
    _file("missingness", "results/clean/missingness.csv", "data_ingest", [REPORT],
          "share of missing answers per item and profile question"),
    _file("invalid_rows", "results/clean/invalid_rows.csv", "data_ingest", [REPORT],
          "every invalid value (redacted unless a number) with row, column and reason"),
    _file("exclusions", "results/screening/exclusions.csv", "data_screen", [REPORT],
          "every (respondent, screening rule) failure"),
    _file("flow", "results/screening/flow.csv", "data_screen", [REPORT], "respondents before and after each rule"),
    _file("screening", "results/screening/screening.json", "data_screen", [REPORT],
          "rules applied with their thresholds, warnings, reverse-keyed items, synthetic flag"),
    _file("analysis", "results/clean/analysis.csv", "data_screen",
          ["outcomes_firm_outcomes", "measurement_reliability", "measurement_cfa", "measurement_htmt",
           "measurement_invariance", "propositions_p4_fit", "propositions_bootstrap_chunk",
           "propositions_bootstrap_merge", REPORT],
          "retained respondents, reverse-keyed items reversed once", "one column per item and profile question"),
    _file("table1_audit", "results/outcomes/table1_audit.csv", "outcomes_table1_audit", [REPORT],
          "Table 1 of Yang & Stoian (2024) recomputed: printed and recomputed spread, diversification, intensity"),
    _file("table1_regions", "results/outcomes/table1_regions.csv", "outcomes_table1_audit", [REPORT],
          "regions of each Table 1 firm's markets"),
    _file("firm_outcomes", "results/outcomes/firm_outcomes.csv", "outcomes_firm_outcomes",
          ["measurement_invariance", "propositions_regression", "propositions_typology", "propositions_p4_fit",
           "propositions_bootstrap_chunk", "propositions_bootstrap_merge", REPORT],
          "spread, diversification, intensity, controls and typology group of every retained respondent"),
    _file("firm_outcomes_json", "results/outcomes/firm_outcomes.json", "outcomes_firm_outcomes", [REPORT],
          "conventions of the outcome formulas, missing counts, warnings"),
    _file("reliability", "results/measurement/reliability.csv", "measurement_reliability",
          ["measurement_verdicts", REPORT], "alpha with Feldt CI, standardized alpha, omega per scale"),
    _file("item_stats", "results/measurement/item_stats.csv", "measurement_reliability",
          ["measurement_verdicts", REPORT], "item statistics per scale"),
    _file("efa", "results/measurement/efa.json", "measurement_reliability", ["measurement_verdicts", REPORT],
          "KMO, Bartlett, parallel analysis and EFA of the capability items"),
    _file("kmo", "results/measurement/kmo.csv", "measurement_reliability", [REPORT], "KMO measure of sampling adequacy"),
    _file("cfa_fit", "results/measurement/cfa_fit.json", "measurement_cfa", ["measurement_verdicts", REPORT],
          "CFA of all measured constructs: fit, latent correlations, warnings"),
    _file("loadings", "results/measurement/loadings.csv", "measurement_cfa", ["measurement_verdicts", REPORT],
          "CFA loadings, raw and standardized with delta-method SEs"),
    _file("validity", "results/measurement/validity.csv", "measurement_cfa", ["measurement_verdicts", REPORT],
          "composite reliability, AVE and the Fornell-Larcker criterion per construct"),
    _file("fornell_larcker", "results/measurement/fornell_larcker.csv", "measurement_cfa", [REPORT],
          "sqrt(AVE) on the diagonal, latent correlations below", "one column per construct"),
    _file("cmv", "results/measurement/cmv.json", "measurement_cfa", ["measurement_verdicts", REPORT],
          "common-method variance: Harman, marker variable, common latent factor, full-collinearity VIF"),
    _file("scale_scores", "results/scores/scale_scores.csv", "measurement_cfa",
          ["propositions_regression", "propositions_typology", REPORT], "mean score of every construct",
          "one column per construct"),
    _file("htmt", "results/measurement/htmt.csv", "measurement_htmt", ["measurement_verdicts", REPORT],
          "HTMT and HTMT2 of every pair of constructs with percentile-bootstrap CIs"),
    _file("htmt_json", "results/measurement/htmt.json", "measurement_htmt", ["measurement_verdicts", REPORT],
          "HTMT settings and warnings"),
    _file("invariance", "results/measurement/invariance.csv", "measurement_invariance", [REPORT],
          "configural, metric and scalar models with their tests"),
    _file("invariance_json", "results/measurement/invariance.json", "measurement_invariance",
          ["measurement_verdicts", REPORT], "invariance settings, group sizes, warnings"),
    _file("measurement_verdicts", "results/measurement/verdicts.csv", "measurement_verdicts", [REPORT],
          "pass / warn / fail per scale with reasons and suggestions"),
    _file("measurement_warnings", "results/measurement/warnings.json", "measurement_verdicts", [REPORT],
          "every warning of the measurement stage"),
    _file("regression", "results/propositions/regression/{hyp}.json", "propositions_regression",
          ["propositions_verdicts"], "every model of one P1-P3 style hypothesis"),
    _file("typology_json", "results/propositions/typology.json", "propositions_typology", [REPORT],
          "capability x typology-group interaction tests"),
    _file("typology_csv", "results/propositions/typology.csv", "propositions_typology", [REPORT],
          "one row per capability x group interaction term"),
    _file("p4_models", "results/propositions/p4_models.json", "propositions_p4_fit", ["propositions_verdicts", REPORT],
          "P4 models (a), (b), (c): fit, R2 of growth, nested comparisons, multi-group check"),
    _file("p4_paths", "results/propositions/p4_paths.csv", "propositions_p4_fit", ["propositions_verdicts", REPORT],
          "structural paths, second-order loadings and defined effects of each P4 model"),
    _file("bootstrap_chunk", "results/propositions/bootstrap/chunk_{chunk}.csv", "propositions_bootstrap_chunk",
          ["propositions_bootstrap_merge"], "the resamples of one bootstrap chunk", "one column per target"),
    _file("p4_bootstrap", "results/propositions/p4_bootstrap.csv", "propositions_bootstrap_merge",
          ["propositions_verdicts", REPORT], "percentile-bootstrap CIs of the bootstrapped P4 model"),
    _file("verdicts", "results/propositions/verdicts.csv", "propositions_verdicts", [REPORT],
          "verdict of every proposition and sub-hypothesis with its evidence"),
    _file("verdicts_json", "results/propositions/verdicts.json", "propositions_verdicts", [REPORT],
          "the verdicts with the rule in words and its settings"),
    _file("coefficients", "results/propositions/coefficients.csv", "propositions_verdicts", [REPORT],
          "every coefficient of every regression model"),
    _file("fits", "results/propositions/fits.csv", "propositions_verdicts", [REPORT],
          "fit of every regression model"),
    _file("subhypotheses", "results/propositions/subhypotheses.csv", "propositions_verdicts", [REPORT],
          "every sub-hypothesis test of every model"),
    _file("vif", "results/propositions/vif.csv", "propositions_verdicts", [REPORT], "VIFs of the primary models"),
]}

REPORT_FILES = tuple(key for key, f in FILES.items() if REPORT in f.readers)


def path(key: str, **wildcards) -> str:
    """The path of file ``key`` (wildcards filled in when given)."""
    template = FILES[key].path
    return template.format(**wildcards) if wildcards else template


def markdown_table() -> str:
    """The file table of CONTRIBUTING.md."""
    lines = ["| file | written by | read by | content |", "|---|---|---|---|"]
    for f in FILES.values():
        readers = ", ".join(f"`{r}`" for r in f.readers)
        lines.append(f"| `{f.path}` | `{f.writer}` | {readers} | {f.description} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table())
