"""Parameter table with lavaan's ``sem()``/``cfa()`` defaults.

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
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def var_names(self):
        return list(self.ov_names) + list(self.lv_names)


def _unique(seq):
    out = []
    for s in seq:
        if s not in out:
            out.append(s)
    return out


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


def build_partable(
    parsed: ParsedModel,
    *,
    ngroups: int = 1,
    meanstructure: bool = False,
    std_lv: bool = False,
    group_equal: tuple = (),
    available: list | None = None,
) -> ModelSpec:
    terms = parsed.terms
    for ge in group_equal:
        if ge not in GROUP_EQUAL_TYPES:
            raise SurveySemError(f"unknown group_equal type {ge!r}; use one of {', '.join(GROUP_EQUAL_TYPES)}")
    lv_names = _unique(t.lhs for t in terms if t.op == "=~")
    eqs_y = _unique(t.lhs for t in terms if t.op == "~")
    eqs_x = _unique(t.rhs for t in terms if t.op == "~")
    v_ind = _unique(t.rhs for t in terms if t.op == "=~")
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
    # ov.x mentioned in user variances/intercepts are not treated as fixed.x
    user_vars = set()
    for t in terms:
        if t.op == "~1":
            user_vars.add(t.lhs)
        elif t.op == "~~":
            user_vars.update((t.lhs, t.rhs))
    ov_x = [v for v in ov_x if v not in user_vars]
    if available is not None:
        for t in terms:
            for v in (t.lhs, t.rhs):
                if v and v not in lv_names and v not in available:
                    raise SurveySemError(
                        f"model syntax, line {t.line}: variable {v!r} is neither a latent variable nor a column of the data",
                        value=v,
                    )
    if any(t.op == "~1" for t in terms):
        meanstructure = True
    lv_x = [v for v in lv_names if v not in v_ind and v not in eqs_y]
    lv_y = [v for v in lv_names if v in eqs_y and v not in v_ind and v not in eqs_x]
    ov_y_pure = [v for v in ov_names if v in eqs_y and v not in v_ind and v not in eqs_x]
    lvov_y = lv_y + ov_y_pure
    ov_nox = [v for v in ov_names if v not in ov_x]

    # ----- default rows
    default = []
    for v in ov_nox + lv_names:
        default.append((v, "~~", v))
    for a in range(len(lv_x)):
        for b in range(a + 1, len(lv_x)):
            default.append((lv_x[a], "~~", lv_x[b]))
    for a in range(len(lvov_y)):
        for b in range(a + 1, len(lvov_y)):
            default.append((lvov_y[a], "~~", lvov_y[b]))
    nx = len(ov_x)
    for j in range(nx):
        for i in range(j, nx):
            default.append((ov_x[j], "~~", ov_x[i]))
    if meanstructure:
        for v in ov_names + lv_names:
            default.append((v, "~1", ""))

    def key(lhs, op, rhs):
        if op == "~~":
            return (op,) + tuple(sorted((lhs, rhs)))
        return (lhs, op, rhs)

    user_keys = {}
    user_terms = []
    for t in terms:
        k = key(t.lhs, t.op, t.rhs)
        if k in user_keys:
            continue  # lavaan ignores duplicated elements
        user_keys[k] = t
        user_terms.append(t)
    default = [d for d in default if key(*d) not in user_keys]

    # count indicators for auto.fix.single
    ind_count = {}
    for t in user_terms:
        if t.op == "=~":
            ind_count[t.lhs] = ind_count.get(t.lhs, 0) + 1
    rhs_count = {}
    for t in user_terms:
        if t.op == "=~":
            rhs_count[t.rhs] = rhs_count.get(t.rhs, 0) + 1
    single_ind = [
        t.rhs for t in user_terms if t.op == "=~" and ind_count[t.lhs] == 1 and t.rhs != t.lhs and rhs_count[t.rhs] == 1
    ]
    first_seen = set()

    base = []  # rows for one group (group filled later): (lhs, op, rhs, user, free, value, exo, term)
    for t in user_terms:
        free, value, exo = True, None, False
        if t.op == "=~" and not std_lv and t.lhs not in first_seen:
            free, value = False, 1.0
        if t.op == "=~":
            first_seen.add(t.lhs)
        if std_lv and t.op == "~~" and t.lhs == t.rhs and t.lhs in lv_names:
            free, value = False, 1.0
        base.append([t.lhs, t.op, t.rhs, True, free, value, exo, t])
    for lhs, op, rhs in default:
        free, value, exo = True, None, False
        if op == "~~" and lhs == rhs and lhs in single_ind:
            free, value = False, 0.0
        if std_lv and op == "~~" and lhs == rhs and lhs in lv_names:
            free, value = False, 1.0
        if op == "~1" and lhs in lv_names:
            free, value = False, 0.0
        if op == "~~" and lhs in ov_x and rhs in ov_x:
            free, value, exo = False, None, True
        if op == "~1" and lhs in ov_x:
            free, value, exo = False, None, True
        base.append([lhs, op, rhs, False, free, value, exo, None])

    rows: list[ParRow] = []
    for g in range(1, ngroups + 1):
        for lhs, op, rhs, user, free, value, exo, t in base:
            r = ParRow(lhs, op, rhs, g, user, free, value, exo=exo)
            if t is not None:
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
            if g > 1 and not user:
                if op == "~1" and lhs in lv_names and "intercepts" in group_equal and "means" not in group_equal:
                    r.free, r.value = True, None
                if (
                    std_lv
                    and "loadings" in group_equal
                    and "lv.variances" not in group_equal
                    and op == "~~"
                    and lhs == rhs
                    and lhs in lv_names
                ):
                    r.free, r.value = True, None
            rows.append(r)

    # ----- matrix placement
    var_names = ov_names + lv_names
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

    # ----- free parameter indices with equality constraints (labels, group_equal, ==)
    parent = list(range(len(rows)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_label: dict[str, int] = {}
    for k, r in enumerate(rows):
        if r.label:
            if r.label in var_names:
                raise SurveySemError(f"label {r.label!r} is also a variable name", value=r.label)
            if r.label in by_label:
                if rows[by_label[r.label]].free and r.free:
                    union(by_label[r.label], k)
            else:
                by_label[r.label] = k
    if ngroups > 1 and group_equal:
        first = {}
        for k, r in enumerate(rows):
            if r.group == 1:
                first[(r.lhs, r.op, r.rhs)] = k
        for k, r in enumerate(rows):
            if r.group == 1 or not r.free:
                continue
            typ = _eq_type(r, lv_names, ov_nox)
            if typ in group_equal:
                k1 = first.get((r.lhs, r.op, r.rhs))
                if k1 is not None and rows[k1].free:
                    union(k1, k)
    for c in parsed.constraints:
        simple = c.expr in by_label and c.rhs_expr in by_label
        if not simple:
            raise SurveySemError(
                f"model syntax, line {c.line}: only equality of two labels is supported in '=='",
                value=f"{c.expr} == {c.rhs_expr}",
            )
        union(by_label[c.expr], by_label[c.rhs_expr])
    par_of_root = {}
    for k, r in enumerate(rows):
        if not r.free:
            continue
        root = find(k)
        if root not in par_of_root:
            par_of_root[root] = len(par_of_root)
        r.par = par_of_root[root]
    labels = {lab: rows[k].par for lab, k in by_label.items()}
    for d in parsed.definitions:
        for nm in expression_names(d.expr):
            if nm not in labels and nm not in [dd.name for dd in parsed.definitions]:
                raise SurveySemError(
                    f"model syntax, line {d.line}: unknown label {nm!r} in defined parameter {d.name!r}", value=nm
                )
    lv_indicators = {lv: [t.rhs for t in user_terms if t.op == "=~" and t.lhs == lv] for lv in lv_names}
    return ModelSpec(
        rows=rows,
        ov_names=ov_names,
        lv_names=lv_names,
        ov_x=ov_x,
        ngroups=ngroups,
        meanstructure=meanstructure,
        definitions=list(parsed.definitions),
        npar=len(par_of_root),
        labels=labels,
        lv_indicators=lv_indicators,
    )


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
        nx = len(ov_x)
        for j in range(nx):
            for i in range(j, nx):
                a, b = index[ov_x[j]], index[ov_x[i]]
                rows.append(
                    ParRow(ov_x[j], "~~", ov_x[i], g, False, False, None, exo=True, mat="S", i=max(a, b), j=min(a, b))
                )
        if spec.meanstructure:
            for v in ov:
                rows.append(ParRow(v, "~1", "", g, False, v not in ov_x, None, exo=v in ov_x, mat="m", i=index[v], j=0))
    k = 0
    for r in rows:
        if r.free:
            r.par = k
            k += 1
    return ModelSpec(
        rows=rows,
        ov_names=list(ov),
        lv_names=[],
        ov_x=list(ov_x),
        ngroups=spec.ngroups,
        meanstructure=spec.meanstructure,
        definitions=[],
        npar=k,
    )
