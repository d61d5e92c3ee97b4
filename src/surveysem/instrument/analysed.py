"""The analysed scales: the fielded instrument with the refinements of the config's ``scales:``.

``scales/`` is what was fielded: every item asked stays in the codebook and the questionnaire.
The statistics use the *analysed* scales, which ``scales:`` in ``config/config.yaml`` defines on
top of it, per construct (construct ids as keys)::

    scales:
      PDC:
        drop:                       # item -> the reason it left the analysis
          PDC5: "standardized loading .41 < .50 in the CFA"
      CUS:
        items: [CUS1, CUS2, CUS3, CUS4]   # the items used; the others leave, for `reason:`
        reason: "CUS5-6 cross-load on TOC in the EFA"
      TOC:
        parcels:                    # an indicator that is the mean of items
          TOC_P1: [TOC1, TOC2]
      SOE_A:                        # a construct the analysis splits off (or merges: several from:)
        from: [SOE]
        items: [SOE1, SOE2, SOE3]
        process: seizing            # second-order grouping of P4 (default: the sources' process)

A construct named in ``from:`` is replaced by the constructs built from it, and each of its items
must land in one of them or be dropped with a reason: nothing leaves silently. Every scale keeps
at least 3 indicators unless its entry says ``allow_fewer_items: true``; an item belongs to one
analysed scale. A problem is one line naming the key.

A parcel's value is the mean of its answered items (missing when none is answered), computed from
the analysis table by :func:`with_parcels`.

Example
-------
>>> from surveysem.instrument.scales import load_instrument
>>> inst = analysed_instrument(load_instrument(".test/scales"), {"PDC": {"drop": {"PDC5": "low loading"}}})
>>> [i.id for i in inst.constructs["PDC"].items], inst.dropped[0].reason  # doctest: +SKIP
(['PDC1', 'PDC2', 'PDC3', 'PDC4'], 'low loading')
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import (
    ID_PATTERN,
    PROCESSES,
    Construct,
    Instrument,
    Item,
    load_instrument,
    scales_dir_of,
)

if TYPE_CHECKING:
    import pandas as pd

ANALYSED_KINDS = ("capability", "oie", "marker")
MIN_INDICATORS = 3
# What a statistics step sees of a reason (surveysem.workflow.params): that one is given. A
# reason is printed, never computed with, so editing one reruns only the codebook and the report.
REASON_GIVEN = "(reason given in the config)"


@dataclass(frozen=True)
class DroppedItem:
    """An item of the instrument that the analysis leaves out, and the reason the config gives."""

    item: str
    construct: str
    reason: str


@dataclass(frozen=True)
class Parcel:
    """An indicator that is the mean of ``items`` of ``construct``."""

    id: str
    construct: str
    items: tuple[str, ...]


class _At:
    """Errors naming the config key: ``config/config.yaml: scales.PDC.drop.PDC9: ...``."""

    def __init__(self, config_name: str, key: str):
        self.config_name, self.key = config_name, key

    def fail(self, sub: str, problem: str):
        key = f"{self.key}.{sub}" if sub else self.key
        raise SurveySemError(f"{key}: {problem}", file=self.config_name)


def analysed_instrument(inst: Instrument, scales: dict | None, config_name: str = "config/config.yaml") -> Instrument:
    """``inst`` with the analysed scales of ``scales`` (the config section) as its constructs.

    The result's ``constructs`` hold the analysed scales in questionnaire order, a derived
    construct at the place of its first source; ``fielded`` the instrument's constructs,
    ``dropped`` the items left out with their reasons, ``parcels`` the parcels by id.
    """
    scales = scales or {}
    fielded = inst.fielded or inst.constructs
    derived = {cid: entry for cid, entry in scales.items() if entry.get("from")}
    replaced = _replaced(fielded, derived, config_name)
    constructs: dict[str, Construct] = {}
    dropped: list[DroppedItem] = []
    parcels: dict[str, Parcel] = {}
    for cid, construct in fielded.items():
        if cid in replaced and cid in scales:
            _At(config_name, f"scales.{cid}").fail(
                "", f"{cid} is replaced by {', '.join(replaced[cid])} (from:); refine it in that entry")
        if cid in replaced:
            for new_id in replaced[cid]:
                if new_id not in constructs:
                    built, gone = _derived(new_id, derived[new_id], fielded, _At(config_name, f"scales.{new_id}"))
                    constructs[new_id] = built
                    dropped.extend(gone)
            continue
        entry = scales.get(cid)
        if entry is None:
            constructs[cid] = construct
            continue
        at = _At(config_name, f"scales.{cid}")
        if construct.kind not in ANALYSED_KINDS:
            at.fail("", f"{cid} is an {construct.kind} construct of the instrument, not an analysed scale")
        built, gone = _refined(construct, entry, construct.items, at)
        constructs[cid] = built
        dropped.extend(gone)
    for cid in scales:
        if cid not in fielded and cid not in derived:
            _At(config_name, f"scales.{cid}").fail(
                "", f"unknown construct {cid!r}; to build a new one from instrument constructs give from: [...]")
    for cid, construct in list(constructs.items()):
        entry = scales.get(cid) or {}
        at = _At(config_name, f"scales.{cid}")
        construct, made = _parcelled(construct, entry.get("parcels") or {}, at, set(constructs) | set(parcels))
        parcels.update(made)
        constructs[cid] = construct
        _check_size(construct, entry, at)
    _check_unique_items(constructs, config_name)
    _check_sources_used(replaced, fielded, constructs, dropped, parcels, config_name)
    return replace(inst, constructs=constructs, fielded=fielded, dropped=tuple(dropped), parcels=parcels)


def _replaced(fielded: dict, derived: dict, config_name: str) -> dict[str, list[str]]:
    """Instrument construct -> the derived constructs built from it (in config order)."""
    out: dict[str, list[str]] = {}
    for cid, entry in derived.items():
        at = _At(config_name, f"scales.{cid}")
        if cid in fielded:
            at.fail("from", f"{cid} is a construct of the instrument; give the new construct a new id")
        kinds = set()
        for j, source in enumerate(entry["from"]):
            if source not in fielded:
                at.fail(f"from[{j}]", f"unknown construct {source!r}")
            if source in derived:
                at.fail(f"from[{j}]", f"{source!r} is itself built in scales:; build from instrument constructs")
            if fielded[source].kind not in ANALYSED_KINDS:
                at.fail(f"from[{j}]", f"{source} is an {fielded[source].kind} construct, not an analysed scale")
            kinds.add(fielded[source].kind)
            out.setdefault(source, []).append(cid)
        if len(kinds) > 1:
            at.fail("from", f"sources of different kinds ({', '.join(sorted(kinds))}) cannot form one scale")
    return out


def _refined(construct: Construct, entry: dict, pool, at: _At) -> tuple[Construct, list[DroppedItem]]:
    """``construct`` with the items ``entry`` keeps (``items:`` or all of ``pool`` but ``drop:``)."""
    by_id = {item.id: item for item in pool}
    drop = entry.get("drop") or {}
    if isinstance(drop, list):  # a statistics step's view (surveysem.workflow.params): ids, no reasons
        drop = dict.fromkeys(drop, REASON_GIVEN)
    for item_id in drop:
        if item_id not in by_id:
            at.fail(f"drop.{item_id}", f"{item_id!r} is not an item of {_sources_text(pool)}")
    if "items" in entry:
        for j, item_id in enumerate(entry["items"]):
            if item_id not in by_id:
                at.fail(f"items[{j}]", f"{item_id!r} is not an item of {_sources_text(pool)}")
            if item_id in drop:
                at.fail(f"items[{j}]", f"{item_id} is listed under items and under drop")
        kept = [by_id[i] for i in entry["items"]]
    else:
        kept = [item for item in pool if item.id not in drop]
    left = [item for item in pool if item not in kept]
    gone = []
    if entry.get("from") and "reason" in entry:
        at.fail("reason", "a construct built with from: drops items by drop: {ITEM: \"reason\"} only")
    for item in left:
        reason = drop.get(item.id) or entry.get("reason")
        if not reason and not entry.get("from"):
            at.fail("reason", f"{item.id} leaves the analysis without a reason: give drop: {{{item.id}: \"...\"}} "
                              "or reason:")
        if reason:
            gone.append(DroppedItem(item.id, item.construct, " ".join(str(reason).split())))
    process = entry.get("process", construct.process)
    if process is not None and construct.kind != "capability":
        at.fail("process", f"only capabilities have a process; {construct.id} is of kind {construct.kind}")
    if process is not None and process not in PROCESSES:
        at.fail("process", f"{process!r} is not one of {', '.join(PROCESSES)}")
    items = tuple(replace(item, construct=construct.id) for item in kept)
    return replace(construct, items=items, process=process, label=entry.get("label", construct.label)), gone


def _derived(cid: str, entry: dict, fielded: dict, at: _At) -> tuple[Construct, list[DroppedItem]]:
    """A construct built from the instrument constructs ``entry['from']`` (merged or split)."""
    sources = [fielded[s] for s in entry["from"]]
    if not ID_PATTERN.match(cid):
        at.fail("", f"{cid!r} must be upper-case letters, digits or _")
    processes = {s.process for s in sources}
    if "process" not in entry and len(processes) > 1:
        at.fail("process", f"the sources lie in different processes ({', '.join(sorted(map(str, processes)))}); "
                           "give process:")
    scales = {s.response_scale.id for s in sources}
    if len(scales) > 1:
        at.fail("from", f"the sources use different response scales ({', '.join(sorted(scales))})")
    first = sources[0]
    base = replace(first, id=cid, label=entry.get("label", " + ".join(s.label for s in sources)),
                   propositions=tuple(dict.fromkeys(p for s in sources for p in s.propositions)),
                   file="config/config.yaml", definition=f"Analysed scale built from {', '.join(entry['from'])}.")
    pool = [item for s in sources for item in s.items]
    return _refined(base, entry, pool, at)


def _parcelled(construct: Construct, spec: dict, at: _At, taken: set) -> tuple[Construct, dict[str, Parcel]]:
    """``construct`` with each parcel in place of its items (at the place of its first item)."""
    if not spec:
        return construct, {}
    own = {item.id: item for item in construct.items}
    home: dict[str, str] = {}
    made: dict[str, Parcel] = {}
    for pid, members in spec.items():
        if not ID_PATTERN.match(pid):
            at.fail(f"parcels.{pid}", f"{pid!r} must be upper-case letters, digits or _")
        if pid in own or pid in taken:
            at.fail(f"parcels.{pid}", f"{pid!r} is already the id of an item, construct or parcel")
        for j, item_id in enumerate(members):
            if item_id not in own:
                at.fail(f"parcels.{pid}[{j}]", f"{item_id!r} is not an analysed item of {construct.id}")
            if item_id in home:
                at.fail(f"parcels.{pid}[{j}]", f"{item_id} is already in parcel {home[item_id]}")
            home[item_id] = pid
        made[pid] = Parcel(pid, construct.id, tuple(members))
    indicators: list[Item] = []
    for item in construct.items:
        pid = home.get(item.id)
        if pid is None:
            indicators.append(item)
        elif made[pid].items[0] == item.id:
            members = made[pid].items
            indicators.append(Item(id=pid, construct=construct.id, code=item.code,
                                   wording=f"parcel: mean of {', '.join(members)}"))
    return replace(construct, items=tuple(indicators)), made


def _check_size(construct: Construct, entry: dict, at: _At) -> None:
    if entry and len(construct.items) < MIN_INDICATORS and not entry.get("allow_fewer_items", False):
        ids = ", ".join(i.id for i in construct.items) or "none"
        at.fail("", f"{len(construct.items)} indicator(s) left ({ids}); a scale needs at least {MIN_INDICATORS}, "
                    "or set allow_fewer_items: true")
    if not construct.items:
        at.fail("", "no indicator left")


def _check_unique_items(constructs: dict, config_name: str) -> None:
    home: dict[str, str] = {}
    for cid, construct in constructs.items():
        for j, item in enumerate(construct.items):
            if item.id in home:
                _At(config_name, f"scales.{cid}").fail(
                    f"items[{j}]", f"{item.id} is also in the analysed scale {home[item.id]}; an item belongs to one")
            home[item.id] = cid


def _check_sources_used(replaced, fielded, constructs, dropped, parcels, config_name) -> None:
    """Each item of a replaced construct is in a construct built from it, or dropped with a reason."""
    used = {i.id for c in constructs.values() for i in c.items}
    used |= {i for p in parcels.values() for i in p.items} | {d.item for d in dropped}
    for source, built in replaced.items():
        orphans = [item.id for item in fielded[source].items if item.id not in used]
        if orphans:
            _At(config_name, f"scales.{built[0]}").fail(
                "drop", f"item(s) {', '.join(orphans)} of {source} are in no construct built from it; "
                        "list them under drop: with a reason")


def _sources_text(pool) -> str:
    return ", ".join(dict.fromkeys(item.construct for item in pool))


def with_parcels(data: pd.DataFrame, inst: Instrument) -> pd.DataFrame:
    """``data`` with one column per parcel of ``inst``: the mean of its answered items."""
    if not inst.parcels:
        return data
    import pandas as pd

    columns = {}
    for pid, parcel in inst.parcels.items():
        missing = [i for i in parcel.items if i not in data.columns]
        if missing:
            raise SurveySemError(f"parcel {pid}: item(s) not in the data: {', '.join(missing)}")
        columns[pid] = data[list(parcel.items)].apply(pd.to_numeric, errors="coerce").mean(axis=1, skipna=True)
    return data.assign(**columns)


def scale_indicators(inst: Instrument) -> dict[str, list[str]]:
    """Analysed scale -> its indicator ids (items and parcels), for the measured kinds."""
    return {c.id: [i.id for i in c.items] for c in inst.constructs.values() if c.kind in ANALYSED_KINDS}


def capability_processes(inst: Instrument) -> dict[str, list[str]]:
    """Process -> the analysed capability scales in it (the second-order grouping of P4)."""
    out: dict[str, list[str]] = {p: [] for p in PROCESSES}
    for construct in inst.constructs_of_kind("capability"):
        out[construct.process].append(construct.id)
    return {p: members for p, members in out.items() if members}


def fielded_items_of(inst: Instrument, construct: Construct) -> list[Item]:
    """The fielded items behind an analysed scale's indicators (parcels expanded), as the
    instrument has them (their ``construct`` is the fielded one)."""
    fielded = {i.id: i for c in inst.fielded_constructs.values() for i in c.items}
    out: list[Item] = []
    for indicator in construct.items:
        parcel = inst.parcels.get(indicator.id)
        out += [fielded[i] for i in (parcel.items if parcel else (indicator.id,)) if i in fielded]
    return out


def dropped_items(inst: Instrument) -> dict[str, DroppedItem]:
    """Item id -> its :class:`DroppedItem` (items the analysis leaves out)."""
    return {d.item: d for d in inst.dropped}


def load_analysed(scales_files, scales: dict | None, regions: bool = True) -> Instrument:
    """The analysed instrument of a rule's ``scales`` input (:func:`surveysem.instrument.scales.instrument_files`)
    and the config section ``scales``."""
    return analysed_instrument(load_instrument(scales_dir_of(scales_files), regions=regions), scales)
