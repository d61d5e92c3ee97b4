"""A synthetic born-global survey drawn from a documented population model.

``surveysem simulate --config config/config.yaml --out data/survey_synthetic.csv [--n N] [--seed S]``

The population model is the ``simulate:`` section of the config; every number there is
commented, and :func:`population_truth` turns it into the true values a test or a reader can
compare estimates with. The model, in order of generation (all latent variables standard
normal, effects in standard deviations): the firm profile (group membership independent of
every latent variable); the capabilities with their P4 second-order structure, the OIE roles
and the marker; the outcome propensities; the observed outcomes as actual market-entry
histories; the item responses; and the data problems -- a few ineligible firms, careless
respondents, MCAR and size-dependent MAR item missingness, unfinished responses, duplicate
submissions and fake PII. The same config, n and seed give a byte-identical file.

Modules:

* :mod:`~surveysem.simulate.population` -- :func:`build_model` (the :class:`Model`, checked
  against the instrument) and :func:`population_truth`;
* :mod:`~surveysem.simulate.draw` -- :func:`simulate`, one study drawn in numbered steps, and
  :func:`write_survey`;
* :mod:`~surveysem.simulate.command` -- the ``surveysem simulate`` command.
"""

from surveysem.simulate.draw import (
    METADATA_COLUMNS,
    PII_COLUMNS,
    QUALTRICS_METADATA,
    SimulatedSurvey,
    simulate,
    write_survey,
)
from surveysem.simulate.population import Model, build_model, population_truth

__all__ = [
    "METADATA_COLUMNS",
    "PII_COLUMNS",
    "QUALTRICS_METADATA",
    "Model",
    "SimulatedSurvey",
    "build_model",
    "population_truth",
    "simulate",
    "write_survey",
]
