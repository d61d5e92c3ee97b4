"""``surveysem preregister``: freeze the analysis configuration and the instrument's digests into
the pre-registration lock beside the config file.

``surveysem preregister [--config config/config.yaml] [--force]`` writes
``config/preregistration.lock.json`` (:mod:`surveysem.preregistration.lock`): the analysis
sections of the validated config (every section but ``simulate:``), their SHA-256 and the
instrument's facet digests, items and analysed indicators. Run it from the workflow folder (the
config's ``instrument.scales_dir`` is relative to it) and commit the file. An existing lock with a
different content is replaced only with ``--force`` (git keeps the previous one).
"""

from __future__ import annotations

from surveysem.config import load_config
from surveysem.errors import SurveySemError
from surveysem.instrument.analysed import capability_processes, load_analysed
from surveysem.instrument.facets import instrument_digests
from surveysem.instrument.scales import instrument_files
from surveysem.preregistration import lock_path
from surveysem.preregistration.deviations import deviations
from surveysem.preregistration.lock import read_lock, registration, write_lock
from surveysem.propositions.settings import check_settings, parse_hypotheses


def configure_parser(parser) -> None:
    """Add the options of ``surveysem preregister`` to ``parser``."""
    parser.add_argument("--config", default="config/config.yaml", help="config file (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing lock whose content differs (a new pre-registration)")


def run(args) -> int:
    """Write the lock of ``args.config``; 0, or a :class:`SurveySemError` naming the problem."""
    config = load_config(args.config)
    scales_dir = config["instrument"]["scales_dir"]
    inst = load_analysed(instrument_files(scales_dir), config.get("scales"))
    parse_hypotheses(config["hypotheses"], list(inst.constructs), config_name=str(args.config),
                     processes=capability_processes(inst))
    check_settings(config, str(args.config))
    record = registration(config, inst, instrument_digests(scales_dir))
    path = lock_path(args.config)
    if path.exists() and not args.force:
        previous = read_lock(path)
        changed = deviations(previous, record)
        if not changed and previous == record:
            print(f"{path}: unchanged, already pre-registered (config SHA-256 {record['config_sha256']})")
            return 0
        first = changed[0].key if changed else "the lock's own fields"
        raise SurveySemError(f"already pre-registered (config SHA-256 {previous['config_sha256']}); the config or "
                             f"instrument now differs in {len(changed)} key(s), first {first}: give --force to "
                             "pre-register again (git keeps the previous lock)", file=str(path))
    write_lock(path, record)
    print(f"{path}: pre-registered, config SHA-256 {record['config_sha256']}; commit it (git add {path})")
    return 0
