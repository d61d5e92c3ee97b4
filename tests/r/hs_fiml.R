## Fixture 6: HS three-factor CFA with MCAR holes: FIML (ML and MLR) and listwise.
## Output: tests/r/results/hs_fiml.json
## Data:   tests/r/data/hs_missing.csv (columns id, school, x1..x9).
## Holes: set.seed(1); then for v in x1, ..., x9 in that order:
##        idx <- sample(nrow(HS), round(0.08 * nrow(HS))); HS[idx, v] <- NA
##        (round(0.08 * 301) = 24 holes per item, drawn independently per item)
source("tests/r/common.R")

HS <- lavaan::HolzingerSwineford1939[, c("id", "school", paste0("x", 1:9))]
set.seed(1)
n_holes <- round(0.08 * nrow(HS))
for (v in paste0("x", 1:9)) {
  idx <- sample(nrow(HS), n_holes)
  HS[idx, v] <- NA
}
write_data(HS, "hs_missing.csv")
HSm <- read.csv(file.path(DATA_DIR, "hs_missing.csv"))

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

fit_fiml <- cfa(model, data = HSm, missing = "ml")
fit_fiml_mlr <- cfa(model, data = HSm, missing = "ml", estimator = "MLR")
fit_lw <- cfa(model, data = HSm, missing = "listwise")
fit_lw_mlr <- cfa(model, data = HSm, missing = "listwise", estimator = "MLR")

items <- HSm[, paste0("x", 1:9)]
out <- list(
  meta = meta_info(list(script = "tests/r/hs_fiml.R", data = "tests/r/data/hs_missing.csv",
                        seed = 1, holes_per_item = n_holes,
                        n_complete_cases = sum(complete.cases(items)),
                        n_rows = nrow(items),
                        missing_per_item = as.list(colSums(is.na(items))),
                        n_missing_patterns = nrow(unique(is.na(items))))),
  fiml_ml = model_block(fit_fiml, model, 'cfa(model, data = HSm, missing = "ml")',
                        extra = list(h1_em_mean = num_list(lavInspect(fit_fiml, "h1")$mean),
                                     h1_em_cov = matrix_rows(lavInspect(fit_fiml, "h1")$cov),
                                     h1_note = "saturated (h1) moments estimated by EM, lavInspect(fit, 'h1')")),
  fiml_mlr = model_block(fit_fiml_mlr, model, 'cfa(model, data = HSm, missing = "ml", estimator = "MLR")'),
  listwise_ml = model_block(fit_lw, model, 'cfa(model, data = HSm, missing = "listwise")'),
  listwise_mlr = model_block(fit_lw_mlr, model, 'cfa(model, data = HSm, missing = "listwise", estimator = "MLR")')
)
write_fixture(out, "hs_fiml.json")
