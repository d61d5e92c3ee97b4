"""The overview's section on the pre-registration: every difference between the configuration
and instrument of this run and those frozen by ``surveysem preregister``
(:func:`surveysem.preregistration.deviations.deviations`), "no deviations from the
pre-registration", or "not pre-registered" when there is no lock file."""

from __future__ import annotations

from pathlib import Path

from surveysem.instrument.facets import instrument_digests
from surveysem.preregistration import LOCK_FILE_NAME
from surveysem.preregistration.deviations import Deviation, deviations, value_text
from surveysem.preregistration.lock import edited_by_hand, registration
from surveysem.report.html import Safe, paragraph, tag
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import PageTables
from surveysem.report.tables import DASH, Table

WHERE = {"config": "config", "instrument": "instrument (scales/)", "analysed scales": "analysed scales"}


def preregistration_section(ctx: Context, t: PageTables) -> list[Safe]:
    lock = ctx.preregistration
    if lock is None:
        return [paragraph("Not pre-registered: there is no ", tag("code", LOCK_FILE_NAME), " beside the config file. ",
                          tag("code", "surveysem preregister"), " freezes the analysis configuration and digests of "
                          "the instrument into it (commit the file); this section then lists every deviation from "
                          "it. ", tag("code", "snakemake preregistration"), " writes the pre-registration document.")]
    scales_dir = ctx.config["instrument"]["scales_dir"]
    used = registration(ctx.config, ctx.instrument, instrument_digests(Path(ctx.root, scales_dir)))
    found = deviations(lock, used)
    parts = [paragraph("Pre-registered in ", tag("code", ctx.preregistration_file or LOCK_FILE_NAME),
                       ": configuration SHA-256 ", tag("code", lock["config_sha256"]), "; this run's: ",
                       tag("code", used["config_sha256"]), ".")]
    if edited_by_hand(lock):
        parts.append(tag("div", tag("strong", "The lock file was edited by hand: "), "its frozen configuration no "
                         "longer has the SHA-256 stored beside it, so the deviations below are from the edited copy, "
                         "not necessarily from what was pre-registered (git history has the committed one).",
                         class_="warnings"))
    if not found:
        parts.append(paragraph("No deviations from the pre-registration: the configuration and the instrument of "
                               "this run are those pre-registered."))
        return parts
    parts.append(paragraph(_count_sentence(found)))
    parts.append(t.add(_table(found), "deviations"))
    return parts


def _count_sentence(found: list[Deviation]) -> str:
    source = [d.key for d in found if d.data_source]
    text = f"{len(found)} deviation{'s' if len(found) != 1 else ''} from the pre-registration, key by key below."
    if source:
        text += (f" {len(source)} of them name the data file or how it is read ({', '.join(source)}): expected when "
                 "the survey's data replace the file the pre-registration was prepared with.")
    return text


def _table(found: list[Deviation]) -> Table:
    rows = [[WHERE.get(d.where, d.where), d.key, d.change,
             DASH if d.change == "added" else value_text(d.old),
             DASH if d.change == "removed" else value_text(d.new)] for d in found]
    return Table("Deviations from the pre-registration", ["Where", "Key", "Change", "Pre-registered", "This run"],
                 rows, note="Config keys as in config/README.md; instrument: digests of its facets, the items of "
                            "each construct as fielded and the indicators of each analysed scale.",
                 text_columns={0, 1, 2, 3, 4})

