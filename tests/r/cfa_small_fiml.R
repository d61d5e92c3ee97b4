## Fixture: the measurement stage's joint 16-factor CFA at a small N, with FIML.
## Output: tests/r/results/cfa_small_fiml.json
## Data:   tests/r/data/cfa_small_fiml.csv: the 79 item columns of results/clean/analysis.csv of the
##         .test/config_fiml run (150 simulated firms, 127 retained after screening, missing answers).
##         Written from Python (the items only, missing = empty); this script only reads it.
## The EM saturated (h1) covariance of these data is near-singular (n = 127 against p = 79 items
## with holes): lavaan warns and proceeds, h1 is only used for the chi-square and the baseline.
## Also semTools::chisqSmallN(fit, smallN.method = "all") of this fit (see tests/r/chisq_small_n.R).
source("tests/r/common.R")
source("tests/r/small_n.R")

D <- read.csv(file.path(DATA_DIR, "cfa_small_fiml.csv"))
scales <- list(PDC = 5, CCA = 5, EFT = 5, SOE = 5, ECP = 5, ODV = 5, TEC = 5, BMM = 5, CUS = 5,
               TOC = 5, ICO = 5, OIE_RSP = 6, OIE_IEM = 6, OIE_IOC = 4, OIE_CEN = 4, MARKER = 4)
model <- paste(sapply(names(scales), function(f)
  paste0(f, " =~ ", paste0(f, seq_len(scales[[f]]), collapse = " + "))), collapse = "\n")
stopifnot(setequal(lavNames(lavaanify(model), "ov"), names(D)))

warns <- character(0)
fit <- withCallingHandlers(
  cfa(model, data = D, missing = "fiml", estimator = "ML"),
  warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })

fit_small <- fiml_fit_measures(fit)  # lavaan's formulas, not fitMeasures(): see small_n.R

h1 <- lavInspect(fit, "h1")
ev <- eigen(h1$cov, symmetric = TRUE, only.values = TRUE)$values
out <- list(
  meta = meta_info(list(script = "tests/r/cfa_small_fiml.R", data = "tests/r/data/cfa_small_fiml.csv",
                        n_rows = nrow(D), n_items = ncol(D),
                        n_complete_cases = sum(complete.cases(D)),
                        n_missing_cells = sum(is.na(D)),
                        n_missing_patterns = nrow(unique(is.na(D))),
                        warnings = I(warns),
                        h1_cov_min_eigenvalue = min(ev), h1_cov_max_eigenvalue = max(ev),
                        fit_note = paste("cfi, tli, rmsea: lavaan:::lav_fit_cfi/lav_fit_tli/lav_fit_rmsea of",
                                         "fit@test and fit@baseline$test (what fitMeasures reports)"))),
  model = list(syntax = model, call = 'cfa(model, data = D, missing = "fiml", estimator = "ML")',
               options = options_block(fit), converged = lavInspect(fit, "converged"),
               iterations = lavInspect(fit, "iterations"), nobs = as.list(lavInspect(fit, "nobs")),
               fit = fit_small, estimates = estimates_block(fit)),
  compRelSEM_default = named_vec(compRelSEM(fit)),   # tau.eq = FALSE, obs.var = TRUE
  AVE = named_vec(AVE(fit)),
  chisqSmallN = small_n_block(fit)
)
write_fixture(out, "cfa_small_fiml.json")
