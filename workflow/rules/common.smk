# Shared definitions for all rule files.
import os

# One BLAS/OpenMP thread per job: with default threading, concurrent fits on 2 cores run ~100x slower.
for _thread_var in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ.setdefault(_thread_var, "1")


def surveysem_code_hash():
    """SHA-256 of the installed surveysem package source.

    Every rule takes it as a parameter, so Snakemake reruns a step when the package code it
    calls changes (by default Snakemake only watches the thin workflow scripts).
    """
    import hashlib
    from pathlib import Path

    import surveysem

    digest = hashlib.sha256()
    root = Path(surveysem.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


SURVEYSEM_CODE = surveysem_code_hash()

# Every rule file appends the final outputs of its stage; `rule all` builds them.
DEFAULT_TARGETS = []

SCALES_DIR = config["instrument"]["scales_dir"]


def scale_files():
    """All files of the instrument; rules that read the instrument depend on them."""
    from surveysem.instrument.scales import instrument_files

    return instrument_files(SCALES_DIR)


def scales_dir_of_input(wildcards, input):
    """The scales folder, derived from a rule's ``scales`` input (the first is response_scales.yaml)."""
    return os.path.dirname(input.scales[0])


# ---- report stage: pages and the result files they read
from surveysem.report.result_files import RESULT_FILES as REPORT_RESULT_FILES

REPORT_PAGES = {
    "index": ("Overview", "index.rst"),
    "data": ("Data", "data.rst"),
    "outcomes": ("Outcomes", "outcomes.rst"),
    "measurement": ("Measurement", "measurement.rst"),
    "propositions": ("Propositions", "propositions.rst"),
    "p4": ("Propositions", "p4.rst"),
    "provenance": ("Provenance", "provenance.rst"),
}


def report_inputs(wildcards):
    """Every result file the pages read that some rule of this workflow produces (or that exists),
    plus the survey file and the instrument (hashed on the provenance page)."""
    produced = {str(f) for r in workflow.rules for f in r.output}
    inputs = {
        key: path
        for key, path in REPORT_RESULT_FILES.items()
        if path in produced or os.path.exists(path)
    }
    if config["data"]["survey"] in produced or os.path.exists(config["data"]["survey"]):
        inputs["survey"] = config["data"]["survey"]
    inputs["scales"] = scale_files()
    return inputs
