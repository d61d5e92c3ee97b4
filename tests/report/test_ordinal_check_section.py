"""The measurement page's ordinal check (measurement.ordinal_check): WLSMV fit, omegas and loadings
beside ML, escaped; "not computed" when the switch is off (even beside a stale file) or the file is
missing."""

import json
import re

from surveysem.report.pages import Context, build_report
from surveysem.stage_files import FILES
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import XSS, make_results

RECORD = {
    "estimator_ml": "MLR", "missing": "pairwise",
    "missing_note": "pairwise-present data (FIML is not available for ordinal indicators)",
    "fit_ml": {"chisq": 12.3456, "df": 8, "pvalue": 0.1367, "chisq_scaled": 11.2, "cfi": 0.9612, "tli": 0.9273,
               "rmsea": 0.0561, "srmr": 0.041, "cfi_robust": 0.97, "nobs": 150},
    "fit_wlsmv": {"chisq": 10.5, "df": 8, "chisq_scaled": 14.25, "df_scaled": 8, "pvalue_scaled": 0.0754,
                  "cfi_scaled": 0.9834, "tli_scaled": 0.9689, "rmsea_scaled": 0.0722, "srmr": 0.0533, "nobs": 150},
    "converged": True, "not_fitted": None, "syntax": "PDC =~ PDC1 + PDC2 + PDC3", "synthetic": True,
    "left_out": {"CCA": "indicator(s) CCA_p are parcels (means of items), not ordered answers " + XSS},
    "warnings": ["stage one: 3 bivariate table(s) with empty cells " + XSS],
    "scales": [{"construct": "PDC", "k": 3, "omega_ml": 0.81, "omega_ordinal": 0.8372, "omega_ordinal_model": 0.8391,
                "mean_std_ml": 0.71, "min_std_ml": 0.62, "mean_std_wlsmv": 0.76, "min_std_wlsmv": 0.668},
               {"construct": "CCA", "k": 3, "omega_ml": 0.74, "mean_std_ml": 0.66, "min_std_ml": 0.5,
                "mean_std_wlsmv": None, "min_std_wlsmv": None}],
    "loadings": [{"construct": "PDC", "item": f"PDC{i}", "std_ml": 0.7, "std_wlsmv": 0.75, "est_wlsmv": 1.1,
                  "se_wlsmv": 0.09} for i in (1, 2, 3)],
}


def _section(root, on: bool, record: dict | None = RECORD) -> str:
    kw = make_results(root)
    kw["config"] = {**kw["config"], "measurement": {"ordinal_check": on}}
    if record is not None:
        path = root / stage_path("ordinal_check")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    html = (root / "reports" / "measurement.html").read_text(encoding="utf-8")
    return re.search(r'<section id="ordinal-check">.*?</section>', html, re.DOTALL).group(0)


def test_record_keys_are_the_registered_ones():
    assert set(RECORD) == set(FILES["ordinal_check"].columns)


def test_wlsmv_beside_ml(tmp_path):
    section = _section(tmp_path, True)
    assert "FIML is not available for ordinal indicators" in section
    fit = section.split("Fit of the CFA by ML / MLR and by WLSMV")[1].split("</table>")[0]
    assert "<th scope=\"col\">MLR</th>" in fit and "14.25" in fit and "8.000" not in fit and ".983" in fit and ".072" in fit
    scales = section.split("Reliability and loadings per scale")[1].split("</table>")[0]
    assert ".84" in scales and ".81" in scales and "Green &amp; Yang 2009" in scales
    assert XSS not in section and "&lt;script&gt;" in section
    assert section.count("PDC2") == 1  # the item loadings table


def test_switched_off_says_so_even_beside_a_stale_file(tmp_path):
    section = _section(tmp_path, False)
    assert "measurement.ordinal_check is false" in section and "14.25" not in section


def test_switched_on_without_its_file(tmp_path):
    section = _section(tmp_path, True, record=None)
    assert "ordinal_check.json does not exist yet" in section


def test_not_fitted_shows_why_and_the_ml_side(tmp_path):
    record = {**RECORD, "not_fitted": "WLSMV CFA could not be fitted: item PDC1 has one category",
              "fit_wlsmv": None, "converged": None}
    section = _section(tmp_path, True, record)
    assert "The WLSMV CFA was not fitted: WLSMV CFA could not be fitted: item PDC1 has one category." in section
    assert "Fit of the CFA by ML" not in section and ".81" in section
