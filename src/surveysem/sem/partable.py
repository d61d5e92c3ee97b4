"""Parameter table with lavaan's ``sem()``/``cfa()`` defaults, and the derived tables of the
baseline and saturated models.

:func:`build_partable` turns a parsed model into a list of :class:`ParRow` in lavaan's
``parameterEstimates()`` row order (user rows in syntax order, then the automatic rows:
variances of observed then latent variables, covariances of exogenous latent variables,
covariances of the "pure" dependent variables (``auto.cov.y``), fixed-x (co)variances,
intercepts), repeated per group.  The rules follow ``lavaan:::lav_partable_flat`` and
``lav_partable_vnames`` of lavaan 0.6: marker loading fixed to 1 (or latent variance
fixed to 1 with ``std_lv``), single-indicator residual variance fixed to 0, observed
exogenous covariates (``fixed.x``) fixed to their sample moments, latent intercepts
fixed to 0 (freed in groups 2+ when intercepts are constrained equal).

Each row is placed in the RAM matrices of its group: ``A`` (directed paths,
``A[i, j]`` = effect of ``j`` on ``i``), ``S`` (symmetric (co)variances) and ``m``
(intercepts) over the variables ``ov_names + lv_names``.

The steps of :func:`build_partable` (lavaan's counterpart in brackets):

1. :func:`variable_names` – latent, observed, fixed-x, ... variables (``lav_partable_vnames``);
2. :func:`_default_rows` – the automatic (co)variances and intercepts (``lav_partable_flat``);
3. :func:`_user_terms` – user terms, a repeated element merged into its first term (as lavaan:
   ``f =~ NA*x1 + a*x1`` is one free loading labelled ``a``);
4. :func:`_one_group_rows` – free / fixed of each row (``auto.fix.first``, ``std.lv``,
   ``auto.fix.single``, ``fixed.x``);
5. :func:`_all_group_rows` – rows per group with their modifiers, latent means and variances
   freed in groups 2+ (``group.equal``);
6. :func:`_place_in_matrices` – RAM positions (``lav_model``'s matrix representation);
7. :func:`_number_parameters` – the free-parameter index of each row under the equality
   constraints of shared labels, ``group_equal`` (less ``group_partial``; user labels override it)
   and ``==`` between two free labels (``lav_partable_labels``, ``lav_constraints``); every other
   constraint (``==`` between expressions, ``<``, ``>``) stays a constraint on the parameter
   vector, ``ModelSpec.general_constraints`` (:mod:`surveysem.sem.constraints`);
8. :func:`_check_definitions` – labels used in ``:=`` and in the constraints.

:func:`baseline_spec` is lavaan's independence model (``lav_partable_independence``),
:func:`saturated_spec` the unrestricted h1 model (``lav_partable_unrestricted``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from surveysem.errors import SurveySemError
from surveysem.sem.syntax import ParsedModel, expression_names

GROUP_EQUAL_TYPES = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "regressions",
)


@dataclass
class ParRow:
    lhs: str
    op: str
    rhs: str
    group: int  # 1-based
    user: bool
    free: bool
    value: float | None  # fixed value, or start value (None: automatic)
    label: str = ""
    exo: bool = False
    start: float | None = None
    mat: str = ""  # "A", "S", "m"
    i: int = -1
    j: int = -1
    par: int = -1  # index into the free parameter vector (-1: fixed)


@dataclass
class ModelSpec:
    rows: list
    ov_names: list
    lv_names: list
    ov_x: list
    ngroups: int
    meanstructure: bool
    definitions: list  # syntax.Definition (":=")
    npar: int = 0
    labels: dict = field(default_factory=dict)  # label -> parameter index
    lv_indicators: dict = field(default_factory=dict)
    # "==" constraints between two labels (syntax.Definition with op "=="), tied; for score tests
    constraints: list = field(default_factory=list)
    # the other constraints ("==" between expressions, "<", ">"): surveysem.sem.constraints
    general_constraints: list = field(default_factory=list)

    @property
    def npar_net(self):
        """Free parameters less the equality constraints between expressions (lavaan's ``npar``;
        ``df`` = moments less this). Inequalities leave it as it is, as in lavaan."""
        return self.npar - sum(c.op == "==" for c in self.general_constraints)

    @property
    def var_names(self):
        return list(self.ov_names) + list(self.lv_names)

    @classmethod
    def of_observed(cls, rows, ov_names, ov_x, ngroups, meanstructure, npar):
        """A model of the observed variables only (baseline, saturated): no latent variables,
        no defined parameters."""
        return cls(
            rows=rows, ov_names=ov_names, lv_names=[], ov_x=ov_x, ngroups=ngroups,
            meanstructure=meanstructure, definitions=[], npar=npar,
        )


@dataclass
class VariableNames:
    """The variable sets of ``lav_partable_vnames`` that the defaults need."""

    lv: list  # latent variables, in order of definition
    ov: list  # observed: indicators, dependent, covariates, then the rest
    ov_x: list  # observed exogenous covariates treated as fixed (fixed.x)
    ov_nox: list  # observed variables that are not fixed-x covariates
    lv_x: list  # exogenous latent variables (their covariances are free)
    lvov_y: list  # "pure" dependent latent and observed variables (auto.cov.y)


def _unique(seq):
    out = []
    for s in seq:
        if s not in out:
            out.append(s)
    return out


def _pairs_with_diagonal(names):
    """``(names[j], names[i])`` for ``i >= j``: a lower triangle column by column."""
    n = len(names)
    return [(names[j], names[i]) for j in range(n) for i in range(j, n)]


def _per_group(values: list, g: int, ngroups: int, what: str, line: int):
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    if len(values) != ngroups:
        raise SurveySemError(
            f"model syntax, line {line}: c(...) has {len(values)} elements but there are {ngroups} groups ({what})"
        )
    return values[g - 1]


def _key(lhs, op, rhs):
    """Identity of a model element (``a ~~ b`` is ``b ~~ a``)."""
    if op == "~~":
        return (op,) + tuple(sorted((lhs, rhs)))
    return (lhs, op, rhs)


# ---------------------------------------------------------------- step 1: variables
def _observed_names(terms, lv_names, v_ind, eqs_y, eqs_x):
    """(ov_names, ov_x): indicators, dependent variables, covariates, then variables that
    appear only in (co)variances or intercepts; covariates with a user variance or
    intercept are not fixed-x."""
    ov_ind = [v for v in v_ind if v not in lv_names]
    ov_y = [v for v in eqs_y if v not in lv_names and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lv_names and v not in ov_ind and v not in ov_y]
    extra = []
    for t in terms:
        if t.op in ("~~", "~1"):
            for v in (t.lhs, t.rhs) if t.op == "~~" else (t.lhs,):
                if v not in lv_names:
                    extra.append(v)
    extra = _unique(extra)
    ov_names = ov_ind + ov_y + ov_x + [v for v in extra if v not in ov_ind + ov_y + ov_x]
    user_vars = set()
    for t in terms:
        if t.op == "~1":
            user_vars.add(t.lhs)
        elif t.op == "~~":
            user_vars.update((t.lhs, t.rhs))
    return ov_names, [v for v in ov_x if v not in user_vars]


def variable_names(terms) -> VariableNames:
    """The variable sets of a model (``lav_partable_vnames``)."""
    lv_names = _unique(t.lhs for t in terms if t.op == "=~")
    eqs_y = _unique(t.lhs for t in terms if t.op == "~")
    eqs_x = _unique(t.rhs for t in terms if t.op == "~")
    v_ind = _unique(t.rhs for t in terms if t.op == "=~")
    ov_names, ov_x = _observed_names(terms, lv_names, v_ind, eqs_y, eqs_x)
    lv_x = [v for v in lv_names if v not in v_ind and v not in eqs_y]
    lv_y = [v for v in lv_names if v in eqs_y and v not in v_ind and v not in eqs_x]
    ov_y_pure = [v for v in ov_names if v in eqs_y and v not in v_ind and v not in eqs_x]
    return VariableNames(
        lv=lv_names, ov=ov_names, ov_x=ov_x, ov_nox=[v for v in ov_names if v not in ov_x],
        lv_x=lv_x, lvov_y=lv_y + ov_y_pure,
    )


def _check_available(terms, lv_names, available):
    for t in terms:
        for v in (t.lhs, t.rhs):
            if v and v not in lv_names and v not in available:
                raise SurveySemError(
                    f"model syntax, line {t.line}: variable {v!r} is neither a latent variable"
                    " nor a column of the data",
                    value=v,
                )


# ---------------------------------------------------------------- steps 2-3: elements
def _default_rows(names: VariableNames, meanstructure):
    """(lhs, op, rhs) of the automatic elements, in lavaan's order."""
    default = [(v, "~~", v) for v in names.ov_nox + names.lv]
    for group in (names.lv_x, names.lvov_y):
        default += [(group[a], "~~", group[b]) for a in range(len(group)) for b in range(a + 1, len(group))]
    default += [(a, "~~", b) for a, b in _pairs_with_diagonal(names.ov_x)]
    if meanstructure:
        default += [(v, "~1", "") for v in names.ov + names.lv]
    return default


def _user_terms(terms):
    """The user's terms without repeated elements and their keys: a repeated element fills in the
    modifiers (fixed value, label, start value) its first term leaves empty, as lavaan merges them
    (``f =~ NA*x1 + a*x1``)."""
    user_keys = {}
    user_terms = []
    for t in terms:
        k = _key(t.lhs, t.op, t.rhs)
        if k in user_keys:
            first = user_keys[k]
            merged = {f: getattr(first.mod, f) or getattr(t.mod, f) for f in ("fixed", "label", "start")}
            if merged != {f: getattr(first.mod, f) for f in merged}:
                user_keys[k] = replace(first, mod=replace(first.mod, **merged))
                user_terms[user_terms.index(first)] = user_keys[k]
            continue
        user_keys[k] = t
        user_terms.append(t)
    return user_terms, user_keys


def _single_indicators(user_terms):
    """Indicators that are the only indicator of their factor and load on nothing else
    (``auto.fix.single``: residual variance fixed to 0)."""
    ind_count = Counter(t.lhs for t in user_terms if t.op == "=~")
    rhs_count = Counter(t.rhs for t in user_terms if t.op == "=~")
    return [
        t.rhs for t in user_terms if t.op == "=~" and ind_count[t.lhs] == 1 and t.rhs != t.lhs and rhs_count[t.rhs] == 1
    ]


# ---------------------------------------------------------------- steps 4-5: rows
def _default_row(lhs, op, rhs, names: VariableNames, single_ind, std_lv, orthogonal=False):
    free, value, exo = True, None, False
    if orthogonal and op == "~~" and lhs != rhs and lhs in names.lv and rhs in names.lv:
        free, value = False, 0.0  # lavaan's orthogonal: the automatic latent covariances fixed to 0
    if op == "~~" and lhs == rhs and lhs in single_ind:
        free, value = False, 0.0
    if std_lv and op == "~~" and lhs == rhs and lhs in names.lv:
        free, value = False, 1.0
    if op == "~1" and lhs in names.lv:
        free, value = False, 0.0
    if op == "~~" and lhs in names.ov_x and rhs in names.ov_x:
        free, value, exo = False, None, True
    if op == "~1" and lhs in names.ov_x:
        free, value, exo = False, None, True
    return ParRow(lhs, op, rhs, 0, False, free, value, exo=exo)


def _one_group_rows(user_terms, default, names: VariableNames, std_lv, auto_fix_first=True, orthogonal=False):
    """[(row template, user term or None)] of one group: the first loading of each factor
    fixed to 1 (``auto_fix_first``; or, with ``std_lv``, the latent variances)."""
    base = []
    first_seen = set()
    for t in user_terms:
        free, value = True, None
        if t.op == "=~" and auto_fix_first and not std_lv and t.lhs not in first_seen:
            free, value = False, 1.0
        if t.op == "=~":
            first_seen.add(t.lhs)
        if std_lv and t.op == "~~" and t.lhs == t.rhs and t.lhs in names.lv:
            free, value = False, 1.0
        base.append((ParRow(t.lhs, t.op, t.rhs, 0, True, free, value, exo=False), t))
    single_ind = _single_indicators(user_terms)
    for lhs, op, rhs in default:
        base.append((_default_row(lhs, op, rhs, names, single_ind, std_lv, orthogonal), None))
    return base


def _apply_modifiers(r: ParRow, t, g, ngroups):
    """Fixed value, label and start value of group ``g`` from the term's modifiers."""
    fx = _per_group(t.mod.fixed, g, ngroups, "fixed values", t.line)
    if t.mod.fixed:
        if fx is None:
            r.free, r.value = True, None
        else:
            r.free, r.value = False, float(fx)
    lab = _per_group(t.mod.label, g, ngroups, "labels", t.line)
    if lab:
        r.label = lab
    st = _per_group(t.mod.start, g, ngroups, "start values", t.line)
    if st is not None:
        r.start = float(st)


def _free_in_later_group(r: ParRow, lv_names, std_lv, group_equal):
    """lavaan frees latent means when intercepts are equal across groups (not the means),
    and with ``std_lv`` the latent variances when loadings are equal (not the variances)."""
    if r.op == "~1" and r.lhs in lv_names and "intercepts" in group_equal and "means" not in group_equal:
        r.free, r.value = True, None
    if (
        std_lv
        and "loadings" in group_equal
        and "lv.variances" not in group_equal
        and r.op == "~~"
        and r.lhs == r.rhs
        and r.lhs in lv_names
    ):
        r.free, r.value = True, None


def _all_group_rows(base, ngroups, lv_names, std_lv, group_equal):
    rows: list[ParRow] = []
    for g in range(1, ngroups + 1):
        for template, t in base:
            r = replace(template, group=g)
            if t is not None:
                _apply_modifiers(r, t, g, ngroups)
            if g > 1 and not r.user:
                _free_in_later_group(r, lv_names, std_lv, group_equal)
            rows.append(r)
    return rows


# ---------------------------------------------------------------- step 6: matrices
def _place_in_matrices(rows, var_names):
    index = {v: k for k, v in enumerate(var_names)}
    for r in rows:
        if r.op == "=~":
            r.mat, r.i, r.j = "A", index[r.rhs], index[r.lhs]
        elif r.op == "~":
            r.mat, r.i, r.j = "A", index[r.lhs], index[r.rhs]
        elif r.op == "~~":
            a, b = index[r.lhs], index[r.rhs]
            r.mat, r.i, r.j = "S", max(a, b), min(a, b)
        elif r.op == "~1":
            r.mat, r.i, r.j = "m", index[r.lhs], 0
        else:  # pragma: no cover
            raise SurveySemError(f"unsupported operator {r.op}")


# ---------------------------------------------------------------- step 7: free parameters
class _Ties:
    """Union-find over row indices: rows tied by equality constraints share one parameter
    (the root is the tied row that comes first)."""

    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, a):
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _tie_labels(rows, var_names, ties):
    """Free rows sharing a label are one parameter; returns label -> first row with it."""
    by_label: dict[str, int] = {}
    for k, r in enumerate(rows):
        if r.label:
            if r.label in var_names:
                raise SurveySemError(f"label {r.label!r} is also a variable name", value=r.label)
            if r.label in by_label:
                if rows[by_label[r.label]].free and r.free:
                    ties.union(by_label[r.label], k)
            else:
                by_label[r.label] = k
    return by_label


def _eq_type(r: ParRow, lv_names, ov_nox):
    if r.op == "=~":
        return "loadings"
    if r.op == "~":
        return "regressions"
    if r.op == "~1":
        if r.lhs in lv_names:
            return "means"
        if r.lhs in ov_nox:
            return "intercepts"
        return None
    if r.op == "~~":
        both_lv = r.lhs in lv_names and r.rhs in lv_names
        both_ov = r.lhs in ov_nox and r.rhs in ov_nox
        if r.lhs == r.rhs:
            return "lv.variances" if both_lv else ("residuals" if both_ov else None)
        return "lv.covariances" if both_lv else ("residual.covariances" if both_ov else None)
    return None


def _tie_group_equal(rows, names: VariableNames, group_equal, partial, ties):
    """Ties the free rows of groups 2+ whose type is in ``group_equal`` to their group-1 row, as
    lavaan's ``lav_partable_labels``: rows named in ``group_partial`` (``partial``, a set of
    :func:`_key`) stay free, and user labels override the group.equal label, so a row with a
    label of its own is tied only through that label (``c(l3a, l3b)*x3`` stays free across
    groups). When the group-1 row has a user label, the unlabelled rows of groups 2+ still share
    the group.equal label among themselves."""
    first = {}
    for k, r in enumerate(rows):
        if r.group == 1:
            first[(r.lhs, r.op, r.rhs)] = k
    anchor = {}
    for k, r in enumerate(rows):
        if r.group == 1 or not r.free or r.label or _key(r.lhs, r.op, r.rhs) in partial:
            continue
        if _eq_type(r, names.lv, names.ov_nox) in group_equal:
            k1 = first.get((r.lhs, r.op, r.rhs))
            if k1 is None or not rows[k1].free:
                continue
            ref = anchor.setdefault(k1, k1 if not rows[k1].label else k)
            ties.union(ref, k)


_PARTIAL_NAME = re.compile(r"^(.+?)(=~|~~|~)(.+)$")


def partial_keys(group_partial, rows) -> set:
    """The :func:`_key` of each parameter named in ``group_partial`` (lavaan's ``group.partial``
    names: ``f=~x``, ``x~~y``, ``x~1``, ``y~x``); a name that is not a parameter of the model is
    an error."""
    known = {_key(r.lhs, r.op, r.rhs) for r in rows}
    out = set()
    for name in group_partial:
        m = _PARTIAL_NAME.match("".join(str(name).split()))
        lhs, op, rhs = m.groups() if m else ("", "", "")
        if op == "~" and rhs == "1":
            op, rhs = "~1", ""
        key = _key(lhs, op, rhs)
        if key not in known:
            raise SurveySemError(
                f"group_partial: {name!r} is not a parameter of the model (write it as f=~x, x~~y or x~1)", value=name
            )
        out.add(key)
    return out


def _tie_constraints(constraints, by_label, rows, ties):
    """Ties ``a == b`` between the labels of two free rows; returns (those constraints, the
    others)."""
    tied, general = [], []
    for c in constraints:
        k1, k2 = by_label.get(c.expr), by_label.get(c.rhs_expr)
        if c.op == "==" and k1 is not None and k2 is not None and rows[k1].free and rows[k2].free:
            ties.union(k1, k2)
            tied.append(c)
        else:
            general.append(c)
    return tied, general


def _number_parameters(rows, constraints, names: VariableNames, ngroups, group_equal, partial=frozenset()):
    """Sets ``row.par`` of the free rows; returns (number of free parameters, label -> index,
    the tied ``==`` constraints, the general constraints)."""
    ties = _Ties(len(rows))
    by_label = _tie_labels(rows, names.ov + names.lv, ties)
    if ngroups > 1 and group_equal:
        _tie_group_equal(rows, names, group_equal, partial, ties)
    tied, general = _tie_constraints(constraints, by_label, rows, ties)
    par_of_root = {}
    for k, r in enumerate(rows):
        if not r.free:
            continue
        root = ties.find(k)
        if root not in par_of_root:
            par_of_root[root] = len(par_of_root)
        r.par = par_of_root[root]
    return len(par_of_root), {lab: rows[k].par for lab, k in by_label.items()}, tied, general


# ---------------------------------------------------------------- step 8: definitions
def _check_definitions(definitions, labels, constraints=()):
    defined = [dd.name for dd in definitions]
    for d in definitions:
        for nm in expression_names(d.expr):
            if nm not in labels and nm not in defined:
                raise SurveySemError(
                    f"model syntax, line {d.line}: unknown label {nm!r} in defined parameter {d.name!r}", value=nm
                )
    for c in constraints:
        for nm in expression_names(c.expr) + expression_names(c.rhs_expr):
            if nm not in labels and nm not in defined:
                raise SurveySemError(
                    f"model syntax, line {c.line}: unknown label {nm!r} in constraint '{c.expr} {c.op} {c.rhs_expr}'",
                    value=nm,
                )


def build_partable(
    parsed: ParsedModel,
    *,
    ngroups: int = 1,
    meanstructure: bool = False,
    std_lv: bool = False,
    group_equal: tuple = (),
    group_partial: tuple = (),
    available: list | None = None,
    orthogonal: bool = False,
    auto_fix_first: bool = True,
) -> ModelSpec:
    """The parameter table of a parsed model (steps in the module docstring). ``available``:
    the data's columns (every observed variable must be one); a ``~ 1`` term implies a
    mean structure. ``orthogonal``, ``auto_fix_first``: lavaan's options of those names (the
    automatic covariances of latent variables fixed to 0; the first loading of each factor fixed
    to 1 unless ``std_lv``). ``group_equal`` / ``group_partial``: lavaan's ``group.equal`` /
    ``group.partial`` arguments of ``lavaan()`` (see :func:`_tie_group_equal`)."""
    terms = parsed.terms
    for t in terms:
        if t.op == "|":
            raise SurveySemError(f"model syntax, line {t.line}: thresholds ('{t.lhs} | {t.rhs}') need ordered indicators; "
                                 "fit with estimator='WLSMV' and ordered=[...]", value=t.lhs)
    for ge in group_equal:
        if ge in ("thresholds", "composite.loadings", "composite.weights"):
            raise SurveySemError(f"not supported: group_equal {ge!r} (ordered indicators, composites); use "
                                 f"{', '.join(GROUP_EQUAL_TYPES)}")
        if ge not in GROUP_EQUAL_TYPES:
            raise SurveySemError(f"unknown group_equal type {ge!r}; use one of {', '.join(GROUP_EQUAL_TYPES)}")
    names = variable_names(terms)
    if available is not None:
        _check_available(terms, names.lv, available)
    if any(t.op == "~1" for t in terms):
        meanstructure = True
    user_terms, user_keys = _user_terms(terms)
    default = [d for d in _default_rows(names, meanstructure) if _key(*d) not in user_keys]
    base = _one_group_rows(user_terms, default, names, std_lv, auto_fix_first, orthogonal)
    rows = _all_group_rows(base, ngroups, names.lv, std_lv, group_equal)
    _place_in_matrices(rows, names.ov + names.lv)
    partial = partial_keys(group_partial, rows)
    npar, labels, tied, general = _number_parameters(rows, parsed.constraints, names, ngroups, group_equal, partial)
    _check_definitions(parsed.definitions, labels, general)
    lv_indicators = {lv: [t.rhs for t in user_terms if t.op == "=~" and t.lhs == lv] for lv in names.lv}
    return ModelSpec(
        rows=rows,
        ov_names=names.ov,
        lv_names=names.lv,
        ov_x=names.ov_x,
        ngroups=ngroups,
        meanstructure=meanstructure,
        definitions=list(parsed.definitions),
        npar=npar,
        labels=labels,
        lv_indicators=lv_indicators,
        constraints=tied,
        general_constraints=general,
    )


def ndat(spec: ModelSpec):
    """Number of sample moments (fixed-x moments excluded), all groups (lavaan's ``lav_partable_ndat``)."""
    p = len(spec.ov_names)
    nx = len(spec.ov_x)
    per = p * (p + 1) // 2 - nx * (nx + 1) // 2
    if spec.meanstructure:
        per += p - nx
    return per * spec.ngroups


# ---------------------------------------------------------------- derived models
def baseline_spec(spec: ModelSpec) -> ModelSpec:
    """The independence (baseline) model lavaan uses for CFI/TLI: free variances (and
    means) of the observed variables; fixed-x (co)variances stay fixed."""
    rows = []
    ov = spec.ov_names
    index = {v: k for k, v in enumerate(ov)}
    ov_x = spec.ov_x
    for g in range(1, spec.ngroups + 1):
        for v in ov:
            if v in ov_x:
                continue
            rows.append(ParRow(v, "~~", v, g, False, True, None, mat="S", i=index[v], j=index[v]))
        for x1, x2 in _pairs_with_diagonal(ov_x):
            a, b = index[x1], index[x2]
            rows.append(ParRow(x1, "~~", x2, g, False, False, None, exo=True, mat="S", i=max(a, b), j=min(a, b)))
        if spec.meanstructure:
            for v in ov:
                rows.append(ParRow(v, "~1", "", g, False, v not in ov_x, None, exo=v in ov_x, mat="m", i=index[v], j=0))
    k = 0
    for r in rows:
        if r.free:
            r.par = k
            k += 1
    return ModelSpec.of_observed(rows, list(ov), list(ov_x), spec.ngroups, spec.meanstructure, k)


def saturated_spec(spec: ModelSpec) -> ModelSpec:
    """The unrestricted (h1) model of the observed variables: every variance, covariance
    (and mean) free, in lavaan's vech order (column by column of the lower triangle)."""
    ov = spec.ov_names
    p = len(ov)
    rows = []
    k = 0
    for g in range(1, spec.ngroups + 1):
        for j in range(p):
            for i in range(j, p):
                rows.append(ParRow(ov[i], "~~", ov[j], g, False, True, None, mat="S", i=i, j=j, par=k))
                k += 1
        if spec.meanstructure:
            for i in range(p):
                rows.append(ParRow(ov[i], "~1", "", g, False, True, None, mat="m", i=i, j=0, par=k))
                k += 1
    return ModelSpec.of_observed(rows, list(ov), [], spec.ngroups, spec.meanstructure, k)
