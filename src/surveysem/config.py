"""Loading and validating ``config/config.yaml`` against the schema shipped in the package
(``surveysem/schemas/config.yaml``).

The schema is the one place for defaults: validation fills in every ``default:`` it declares,
then :func:`resolve_derived` fills the few defaults that depend on other keys (a ``null`` seed
means ``study.seed``). No module keeps a default dict of its own; a step receives the keys its
rule declares (``surveysem.workflow.params``), all present.

Validation is JSON Schema (draft 2020-12) with the schema's defaults filled in, the recipe of
:func:`snakemake.utils.validate` (python-jsonschema FAQ), done here with jsonschema directly and
the schema read by libyaml: Snakemake's helper reads the schema with a pure-Python YAML parser and
imports pandas, which costs about half a second on every ``snakemake`` call, a no-change rerun
included. A failure is reduced to one line naming the key path and the problem, e.g.
``config/config.yaml: data.on_invalid: 'x' is not one of ['error', 'drop']``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from surveysem.errors import SurveySemError, exit_with

DEFAULT_SCHEMA = Path(__file__).resolve().parent / "schemas" / "config.yaml"
# Seeds that default to study.seed when null.
SEEDS_FROM_STUDY = ("measurement", "bootstrap", "power")


def _first_validation_error(exc: BaseException):
    import jsonschema

    seen = exc
    while seen is not None:
        if isinstance(seen, jsonschema.ValidationError):
            return seen
        for arg in getattr(seen, "args", ()):
            if isinstance(arg, jsonschema.ValidationError):
                return arg
        seen = seen.__cause__ or seen.__context__
    return None


def _describe(error, config_name: str) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    path = path or "(top level)"
    message = error.message
    if error.validator == "additionalProperties":
        message = f"unknown key; {message}"
    return f"{config_name}: {path}: {message}"


def _load_schema(schema_path) -> dict:
    """The schema (shipped with the package, so trusted: libyaml, no safety checks)."""
    with open(schema_path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _validator_with_defaults(schema: dict):
    """Draft 2020-12 validator that fills in ``default`` values of properties as it goes."""
    from jsonschema import Draft202012Validator, validators

    check_properties = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(name, sub["default"])
        yield from check_properties(validator, properties, instance, schema)

    return validators.extend(Draft202012Validator, {"properties": set_defaults})(schema)


def resolve_derived(config: dict) -> dict:
    """Fill the defaults that depend on other keys, in place: ``<section>.seed: null`` is
    ``study.seed``."""
    for section in SEEDS_FROM_STUDY:
        if section in config and config[section].get("seed") is None:
            config[section]["seed"] = int(config["study"]["seed"])
    return config


def _controls_as_mappings(config: dict) -> None:
    """A control written as a bare name (``controls: [size]``) is ``{variable: size}``, so that
    validation fills in its other keys."""
    for entry in config.get("hypotheses") or []:
        if isinstance(entry, dict) and isinstance(entry.get("controls"), list):
            entry["controls"] = [{"variable": c} if isinstance(c, str) else c for c in entry["controls"]]


def validate_config(config: dict, schema_path=DEFAULT_SCHEMA, config_name: str = "config/config.yaml") -> dict:
    """Validate ``config`` in place (schema defaults and derived defaults filled in); raise a
    one-line SurveySemError."""
    _controls_as_mappings(config)
    try:
        _validator_with_defaults(_load_schema(schema_path)).validate(config)
    except OSError as exc:
        raise SurveySemError(f"config schema cannot be read: {exc.strerror}", file=schema_path) from None
    except Exception as exc:  # jsonschema's ValidationError (or SchemaError)
        error = _first_validation_error(exc)
        if error is None:
            raise SurveySemError(f"invalid configuration: {exc}", file=config_name) from None
        raise SurveySemError(_describe(error, config_name)) from None
    _check_thresholds(config, config_name)
    return resolve_derived(config)


def _check_thresholds(config: dict, config_name: str) -> None:
    """What the schema cannot say: the HTMT warning level is not above the failing level."""
    t = config.get("measurement", {}).get("thresholds", {})
    if t and t["htmt_max"] > t["htmt_warn"]:
        raise SurveySemError(f"measurement.thresholds.htmt_max: {t['htmt_max']} (warn at or above) is above "
                             f"htmt_warn {t['htmt_warn']} (fail at or above)", file=config_name)


def validate_config_or_exit(config: dict, configfiles=(), schema_path=DEFAULT_SCHEMA) -> dict:
    """For the Snakefile: on an invalid config print one line naming the config file(s) and stop
    with exit status 1."""
    from surveysem.safe_yaml import check_files_or_exit

    check_files_or_exit(configfiles)
    name = ", ".join(str(f) for f in configfiles) or "config/config.yaml"
    try:
        return validate_config(config, schema_path, name)
    except SurveySemError as err:
        exit_with(err)


def section_with_defaults(name: str, value: dict | None = None, schema_path=DEFAULT_SCHEMA) -> dict:
    """One config section (``value``, possibly partial or empty) validated against its schema with
    the defaults filled in: the schema's defaults for callers outside the workflow."""
    from jsonschema import Draft202012Validator

    schema = _load_schema(schema_path)
    section = {**schema["properties"][name], "$defs": schema.get("$defs", {})}
    Draft202012Validator.check_schema(section)
    value = dict(value or {})
    try:
        _validator_with_defaults(section).validate(value)
    except Exception as exc:
        error = _first_validation_error(exc)
        raise SurveySemError(_describe(error, name) if error else f"{name}: invalid: {exc}") from None
    return value


def load_config(path, schema_path=DEFAULT_SCHEMA) -> dict:
    """Read a YAML config file (duplicate keys and alias bombs refused) and validate it."""
    from surveysem.safe_yaml import load_yaml

    path = Path(path)
    if not path.is_file():
        raise SurveySemError("config file not found", file=path)
    config = load_yaml(path, "config file")
    if not isinstance(config, dict):
        raise SurveySemError("config must be a mapping of sections", file=path)
    return validate_config(config, schema_path, str(path))
