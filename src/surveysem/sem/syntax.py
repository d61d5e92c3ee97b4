"""Parser for the lavaan model syntax (the subset used by surveysem).

Supported: ``=~`` (measurement), ``~`` (regression), ``~~`` (variance/covariance),
``~ 1`` (intercept), ``|`` (thresholds of an ordered item, ``x1 | t1 + t2``: fitted only with
ordered indicators, :mod:`surveysem.sem.wlsmv`), ``:=`` (defined parameter), ``==`` (equality constraint between
expressions of labels and defined parameters), ``<`` and ``>`` (inequality constraints); several
left-hand sides or right-hand terms joined with ``+``; modifiers
``label*x``, ``1*x`` / ``0*x`` (fixed), ``NA*x`` (free), ``start(0.5)*x``,
``label("a")*x`` and per-group vectors ``c(a, b)*x`` / ``c(1, NA)*x``; comments ``#``
and ``!``; statements spread over several lines (a line without an operator continues
the previous statement) or separated by ``;``.

:func:`parse_syntax` returns a :class:`ParsedModel`: a list of :class:`Term` (one per
left-hand side / right-hand term pair, in syntax order) and a list of
:class:`Definition`.  Problems raise :class:`~surveysem.errors.SurveySemError` naming the
line and the offending token; what lavaan accepts and surveysem does not (formative ``<~``,
scaling factors ``~*~``, ...) is refused with one line starting
"not supported:" that names the alternative (:data:`UNSUPPORTED_OPERATORS`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from surveysem.errors import SurveySemError

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_THRESHOLD = re.compile(r"^t[1-9][0-9]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# operators, longest first
_OPERATORS = (":=", "=~", "~~", "==", "~", "<", ">", "|")
# lavaan operators the engine does not fit: operator -> "not supported: ..." message
UNSUPPORTED_OPERATORS = {
    "<~": "formative indicators ('<~', composites); define the composite as a latent variable with "
          "reflective indicators ('=~'), or use the mean score of the indicators as an observed variable",
    "~*~": "scaling factors ('~*~', categorical indicators); treat the indicators as continuous (ML/MLR)",
    "%": "free group weights ('group % w', lavaan's group.w.free); fit the groups with their sample sizes",
    ":": "block statements ('level: 1', 'group: A') and 'x1:x2' interaction terms; fit a single-level model "
         "with c(...) modifiers for group-specific values, and compute a product as a column of the data",
}
# lavaan modifiers the engine does not fit: name -> alternative
UNSUPPORTED_MODIFIERS = {
    "lower": "state the bound as an inequality constraint on a label (f =~ a*x1; a > 0)",
    "upper": "state the bound as an inequality constraint on a label (f =~ a*x1; a < 1)",
    "efa": "exploratory blocks (efa()); use surveysem's EFA (measurement stage) or an explicit CFA",
    "prior": "priors (blavaan); fit by ML",
    "rv": "random slopes (multilevel); fit a single-level model",
}


@dataclass
class Modifier:
    """Modifiers of one term; list entries are per group (length 1 = all groups)."""

    fixed: list = field(default_factory=list)  # float, None (NA = free) per group
    label: list = field(default_factory=list)  # str per group ("" = none)
    start: list = field(default_factory=list)  # float per group


@dataclass
class Term:
    lhs: str
    op: str  # "=~", "~", "~~", "~1", "|" (a threshold: lhs the item, rhs "t1", "t2", ...)
    rhs: str  # "" for "~1"
    mod: Modifier
    line: int


@dataclass
class Definition:
    name: str
    expr: str  # python expression over labels
    line: int
    op: str = ":="  # ":=", or the constraint's "==", "<", ">"
    rhs_expr: str = ""  # for a constraint: right-hand side expression


@dataclass
class ParsedModel:
    terms: list
    definitions: list
    constraints: list  # Definition with op "==", "<" or ">", in syntax order


def _err(msg: str, line: int, token: str | None = None):
    raise SurveySemError(f"model syntax, line {line}: {msg}", value=token)


def _strip_comment(text: str) -> str:
    out = []
    quote = None
    for ch in text:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "#!":
            break
        out.append(ch)
    return "".join(out)


def _refuse_unsupported(stmt: str, line: int):
    """One "not supported:" line for an operator or modifier of lavaan's syntax that the engine does
    not fit."""
    for op, what in UNSUPPORTED_OPERATORS.items():
        if (op in stmt) if op != ":" else re.search(r":(?!=)", stmt):
            raise SurveySemError(f"not supported: {what} (model syntax, line {line})", value=stmt)
    for name, what in UNSUPPORTED_MODIFIERS.items():
        if re.search(rf"(?<![A-Za-z0-9_.]){name}\s*\(", stmt):
            raise SurveySemError(f"not supported: the {name}() modifier; {what} (model syntax, line {line})", value=stmt)


def _find_operator(stmt: str):
    """Return (op, position) of the statement's operator, or (None, -1)."""
    best = None
    for op in _OPERATORS:
        pos = stmt.find(op)
        if pos < 0:
            continue
        if op == "~" and (stmt[pos : pos + 2] in ("~~",) or (pos > 0 and stmt[pos - 1] == "=")):
            # a bare '~' that is part of '~~' or '=~' is handled by the longer operator
            continue
        if best is None or pos < best[1] or (pos == best[1] and len(op) > len(best[0])):
            best = (op, pos)
    if best is None:
        return None, -1
    return best


def _split_statements(syntax: str):
    """Yield (statement, first line number)."""
    if not isinstance(syntax, str):
        raise SurveySemError("model syntax must be a string")
    pieces: list[tuple[str, int]] = []
    for lineno, raw in enumerate(syntax.splitlines(), start=1):
        text = _strip_comment(raw).strip()
        if not text:
            continue
        for part in text.split(";"):
            part = part.strip()
            if not part:
                continue
            _refuse_unsupported(part, lineno)
            op, _ = _find_operator(part)
            dangling = bool(pieces) and re.search(r"(\+|\*|=~|~~|~|:=|==|<|>)\s*$", pieces[-1][0])
            if dangling or (op is None and part.startswith("+") and pieces):
                pieces[-1] = (pieces[-1][0] + " " + part, pieces[-1][1])
            elif op is None:
                _err("statement has no operator (=~, ~, ~~, |, :=, ==, <, >)", lineno, part)
            else:
                pieces.append((part, lineno))
    return pieces


def _split_top(text: str, sep: str) -> list[str]:
    """Split on sep outside parentheses."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _parse_value_list(inner: str, line: int, token: str):
    items = [s.strip() for s in _split_top(inner, ",")]
    if not items or any(s == "" for s in items):
        _err("empty element in c(...)", line, token)
    return items


def _parse_modifier(mod: str, line: int, into: Modifier):
    mod = mod.strip()
    if not mod:
        _err("empty modifier before '*'", line, mod)
    m = re.match(r"^(start|label|equal)\s*\((.*)\)$", mod)
    if m:
        kind, inner = m.group(1), m.group(2)
        items = _parse_value_list(inner, line, mod)
        if kind == "start":
            vals = []
            for it in items:
                if not _NUMBER.match(it):
                    _err("start() needs a number", line, it)
                vals.append(float(it))
            into.start = vals
        else:
            labels = []
            for it in items:
                it = it.strip("\"'")
                if not _NAME.match(it):
                    _err("invalid label", line, it)
                labels.append(it)
            into.label = labels
        return
    m = re.match(r"^c\s*\((.*)\)$", mod)
    items = _parse_value_list(m.group(1), line, mod) if m else [mod]
    kinds = set()
    vals = []
    for it in items:
        it = it.strip()
        if it == "NA":
            kinds.add("fixed")
            vals.append(None)
        elif _NUMBER.match(it):
            kinds.add("fixed")
            vals.append(float(it))
        elif _NAME.match(it.strip("\"'")):
            kinds.add("label")
            vals.append(it.strip("\"'"))
        else:
            _err("invalid modifier", line, it)
    if len(kinds) > 1:
        _err("mixes numbers and labels in one modifier", line, mod)
    if "fixed" in kinds:
        into.fixed = vals
    else:
        into.label = vals


def _parse_term(term: str, line: int):
    """Return (name, Modifier) for 'mod*mod*name'."""
    term = term.strip()
    if not term:
        _err("empty term (check for a doubled or trailing '+')", line, term)
    parts = _split_top(term, "*")
    name = parts[-1].strip()
    mod = Modifier()
    for p in parts[:-1]:
        _parse_modifier(p, line, mod)
    if name != "1" and not _NAME.match(name):
        _err("invalid variable name", line, name)
    return name, mod


_ALLOWED_FUNCS = {"sqrt", "exp", "log", "abs"}


def _check_expression(expr: str, line: int) -> str:
    expr_py = expr.replace("^", "**")
    try:
        tree = ast.parse(expr_py, mode="eval")
    except SyntaxError:
        _err("cannot parse expression", line, expr)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _ALLOWED_FUNCS:
                name = ast.unparse(node.func)
                raise SurveySemError(f"not supported: the function {name}() in an expression (model syntax, line "
                                     f"{line}); use arithmetic, ^ and {', '.join(sorted(_ALLOWED_FUNCS))}", value=name)
        elif not isinstance(
            node,
            (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load, ast.operator, ast.unaryop),
        ):
            _err("unsupported element in expression", line, expr)
    return expr_py


def expression_names(expr_py: str) -> list[str]:
    tree = ast.parse(expr_py, mode="eval")
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in _ALLOWED_FUNCS and node.id not in names:
            names.append(node.id)
    return names


def parse_syntax(syntax: str) -> ParsedModel:
    terms: list[Term] = []
    defs: list[Definition] = []
    cons: list[Definition] = []
    for stmt, line in _split_statements(syntax):
        op, pos = _find_operator(stmt)
        lhs_txt, rhs_txt = stmt[:pos].strip(), stmt[pos + len(op) :].strip()
        if not lhs_txt:
            _err(f"nothing on the left of '{op}'", line, stmt)
        if not rhs_txt:
            _err(f"nothing on the right of '{op}'", line, stmt)
        if op == ":=":
            if not _NAME.match(lhs_txt):
                _err("invalid name for defined parameter", line, lhs_txt)
            defs.append(Definition(lhs_txt, _check_expression(rhs_txt, line), line))
            continue
        if op in ("==", "<", ">"):
            cons.append(
                Definition(
                    "", _check_expression(lhs_txt, line), line, op=op, rhs_expr=_check_expression(rhs_txt, line)
                )
            )
            continue
        lhs_names = [s.strip() for s in lhs_txt.split("+")]
        for nm in lhs_names:
            if not _NAME.match(nm):
                _err("invalid variable name", line, nm)
        parsed_terms = [(raw, *_parse_term(raw, line)) for raw in _split_top(rhs_txt, "+")]
        for lhs in lhs_names:  # lavaan's order: each left-hand side with all its terms
            for raw, name, mod in parsed_terms:
                if name == "1":
                    if op != "~":
                        _err(f"'1' is only allowed with '~' (intercept), not '{op}'", line, raw.strip())
                    terms.append(Term(lhs, "~1", "", mod, line))
                else:
                    if op == "=~" and name == lhs:
                        _err("a latent variable cannot be its own indicator", line, name)
                    if op == "|" and not _THRESHOLD.match(name):
                        _err("a threshold is named t1, t2, ... ('x1 | t1 + t2')", line, name)
                    terms.append(Term(lhs, op, name, mod, line))
    if not terms:
        raise SurveySemError("model syntax contains no model statements")
    return ParsedModel(terms, defs, cons)
