from snakemake.utils import min_version
from surveysem.config import validate_config_or_exit


min_version("9.0")


configfile: "config/config.yaml"


validate_config_or_exit(config, workflow.configfiles)


include: "workflow/rules/common.smk"
include: "workflow/rules/instrument.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/outcomes.smk"
include: "workflow/rules/measurement.smk"
include: "workflow/rules/propositions.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        DEFAULT_TARGETS,
    default_target: True
