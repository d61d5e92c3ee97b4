"""The report pages: one module per page over shared parts.

* :mod:`.context` – :class:`Context`: where the result files are, the config, the instrument,
  and loaders that read columns by their registered names (``surveysem.stage_files``);
* :mod:`.sections` – numbered tables, the section guard, "not computed" sentences, warnings,
  fit indices and the page frame; :mod:`.verdicts` – the verdict dashboard and proposition texts;
* one module per page: :mod:`.index`, :mod:`.data`, :mod:`.outcomes`, :mod:`.measurement` (with
  :mod:`.measurement_validity`), :mod:`.propositions`, :mod:`.p4`, :mod:`.provenance`;
* :mod:`.build` – :func:`build_report` writes them all, and their tables as CSV.

A page reads results and computes no statistic: every number comes from a result file (the
descriptive statistics no stage writes yet are in :mod:`surveysem.report.descriptives`). A
section whose input file does not exist, or cannot be read, says "not computed" and why, in
words, and prints no number.
"""

from surveysem.report.pages.build import PAGE_FUNCTIONS, build_report
from surveysem.report.pages.context import ColumnNotRegistered, Context, UnreadableResult
from surveysem.report.pages.sections import Page

__all__ = ["PAGE_FUNCTIONS", "ColumnNotRegistered", "Context", "Page", "UnreadableResult", "build_report"]
