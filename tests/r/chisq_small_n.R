## Fixture: small-sample corrected chi-squares, semTools 0.5-6 chisqSmallN(fit, smallN.method = "all")
## (Bartlett 1950; Swain 1975; Yuan 2005; Yuan, Tian & Yanagihara 2015).
## Output: tests/r/results/chisq_small_n.json
## Data:   tests/r/data/hs100.csv: the first 100 rows of HolzingerSwineford1939 (id, school, x1..x9);
##         tests/r/data/hs_missing.csv (hs_fiml.R), its first 100 rows for the FIML fit.
## The 16-factor FIML CFA at a small N has its chisqSmallN in cfa_small_fiml.json.
source("tests/r/common.R")
source("tests/r/small_n.R")

write_data(lavaan::HolzingerSwineford1939[1:100, c("id", "school", paste0("x", 1:9))], "hs100.csv")
HS100 <- read.csv(file.path(DATA_DIR, "hs100.csv"))
HSm100 <- read.csv(file.path(DATA_DIR, "hs_missing.csv"))[1:100, ]

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
fit_ml <- cfa(model, data = HS100)
fit_two <- cfa(paste(model, "visual ~~ 0*speed", sep = "\n"), data = HS100, std.lv = TRUE)
fit_fiml <- cfa(model, data = HSm100, missing = "ml")

out <- list(
  meta = meta_info(list(script = "tests/r/chisq_small_n.R", data = "tests/r/data/hs100.csv",
                        data_fiml = "tests/r/data/hs_missing.csv, rows 1-100")),
  syntax = model,
  hs100_ml = c(list(call = "cfa(model, data = HS100)", fit = fit_block(fit_ml)), small_n_block(fit_ml)),
  hs100_ml_constrained = c(list(call = 'cfa(paste(model, "visual ~~ 0*speed", sep = "\\n"), data = HS100, std.lv = TRUE)',
                                fit = fit_block(fit_two)), small_n_block(fit_two)),
  hs100_fiml = c(list(call = 'cfa(model, data = HSm100, missing = "ml")', fit = fit_block(fit_fiml)),
                 small_n_block(fit_fiml))
)
write_fixture(out, "chisq_small_n.json")
