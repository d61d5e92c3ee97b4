"""An edit reruns exactly what depends on it: config keys, package code and the instrument.

Every leaf key of the test config (the default config on test data, so the same keys as
``config/config.yaml``) is changed to another valid value; a dry run must then schedule exactly the
rules whose declared reads (``surveysem.workflow.params``) see the change, and everything downstream
of them (from the registry of stage files), nothing else.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SMALL_CONFIG, SNAKEMAKE, run, scheduled_rules, scheduled_rules_of_each, workflow_copy

from surveysem.config import DEFAULT_SCHEMA, validate_config
from surveysem.errors import SurveySemError
from surveysem.instrument.facets import instrument_digests
from surveysem.propositions.settings import check_settings, parse_hypotheses
from surveysem.stage_files import FILES
from surveysem.workflow.code_hash import step_code_hash
from surveysem.workflow.params import CONFIG_READS, INSTRUMENT_READS, config_leaves

# Keys no rule reads, with the reason.
UNREAD = {"simulate": "the population model of `surveysem simulate`; the pipeline analyses the data file",
          "power": "the power study's plan, read by `snakemake power` only"}
# Keys whose only other valid values need a second key changed with them (same reason each).
PAIRED = {
    "bootstrap.model": "verdict_rule.p4_model",  # must agree while verdict_rule.p4_ci is bootstrap
    "verdict_rule.p4_model": "bootstrap.model",
}
# Keys that cannot change alone to another valid value (the rest of their hypothesis is built on them).
NOT_ALONE = {
    "hypotheses[P1].outcome": "the families and checks of P1 are valid for spread only",
    "hypotheses[P2].outcome": "the families and checks of P2 are valid for diversification only",
    "hypotheses[P3].outcome": "fractional_logit is valid for intensity only",
    "hypotheses[P3].family": "fractional_logit is the only family for intensity",
    "hypotheses[P4].outcome": "family sem is valid for growth only",
    "hypotheses[P4].family": "a growth hypothesis is a SEM",
}
# Rules outside the default pipeline (a dry run of it never schedules them), with their target.
NOT_DEFAULT = {"preregistration_document": "snakemake preregistration", "power_chunk": "snakemake power",
               "power_summary": "snakemake power", "report_power": "snakemake power"}
# Rules in the default pipeline only when a config switch is on (workflow/rules/*.smk): turning
# the switch on changes what they read from nothing to their keys, so they are expected to run.
SWITCHED = {"measurement_ordinal": "measurement.ordinal_check", "propositions_p4_ordinal": "p4.ordinal_check"}
# Rules that only name the files of a target (no step, no reads).
TARGET_RULES = {"preregistration", "power"}
# Config keys that name input files or folders: a change changes the set of input files.
# (.test/config_small leaves the switched rules off: they are not scheduled.)
INPUT_KEYS = {"instrument.scales_dir": (set(INSTRUMENT_READS) - set(NOT_DEFAULT) - set(SWITCHED)) | {"outcomes_table1_audit"}}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _leaves(node, prefix=""):
    """(dotted key, value) of every leaf of the config file; hypotheses by id."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif prefix == "hypotheses":
        for h in node:
            yield from _leaves({k: v for k, v in h.items()}, f"hypotheses[{h['id']}]")
    else:
        yield prefix, node


def _set(cfg: dict, key: str, value) -> None:
    parts = key.split(".")
    node = cfg
    for part in parts[:-1]:
        match = re.match(r"^hypotheses\[(.+)\]$", part)
        node = next(h for h in node["hypotheses"] if h["id"] == match[1]) if match else node[part]
    node[parts[-1]] = value


def _schema_node(key: str) -> dict:
    node = yaml.safe_load(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    for part in key.split("."):
        if part.startswith("hypotheses["):
            node = node["properties"]["hypotheses"]["items"]
        else:
            node = node.get("properties", {}).get(part, {})
    return node


def _candidates(key: str, value, work: Path):
    schema = _schema_node(key)
    enums = [alt for alt in schema.get("oneOf", []) if "enum" in alt]
    if enums and not isinstance(value, list):
        schema = enums[0]
    if "enum" in schema:
        yield from (v for v in schema["enum"] if v != value)
    elif isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        yield from (value + 1, value - 1)
    elif isinstance(value, float):
        yield from (round(value * 0.9, 12), round(value * 1.1, 12))
    elif value is None:
        yield from (3, "group")
    elif isinstance(value, str) and (work / value).exists():
        copy_path = work / f"{value.rstrip('/')}_copy"
        (shutil.copytree if (work / value).is_dir() else shutil.copy2)(work / value, copy_path)
        yield f"{value.rstrip('/')}_copy"
    elif isinstance(value, str):
        yield value + "X"
    elif isinstance(value, list):
        yield from (list(reversed(value)), value[:-1], value + ["EXTRA_EDITED"])
    elif value == {} and key == "scales":  # no refinement: drop one item (its own test: test_scale_refinement)
        yield {"PDC": {"drop": {"PDC5": "edited"}}}


def _valid(cfg: dict) -> bool:
    try:
        validate_config(cfg)
        parse_hypotheses(cfg["hypotheses"])
        check_settings(cfg)
    except SurveySemError:
        return False
    return True


def _mutations(base: dict, work: Path):
    """(key, changed raw config) for every leaf key, or (key, None) when it cannot change alone."""
    for key, value in _leaves(base):
        if key.split(".")[0] in UNREAD or key in NOT_ALONE:
            continue
        changed = None
        for candidate in _candidates(key, value, work):
            cfg = copy.deepcopy(base)
            _set(cfg, key, candidate)
            if key in PAIRED:
                _set(cfg, PAIRED[key], candidate)
            if candidate != value and _valid(copy.deepcopy(cfg)):
                changed = cfg
                break
        yield key, changed


def _reads(cfg: dict) -> dict[str, dict]:
    """Rule (per hypothesis for the regressions) -> the config leaves it reads."""
    cfg = validate_config(copy.deepcopy(cfg))
    hyps = parse_hypotheses(cfg["hypotheses"])
    sem = next((h.id for h in hyps if h.is_sem), None)
    out = {}
    for rule, paths in CONFIG_READS.items():
        if rule in NOT_DEFAULT or (rule in SWITCHED and not _switch_on(cfg, SWITCHED[rule])):
            continue
        if rule == "propositions_regression":
            for h in hyps:
                if not h.is_sem and not h.is_paths:
                    out[f"{rule}[{h.id}]"] = config_leaves(cfg, paths, hyp=h.id)
        elif rule == "propositions_latent":
            for h in hyps:
                if not h.is_sem and h.estimator != "composite_glm":
                    out[f"{rule}[{h.id}]"] = config_leaves(cfg, paths, hyp=h.id)
        else:
            out[rule] = config_leaves(cfg, paths, sem=sem)
    return out


def _switch_on(cfg: dict, key: str) -> bool:
    node = cfg
    for part in key.split("."):
        node = node[part]
    return node is True


def _downstream(rules: set[str]) -> set[str]:
    out, todo = set(), list(rules)
    while todo:
        rule = todo.pop()
        if rule in out:
            continue
        out.add(rule)
        todo.extend(r for f in FILES.values() if f.writer == rule for r in f.readers)
    return out


def _expected(key: str, base: dict, changed: dict) -> set[str]:
    old, new = _reads(base), _reads(changed)
    direct = {name.split("[")[0] for name in set(old) | set(new) if old.get(name) != new.get(name)}
    return _downstream(direct | INPUT_KEYS.get(key, set())) - set(NOT_DEFAULT)


def _scheduled_each(work: Path, configfiles: list[Path]) -> list[set[str]]:
    return scheduled_rules_of_each(work, configfiles, "--nolock")


def _scheduled(work: Path, configfile: Path) -> set[str]:
    return _scheduled_each(work, [configfile])[0]


def test_every_config_key_reruns_exactly_its_readers(small_workflow):
    work = small_workflow[0]
    base = _load(work / SMALL_CONFIG)
    mutations = list(_mutations(base, work))
    assert len(mutations) > 60
    assert [key for key, changed in mutations if changed is None] == []
    edits = work / "edits"
    edits.mkdir()
    jobs = []
    for n, (key, changed) in enumerate(mutations):
        path = edits / f"{n}.yaml"
        path.write_text(yaml.safe_dump(changed, sort_keys=False), encoding="utf-8")
        jobs.append((key, changed, path))
    scheduled = _scheduled_each(work, [path for _, _, path in jobs])
    wrong = {}
    for (key, changed, _), got in zip(jobs, scheduled):
        want = _expected(key, base, changed)
        if got != want:
            wrong[key] = {"scheduled": sorted(got), "expected": sorted(want)}
    assert wrong == {}
    # The key of the measured bug: a screening threshold reruns screening and what follows.
    threshold = dict(zip([k for k, _ in mutations], scheduled))["screening.straightlining.threshold"]
    assert {"data_screen", "measurement_cfa", "propositions_p4_fit", "report_pages"} <= threshold
    assert not threshold & {"data_ingest", "instrument_codebook", "outcomes_table1_audit"}


def test_the_p4_ordinal_switch_alone_adds_the_sensitivity_model(tmp_path):
    """p4.ordinal_check: off (the default), neither the default target nor the report asks for the
    WLSMV sensitivity model; on, both do (dry runs from scratch)."""
    work = workflow_copy(tmp_path)
    cfg = _load(work / SMALL_CONFIG)
    cfg["p4"]["ordinal_check"] = True
    on = work / "ordinal_on.yaml"
    on.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    off_all, on_all = scheduled_rules_of_each(work, [SMALL_CONFIG, on])
    off_p4, on_p4 = scheduled_rules_of_each(work, [SMALL_CONFIG, on], "reports/p4.html")
    assert "propositions_p4_ordinal" not in off_all and {"propositions_p4_fit", "report_pages"} <= off_all
    assert "propositions_p4_ordinal" not in off_p4
    assert on_all == off_all | {"propositions_p4_ordinal"}
    assert "propositions_p4_ordinal" in on_p4


def test_unread_sections_rerun_nothing(small_workflow):
    """Every key of simulate: changed at once: nothing to do."""
    work = small_workflow[0]
    cfg = _load(work / SMALL_CONFIG)
    sim = cfg["simulate"]
    sim["n"] += 1
    sim["seed"] += 1
    sim["effects"]["spread"]["PDC"] = 0.9
    sim["outcomes"]["countries"]["USA"] += 1
    sim["careless"]["random"] = 0.1
    path = work / "simulate_edit.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    assert _scheduled(work, path) == set()


def test_dry_run_reason_names_the_changed_key(small_workflow):
    work = small_workflow[0]
    cfg = _load(work / SMALL_CONFIG)
    cfg["screening"]["straightlining"]["threshold"] = 15
    path = work / "threshold_edit.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    proc = run([SNAKEMAKE, "-n", "--nolock", "--cores", "1", "--configfile", path], work)
    text = proc.stdout + proc.stderr
    assert "('screening.straightlining.threshold', 15)" in text
    # no whole section or whole config in the reason
    assert "'screening.outliers.threshold'" not in text and "simulate" not in text


@pytest.mark.parametrize("edit, expected", [
    # a wording: only what shows wordings
    (lambda s: s.replace("closely track", "closely follow"), {"instrument_codebook", "report_pages"}),
    # a construct label: likewise
    (lambda s: s.replace("label: Perceive demand", "label: Perceiving demand"), {"instrument_codebook", "report_pages"}),
    # reverse keying: every statistic of the items and what follows
    (lambda s: s.replace("reverse: true", "reverse: false"),
     _downstream({"instrument_codebook", "data_ingest", "data_screen"})),
])
def test_instrument_edits_rerun_what_uses_the_changed_facet(small_workflow, tmp_path, edit, expected):
    work = small_workflow[0]
    pdc = work / ".test" / "scales" / "capabilities" / "PDC.yaml"
    original = pdc.read_text(encoding="utf-8")
    try:
        pdc.write_text(edit(original), encoding="utf-8")
        assert pdc.read_text(encoding="utf-8") != original
        assert _scheduled(work, work / SMALL_CONFIG) == expected
    finally:
        pdc.write_text(original, encoding="utf-8")


def test_adding_a_regression_hypothesis_leaves_p4_alone(small_workflow):
    work = small_workflow[0]
    cfg = _load(work / SMALL_CONFIG)
    extra = copy.deepcopy(next(h for h in cfg["hypotheses"] if h["id"] == "P2"))
    extra.update(id="H5", statement="OIE roles accelerate diversification", predictors=["OIE_RSP", "OIE_IEM"])
    extra.pop("sub_ids", None)
    cfg["hypotheses"].append(extra)
    path = work / "hypothesis_edit.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    got = _scheduled(work, path)
    assert got == {"propositions_regression", "propositions_latent", "propositions_typology", "propositions_verdicts",
                   "report_pages"}


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the installed package, to edit; and the step code hash of every rule in it."""
    from surveysem.workflow.code_hash import clear_caches, package_root

    root = tmp_path / "surveysem"
    shutil.copytree(package_root(), root, ignore=shutil.ignore_patterns("__pycache__"))

    def hashes():
        clear_caches()
        return {rule: step_code_hash(rule, root) for rule in CONFIG_READS}

    return root, hashes


def _rerun_after(package_copy, module: str, edit) -> set[str]:
    root, hashes = package_copy
    before = hashes()
    path = root / module
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    after = hashes()
    return {rule for rule in before if before[rule] != after[rule]}


def _append_comment(text: str) -> str:
    return text + "\n# edited\n"


RULES = sorted(CONFIG_READS)
SEM_FITS = {"measurement_cfa", "measurement_invariance", "propositions_latent", "propositions_p4_fit",
            "propositions_bootstrap_chunk", "propositions_bootstrap_merge"}
NO_SEM = {"instrument_codebook", "data_ingest", "data_screen", "outcomes_table1_audit", "outcomes_firm_outcomes",
          "propositions_regression", "propositions_typology", "propositions_verdicts", "report_pages"}


def test_a_figure_module_reruns_only_the_report(package_copy):
    assert _rerun_after(package_copy, "report/figures.py", _append_comment) == {"report_pages", "report_power"}


def test_market_parsing_reruns_the_data_and_outcome_steps(package_copy):
    # the power study computes the outcomes of its simulated firms with the same code
    assert _rerun_after(package_copy, "data/markets.py", _append_comment) == {
        "data_ingest", "data_screen", "outcomes_firm_outcomes", "outcomes_table1_audit", "power_chunk",
        "power_summary"}


def test_the_sem_engine_reruns_every_fit_and_nothing_without_one(package_copy):
    rerun = _rerun_after(package_copy, "sem/objective.py", _append_comment)
    assert SEM_FITS <= rerun and not rerun & NO_SEM


def test_one_step_function_edited_reruns_only_its_rule(package_copy):
    def edit(text):
        marker = "def verdicts(inputs: dict, outputs: dict, config: dict) -> dict:\n"
        assert marker in text
        return text.replace(marker, marker + "    # edited\n")

    assert _rerun_after(package_copy, "propositions/steps.py", edit) == {"propositions_verdicts"}


def test_every_rule_passes_its_reads_as_params():
    """Each rule of the rule files takes rule_params("<its name>"), and every rule has declared reads."""
    names = []
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"\n(?=rule )", smk.read_text(encoding="utf-8"))[1:]:
            name = block.split(":", 1)[0].removeprefix("rule ").strip()
            if name in TARGET_RULES:
                assert "script:" not in block and "params:" not in block, name
                continue
            names.append(name)
            assert f'rule_params("{name}"' in block, f"{smk.name}: {name}"
            assert (ROOT / "workflow" / "scripts" / f"{name}.py").is_file(), name
    assert sorted(names) == RULES


def test_instrument_facets_ignore_wording(tmp_path):
    scales = tmp_path / "scales"
    shutil.copytree(ROOT / ".test" / "scales", scales)
    before = instrument_digests(scales)
    pdc = scales / "capabilities" / "PDC.yaml"
    pdc.write_text(pdc.read_text(encoding="utf-8").replace("closely track", "closely follow"), encoding="utf-8")
    after = instrument_digests(scales)
    assert {f for f in before if before[f] != after[f]} == {"text"}


def test_source_segments_equal_the_standard_librarys():
    """The step hash slices definitions from pre-split lines (ast.get_source_segment splits the
    whole file per call); the slices are the same, with non-ASCII text, CR LF, CR and form feeds."""
    import ast

    from surveysem.workflow.code_hash import _source_lines, _source_segment

    text = ("X = {'é': 1,\r\n     'b': 2}\n\n\ndef f(a):\r    return a  # ü\f still a comment\n\n"
            "class C:\n    y = 'ß'\n\n\ndef g(): return X['é']\n")
    tree = ast.parse(text)
    lines = _source_lines(text)
    assert "".join(lines) == text
    for node in tree.body:
        assert _source_segment(lines, node) == ast.get_source_segment(text, node)


def test_stored_code_hashes_are_keyed_by_the_package_contents(package_copy, tmp_path, monkeypatch):
    """The workflow's cache of step code hashes (.snakemake/surveysem-code-hashes.json) gives the
    computed hashes while no package file changes, is not used after an edit or with a damaged
    file, and the hashes it gives are those computed without it."""
    from surveysem.workflow import code_hash as C

    root, hashes = package_copy
    plain = hashes()
    cache = tmp_path / "cache"
    C.clear_caches()
    stored = {rule: C.step_code_hash(rule, root, cache_dir=cache) for rule in plain}
    assert stored == plain and (cache / C.CACHE_FILE).exists()

    def no_parse(*args):
        raise AssertionError("parsed the package although the stored hashes are of its contents")

    C.clear_caches()
    monkeypatch.setattr(C, "_step_code_hash", no_parse)
    assert {rule: C.step_code_hash(rule, root, cache_dir=cache) for rule in plain} == plain
    monkeypatch.undo()

    page = root / "report" / "pages" / "propositions.py"
    page.write_text(page.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    C.clear_caches()
    after = {rule: C.step_code_hash(rule, root, cache_dir=cache) for rule in plain}
    assert after == hashes() and "report_pages" in {rule for rule in plain if after[rule] != plain[rule]}

    (cache / C.CACHE_FILE).write_text("{not json", encoding="utf-8")
    C.clear_caches()
    assert {rule: C.step_code_hash(rule, root, cache_dir=cache) for rule in plain} == after
