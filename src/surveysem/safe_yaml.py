"""Reading user YAML (configs, the instrument's files) safely: duplicate keys and alias bombs are errors.

PyYAML's safe loaders keep the last of two equal keys without a word, and expand aliases without
limit: a 1.5 KB file of nested aliases (a "billion laughs") makes every consumer that walks the
data, a schema validator for one, run for minutes and use gigabytes. :func:`load_yaml` first
composes the node graph (cheap: an alias is one shared node), counts the nodes the data would
have once every alias is expanded (memoised per node, so counting stays linear in the file) and
refuses more than :data:`MAX_NODES`; it refuses a key given twice in one mapping, naming its line.
Only then are the Python objects built, with libyaml when the wheel has it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from surveysem.errors import SurveySemError, exit_with

# Far above any real config (the default one has about 900 nodes) or construct file.
MAX_NODES = 200_000


def load_yaml(path, what: str = "file"):
    """The data of the YAML file ``path``; a one-line SurveySemError naming the file and line when
    it is missing, not UTF-8, not YAML, repeats a key or expands to more than MAX_NODES nodes."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SurveySemError(f"{what} is missing", file=path) from None
    except UnicodeDecodeError as exc:
        raise SurveySemError(f"not UTF-8 text ({exc.reason})", file=path) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_duplicate_keys(node, path)
        if _expanded_size(node, {}) > MAX_NODES:
            raise SurveySemError(f"the YAML expands to more than {MAX_NODES:,} values (nested aliases); "
                                 "write the values out instead", file=path)
        return loader.construct_document(node)  # from the nodes checked: the text is parsed once
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = None if mark is None else mark.line + 1
        raise SurveySemError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=path, row=row) from None
    finally:
        loader.dispose()


def _expanded_size(node, memo: dict) -> int:
    """Nodes of ``node`` with every alias expanded (an alias is the same node object, counted once
    per use but computed once)."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # guards against recursive aliases
        if isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded_size(v, memo) for v in node.value)
    return memo[key]


def _check_duplicate_keys(node, path: Path, seen_nodes: set | None = None) -> None:
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in keys and key_node.tag != "tag:yaml.org,2002:merge":
                    raise SurveySemError(f"key {key_node.value!r} is given twice in one mapping (first on line "
                                         f"{keys[key_node.value]}); YAML would keep only the last",
                                         file=path, row=key_node.start_mark.line + 1)
                keys[key_node.value] = key_node.start_mark.line + 1
            _check_duplicate_keys(value_node, path, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, path, seen_nodes)


def check_files_or_exit(paths) -> None:
    """For the Snakefile and run.sh, before anything else reads them: every existing file of
    ``paths`` loads safely, else one line and exit status 1."""
    for path in paths:
        if Path(path).is_file():
            try:
                load_yaml(path, "config file")
            except SurveySemError as err:
                exit_with(err)


if __name__ == "__main__":  # pragma: no cover - python -m surveysem.safe_yaml FILE...
    import sys

    check_files_or_exit(sys.argv[1:])
