## Fixture: the latent P1 regression (log spread on PDC, SOE, ECP, CUS and observed controls) by
## local SAM and by full-information SEM, lavaan 0.6-14 / semTools 0.5-6.
## Output: tests/r/results/latent_p1.json
## Data:   tests/r/data/latent_p1.csv (written by tests/r/make_latent_p1.py; 262 clean firms of one
##         simulated study, 112 complete cases)
##
## Notes (checked against lavaan 0.6-14's source):
## * sam(..., std.lv = TRUE) does NOT only fix the latent variances of the measurement blocks: after
##   step 1 it applies cov2cor() to the whole VETA, so y and the observed controls are standardised
##   as well and the structural coefficients are fully standardised. mm.args = list(std.lv = TRUE)
##   is ignored (the block fits take the options of the main call). So `sam_complete` is that call
##   as asked, and `sam_complete_marker` is the default (marker) fit; its latent coefficients times
##   sqrt(VETA_jj) are per latent SD with y and the controls in raw units (`per_latent_sd`). This is
##   what surveysem's latent_regression estimates; the two agree with each other (b_std * sd(y)).
## * sem(): with observed exogenous covariates lavaan's defaults fix the covariances between the
##   latent factors and the controls at ZERO (no such rows), and once a control appears in a `~~`
##   row it is no longer fixed.x and its covariances with the other controls are fixed at zero too.
##   Both are misspecifications for P1 (capabilities correlate with age and size), so the SEM
##   syntax states every latent ~~ control and control ~~ control covariance. `sem_complete_ml_default`
##   records lavaan's default model (zero covariances) for comparison only.
## * Controls (y, log_age, size, tech2, tech3) have no missing values in this data, so
##   missing = "ml" needs no missing.x handling.
## * Latent interaction ECP x SOE by double-mean-centred product indicators (Lin, Wen, Marsh & Lin
##   2010): semTools::indProd(match = TRUE, meanC = TRUE, residualC = FALSE, doubleMC = TRUE) pairs
##   ECPk with SOEk (k = 1..5; both have 5 items), centres the items at their available-case means,
##   multiplies and centres the products at their available-case means (scale(..., scale = FALSE)
##   uses na.rm = TRUE); products of a missing item are missing. No product indicators share an
##   item, so no correlated residuals.
source("tests/r/common.R")

d <- read.csv(file.path(DATA_DIR, "latent_p1.csv"))
dc <- na.omit(d)
CONSTRUCTS <- c("PDC", "SOE", "ECP", "CUS")
CONTROLS <- c("log_age", "size", "tech2", "tech3")
items <- function(p) paste0(p, 1:5)
stopifnot(!anyNA(d[, c("y", CONTROLS)]))

measurement <- paste(sapply(CONSTRUCTS, function(c) paste(c, "=~", paste(items(c), collapse = " + "))),
                     collapse = "\n")
regression <- function(extra = character(0))
  paste("y ~", paste(c(CONSTRUCTS, extra, CONTROLS), collapse = " + "))
exo_covariances <- function(latents) {
  rows <- c(as.vector(outer(latents, CONTROLS, paste, sep = " ~~ ")),
            combn(CONTROLS, 2, paste, collapse = " ~~ "))
  paste(rows, collapse = "\n")
}
m_sam <- paste(measurement, regression(), sep = "\n")
m_sem <- paste(measurement, regression(), exo_covariances(CONSTRUCTS), sep = "\n")

## ---- local SAM on complete cases
structural <- function(fit) {
  e <- estimates_block(fit)
  Filter(function(r) r$op == "~", e)
}
sam_record <- function(fit, step1, call_string) {
  list(call = call_string, syntax = m_sam, nobs = lavInspect(fit, "nobs"),
       estimates = structural(fit), veta = matrix_rows(step1$VETA[[1]]),
       lambda_correction = step1$lambda[[1]], rel = num_list(step1$REL[[1]]))
}
fit_std <- sam(m_sam, data = dc, std.lv = TRUE)
s1_std <- sam(m_sam, data = dc, std.lv = TRUE, output = "list")
fit_mk <- sam(m_sam, data = dc)
s1_mk <- sam(m_sam, data = dc, output = "list")
veta <- s1_mk$VETA[[1]]
pe <- parameterEstimates(fit_mk)
pe <- pe[pe$op == "~", ]
scale_by <- ifelse(pe$rhs %in% CONSTRUCTS, sqrt(diag(veta)[pe$rhs]), 1)
per_sd <- lapply(seq_len(nrow(pe)), function(i)
  list(lhs = pe$lhs[i], op = "~", rhs = pe$rhs[i], est = pe$est[i] * scale_by[i],
       se = pe$se[i] * scale_by[i], scale = unname(scale_by[i])))
sd_y <- sqrt(veta["y", "y"])
pe_std <- parameterEstimates(fit_std)
pe_std <- pe_std[pe_std$op == "~", ]
stopifnot(max(abs(pe_std$est[pe_std$rhs %in% CONSTRUCTS] * sd_y - pe$est[pe$rhs %in% CONSTRUCTS] *
                    scale_by[pe$rhs %in% CONSTRUCTS])) < 1e-6)

## ---- SEM (lavaan's warnings kept per call: with MLR the robust vcov is singular in the
## directions of the controls' own moments, because tech2 * tech3 = 0 and tech^2 = tech make their
## case-wise scores linearly dependent; the y ~ rows are unaffected)
WARNINGS <- list()
sem_w <- function(key, ...) {
  WARNINGS[[key]] <<- character(0)
  withCallingHandlers(sem(...), warning = function(w) {
    WARNINGS[[key]] <<- c(WARNINGS[[key]], gsub("\\s+", " ", conditionMessage(w)))
    invokeRestart("muffleWarning")
  })
}
C_ML <- 'sem(model, na.omit(d), std.lv = TRUE, estimator = "ML")'
C_ML0 <- 'sem(model, na.omit(d), std.lv = TRUE, estimator = "ML") with lavaan default covariances'
C_MLR <- 'sem(model, d, std.lv = TRUE, estimator = "MLR", missing = "ml")'
C_INT <- 'sem(model, d + indProd(ECP, SOE, match, meanC, doubleMC), std.lv = TRUE, estimator = "MLR", missing = "ml")'
fit_ml <- sem_w(C_ML, m_sem, data = dc, std.lv = TRUE, estimator = "ML")
fit_ml_default <- sem_w(C_ML0, m_sam, data = dc, std.lv = TRUE, estimator = "ML")
fit_mlr <- sem_w(C_MLR, m_sem, data = d, std.lv = TRUE, estimator = "MLR", missing = "ml")

## ---- DMC latent interaction ECP x SOE (matched pairs)
prod_names <- paste0(items("ECP"), "x", items("SOE"))
dp <- cbind(d, indProd(d, var1 = items("ECP"), var2 = items("SOE"), match = TRUE, meanC = TRUE,
                       residualC = FALSE, doubleMC = TRUE, namesProd = prod_names))
## the same by hand (the computation surveysem repeats)
ctr <- function(x) x - mean(x, na.rm = TRUE)
by_hand <- sapply(1:5, function(k) ctr(ctr(d[[items("ECP")[k]]]) * ctr(d[[items("SOE")[k]]])))
stopifnot(isTRUE(all.equal(unname(as.matrix(dp[, prod_names])), unname(by_hand), tolerance = 1e-12)))
write_data(dp[, prod_names], "latent_p1_products.csv")
m_int <- paste(measurement, paste("ECPxSOE =~", paste(prod_names, collapse = " + ")),
               regression("ECPxSOE"), exo_covariances(c(CONSTRUCTS, "ECPxSOE")), sep = "\n")
fit_int <- sem_w(C_INT, m_int, data = dp, std.lv = TRUE, estimator = "MLR", missing = "ml")

sem_record <- function(fit, syntax, call_string)
  model_block(fit, syntax, call_string,
              list(cov_lv = matrix_rows(lavInspect(fit, "cov.lv")), warnings = I(WARNINGS[[call_string]])))

out <- list(
  meta = meta_info(list(script = "tests/r/latent_p1.R", data = "tests/r/data/latent_p1.csv",
                        nobs_all = nrow(d), nobs_complete = nrow(dc),
                        sam_std_lv_note = "lavaan 0.6-14 sam(std.lv = TRUE) applies cov2cor() to the whole VETA: y and the controls are standardised too",
                        sem_note = "latent ~~ control and control ~~ control covariances stated explicitly (lavaan's defaults fix them at 0)")),
  sam_complete = c(sam_record(fit_std, s1_std, "sam(model, data = na.omit(d), std.lv = TRUE)"),
                   list(sd_y = sd_y)),
  sam_complete_marker = c(sam_record(fit_mk, s1_mk, "sam(model, data = na.omit(d))"),
                          list(per_latent_sd = per_sd)),
  sem_complete_ml = sem_record(fit_ml, m_sem, C_ML),
  sem_complete_ml_default = sem_record(fit_ml_default, m_sam, C_ML0),
  sem_fiml_mlr = sem_record(fit_mlr, m_sem, C_MLR),
  sem_interaction_fiml_mlr = c(sem_record(fit_int, m_int, C_INT),
                               list(product_indicators = prod_names))
)
write_fixture(out, "latent_p1.json")
