"""Steps of the instrument stage (``workflow/rules/instrument.smk``).

``instrument_codebook`` (:func:`codebook`): the codebook (CSV and HTML) and the printable
questionnaire from ``scales/``. Each step receives plain values: ``inputs`` and ``outputs``
(name -> path) and ``config``, the keys its rule declares (``surveysem.workflow.params``).
"""

from __future__ import annotations

from surveysem.instrument.codebook import write_codebook
from surveysem.instrument.scales import scales_dir_of


def codebook(inputs: dict, outputs: dict, config: dict) -> None:
    """Write ``results/codebook.csv``, ``reports/codebook.html`` and ``reports/questionnaire.html``."""
    write_codebook(scales_dir_of(inputs["scales"]), outputs["codebook"], outputs["codebook_html"],
                   outputs["questionnaire"], config["study"]["title"])
