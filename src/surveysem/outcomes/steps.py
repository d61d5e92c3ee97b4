"""Steps of the outcomes stage (``workflow/rules/outcomes.smk``).

``outcomes_table1_audit`` (:func:`table1_audit`)
    Table 1 of Yang & Stoian (2024) recomputed from the transcribed firm profiles and markets
    (paper data only: editing a capability scale does not rerun it).
``outcomes_firm_outcomes`` (:func:`firm_outcomes`)
    spread, diversification, intensity and typology group of every retained respondent.

Each step receives plain values: ``inputs`` and ``outputs`` (name -> path) and ``config``, the
keys its rule declares (``surveysem.workflow.params``).
"""

from __future__ import annotations

from surveysem.instrument.scales import scales_dir_of
from surveysem.outcomes.firms import write_firm_outcomes
from surveysem.outcomes.table1 import write_table1_audit


def table1_audit(inputs: dict, outputs: dict, config: dict) -> None:
    """Write ``table1_audit.csv`` and ``table1_regions.csv``."""
    oc = config["outcomes"]
    write_table1_audit(inputs["table1"], inputs["markets"], inputs["regions"], outputs["audit"], outputs["regions"],
                       home_country=oc["home_country"], spread_decimals=oc["spread_decimals"])


def firm_outcomes(inputs: dict, outputs: dict, config: dict) -> None:
    """Write ``firm_outcomes.csv`` and ``firm_outcomes.json``."""
    write_firm_outcomes(inputs["analysis"], scales_dir_of(inputs["scales"]), config["study"]["survey_year"],
                        outputs["csv"], outputs["json"], ingest_path=inputs["ingest"],
                        home_country=config["outcomes"]["home_country"])
