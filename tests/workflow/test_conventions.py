"""Snakemake conventions: lint, formatting, a thin Snakefile, a light parse, documented config."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml
from conftest import BIN, ROOT, SMALL_CONFIG, SNAKEMAKE, run, workflow_copy

from surveysem.config import DEFAULT_SCHEMA


def test_snakemake_lint_is_clean(tmp_path):
    proc = run([SNAKEMAKE, "--lint", "--configfile", SMALL_CONFIG], workflow_copy(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr


def test_snakefmt_check_passes():
    proc = run([BIN / "snakefmt", "--check", "."], ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefile_holds_only_the_allowed_statements():
    text = (ROOT / "Snakefile").read_text(encoding="utf-8")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assert re.match(
            r"^(from snakemake\.utils import|from surveysem\.config import|from surveysem\.safe_yaml import|"
            r"check_files_or_exit\(|min_version\(|configfile:|"
            r"validate_config_or_exit\(|include:|rule all:|input:|DEFAULT_TARGETS,|default_target: True)",
            stripped,
        ), line


def test_parsing_the_workflow_imports_nothing_heavy():
    """What the Snakefile and the rule files import at parse time (every snakemake call, a
    no-change rerun included) loads no pandas, scipy, statsmodels or estimator."""
    heavy = ("pandas", "scipy", "statsmodels", "semopy", "pingouin", "sklearn", "numpy", "surveysem.sem",
             "surveysem.measurement", "surveysem.report")
    imports = set()
    for path in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]:
        imports |= set(re.findall(r"^\s*(?:from|import) ([\w.]+)", path.read_text(encoding="utf-8"), re.M))
    code = ("import sys\n" + "".join(f"import {m}\n" for m in sorted(imports) if m != "snakemake.utils")
            + "loaded = [m for m in sys.modules if m.split('.')[0] in {'pandas', 'scipy', 'statsmodels', 'semopy', "
              "'pingouin', 'sklearn', 'numpy'} or m.startswith(('surveysem.sem', 'surveysem.measurement', "
              "'surveysem.report'))]\nprint(','.join(sorted(loaded)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", proc.stdout
    assert any(m.startswith("surveysem.") for m in imports) and heavy


def _schema_keys(node, prefix=""):
    for key, sub in (node.get("properties") or {}).items():
        path = f"{prefix}.{key}" if prefix else key
        yield path
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            yield from _schema_keys(sub["items"], f"{path}[]")
        if isinstance(sub.get("additionalProperties"), dict):  # a mapping keyed by ids (scales:)
            yield from _schema_keys(sub["additionalProperties"], f"{path}.<ID>")
        yield from _schema_keys(sub, path)


def test_config_readme_documents_every_key():
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    schema = yaml.safe_load(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, re.M))
    keys = set(_schema_keys(schema))
    assert keys - documented == set()
    assert documented - keys == set()


def test_catalog_and_environment_files():
    catalog = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text(encoding="utf-8"))
    assert catalog["usage"]["mandatory-flags"]["flags"] == ""
    assert catalog["usage"]["software-stack-deployment"]["conda"] is True
    env = yaml.safe_load((ROOT / "workflow" / "envs" / "surveysem.yaml").read_text(encoding="utf-8"))
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    # the conda environment installs under the same pins as the .venv
    assert pip == ["-c ../../constraints.txt", "-e ../.."]
    assert (ROOT / "workflow" / "envs" / "../../constraints.txt").resolve() == (ROOT / "constraints.txt").resolve()
