"""The reference of every configuration key, ``config/README.md``, rendered from the schema.

:func:`config_reference` reads the schema shipped in the package (``surveysem/schemas/config.yaml``:
types, allowed values, defaults and each key's ``description:``) and
:data:`surveysem.workflow.params.CONFIG_READS` (which rule reads which keys), and returns the
Markdown text: one table per top-level section, one row per schema property, in schema order::

    | key | type / allowed values | default | meaning | read by |

``python -m surveysem.config_docs > config/README.md`` regenerates the file;
``tests/workflow/test_docs.py`` checks that it is current. Pure Python (PyYAML only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from surveysem.config import DEFAULT_SCHEMA, SEEDS_FROM_STUDY
from surveysem.workflow.params import CONFIG_READS

SIMULATE_COMMAND = "`surveysem simulate`"
SIMULATE_ONLY = f"{SIMULATE_COMMAND} only"
HEADER = ("| key | type / allowed values | default | meaning | read by |", "|---|---|---|---|---|")
# What a rule that reads list entries through a selector reads of them: (note, explanation).
SELECTOR_NOTES = {
    "{hyp}": ("per entry", ("one job per regression hypothesis, each reading only its own entry: an edit of "
                            "P1 reruns P1's job, not the others")),
    "{sem}": ("growth entry", "reads only the entry with `outcome: growth` (the P4 SEM)"),
    "*": ("", ""),
    "of:*": ("item lists", ("reads the items each entry keeps, drops or parcels, not the text of the reasons: a "
                            "reason edit reruns only the codebook and the report")),
    "of:{hyp}": ("its constructs", ("one job per hypothesis, reading the entries of that hypothesis' constructs "
                                    "(item lists, not reasons): a PDC edit reruns the hypotheses on PDC only")),
    "of:marker": ("the marker", ("the entry of the marker scale (measurement.cmv.marker; item lists, not reasons): "
                                 "the method factor of the latent models measures it")),
}
_SELECTOR = re.compile(r"(\w+)\[([^\]]+)\]")


@dataclass(frozen=True)
class Key:
    """One property of the schema: its dotted path (list items as ``name[]``), its subschema,
    whether its parent requires it, and whether it belongs to one branch of an item ``oneOf``
    (such keys get no table row: :func:`config_reference` lists them below the table)."""

    path: str
    schema: dict
    required: bool
    branch_of: str = ""


def load_schema(path=DEFAULT_SCHEMA) -> dict:
    """The schema shipped in the package (read as :mod:`surveysem.config` reads it)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def schema_keys(node: dict, prefix: str = "", branch_of: str = ""):
    """Every property under ``node``, depth first in schema order."""
    required = set(node.get("required") or ())
    for name, sub in (node.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        yield Key(path, sub, name in required, branch_of)
        items = sub.get("items")
        if isinstance(items, dict):
            yield from schema_keys(items, f"{path}[]", branch_of)
            for branch in items.get("oneOf") or ():
                if isinstance(branch, dict):
                    yield from schema_keys(branch, f"{path}[]", branch_of or path)
        yield from schema_keys(sub, path, branch_of)
        entry = sub.get("additionalProperties")
        if isinstance(entry, dict) and entry.get("properties"):
            yield from schema_keys(entry, f"{path}.<ID>", branch_of)  # a mapping keyed by ids (scales:)


# --------------------------------------------------------------------------- cells


def _resolve(sub: dict, root: dict) -> dict:
    """``sub`` with a local ``$ref`` merged in (the subschema's own keys win)."""
    ref = sub.get("$ref")
    if not ref:
        return sub
    target = root
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return {**_resolve(target, root), **{k: v for k, v in sub.items() if k != "$ref"}}


def literal(value) -> str:
    """A config value as it would be written in YAML (flow style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if value and value.strip() == value and value not in ("+", "-") else f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return str(value)


def _bounds(sub: dict) -> str:
    lo = ("(", sub["exclusiveMinimum"]) if "exclusiveMinimum" in sub else ("[", sub.get("minimum"))
    hi = (")", sub["exclusiveMaximum"]) if "exclusiveMaximum" in sub else ("]", sub.get("maximum"))
    if lo[1] is not None and hi[1] is not None:
        return f" in {lo[0]}{literal(lo[1])}, {literal(hi[1])}{hi[0]}"
    if lo[1] is not None:
        return f" {'>' if lo[0] == '(' else '≥'} {literal(lo[1])}"
    if hi[1] is not None:
        return f" {'<' if hi[0] == ')' else '≤'} {literal(hi[1])}"
    return ""


def _one_type(kind: str, sub: dict, root: dict, entry: bool) -> str:
    if kind in ("number", "integer"):
        return kind + _bounds(sub)
    if kind == "string":
        if "pattern" in sub:
            return f"string matching `{sub['pattern']}`"
        return "non-empty string" if sub.get("minLength", 0) >= 1 else "string"
    if kind == "array":
        items = sub.get("items")
        word = "non-empty list" if sub.get("minItems", 0) >= 1 else "list"
        if sub.get("uniqueItems"):
            word = "list of distinct"
        if not isinstance(items, dict):
            return word
        of = type_text(items, root, entry=True)
        if " or " in of or ", " in of:
            of = f"({of})"
        elif of.endswith(("string", "number", "integer", "mapping")):
            of += "s"
        return f"{word} {of}" if word.endswith("distinct") else f"{word} of {of}"
    if kind == "object":
        if sub.get("properties"):
            return "mapping" if entry else "section"
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict):
            value = type_text(extra, root, entry=True)
            return f"mapping: key → ({value})" if value.startswith("mapping") else f"mapping: key → {value}"
        return "mapping"
    return kind


def type_text(sub: dict, root: dict, entry: bool = False) -> str:
    """Type, range or allowed values of a subschema, in words (``entry``: of a list entry or a
    mapping value)."""
    sub = _resolve(sub, root)
    if "enum" in sub:
        return ", ".join(f"`{literal(v)}`" for v in sub["enum"])
    if "oneOf" in sub:
        return " or ".join(type_text(branch, root, entry) for branch in sub["oneOf"])
    kinds = sub.get("type")
    if kinds is None:
        return "any"
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    return " or ".join("`null`" if k == "null" else _one_type(k, sub, root, entry) for k in kinds)


def default_text(key: Key) -> str:
    if "default" in key.schema:
        text = f"`{literal(key.schema['default'])}`"
        section, _, name = key.path.partition(".")
        if key.schema["default"] is None and name == "seed" and section in SEEDS_FROM_STUDY:
            text += " (= `study.seed`)"
        return text
    return "required" if key.required else "–"


# --------------------------------------------------------------------------- read by


def _read_path(read: str) -> tuple[str, str | None]:
    """A ``CONFIG_READS`` path in schema form (``hypotheses[{hyp}].x`` -> ``hypotheses[].x``) and
    its list selector (``{hyp}``, ``{sem}``, ``*``; None without one)."""
    selector = None

    def schema_form(match):
        nonlocal selector
        selector = match[2]
        return f"{match[1]}[]"

    path = _SELECTOR.sub(schema_form, read)
    return path.removesuffix("[]"), selector


def _under(path: str, section: str) -> bool:
    """Whether ``path`` is ``section`` or a key inside it (``""`` is the whole config)."""
    return section == "" or path == section or path.startswith((f"{section}.", f"{section}[]"))


def readers(path: str, reads: dict[str, tuple[str, ...]] = CONFIG_READS) -> list[str]:
    """The rules that read ``path`` (a dotted schema path): those reading it or a section that
    contains it, and, marked "(part)", those reading only some keys inside it."""
    out = []
    for rule, paths in reads.items():
        whole, part, notes = False, False, []
        for read in paths:
            read_path, selector = _read_path(read)
            if _under(path, read_path):
                whole = True
            elif _under(read_path, path):
                part = True
            else:
                continue
            note = SELECTOR_NOTES.get(selector, (selector, ""))[0] if selector else ""
            if note:
                notes.append(note)
        if whole or part:
            notes = list(dict.fromkeys(notes)) + ([] if whole else ["part"])
            out.append(f"`{rule}`" + (f" ({'; '.join(notes)})" if notes else ""))
    return out


def read_by_text(path: str, reads=CONFIG_READS) -> str:
    found = readers(path, reads)
    if _under(path, "simulate"):
        return ", ".join([SIMULATE_COMMAND, *found]) if found else SIMULATE_ONLY
    return ", ".join(found) if found else "no rule"


# --------------------------------------------------------------------------- page


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _selector_notes(section: str, reads) -> list[str]:
    """What the notes of the *read by* cells of ``section`` mean (rules reading list entries
    through a selector, e.g. ``hypotheses[{hyp}]``)."""
    used = {}
    for paths in reads.values():
        for read in paths:
            read_path, selector = _read_path(read)
            note, meaning = SELECTOR_NOTES.get(selector, (selector, "")) if selector else ("", "")
            if note and _under(read_path, section):
                used.setdefault(note, meaning)
    return [f"- *({note})*: {meaning}." if meaning else f"- *({note})*." for note, meaning in used.items()]


def _row(key: Key, root: dict, reads) -> str:
    cells = [f"`{key.path}`", type_text(key.schema, root, entry="[]" in key.path), default_text(key),
             key.schema.get("description", ""), read_by_text(key.path, reads)]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _branch_line(key: Key, root: dict) -> str:
    name = key.path[len(key.branch_of) + 3:]  # after "<list>[]."
    default = default_text(key)
    detail = type_text(key.schema, root, entry=True)
    detail += {"–": "", "required": "; required"}.get(default, f"; default {default}")
    return f"- `{name}` ({detail}): {key.schema.get('description', '')}"


INTRO = """\
# Configuration reference

`config/config.yaml` configures the workflow. At the start of every run it is validated against
the JSON Schema shipped in the package, `src/surveysem/schemas/config.yaml`; a problem stops the
run with one line naming the key. Defaults come from the schema only: validation fills in every
key left out (a section or subsection whose default is `{{}}` may be left out entirely: all its
keys then take their defaults), and a `null` seed (`{seeds}`) means `study.seed`.
In the column *default*, "required" marks a key that must be given and "–" an optional key
without a default.

The column *read by* lists the workflow rules that read each key (`CONFIG_READS` in
`src/surveysem/workflow/params.py`): a rule receives exactly the keys it declares, as
Snakemake params, so editing a key reruns these rules and what is downstream of their outputs,
nothing else (`snakemake -n` shows which jobs). *(part)* marks a rule that reads only some keys
of a section. `report_pages` reads every section but `simulate:` (the provenance page prints the
configuration the pipeline ran with). Keys naming input files also rerun the rules taking those
files as input: `instrument.scales_dir` every rule that uses the instrument. The `simulate:`
section is the population model of `surveysem simulate`, which draws the synthetic survey, and of
the power study (`snakemake power`, rules `power_chunk` and `power_summary`); no rule of the default
target reads it, so editing it reruns nothing there until the survey is drawn again.

This file is generated from the schema by `python -m surveysem.config_docs > config/README.md`
(`tests/workflow/test_docs.py` checks that it is current): edit a key's `description:` in the
schema, not this file.

Sections: {sections}.
"""


def config_reference(schema: dict | None = None, reads: dict[str, tuple[str, ...]] | None = None) -> str:
    """The text of ``config/config.yaml``'s key reference (``config/README.md``)."""
    schema = load_schema() if schema is None else schema
    reads = CONFIG_READS if reads is None else reads
    sections = list(schema.get("properties") or {})
    seeds = "`, `".join(f"{s}.seed" for s in SEEDS_FROM_STUDY)
    parts = [INTRO.format(seeds=seeds, sections=", ".join(f"[`{s}`](#{s})" for s in sections))]
    keys = list(schema_keys(schema))
    for section in sections:
        in_section = [k for k in keys if _under(k.path, section)]
        lines = [f"## {section}", "", *HEADER]
        lines += [_row(k, schema, reads) for k in in_section if not k.branch_of]
        notes = _selector_notes(section, reads)
        if notes:
            lines += ["", *notes]
        branches: dict[str, list[Key]] = {}
        for k in in_section:
            if k.branch_of:
                branches.setdefault(k.branch_of, []).append(k)
        for owner, members in branches.items():
            lines += ["", (f"An entry of `{owner}` can also be a mapping with these keys (read by the same "
                           f"rules as `{owner}`):"), ""]
            lines += [_branch_line(k, schema) for k in members]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(config_reference(), end="")
