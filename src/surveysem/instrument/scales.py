"""The survey instrument as code: loading and validating ``scales/``.

Layout of the scales folder::

    scales/response_scales.yaml     response scales (id -> label, type, min, max, anchors)
    scales/profile.yaml             firm-profile questions (founding year, size, markets, ...)
    scales/eligibility.yaml         born-global screening rules (Yang & Stoian 2024, Section 3.3)
    scales/regions.csv              country -> region (12 regions) -> continent, user-editable; an
                                    optional same_as names the country an alias stands for
                                    ("United States" -> USA: counted once)
    scales/**/<ID>.yaml             one file per construct (capability, oie, marker, attention)

Every problem is reported as one line naming the file and the field, e.g.
``scales/capabilities/PDC.yaml: items[2].wording: missing``.

Example
-------
>>> from surveysem.instrument.scales import load_instrument
>>> inst = load_instrument("scales")                       # doctest: +SKIP
>>> [c.id for c in inst.constructs_of_kind("capability")]  # doctest: +SKIP
['PDC', 'CCA', 'EFT', 'SOE', 'ECP', 'ODV', 'TEC', 'BMM', 'CUS', 'TOC', 'ICO']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING


from surveysem.errors import SurveySemError
from surveysem.safe_yaml import load_yaml

if TYPE_CHECKING:
    import pandas as pd

RESPONSE_SCALES_FILE = "response_scales.yaml"
PROFILE_FILE = "profile.yaml"
ELIGIBILITY_FILE = "eligibility.yaml"
REGIONS_FILE = "regions.csv"
ALIAS_COLUMN = "same_as"  # optional column of the region table: the country an alias names
SPECIAL_FILES = {RESPONSE_SCALES_FILE, PROFILE_FILE, ELIGIBILITY_FILE}

CONSTRUCT_KINDS = ("capability", "oie", "marker", "attention")
PROCESSES = ("sensing", "seizing", "reconfiguring")
LEVELS = ("managerial", "firm", "managerial-shared")
PROFILE_TYPES = ("integer", "number", "percent", "categorical", "text", "market_history")
OPERATORS = ("<", "<=", ">", ">=", "==", "!=")
# The 12 regions of Yang & Stoian (2024), Table 1 footnote b (World Bank based).
REGIONS = (
    "Southeast Asia",
    "Middle East and North Africa",
    "China",
    "Japan",
    "India",
    "Rest of Asia",
    "Pacific",
    "Latin America and the Caribbean",
    "European Union",
    "Rest of Europe",
    "North America",
    "Others",
)
CONTINENTS = ("Africa", "Asia", "Europe", "North America", "South America", "Oceania", "Antarctica")
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
PROPOSITION_PATTERN = re.compile(r"^P[1-9][0-9]*[a-z]?$")


@dataclass(frozen=True)
class ResponseScale:
    """A response scale of ``response_scales.yaml``: its range and the labels of its anchors."""

    id: str
    label: str
    type: str
    min: int
    max: int
    anchors: dict[int, str]


@dataclass(frozen=True)
class Item:
    """One rated item: its construct, the first-order code it measures, its wording and keying
    (``expected`` is the instructed answer of an attention check)."""

    id: str
    construct: str
    code: str
    wording: str
    reverse: bool = False
    expected: int | None = None
    basis: str | None = None


@dataclass(frozen=True)
class Construct:
    """One construct file of ``scales/``: what it is, where the paper locates it (process, level,
    propositions), its place in the questionnaire, its response scale and items."""

    id: str
    label: str
    kind: str
    definition: str
    source: str
    process: str | None
    level: str | None
    propositions: tuple[str, ...]
    section: str
    order: float
    response_scale: ResponseScale
    stem: str
    items: tuple[Item, ...]
    file: str = ""


@dataclass(frozen=True)
class ProfileItem:
    """A firm-profile question of ``profile.yaml`` (type, range, answer options)."""

    id: str
    wording: str
    type: str
    options: dict[int, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class EligibilityRule:
    """A born-global screening criterion of ``eligibility.yaml``: ``variable operator threshold``."""

    id: str
    description: str
    variable: str
    operator: str
    threshold: float


@dataclass
class Instrument:
    """The validated instrument. Constructs are kept in questionnaire order."""

    directory: Path
    response_scales: dict[str, ResponseScale]
    constructs: dict[str, Construct]
    profile: list[ProfileItem]
    profile_section: str
    profile_order: float
    eligibility: list[EligibilityRule]
    eligibility_source: str
    regions: pd.DataFrame | None  # None when loaded with regions=False
    # Set by surveysem.instrument.analysed: the fielded constructs when ``constructs`` holds the
    # analysed scales of the config, the items left out (with reasons) and the parcels.
    fielded: dict[str, Construct] | None = None
    dropped: tuple = ()
    parcels: dict = field(default_factory=dict)

    @property
    def fielded_constructs(self) -> dict[str, Construct]:
        """The constructs as fielded (``constructs`` may hold the analysed scales)."""
        return self.fielded or self.constructs

    @property
    def items(self) -> list[Item]:
        return [item for c in self.constructs.values() for item in c.items]

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    @property
    def reverse_keyed(self) -> set[str]:
        return {item.id for item in self.items if item.reverse}

    @property
    def declared_columns(self) -> set[str]:
        return set(self.item_ids) | {p.id for p in self.profile}

    def constructs_of_kind(self, kind: str) -> list[Construct]:
        return [c for c in self.constructs.values() if c.kind == kind]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale_of_item(self, item_id: str) -> ResponseScale:
        return self.constructs[self.item(item_id).construct].response_scale

    def _lookup(self, country: str, column: str) -> str:
        # a dict built once (first row of a key wins): screening and outcomes look up every
        # market of every respondent, and a DataFrame mask per lookup costs ~0.3 ms each
        index = self.__dict__.get("_region_index")
        if index is None:
            index = {}
            for rec in self.regions.to_dict("records"):
                index.setdefault(rec["_key"], rec)
            self.__dict__["_region_index"] = index
        rec = index.get(_country_key(country))
        if rec is None:
            raise SurveySemError(
                f"country {country!r} is not in the region table; add it to {REGIONS_FILE}",
                file=self.directory / REGIONS_FILE,
            )
        return str(rec[column])

    def region_of(self, country: str) -> str:
        return self._lookup(country, "region")

    def continent_of(self, country: str) -> str:
        return self._lookup(country, "continent")


def _country_key(name: str) -> str:
    return _key_of_text(str(name))


@lru_cache(maxsize=8192)
def _key_of_text(text: str) -> str:
    # cached: a study's outcomes look up every market of every firm, a few hundred names in all
    return " ".join(text.replace(".", "").split()).casefold()


# --------------------------------------------------------------------------- helpers


def _read_yaml(path: Path, label: str):
    # duplicate keys and alias bombs refused; libyaml's parser when the wheel has it (about 10x
    # faster: every workflow step reads the instrument)
    return load_yaml(path, f"{label} file")


class _Fields:
    """Typed access to one YAML mapping, with errors naming file and field path."""

    def __init__(self, mapping, path: Path, prefix: str = ""):
        if not isinstance(mapping, dict):
            where = prefix or "(top level)"
            raise SurveySemError(f"{where}: expected a mapping of fields", file=path)
        self.mapping = mapping
        self.path = path
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, problem: str):
        raise SurveySemError(f"{self.name(key)}: {problem}", file=self.path)

    def text(self, key: str, required: bool = True, default: str | None = None) -> str | None:
        value = self.mapping.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(key, "missing")
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.fail(key, f"expected text, got {type(value).__name__}")
        return " ".join(str(value).split()) if key != "definition" else str(value).strip()

    def choice(self, key: str, allowed, required: bool = True) -> str | None:
        value = self.text(key, required=required)
        if value is not None and value not in allowed:
            self.fail(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def number(self, key: str, required: bool = True, integer: bool = False):
        value = self.mapping.get(key)
        if value is None:
            if required:
                self.fail(key, "missing")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        if integer and int(value) != value:
            self.fail(key, f"expected a whole number, got {value!r}")
        return int(value) if integer else value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.mapping.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {value!r}")
        return value

    def sequence(self, key: str, required: bool = True) -> list:
        value = self.mapping.get(key)
        if value is None:
            if required:
                self.fail(key, "missing")
            return []
        if not isinstance(value, list):
            self.fail(key, "expected a list")
        return value

    def unknown_keys(self, allowed: set[str]):
        extra = sorted(set(self.mapping) - allowed)
        if extra:
            self.fail(extra[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")


# --------------------------------------------------------------------------- parts


def _load_response_scales(path: Path) -> dict[str, ResponseScale]:
    raw = _read_yaml(path, "response scales")
    if not isinstance(raw, dict) or not raw:
        raise SurveySemError("expected a mapping of response-scale ids", file=path)
    scales = {}
    for scale_id, spec in raw.items():
        f = _Fields(spec, path, str(scale_id))
        f.unknown_keys({"label", "type", "min", "max", "anchors"})
        low, high = f.number("min", integer=True), f.number("max", integer=True)
        if low >= high:
            f.fail("max", f"must be larger than min ({low})")
        anchors_raw = f.mapping.get("anchors") or {}
        if not isinstance(anchors_raw, dict):
            f.fail("anchors", "expected a mapping value -> label")
        anchors = {}
        for key, label in anchors_raw.items():
            if isinstance(key, bool) or not isinstance(key, int) or not low <= key <= high:
                f.fail("anchors", f"anchor {key!r} is outside {low}..{high}")
            if not isinstance(label, str) or not label.strip():
                f.fail(f"anchors.{key}", "missing label")
            anchors[key] = label.strip()
        scales[str(scale_id)] = ResponseScale(
            id=str(scale_id),
            label=f.text("label"),
            type=f.choice("type", ("likert",)),
            min=low,
            max=high,
            anchors=dict(sorted(anchors.items())),
        )
    return scales


CONSTRUCT_FIELDS = {
    "id",
    "label",
    "kind",
    "definition",
    "source",
    "process",
    "level",
    "propositions",
    "section",
    "order",
    "response_scale",
    "stem",
    "items",
}
ITEM_FIELDS = {"id", "code", "wording", "reverse", "expected", "basis"}


def _item_entries(f: "_Fields", shown: str, allowed: set[str], empty: str):
    """(fields, id) of every entry of ``items``: only ``allowed`` keys, an id of the id pattern."""
    items_raw = f.sequence("items")
    if not items_raw:
        f.fail("items", empty)
    for i, item_raw in enumerate(items_raw):
        g = _Fields(item_raw, Path(shown), f"items[{i}]")
        g.unknown_keys(allowed)
        item_id = g.text("id")
        if not ID_PATTERN.match(item_id):
            g.fail("id", f"{item_id!r} must be upper-case letters, digits or _")
        yield g, item_id


def _load_construct(path: Path, scales: dict[str, ResponseScale], shown: str) -> Construct:
    raw = _read_yaml(path, "construct")
    f = _Fields(raw, Path(shown))
    f.unknown_keys(CONSTRUCT_FIELDS)
    cid = f.text("id")
    if not ID_PATTERN.match(cid):
        f.fail("id", f"{cid!r} must be upper-case letters, digits or _")
    kind = f.choice("kind", CONSTRUCT_KINDS)
    process = f.choice("process", PROCESSES, required=kind == "capability")
    level = f.choice("level", LEVELS, required=kind == "capability")
    scale_id = f.text("response_scale")
    if scale_id not in scales:
        f.fail("response_scale", f"unknown response scale {scale_id!r} (known: {', '.join(scales)})")
    propositions = f.sequence("propositions", required=False)
    for i, prop in enumerate(propositions):
        if not isinstance(prop, str) or not PROPOSITION_PATTERN.match(prop):
            f.fail(f"propositions[{i}]", f"{prop!r} is not a proposition id like P1a")
    items = []
    for g, item_id in _item_entries(f, shown, ITEM_FIELDS, "the scale has no items"):
        expected = g.number("expected", required=kind == "attention", integer=True)
        scale = scales[scale_id]
        if expected is not None and not scale.min <= expected <= scale.max:
            g.fail("expected", f"{expected} is outside the response scale {scale.min}..{scale.max}")
        items.append(
            Item(
                id=item_id,
                construct=cid,
                code=g.text("code", required=kind in ("capability", "oie"), default="") or "",
                wording=g.text("wording"),
                reverse=g.flag("reverse"),
                expected=expected,
                basis=g.text("basis", required=False),
            )
        )
    return Construct(
        id=cid,
        label=f.text("label"),
        kind=kind,
        definition=f.text("definition"),
        source=f.text("source"),
        process=process,
        level=level,
        propositions=tuple(propositions),
        section=f.text("section"),
        order=f.number("order"),
        response_scale=scales[scale_id],
        stem=f.text("stem", required=False, default="") or "",
        items=tuple(items),
        file=shown,
    )


def _load_profile(path: Path, shown: str) -> tuple[list[ProfileItem], str, float]:
    raw = _read_yaml(path, "profile")
    f = _Fields(raw, Path(shown))
    f.unknown_keys({"id", "label", "kind", "section", "order", "source", "definition", "stem", "items"})
    items = []
    for g, item_id in _item_entries(f, shown, {"id", "wording", "type", "options", "min", "max", "basis"},
                                    "the profile has no items"):
        kind = g.choice("type", PROFILE_TYPES)
        options = {}
        if kind == "categorical":
            opts = g.sequence("options")
            if len(opts) < 2:
                g.fail("options", "a categorical question needs at least two options")
            for j, opt in enumerate(opts):
                h = _Fields(opt, Path(shown), f"{g.prefix}.options[{j}]")
                code = h.number("code", integer=True)
                if code in options:
                    h.fail("code", f"duplicate option code {code}")
                options[code] = h.text("label")
        low = g.number("min", required=False)
        high = g.number("max", required=False)
        if low is not None and high is not None and low > high:
            g.fail("max", f"must not be below min ({low})")
        items.append(ProfileItem(id=item_id, wording=g.text("wording"), type=kind, options=options, min=low, max=high))
    section = f.text("section", required=False, default="Firm profile") or "Firm profile"
    order = f.number("order", required=False)
    return items, section, 0 if order is None else order


def _load_eligibility(path: Path, shown: str) -> tuple[list[EligibilityRule], str]:
    raw = _read_yaml(path, "eligibility")
    f = _Fields(raw, Path(shown))
    f.unknown_keys({"source", "description", "rules"})
    rules = []
    seen = set()
    for i, rule_raw in enumerate(f.sequence("rules")):
        g = _Fields(rule_raw, Path(shown), f"rules[{i}]")
        g.unknown_keys({"id", "description", "variable", "operator", "threshold", "note"})
        rule_id = g.text("id")
        if rule_id in seen:
            g.fail("id", f"duplicate rule id {rule_id!r}")
        seen.add(rule_id)
        rules.append(
            EligibilityRule(
                id=rule_id,
                description=g.text("description"),
                variable=g.text("variable"),
                operator=g.choice("operator", OPERATORS),
                threshold=g.number("threshold"),
            )
        )
    return rules, f.text("source", required=False, default="") or ""


def _load_regions(path: Path, shown: str) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: parsing the workflow reads the instrument without it

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise SurveySemError("region table is missing", file=shown) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SurveySemError(f"cannot read the region table: {exc}", file=shown) from None
    missing = [c for c in ("country", "region", "continent") if c not in table.columns]
    if missing:
        raise SurveySemError(f"missing column(s) {', '.join(missing)}", file=shown)
    for i, row in enumerate(table.itertuples(index=False), start=2):
        if not row.country.strip():
            raise SurveySemError("empty country name", file=shown, row=i, column="country")
        if row.region not in REGIONS:
            raise SurveySemError(
                f"unknown region (allowed: {', '.join(REGIONS)})", file=shown, row=i, column="region", value=row.region
            )
        if row.continent not in CONTINENTS:
            raise SurveySemError(
                f"unknown continent (allowed: {', '.join(CONTINENTS)})",
                file=shown,
                row=i,
                column="continent",
                value=row.continent,
            )
    table = table[["country", "region", "continent"] + ([ALIAS_COLUMN] if ALIAS_COLUMN in table.columns else [])].copy()
    table["_key"] = table["country"].map(_country_key)
    # The same country spelled twice ("UK", "U.K.") is harmless; two different regions are not.
    first = table.drop_duplicates("_key", keep="first").set_index("_key")
    for i, (key, row) in enumerate(zip(table["_key"], table.itertuples(index=False)), start=2):
        kept = first.loc[key]
        if (kept["region"], kept["continent"]) != (row.region, row.continent):
            raise SurveySemError(
                f"country also listed as {kept['country']!r} with region {kept['region']!r}, continent {kept['continent']!r}",
                file=shown, row=i, column="region", value=row.region,
            )
    table["_canonical"] = _canonical_keys(table, first, shown)
    table = table.drop_duplicates("_key", keep="first").reset_index(drop=True)
    return table


def _canonical_keys(table: pd.DataFrame, first: pd.DataFrame, shown: str) -> list[str]:
    """Per row, the key of the country it names: its own, or that of its ``same_as`` entry (an
    alias such as "United States" for "USA" counts as one country). A ``same_as`` must name a
    country of the table in the same region that is not itself an alias."""
    if ALIAS_COLUMN not in table.columns:
        return list(table["_key"])
    out = []
    aliases = {k: str(v).strip() for k, v in zip(table["_key"], table[ALIAS_COLUMN]) if str(v).strip()}
    for i, (key, row) in enumerate(zip(table["_key"], table.itertuples(index=False)), start=2):
        target = str(getattr(row, ALIAS_COLUMN)).strip()
        if not target:
            out.append(key)
            continue
        tkey = _country_key(target)
        if tkey not in first.index:
            raise SurveySemError(f"{target!r} is not a country of the table", file=shown, row=i, column=ALIAS_COLUMN)
        if tkey in aliases and tkey != key:
            raise SurveySemError(f"{target!r} is itself an alias (of {aliases[tkey]!r}); name the country it stands for",
                                 file=shown, row=i, column=ALIAS_COLUMN)
        if first.loc[tkey, "region"] != row.region:
            raise SurveySemError(f"{target!r} lies in region {first.loc[tkey, 'region']!r}, not {row.region!r}",
                                 file=shown, row=i, column=ALIAS_COLUMN)
        out.append(tkey)
    return out


def construct_files(directory) -> list[Path]:
    """The construct YAML files below ``directory`` (sorted, special files excluded)."""
    directory = Path(directory)
    return sorted(
        p for p in directory.rglob("*.yaml") if not (p.parent == directory and p.name in SPECIAL_FILES)
    )


def instrument_files(directory) -> list[str]:
    """Every file the instrument is built from (for Snakemake inputs)."""
    directory = Path(directory)
    special = [directory / name for name in (RESPONSE_SCALES_FILE, PROFILE_FILE, ELIGIBILITY_FILE, REGIONS_FILE)]
    return [str(p) for p in special + construct_files(directory)]


def scales_dir_of(files) -> Path:
    """The scales folder of a rule's ``scales`` input (:func:`instrument_files`: the first file is
    ``response_scales.yaml`` at the top of the folder)."""
    return Path(files[0]).parent


def load_instrument(directory="scales", regions: bool = True) -> Instrument:
    """Load and validate the instrument in ``directory``; raise a one-line SurveySemError.
    ``regions=False`` leaves the region table out (``Instrument.regions`` is None): parsing the
    workflow needs only the constructs, and the region table is the one part that needs pandas."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SurveySemError("scales folder not found", file=directory)

    def shown(p: Path) -> str:
        return str(p)

    scales = _load_response_scales(directory / RESPONSE_SCALES_FILE)
    constructs: dict[str, Construct] = {}
    item_home: dict[str, str] = {}
    for path in construct_files(directory):
        construct = _load_construct(path, scales, shown(path))
        if construct.id in constructs:
            raise SurveySemError(
                f"id: construct {construct.id!r} is already defined in {constructs[construct.id].file}", file=shown(path)
            )
        for i, item in enumerate(construct.items):
            if item.id in item_home:
                other = item_home[item.id]
                where = "earlier in this file" if other == shown(path) else f"also in {other}"
                raise SurveySemError(f"items[{i}].id: item {item.id!r} is {where}", file=shown(path))
            item_home[item.id] = shown(path)
        constructs[construct.id] = construct
    if not constructs:
        raise SurveySemError("no construct files (*.yaml) found", file=directory)

    profile, profile_section, profile_order = _load_profile(directory / PROFILE_FILE, shown(directory / PROFILE_FILE))
    for i, p in enumerate(profile):
        if p.id in item_home or p.id in constructs:
            raise SurveySemError(f"items[{i}].id: {p.id!r} is also used in {item_home.get(p.id, 'a construct')}",
                                 file=shown(directory / PROFILE_FILE))
        item_home[p.id] = shown(directory / PROFILE_FILE)

    eligibility, eligibility_source = _load_eligibility(
        directory / ELIGIBILITY_FILE, shown(directory / ELIGIBILITY_FILE)
    )
    region_table = _load_regions(directory / REGIONS_FILE, shown(directory / REGIONS_FILE)) if regions else None
    ordered = dict(sorted(constructs.items(), key=lambda kv: (kv[1].order, kv[0])))
    return Instrument(
        directory=directory,
        response_scales=scales,
        constructs=ordered,
        profile=profile, profile_section=profile_section, profile_order=profile_order,
        eligibility=eligibility, eligibility_source=eligibility_source,
        regions=region_table,
    )
