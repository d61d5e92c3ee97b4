"""Steps of the instrument stage (``workflow/rules/instrument.smk``).

``instrument_codebook`` (:func:`codebook`): the codebook (CSV and HTML) and the printable
questionnaire from ``scales/``, with the use the analysed scales (config ``scales:``) make of each item. Each step receives plain values: ``inputs`` and ``outputs``
(name -> path) and ``config``, the keys its rule declares (``surveysem.workflow.params``).
"""

from __future__ import annotations

from surveysem.instrument.analysed import load_analysed
from surveysem.instrument.codebook import write_codebook


def codebook(inputs: dict, outputs: dict, config: dict) -> None:
    """Write ``results/codebook.csv``, ``reports/codebook.html`` and ``reports/questionnaire.html``."""
    write_codebook(load_analysed(inputs["scales"], config.get("scales")), outputs["codebook"], outputs["codebook_html"],
                   outputs["questionnaire"], config["study"]["title"])
