"""``surveysem simulate``: draw the synthetic survey and write it as a Qualtrics-shaped CSV.

``surveysem simulate --config config/config.yaml --out data/survey_synthetic.csv [--n N] [--seed S]``

Listed in :mod:`surveysem.cli`; the statistics are in :mod:`surveysem.simulate.draw`.
"""

from __future__ import annotations

from pathlib import Path

from surveysem.config import load_config
from surveysem.errors import SurveySemError
from surveysem.simulate.draw import simulate, write_survey


def configure_parser(parser) -> None:
    """Add the options of ``surveysem simulate`` to ``parser``."""
    parser.add_argument("--config", default="config/config.yaml", help="config file (default: %(default)s)")
    parser.add_argument("--out", required=True, help="CSV file to write, e.g. data/survey_synthetic.csv")
    parser.add_argument("--n", type=int, default=None, help="number of firms (default: simulate.n of the config)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: simulate.seed of the config)")


def run(args) -> int:
    """Draw the survey of ``args.config`` and write it to ``args.out``.

    Returns
    -------
    int
        0 (problems raise :class:`SurveySemError`).

    Notes
    -----
    A ``simulate.<key>`` error is reported against the config file. A note says when the file
    written is the config's ``data.survey`` but ``data.synthetic`` is false.
    """
    config = load_config(args.config)
    if args.n is not None and args.n < 10:
        raise SurveySemError("--n must be at least 10", value=args.n)
    if args.seed is not None and args.seed < 0:
        raise SurveySemError("--seed must not be negative", value=args.seed)
    try:
        survey = simulate(config, n=args.n, seed=args.seed)
    except SurveySemError as err:
        if err.file is None and err.message.startswith("simulate."):
            raise SurveySemError(err.message, file=args.config, value=err.value) from None
        raise
    out = Path(args.out)
    write_survey(out, survey)
    n_dup = int(survey.firms["duplicate"].sum())
    print(f"wrote {out}: {len(survey.rows)} responses ({survey.n} synthetic firms + {n_dup} duplicate submissions), "
          f"seed {survey.seed}")
    if not config["data"]["synthetic"] and Path(config["data"]["survey"]).resolve() == out.resolve():
        print("note: data.synthetic is false in the config; set it to true when analysing this file")
    return 0
