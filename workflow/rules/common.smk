# Shared definitions of the rules files. File paths come from the registry of stage files, each
# job's params from what its step reads (code hash, instrument facets, config keys).
import os

from surveysem.instrument.facets import instrument_digests
from surveysem.instrument.scales import instrument_files
from surveysem.preregistration import POWER_FILES, lock_path
from surveysem.stage_files import REPORT_FILES
from surveysem.stage_files import path as F
from surveysem.workflow.code_hash import step_code_hash
from surveysem.workflow.params import INSTRUMENT_READS, rule_config_params

# One BLAS/OpenMP thread per job: with default threading, concurrent fits on 2 cores run ~100x slower.
for _thread_var in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ.setdefault(_thread_var, "1")

# Every rule file appends the final outputs of its stage; `rule all` builds them.
DEFAULT_TARGETS = []

SCALES_DIR = config["instrument"]["scales_dir"]
# The instrument's files are inputs of each job that reads it, marked ancient: their dates
# trigger nothing, the digests of the facets each rule uses do (surveysem.instrument.facets).
SCALE_FILES = [ancient(f) for f in instrument_files(SCALES_DIR)]
INSTRUMENT_DIGESTS = instrument_digests(SCALES_DIR)
# The pre-registration lock beside the config file (`surveysem preregister` writes it): when it
# exists it is an input of the report, whose overview lists the deviations from it.
PREREGISTRATION_LOCK = os.path.relpath(
    lock_path(
        workflow.configfiles[-1] if workflow.configfiles else "config/config.yaml"
    )
)


def rule_params(rule, wildcard=None, values=(), **fixed):
    """Params of ``rule``: the hash of the code its step runs, the digests of the instrument
    facets it uses and one param per config key it reads (surveysem.workflow.params)."""
    params = {"code": ("surveysem code", step_code_hash(rule, cache_dir=".snakemake"))}
    for facet in INSTRUMENT_READS.get(rule, ()):
        params[f"instrument_{facet}"] = (
            f"instrument {facet}",
            INSTRUMENT_DIGESTS[facet],
        )
    params.update(rule_config_params(config, rule, wildcard, values, **fixed))
    return params


# Files of a sensitivity model that only its config switch builds: with the switch off the
# report neither asks for them (which would start their rules) nor reads a copy left from an
# earlier run.
SWITCHED_FILES = {
    "p4_ordinal": config["p4"]["ordinal_check"],
    "ordinal_check": config["measurement"]["ordinal_check"],
}


def produced_or_existing(path):
    """Whether some rule of this workflow writes ``path`` or it exists already."""
    produced = {str(f) for r in workflow.rules for f in r.output}
    return path in produced or os.path.exists(path)


def report_inputs(wildcards):
    """Every result file the pages read that some rule produces (or that exists) and no config
    switch turns off (SWITCHED_FILES), the survey
    (hashed on the provenance page), the instrument and the pre-registration lock when it exists.
    Not the config file: the pages state the config the pipeline ran with (params), and a comment
    or a simulate: edit changes no result.
    """
    inputs = {
        key: F(key)
        for key in REPORT_FILES
        if produced_or_existing(F(key)) and SWITCHED_FILES.get(key, True)
    }
    if produced_or_existing(config["data"]["survey"]):
        inputs["survey"] = config["data"]["survey"]
    inputs["scales"] = SCALE_FILES
    if os.path.exists(PREREGISTRATION_LOCK):
        inputs["preregistration_lock"] = PREREGISTRATION_LOCK
    return inputs


def verdict_inputs(wildcards):
    """Inputs of propositions_verdicts: the regression results (PROP_IDS, set in propositions.smk),
    the latent-capability results (PROP_LATENT),
    and the P4 files when there is a SEM hypothesis (PROP_SEM)."""
    inputs = {
        "regressions": [F("regression", hyp=h) for h in PROP_IDS],
        "latent": [F("latent", hyp=h) for h in PROP_LATENT],
        "ingest": F("ingest"),
    }
    if PROP_SEM:
        inputs["p4"] = F("p4_models")
        inputs["p4_paths"] = F("p4_paths")
        if config["verdict_rule"]["p4_ci"] == "bootstrap":
            inputs["bootstrap"] = F("p4_bootstrap")
    return inputs


def preregistration_inputs(wildcards):
    """Inputs of preregistration_document: the instrument, the questionnaire it links to and the
    power study's files (POWER_FILES) only when they exist, so that the document never starts the
    power study."""
    inputs = {"scales": SCALE_FILES, "questionnaire": F("questionnaire_html")}
    for key, power_file in POWER_FILES.items():
        if os.path.exists(power_file):
            inputs[key] = power_file
    return inputs
