## Fixtures 1 and 2: HolzingerSwineford1939 three-factor CFA, ML and MLR.
## Outputs: tests/r/results/hs_cfa_ml.json, tests/r/results/hs_cfa_mlr.json
## Data:    tests/r/data/hs.csv (lavaan::HolzingerSwineford1939, all 301 rows)
source("tests/r/common.R")

HS <- lavaan::HolzingerSwineford1939
write_data(HS, "hs.csv")

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

## ---- ML ----
fit <- cfa(model, data = HS, estimator = "ML")

cr_default <- compRelSEM(fit)                               # obs.var=TRUE, tau.eq=FALSE (defaults)
cr_explicit <- compRelSEM(fit, tau.eq = FALSE, obs.var = TRUE)
cr_taueq <- compRelSEM(fit, tau.eq = TRUE, obs.var = TRUE)
cr_impl <- compRelSEM(fit, tau.eq = FALSE, obs.var = FALSE)
ave <- AVE(fit)
items <- HS[, paste0("x", 1:9)]
htmt1 <- htmt(model, data = items, htmt2 = FALSE)
htmt2 <- htmt(model, data = items, htmt2 = TRUE)
htmt_def <- htmt(model, data = items)

out <- c(
  list(meta = meta_info(list(
    script = "tests/r/hs_cfa.R", data = "tests/r/data/hs.csv",
    note = "lavaan::cfa defaults (ML, marker variable, N likelihood, meanstructure default = FALSE for complete data without mean-related options)"))),
  model_block(fit, model, 'cfa(model, data = HS, estimator = "ML")'),
  list(
    rsquare = num_list(lavInspect(fit, "rsquare")),
    compRelSEM_default = named_vec(cr_default),
    compRelSEM_tau_eq_FALSE_obs_var_TRUE = named_vec(cr_explicit),
    compRelSEM_same_as_default = isTRUE(all.equal(unlist(cr_default), unlist(cr_explicit))),
    compRelSEM_tau_eq_TRUE_obs_var_TRUE = named_vec(cr_taueq),
    compRelSEM_tau_eq_FALSE_obs_var_FALSE = named_vec(cr_impl),
    compRelSEM_defaults = list(obs.var = TRUE, tau.eq = FALSE),
    AVE = named_vec(ave),
    htmt_default_htmt2 = TRUE,
    htmt = matrix_rows(htmt1),
    htmt2 = matrix_rows(htmt2),
    htmt_default = matrix_rows(htmt_def),
    htmt_call = 'htmt(model, data = HS[, paste0("x", 1:9)], htmt2 = FALSE / TRUE); missing = "listwise", absolute = TRUE',
    sample_cov_N = matrix_rows(lavInspect(fit, "sampstat")$cov)
  )
)
write_fixture(out, "hs_cfa_ml.json")

## ---- MLR ----
fitr <- cfa(model, data = HS, estimator = "MLR")
outr <- c(
  list(meta = meta_info(list(script = "tests/r/hs_cfa.R", data = "tests/r/data/hs.csv"))),
  model_block(fitr, model, 'cfa(model, data = HS, estimator = "MLR")'),
  list(rsquare = num_list(lavInspect(fitr, "rsquare")))
)
write_fixture(outr, "hs_cfa_mlr.json")
