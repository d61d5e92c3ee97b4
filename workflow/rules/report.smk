# The report stage: self-contained HTML pages under reports/ and every APA table as CSV under
# results/tables/. Every page says "not computed" for an input that does not exist.
rule report:
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
            directory("results/tables"),
            patterns=["{name}.csv"],
            category="Tables",
            subcategory="APA tables (CSV)",
            caption="../report/tables.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
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
