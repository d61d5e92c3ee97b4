"""Glue between Snakemake and the package: what each rule reads (:mod:`.params`), which code it
runs (:mod:`.code_hash`) and how a step is run with clear errors and a log (:mod:`.run`).
Imported when the workflow is parsed: nothing heavy."""
