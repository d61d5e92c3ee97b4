"""The pre-registration: the planned analysis as a document in the structure of the AsPredicted /
OSF Prereg templates, the frozen copy of the config it describes, and the deviations of a later
run from it.

``surveysem preregister`` freezes the analysis sections of the config (every section but
``simulate:``), their SHA-256 and digests of the instrument into ``preregistration.lock.json``
beside the config file (``config/config.yaml`` -> ``config/preregistration.lock.json``), a file
the user commits. When the lock exists, it is an input of the report, whose overview page lists
every difference between the config used and the frozen one.

Light on purpose: the rules files call :func:`lock_path` when the workflow is parsed.
"""

from __future__ import annotations

from pathlib import Path

LOCK_FILE_NAME = "preregistration.lock.json"
# The power study's tables (``snakemake power``), shown by the pre-registration when they exist.
POWER_FILES = {"power": "results/power/power.csv", "sample_size": "results/power/sample_size.csv"}


def lock_path(config_file) -> Path:
    """The lock file of ``config_file``: beside it, named :data:`LOCK_FILE_NAME`."""
    return Path(config_file).with_name(LOCK_FILE_NAME)
