## MLM (Satorra-Bentler) fits, lavaan 0.6-14: robust.sem SEs (expected information, sandwich with
## the sample fourth-moment matrix Gamma), the scaled chi-square (test = "satorra.bentler") and the
## scaled and robust CFI / TLI / RMSEA of fitMeasures(); the configural / metric / scalar sequence by
## school with lavTestLRT (Satorra-Bentler 2001 scaled differences); lavaan's refusal of MLM with FIML.
## Output: tests/r/results/sem_mlm.json
## Data:   tests/r/data/hs.csv, tests/r/data/poldem.csv (read back as written by hs_cfa.R, poldem_sem.R)
source("tests/r/common.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))
PD <- read.csv(file.path(DATA_DIR, "poldem.csv"))

hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

pd_model <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8"

fit_hs <- cfa(hs_model, data = HS, estimator = "MLM")
fit_pd <- sem(pd_model, data = PD, estimator = "MLM")
## fixed-x covariates (the one row with a missing grade dropped, listwise)
hs_x_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual + textual ~ ageyr + grade"
fit_x <- sem(hs_x_model, data = HS, estimator = "MLM")
fit_mg <- cfa(hs_model, data = HS, estimator = "MLM", group = "school", group.equal = "loadings")
## invariance sequence with MLM: lavTestLRT's default for a scaled test (Satorra-Bentler 2001)
inv <- lapply(list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts")),
              function(ge) cfa(hs_model, data = HS, estimator = "MLM", group = "school", group.equal = ge))
lrt_df <- as.data.frame(lavTestLRT(inv$configural, inv$metric, inv$scalar))
lrt_rows <- lapply(seq_len(nrow(lrt_df)), function(i) {
  r <- list(model = c("configural", "metric", "scalar")[i])
  for (cn in names(lrt_df)) r[[cn]] <- if (is.na(lrt_df[i, cn])) NA else unname(lrt_df[i, cn])
  r
})
inv_fit <- lapply(inv, function(f) num_list(fitMeasures(f, c("chisq", "df", "chisq.scaled", "chisq.scaling.factor",
                                                             "cfi.robust", "rmsea.robust"))))
## a saturated model (df = 0): what lavaan reports for the scaled and robust measures
saturated <- lapply(c(MLM = "MLM", MLR = "MLR"), function(e)
  fit_block(cfa("f =~ x1 + x2 + x3", data = HS, estimator = e)))
fiml_refusal <- tryCatch({
  cfa(hs_model, data = HS, estimator = "MLM", missing = "ml")
  "no error"
}, error = function(e) conditionMessage(e))

out <- list(
  meta = meta_info(list(script = "tests/r/sem_mlm.R", data = c("tests/r/data/hs.csv", "tests/r/data/poldem.csv"))),
  hs = model_block(fit_hs, hs_model, 'cfa(model, data = HS, estimator = "MLM")'),
  poldem = model_block(fit_pd, pd_model, 'sem(model, data = PoliticalDemocracy, estimator = "MLM")'),
  hs_x = model_block(fit_x, hs_x_model, 'sem(model, data = HS, estimator = "MLM")'),
  hs_mg = model_block(fit_mg, hs_model,
                      'cfa(model, data = HS, estimator = "MLM", group = "school", group.equal = "loadings")'),
  invariance_lrt = lrt_rows,
  invariance_fit = inv_fit,
  saturated = saturated,
  fiml_refusal = fiml_refusal
)
write_fixture(out, "sem_mlm.json")
