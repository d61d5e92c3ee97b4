"""``surveysem instrument``: validate the scales/ folder and summarise it."""

from __future__ import annotations

from surveysem.instrument.scales import load_instrument


def configure_parser(parser) -> None:
    parser.add_argument("scales_dir", nargs="?", default="scales", help="the scales folder (default: scales)")


def run(args) -> int:
    inst = load_instrument(args.scales_dir)
    kinds = {}
    for c in inst.constructs.values():
        kinds.setdefault(c.kind, []).append(c)
    print(f"{args.scales_dir}: instrument is valid")
    for kind, constructs in kinds.items():
        n_items = sum(len(c.items) for c in constructs)
        print(f"  {kind}: {len(constructs)} construct(s), {n_items} item(s)")
    print(f"  profile: {len(inst.profile)} question(s); eligibility rules: {len(inst.eligibility)}; "
          f"region table: {len(inst.regions)} countries")
    return 0
