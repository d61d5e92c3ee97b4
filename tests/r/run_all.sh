#!/bin/sh
# Regenerate every R reference fixture: tests/r/results/*.json and tests/r/data/*.csv.
# Run from anywhere; the scripts are executed from the repository root.
# Needs R with lavaan, semTools, psych, GPArotation, jsonlite, sandwich
# (Debian: r-cran-lavaan r-cran-semtools r-cran-psych r-cran-gparotation r-cran-jsonlite r-cran-sandwich).
# latent_p1.R reads tests/r/data/latent_p1.csv, which Python writes (tests/r/make_latent_p1.py);
# latent_method.R reads tests/r/data/latent_method.csv (tests/r/make_latent_method.py).
set -eu
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
for s in hs_cfa hs_invariance hs_partial_invariance poldem_sem second_order_sem hs_fiml \
         reliability_bfi efa_hs cmv_hs glm_reference sam_local chisq_small_n cfa_small_fiml cfa_small_n_seeds latent_p1 latent_method sem_diagnostics \
         sem_mlm sem_constraints graded_mml sem_diagnostics_fiml cfa_bundled_modindices ordinal_stage_one wlsmv_fit wlsmv_mixed wlsmv_defined \
         ordinal_omega; do
  echo "== tests/r/$s.R"
  Rscript "tests/r/$s.R"
done
