"""Steps of the pre-registration stage (``workflow/rules/preregistration.smk``).

``preregistration_document`` (:func:`document`): ``results/preregistration.md`` and
``reports/preregistration.html`` from the config and the instrument, with the power study's
tables when ``snakemake power`` has written them (inputs ``power`` and ``sample_size``, present
only then).
"""

from __future__ import annotations

import logging

from surveysem.instrument.analysed import load_analysed
from surveysem.io import write_text
from surveysem.preregistration import POWER_FILES
from surveysem.preregistration.document import (
    TITLE,
    document_sections,
    intro,
    planned_study,
)
from surveysem.preregistration.power import (
    POWER_COLUMNS,
    SAMPLE_SIZE_COLUMNS,
    power_blocks,
    read_power_table,
)
from surveysem.preregistration.render import to_html_body, to_markdown
from surveysem.report.html import page

log = logging.getLogger(__name__)

# The navigation of the page: the pre-registration exists before any analysis page does.
NAVIGATION = [("preregistration.html", "Pre-registration"), ("questionnaire.html", "Questionnaire"),
              ("codebook.html", "Codebook")]


def document(inputs: dict, outputs: dict, config: dict) -> None:
    """Write the pre-registration as Markdown and as an HTML page."""
    inst = load_analysed(inputs["scales"], config.get("scales"))
    plan = planned_study(config, inst)
    if "power" in inputs and "sample_size" in inputs:
        power = read_power_table(inputs["power"], POWER_COLUMNS)
        sample_size = read_power_table(inputs["sample_size"], SAMPLE_SIZE_COLUMNS)
    else:
        power = sample_size = None
        log.info("power study not run (no %s): the document says so", " or ".join(POWER_FILES.values()))
    sections = document_sections(plan, power_blocks(power, sample_size, POWER_FILES))
    head = intro(plan)
    title = config["study"]["title"]
    write_text(outputs["markdown"], to_markdown(TITLE, title, head, sections))
    write_text(outputs["html"], page(TITLE, to_html_body(head, sections), current="preregistration.html",
                                     study_title=title, synthetic=False, pages=NAVIGATION))
    log.info("pre-registration written: %s, %s", outputs["markdown"], outputs["html"])
