"""The variables, labels and definitions of a model hypothesis' structure (``model:``).

A light reading of lavaan syntax, enough to check a hypothesis against the instrument when the
config is parsed: every propositions rule parses the hypotheses, and importing the SEM engine's
parser would make all their step code hashes depend on the engine. The engine's own parser
reads the model again when it is fitted (:mod:`surveysem.propositions.latent_paths`) and
reports any syntax error there.

>>> v, labels, defined = model_variables("PDC ~ a*OIE_RSP\\nspread ~ b*PDC + 0.5*SOE  # note\\nind := a*b")
>>> sorted(v), sorted(labels), sorted(defined)
(['OIE_RSP', 'PDC', 'SOE', 'spread'], ['a', 'b'], ['ind'])
"""

from __future__ import annotations

import re

from surveysem.errors import SurveySemError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_OPS = ("=~", "~~", "~", "<~")


def _statements(syntax: str) -> list[tuple[int, str]]:
    out = []
    for n, line in enumerate(syntax.splitlines(), start=1):
        line = re.split(r"[#!]", line, maxsplit=1)[0]
        out += [(n, part.strip()) for part in line.split(";") if part.strip()]
    return out


def _rhs_terms(rhs: str, n: int, variables: set, labels: set) -> None:
    for term in rhs.split("+"):
        *modifiers, var = [p.strip() for p in term.split("*")]
        if not _NAME.match(var):
            raise SurveySemError(f"line {n}: {var!r} is not a variable name")
        variables.add(var)
        for m in modifiers:
            if _NAME.match(m) and m != "NA":
                labels.add(m)


def model_variables(syntax: str) -> tuple[set[str], set[str], set[str]]:
    """(variables, labels, defined names) of a structural model in lavaan syntax."""
    variables, labels, defined = set(), set(), set()
    for n, stmt in _statements(syntax):
        if ":=" in stmt:
            defined.add(stmt.split(":=")[0].strip())
            continue
        if "==" in stmt or stmt.count("<") or stmt.count(">"):
            continue  # constraints: labels only
        op = next((o for o in _OPS if o in stmt), None)
        if op is None:
            raise SurveySemError(f"line {n}: no operator (~, ~~, :=) in {stmt!r}")
        if op in ("=~", "<~"):
            raise SurveySemError(f"line {n}: measurement ({op}) is added from the instrument; write only the structure")
        lhs, rhs = (p.strip() for p in stmt.split(op, 1))
        if not _NAME.match(lhs):
            raise SurveySemError(f"line {n}: {lhs!r} is not a variable name")
        variables.add(lhs)
        if rhs and rhs != "1":
            _rhs_terms(rhs, n, variables, labels)
    return variables, labels, defined
