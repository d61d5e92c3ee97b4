## Fixture: the measurement stage's joint CFA at a small N, with FIML, on several data sets.
## Output: tests/r/results/cfa_small_n_seeds.json
## Data:   tests/r/data/cfa_small_n_{seed777,seed31,seed2027,bundled}.csv: the 79 item columns of
##         results/clean/analysis.csv of four runs of the data and measurement stages (data.missing = fiml):
##         `surveysem simulate --config .test/config_fiml/config.yaml --n 150 --seed S` for S = 777, 31, 2027
##         (126, 128 and 128 firms retained after screening) and the bundled data/survey_synthetic.csv run
##         with config/config.yaml (300 firms drawn, 262 retained). Written from Python (the items only,
##         missing = empty); this script only reads them.
## Two models per data set: `default` (the 16 constructs and 79 items as fielded, the syntax of the stage's
## results/measurement/cfa_fit.json) and `drop_PDC5` (config `scales: {PDC: {drop: {PDC5: ...}}}`: the same
## data with PDC5 left out of the model, 78 items). Each: cfa(model, missing = "ml", estimator = "ML") as
## the stage (cfa_fit.json: estimator ML, missing fiml), the model record (standardized loadings in
## `estimates`), latent correlations (`cor_lv`), compRelSEM (default: tau.eq = FALSE, obs.var = TRUE), AVE,
## Fornell-Larcker (sqrt(AVE) against the largest |r| with another construct) and lavaan's warnings.
## At n = 126-128 against p = 79 items with holes the EM saturated (h1) covariance is near-singular: lavaan
## warns and proceeds (see tests/r/cfa_small_fiml.R).
source("tests/r/common.R")
source("tests/r/small_n.R")

scales <- list(PDC = 5, CCA = 5, EFT = 5, SOE = 5, ECP = 5, ODV = 5, TEC = 5, BMM = 5, CUS = 5,
               TOC = 5, ICO = 5, OIE_RSP = 6, OIE_IEM = 6, OIE_IOC = 4, OIE_CEN = 4, MARKER = 4)
items <- lapply(names(scales), function(f) paste0(f, seq_len(scales[[f]])))
names(items) <- names(scales)
syntax_of <- function(items) paste(sapply(names(items), function(f)
  paste0(f, " =~ ", paste(items[[f]], collapse = " + "))), collapse = "\n")
dropped <- items
dropped$PDC <- setdiff(dropped$PDC, "PDC5")
MODELS <- list(default = syntax_of(items), drop_PDC5 = syntax_of(dropped))
DATA <- c(seed777 = "cfa_small_n_seed777.csv", seed31 = "cfa_small_n_seed31.csv",
          seed2027 = "cfa_small_n_seed2027.csv", bundled = "cfa_small_n_bundled.csv")

one_fit <- function(D, model) {
  warns <- character(0)
  fit <- withCallingHandlers(
    cfa(model, data = D, missing = "ml", estimator = "ML"),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  cr <- named_vec(compRelSEM(fit))   # tau.eq = FALSE, obs.var = TRUE
  ave <- named_vec(AVE(fit))
  R <- lavInspect(fit, "cor.lv")
  fl <- lapply(rownames(R), function(f) {
    m <- max(abs(R[f, colnames(R) != f]))
    list(sqrt_ave = sqrt(ave[[f]]), max_abs_cor = m, pass = sqrt(ave[[f]]) > m)
  })
  names(fl) <- rownames(R)
  h1 <- lavInspect(fit, "h1")
  ev <- eigen(h1$cov, symmetric = TRUE, only.values = TRUE)$values
  list(
    model = list(syntax = model, call = 'cfa(model, data = D, missing = "ml", estimator = "ML")',
                 options = options_block(fit), converged = lavInspect(fit, "converged"),
                 iterations = lavInspect(fit, "iterations"), nobs = as.list(lavInspect(fit, "nobs")),
                 fit = fiml_fit_measures(fit), estimates = estimates_block(fit)),
    warnings = I(warns),
    h1_cov_min_eigenvalue = min(ev), h1_cov_max_eigenvalue = max(ev),
    cor_lv = matrix_rows(R),
    compRelSEM_default = cr,
    AVE = ave,
    fornell_larcker = fl)
}

data_sets <- list()
for (d in names(DATA)) {
  D <- read.csv(file.path(DATA_DIR, DATA[[d]]))
  stopifnot(setequal(lavNames(lavaanify(MODELS$default), "ov"), names(D)))
  fits <- lapply(MODELS, function(m) one_fit(D, m))
  data_sets[[d]] <- c(list(data = file.path(DATA_DIR, DATA[[d]]), n_rows = nrow(D), n_items = ncol(D),
                           n_complete_cases = sum(complete.cases(D)), n_missing_cells = sum(is.na(D))),
                      fits)
  cat(d, "done\n")
}

out <- list(
  meta = meta_info(list(script = "tests/r/cfa_small_n_seeds.R",
                        fit_note = paste("cfi, tli, rmsea: lavaan:::lav_fit_cfi/lav_fit_tli/lav_fit_rmsea of",
                                         "fit@test and fit@baseline$test (what fitMeasures reports)"))),
  data_sets = data_sets
)
write_fixture(out, "cfa_small_n_seeds.json")
