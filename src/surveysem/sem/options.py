"""lavaan's model options, in its dotted spelling (``std.lv``, lavaan 0.6) or the snake_case one of
lavaan 0.7 (``std_lv``), as :func:`surveysem.sem.fit_model`, :func:`~surveysem.sem.prepare_model`
and ``surveysem fit --option`` take them.

:func:`normalise_options` maps both spellings to the keyword arguments of
:class:`~surveysem.sem.api.PreparedModel`; lavaan ``cfa()`` / ``sem()`` defaults apply to what is not
given. Supported: ``estimator``, ``missing``, ``group``, ``group.equal``, ``group.partial``,
``std.lv``, ``orthogonal``, ``meanstructure``, ``auto.fix.first``. lavaan options that
surveysem does not implement are refused with one line starting "not supported:" that names the
alternative (:data:`UNSUPPORTED`), unless they are given at the value surveysem always uses
(:data:`FIXED_AT`, e.g. ``fixed.x = TRUE``, ``likelihood = "normal"``).

``auto.fix.first`` is honoured as lavaan's ``lavaan()`` honours it (``FALSE``: no marker
loadings; identify the factors by ``std.lv`` or by fixing their variances in the syntax).
lavaan 0.6-14's ``cfa()`` and ``sem()`` reset it to ``TRUE`` whatever the user passes
(tests/r/sem_constraints.R records this).
"""

from __future__ import annotations

from surveysem.errors import SurveySemError

# option (snake_case) -> the PreparedModel keyword it sets
SUPPORTED = {
    "estimator": "estimator",
    "missing": "missing",
    "group": "group",
    "group_equal": "group_equal",
    "group_partial": "group_partial",
    "std_lv": "std_lv",
    "orthogonal": "orthogonal",
    "meanstructure": "meanstructure",
    "auto_fix_first": "auto_fix_first",
}
# lavaan options accepted only at the value surveysem always uses (cfa()/sem() defaults)
FIXED_AT = {
    "fixed_x": True,
    "likelihood": "normal",
    "mimic": "lavaan",
    "int_ov_free": True,
    "int_lv_free": False,
    "auto_var": True,
    "auto_fix_single": True,
    "auto_cov_lv_x": True,
    "auto_cov_y": True,
    "std_ov": False,
    "orthogonal_x": False,
    "orthogonal_y": False,
    "effect_coding": False,
}
# lavaan options that surveysem does not implement -> the alternative
UNSUPPORTED = {
    "fixed_x": "state the covariates' variances and covariances in the syntax (x1 ~~ x1) to estimate them",
    "likelihood": "surveysem's ML uses the normal (N) likelihood, as lavaan's default",
    "mimic": "surveysem follows lavaan's own conventions (mimic = 'lavaan')",
    "int_ov_free": "fix the intercepts in the syntax (x1 ~ 0*1)",
    "int_lv_free": "free the latent means in the syntax (f ~ NA*1)",
    "auto_var": "state the variances in the syntax (x1 ~~ 0*x1 to fix one)",
    "auto_fix_single": "fix the residual variance of a single indicator in the syntax (x1 ~~ 0*x1)",
    "auto_cov_lv_x": "fix the covariances in the syntax (f1 ~~ 0*f2) or use orthogonal",
    "auto_cov_y": "fix the covariances in the syntax (y1 ~~ 0*y2)",
    "std_ov": "standardise the columns of the data before fitting",
    "orthogonal_x": "use orthogonal, or fix the covariances in the syntax (f1 ~~ 0*f2)",
    "orthogonal_y": "use orthogonal, or fix the covariances in the syntax (f1 ~~ 0*f2)",
    "effect_coding": "use constraints on the loadings in the syntax (f =~ a*x1 + b*x2 + c*x3; a + b + c == 3)",
    "ordered": "give the ordered items as fit_model(..., ordered=[...]) or surveysem fit --ordered (WLSMV)",
    "parameterization": "give it to fit_model with ordered items (parameterization='theta'), or with "
                        "surveysem fit --ordered",
    "estimator_args": "use estimator ML, MLR or MLM",
    "se": "use estimator MLR or MLM for robust standard errors (bootstrap: the propositions stage's bootstrap)",
    "test": "use estimator MLR (Yuan-Bentler) or MLM (Satorra-Bentler) for a scaled test",
    "information": "surveysem uses lavaan's default information for each estimator",
    "bootstrap": "use the propositions stage's bootstrap",
    "bounds": "state bounds as inequality constraints in the syntax (a > 0)",
    "sampling_weights": "fit unweighted, or weight outside the SEM engine",
    "cluster": "fit a single-level model",
    "group_label": "order the rows so that the groups appear in the order wanted (first appearance)",
    "optim_method": "surveysem chooses its own optimiser; the optimum is the same",
    "start": "give start values in the syntax (start(0.5)*x1)",
    "representation": "surveysem fits the model in RAM form; the estimates are the same",
    "conditional_x": "use fixed.x covariates (the default)",
}


def snake(name: str) -> str:
    """lavaan 0.6's dotted option name in lavaan 0.7's snake_case (``std.lv`` -> ``std_lv``)."""
    return str(name).replace(".", "_")


def _as_bool(key, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().upper()
    if text in ("TRUE", "T", "1", "YES"):
        return True
    if text in ("FALSE", "F", "0", "NO"):
        return False
    raise SurveySemError(f"option {key}: expected TRUE or FALSE, got {value!r}", value=value)


def _as_list(value):
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def _value(key, value):
    if key in ("std_lv", "orthogonal", "auto_fix_first"):
        return _as_bool(key, value)
    if key == "meanstructure":
        return None if str(value).lower() == "default" else _as_bool(key, value)
    if key in ("group_equal", "group_partial"):
        return _as_list(value)
    return value


def _same(a, b):
    if isinstance(b, bool):
        try:
            return _as_bool("", a) is b
        except SurveySemError:
            return False
    return str(a).lower() == str(b).lower()


def normalise_options(options: dict) -> dict:
    """``{PreparedModel keyword: value}`` of lavaan options in either spelling; an option given
    twice (``std.lv`` and ``std_lv``), an unknown option and an unsupported one are refused."""
    out: dict = {}
    for raw, value in options.items():
        key = snake(raw)
        if key in SUPPORTED:
            target = SUPPORTED[key]
            if target in out:
                raise SurveySemError(f"option {raw!r} is given twice (dotted and snake_case spellings)", value=raw)
            out[target] = _value(key, value)
        elif key in FIXED_AT and _same(value, FIXED_AT[key]):
            continue
        elif key in UNSUPPORTED:
            raise SurveySemError(f"not supported: lavaan option {raw} = {value!r}; {UNSUPPORTED[key]}", value=raw)
        else:
            known = ", ".join(sorted(SUPPORTED))
            raise SurveySemError(f"unknown option {raw!r}; surveysem takes {known} (dots or underscores)", value=raw)
    return out


def parse_option_strings(items) -> dict:
    """``["std.lv=TRUE", "group.equal=loadings,intercepts"]`` (``surveysem fit --option``) -> dict."""
    out = {}
    for item in items or ():
        name, sep, value = str(item).partition("=")
        if not sep or not name.strip():
            raise SurveySemError(f"--option needs NAME=VALUE, got {item!r}", value=item)
        out[name.strip()] = value.strip().strip("\"'")
    return out
