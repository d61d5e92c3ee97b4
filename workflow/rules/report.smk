# The report stage: self-contained HTML pages under reports/ and every APA table as CSV under
# results/tables/. Every page says "not computed" for an input that does not exist.
REPORT_PAGES = {
    "index": ("Overview", "index.rst"),
    "data": ("Data", "data.rst"),
    "outcomes": ("Outcomes", "outcomes.rst"),
    "measurement": ("Measurement", "measurement.rst"),
    "propositions": ("Propositions", "propositions.rst"),
    "p4": ("Propositions", "p4.rst"),
    "provenance": ("Provenance", "provenance.rst"),
}


rule report_pages:
    input:
        unpack(report_inputs),
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
            directory(F("apa_tables")),
            patterns=["{name}.csv"],
            category="Tables",
            subcategory="APA tables (CSV)",
            caption="../report/tables.rst",
        ),
    params:
        **rule_params("report_pages"),
        # the index links the power page of `snakemake power` once it exists: rebuilt when it appears
        power_page=os.path.exists(F("power_html")),
    log:
        "logs/report/pages.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/report_pages.py"


DEFAULT_TARGETS.extend(rules.report_pages.output)
