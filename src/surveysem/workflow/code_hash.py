"""Which package code a workflow step runs, as one hash per step (a rule parameter).

Snakemake reruns a job when its params change; by default it watches only the thin script in
``workflow/scripts``, not the package code the script calls. Each rule therefore passes the hash
of exactly the code its step can run, so a typo fix in a report page reruns the report and
nothing else, and a change in the SEM engine reruns every fit.

The code of step ``surveysem.<stage>.steps.<function>`` is found statically (nothing is
imported, so the workflow parse stays light):

1. the function's own source in ``steps.py`` and that of every top-level function, class or
   constant of ``steps.py`` it refers to, transitively;
2. every ``surveysem`` module those imports name (top-level imports of ``steps.py`` used by the
   code of step 1, and imports inside it);
3. the transitive closure of step 2: every ``surveysem`` module imported anywhere in an included
   module (lazy imports inside functions count: they run when the function does), plus the
   ``__init__.py`` of every package on the way and the data files (``*.css``, ``*.yaml``) beside
   included modules, which they may read.

The hash covers file paths (relative to the package) and contents, in sorted order. The
workflow keeps the hashes in ``.snakemake/`` under a digest of the whole package's contents, so
a parse after no code change reads them instead of parsing the package (:func:`step_code_hash`).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import re
from functools import lru_cache
from pathlib import Path

PACKAGE = "surveysem"
DATA_SUFFIXES = (".css", ".yaml", ".json")


def package_root() -> Path:
    """The folder of the installed ``surveysem`` package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    return Path(spec.origin).parent


def step_code_hash(rule_name: str, root: Path | None = None, cache_dir: Path | None = None) -> str:
    """SHA-256 of the code that rule ``<stage>_<step>`` runs: ``surveysem.<stage>.steps.<step>``.

    With ``cache_dir`` (the workflow passes ``.snakemake``) the hashes are kept in
    ``cache_dir/surveysem-code-hashes.json`` under the digest of every file of the package that
    a hash can read; while no such file changes, a workflow parse reads them from there instead of
    parsing the package again (about 1 s of every ``snakemake`` start). Any edit, added or removed
    file changes the digest and the hashes are computed afresh: the cache is keyed by content,
    never by dates."""
    stage, _, function = rule_name.partition("_")
    root = Path(root or package_root())
    if cache_dir is None:
        return _step_code_hash(stage, function, root)
    stored = _stored_hashes(root, Path(cache_dir))
    if rule_name not in stored["hashes"]:
        stored["hashes"][rule_name] = _step_code_hash(stage, function, root)
        _write_atomically(Path(cache_dir) / CACHE_FILE, json.dumps(stored, sort_keys=True))
    return stored["hashes"][rule_name]


CACHE_FILE = "surveysem-code-hashes.json"


@lru_cache(maxsize=None)
def package_digest(root: Path) -> str:
    """SHA-256 of the paths and contents of every ``.py`` and data file under ``root``: all a step
    code hash can read."""
    digest = hashlib.sha256()
    files = sorted(f for f in root.rglob("*") if f.suffix in (".py", *DATA_SUFFIXES) and f.is_file()
                   and "__pycache__" not in f.parts)
    for f in files:
        digest.update(str(f.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(_file_bytes(f)).digest())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _stored_hashes(root: Path, cache_dir: Path) -> dict:
    """The cache file's hashes when they are of this package's contents, else none (mutable: new
    hashes are added as rules ask for them)."""
    want = package_digest(root)
    try:
        stored = json.loads((cache_dir / CACHE_FILE).read_text(encoding="utf-8"))
        if stored.get("package") == want and isinstance(stored.get("hashes"), dict):
            return stored
    except (OSError, ValueError):
        pass
    return {"package": want, "hashes": {}}


def _write_atomically(path: Path, text: str) -> None:
    """Write via a file of this process and a rename: parallel dry runs in one folder (``--nolock``)
    never read half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only folder: no cache, the hashes are computed each time


@lru_cache(maxsize=None)
def _step_code_hash(stage: str, function: str, root: Path) -> str:
    steps_file = root / stage / "steps.py"
    segments, modules = _step_closure(steps_file, function, root)
    digest = hashlib.sha256()
    digest.update(f"{stage}/steps.py:{function}\n".encode())
    for segment in segments:
        digest.update(segment.encode())
    for path in sorted(_module_closure(frozenset(modules), root)):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(_file_bytes(path))
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _file_bytes(path: Path) -> bytes:
    return path.read_bytes()


def clear_caches() -> None:
    """Forget every file read so far (for a caller that edits the package between two hashes)."""
    for cached in (_step_code_hash, _file_bytes, _file_imports, _parsed_steps, package_digest, _stored_hashes):
        cached.cache_clear()


@lru_cache(maxsize=None)
def _parsed_steps(steps_file: Path, root: Path):
    """(lines, top-level definitions, top-level imports) of a ``steps.py``: parsed once per run,
    as every rule of the stage reads it."""
    text = steps_file.read_text(encoding="utf-8")
    tree = ast.parse(text)
    defs = {_def_name(node): node for node in tree.body if _def_name(node)}
    return _source_lines(text), defs, _top_level_imports(tree, root)


_LINE_END = re.compile(r"\r\n|\r|\n")


def _source_lines(text: str) -> list[str]:
    """``text`` split after each line end (CR LF, CR or LF; not form feeds), as
    :func:`ast.get_source_segment` splits it."""
    lines, start = [], 0
    for m in _LINE_END.finditer(text):
        lines.append(text[start:m.end()])
        start = m.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def _source_segment(lines: list[str], node: ast.AST) -> str:
    """:func:`ast.get_source_segment` on pre-split lines (it splits the whole file on every call;
    offsets are in UTF-8 bytes, as there)."""
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset:node.end_col_offset].decode()
    head = lines[first].encode()[node.col_offset:].decode()
    tail = lines[last].encode()[:node.end_col_offset].decode()
    return "".join([head, *lines[first + 1:last], tail])


def _step_closure(steps_file: Path, function: str, root: Path) -> tuple[list[str], set[Path]]:
    """Source segments of ``function`` and the top-level code of ``steps.py`` it uses, and the
    package modules that code imports."""
    lines, defs, imported = _parsed_steps(steps_file, root)
    if function not in defs:
        raise KeyError(f"{steps_file}: no step function {function!r}")
    seen, todo, modules = set(), [function], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        node = defs[name]
        used = _names_used(node)
        todo.extend(n for n in used if n in defs)
        modules.update(path for n in used if n in imported for path in imported[n])
        modules.update(_imports_in(node, root))
    segments = [_source_segment(lines, defs[name]) for name in sorted(seen)]
    modules.add(root / "__init__.py")
    return segments, modules


def _def_name(node: ast.AST) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        return names[0] if names else None
    return None


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _top_level_imports(tree: ast.Module, root: Path) -> dict[str, set[Path]]:
    """Local name -> package module files, for the module-level imports of ``tree``."""
    out: dict[str, set[Path]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and _is_package(node.module):
            for alias in node.names:
                out[alias.asname or alias.name] = _resolve_from(node.module, alias.name, root)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_package(alias.name):
                    out[(alias.asname or alias.name).split(".")[0]] = _resolve_module(alias.name, root)
    return out


def _imports_in(node: ast.AST, root: Path) -> set[Path]:
    """Package module files imported anywhere inside ``node``."""
    out: set[Path] = set()
    for sub in _statements(node):
        if isinstance(sub, ast.ImportFrom) and _is_package(sub.module):
            for alias in sub.names:
                out |= _resolve_from(sub.module, alias.name, root)
        elif isinstance(sub, ast.Import):
            for alias in sub.names:
                if _is_package(alias.name):
                    out |= _resolve_module(alias.name, root)
    return out


def _statements(node: ast.AST):
    """``node`` and every statement nested in it (imports are statements: expressions need not be
    walked, which keeps hashing every rule's code at a fraction of a full :func:`ast.walk`)."""
    todo = [node]
    while todo:
        here = todo.pop()
        yield here
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(here, field, None)
            if isinstance(children, list):
                todo.extend(c for c in children if isinstance(c, (ast.stmt, ast.excepthandler, ast.match_case)))


def _is_package(module: str | None) -> bool:
    return bool(module) and (module == PACKAGE or module.startswith(PACKAGE + "."))


def _resolve_from(module: str, name: str, root: Path) -> set[Path]:
    """``from module import name``: the module, and ``module.name`` when that is a module too."""
    sub = _resolve_module(f"{module}.{name}", root, must_exist=False)
    return _resolve_module(module, root) | sub


def _resolve_module(dotted: str, root: Path, must_exist: bool = True) -> set[Path]:
    """The file of ``dotted`` and the ``__init__.py`` of every package above it."""
    parts = dotted.split(".")[1:]
    out = {root / "__init__.py"}
    here = root
    for part in parts:
        here = here / part
        if (here / "__init__.py").exists():
            out.add(here / "__init__.py")
        elif here.with_suffix(".py").exists():
            out.add(here.with_suffix(".py"))
            return out
        elif must_exist:
            raise ModuleNotFoundError(f"{dotted}: not found under {root}")
        else:
            return set()
    return out


@lru_cache(maxsize=None)
def _file_imports(path: Path, root: Path) -> frozenset[Path]:
    """Package modules imported anywhere in the file ``path`` (each file is parsed once per run:
    the workflow parse hashes the code of every rule)."""
    return frozenset(_imports_in(ast.parse(path.read_text(encoding="utf-8")), root))


def _module_closure(start: frozenset[Path], root: Path) -> set[Path]:
    """Modules in ``start``, every package module they import (transitively) and the data files
    beside them."""
    seen: set[Path] = set()
    todo = list(start)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_file_imports(path, root) - seen)
    data = {f for folder in {p.parent for p in seen} for f in folder.iterdir()
            if f.suffix in DATA_SUFFIXES and f.is_file()}
    return seen | data
