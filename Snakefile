from snakemake.utils import min_version
from surveysem.config import validate_config_or_exit
from surveysem.safe_yaml import check_files_or_exit


min_version("9.0")
# Duplicate keys and nested-alias bombs are refused before Snakemake reads the file.
check_files_or_exit(["config/config.yaml"])


configfile: "config/config.yaml"


validate_config_or_exit(config, workflow.configfiles)


include: "workflow/rules/common.smk"
include: "workflow/rules/instrument.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/outcomes.smk"
include: "workflow/rules/measurement.smk"
include: "workflow/rules/propositions.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/power.smk"
include: "workflow/rules/preregistration.smk"


rule all:
    input:
        DEFAULT_TARGETS,
    default_target: True
