# The report stage: self-contained HTML pages under reports/ and every APA table as CSV under
# results/tables/. Every page says "not computed" for an input that does not exist.
from surveysem.report.pages import RESULT_FILES as REPORT_RESULT_FILES

REPORT_PAGES = {
    "index": ("Overview", "index.rst"),
    "data": ("Data", "data.rst"),
    "outcomes": ("Outcomes", "outcomes.rst"),
    "measurement": ("Measurement", "measurement.rst"),
    "propositions": ("Propositions", "propositions.rst"),
    "p4": ("Propositions", "p4.rst"),
    "provenance": ("Provenance", "provenance.rst"),
}


def _report_inputs(wildcards):
    """Every result file the pages read that some rule of this workflow produces (or that exists),
    plus the survey file and the instrument (hashed on the provenance page)."""
    produced = {str(f) for r in workflow.rules for f in r.output}
    inputs = {
        key: path
        for key, path in REPORT_RESULT_FILES.items()
        if path in produced or os.path.exists(path)
    }
    if config["data"]["survey"] in produced or os.path.exists(config["data"]["survey"]):
        inputs["survey"] = config["data"]["survey"]
    inputs["scales"] = scale_files()
    return inputs


rule report:
    input:
        unpack(_report_inputs),
    output:
        **{
            name: report(
                f"reports/{name}.html",
                category=category,
                subcategory="HTML page",
                caption=f"../report/{caption}",
                labels={"page": name},
            )
            for name, (category, caption) in REPORT_PAGES.items()
        },
        tables=report(
            directory("results/tables"),
            patterns=["{name}.csv"],
            category="Tables",
            subcategory="APA tables (CSV)",
            caption="../report/tables.rst",
        ),
    params:
        config=config,
        configfiles=list(workflow.configfiles) or ["config/config.yaml"],
        scales_dir=scales_dir_of_input,
    log:
        "logs/report.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/report_pages.py"


DEFAULT_TARGETS.extend(rules.report.output)
