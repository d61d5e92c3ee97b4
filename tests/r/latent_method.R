## Fixture: the joint measurement model with the marker-based method factor
## (surveysem.propositions.latent_method) and the latent P1 regression on its Bartlett scores,
## lavaan 0.6-14.
## Output: tests/r/results/latent_method.json
## Data:   tests/r/data/latent_method.csv (written by tests/r/make_latent_method.py; 522 clean firms of
##         one simulated study of 600, 207 complete cases; PDC5 and CUS5 reverse-keyed, reversed)
##
## Model (std.lv = TRUE): PDC, SOE, ECP, CUS =~ their five items; MARKER =~ MARKER1-4 (the marker's
## own trait); METHOD =~ +1 * every item, -1 * the reverse-keyed PDC5 and CUS5, METHOD's variance
## free; METHOD orthogonal to every factor, MARKER orthogonal to the capabilities.
## * `cfa_fiml`: cfa(missing = "ml") on all 522 firms; `cfa_complete`: cfa() on the complete cases.
## * `regression_complete`: the latent regression y ~ PDC + SOE + ECP + CUS + controls on the complete
##   cases by hand from lavaan's estimates (lavInspect "est"): the capabilities' GLS scores with the
##   marker trait and METHOD in the error (Sigma_e = Theta + v m m' + l_M l_M'), checked against the
##   mixed-model (Henderson) form, VETA = cov(F, y, controls) (N divisor) - Omega,
##   Omega = (L' Sigma_e^-1 L)^-1, then the regression of y on VETA (a saturated structural step).
## * `sam_one_block`: sam() with the same measurement model as one block (mm.list) and y ~ the four
##   capabilities + controls, recorded for comparison. lavaan 0.6-14 then fits the structural model
##   to its VETA with METHOD and MARKER in it and their covariances with the capabilities fixed at
##   0, so its estimates are not the saturated regression (see `sam_one_block$note`).
source("tests/r/common.R")

d <- read.csv(file.path(DATA_DIR, "latent_method.csv"))
CONSTRUCTS <- c("PDC", "SOE", "ECP", "CUS")
CONTROLS <- c("log_age", "size", "tech2", "tech3")
MARKER_ITEMS <- paste0("MARKER", 1:4)
REVERSED <- c("PDC5", "CUS5")
items <- function(p) paste0(p, 1:5)
all_items <- c(unlist(lapply(CONSTRUCTS, items)), MARKER_ITEMS)
sign <- ifelse(all_items %in% REVERSED, "-1", "1")

measurement <- paste(c(
  sapply(CONSTRUCTS, function(c) paste(c, "=~", paste(items(c), collapse = " + "))),
  paste("MARKER =~", paste(MARKER_ITEMS, collapse = " + ")),
  paste("METHOD =~", paste(paste0(sign, "*", all_items), collapse = " + ")),
  "METHOD ~~ NA*METHOD",
  paste0("METHOD ~~ 0*", c(CONSTRUCTS, "MARKER")),
  paste0("MARKER ~~ 0*", CONSTRUCTS)), collapse = "\n")

fit_fiml <- cfa(measurement, data = d[, all_items], std.lv = TRUE, missing = "ml")
dc <- na.omit(d)
fit_cc <- cfa(measurement, data = dc[, all_items], std.lv = TRUE)

## ---- the regression on the capabilities' GLS scores of the complete cases, by hand from lavaan's estimates
## The marker trait and METHOD are nuisance factors in the error: Sigma_e = Theta + v m m' + l_M l_M',
## f = (L' Sigma_e^-1 L)^-1 L' Sigma_e^-1 (x - mean), Omega = (L' Sigma_e^-1 L)^-1 (L: capability loadings),
## checked against Henderson's form (all factors, prior precisions 1 and 1/v added to the information).
est <- lavInspect(fit_cc, "est")
Lall <- est$lambda[all_items, ]
Th <- est$theta[all_items, all_items]
v <- est$psi["METHOD", "METHOD"]
L <- Lall[, CONSTRUCTS]
Sigma_e <- Th + v * tcrossprod(Lall[, "METHOD"]) + tcrossprod(Lall[, "MARKER"])
Si <- solve(Sigma_e)
Omega <- solve(t(L) %*% Si %*% L)
Xi <- sweep(as.matrix(dc[, all_items]), 2, colMeans(dc[, all_items]))
F <- Xi %*% Si %*% L %*% Omega
prior <- diag(c(rep(0, length(CONSTRUCTS)), 1, 1 / v))
colnames(prior) <- rownames(prior) <- colnames(Lall)
info <- t(Lall) %*% solve(Th) %*% Lall + prior[colnames(Lall), colnames(Lall)]
F_h <- (Xi %*% solve(Th) %*% Lall %*% solve(info))[, CONSTRUCTS]
stopifnot(max(abs(F_h - F)) < 1e-10, max(abs(solve(info)[CONSTRUCTS, CONSTRUCTS] - Omega)) < 1e-10)
X <- cbind(F, as.matrix(dc[, c("y", CONTROLS)]))
n <- nrow(X)
S <- cov(X) * (n - 1) / n
VETA <- S
VETA[CONSTRUCTS, CONSTRUCTS] <- S[CONSTRUCTS, CONSTRUCTS] - Omega
pred <- c(CONSTRUCTS, CONTROLS)
beta <- solve(VETA[pred, pred], VETA[pred, "y"])
latent_sd <- sqrt(diag(VETA)[CONSTRUCTS])

## ---- sam() with the measurement model as one block
m_sam <- paste(measurement, paste("y ~", paste(c(CONSTRUCTS, CONTROLS), collapse = " + ")), sep = "\n")
sam_rec <- tryCatch({
  fit_sam <- sam(m_sam, data = dc, mm.list = list(c(CONSTRUCTS, "MARKER", "METHOD")), std.lv = TRUE)
  s1 <- sam(m_sam, data = dc, mm.list = list(c(CONSTRUCTS, "MARKER", "METHOD")), std.lv = TRUE, output = "list")
  pe <- parameterEstimates(fit_sam)
  pe <- pe[pe$op == "~", ]
  list(ok = TRUE, estimates = lapply(seq_len(nrow(pe)), function(i)
         list(lhs = pe$lhs[i], op = "~", rhs = pe$rhs[i], est = pe$est[i], se = pe$se[i])),
       veta = matrix_rows(s1$VETA[[1]]),
       note = paste("sam(std.lv = TRUE) applies cov2cor() to VETA (standardised coefficients) and fits the",
                    "structural model with METHOD and MARKER fixed orthogonal to the capabilities"))
}, error = function(e) list(ok = FALSE, error = conditionMessage(e)))

params <- function(fit) {
  pe <- parameterEstimates(fit)
  pe <- pe[pe$op %in% c("=~", "~~", "~1") & !(pe$op == "~~" & pe$lhs != pe$rhs), ]
  lapply(seq_len(nrow(pe)), function(i) list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i],
                                             est = pe$est[i], se = pe$se[i]))
}
out <- list(
  meta = meta_info(list(script = "tests/r/latent_method.R", data = "tests/r/data/latent_method.csv")),
  syntax = measurement, items = all_items, reversed = REVERSED,
  cfa_fiml = list(nobs = lavInspect(fit_fiml, "nobs"), converged = lavInspect(fit_fiml, "converged"),
                  fit = fit_block(fit_fiml), params = params(fit_fiml)),
  cfa_complete = list(nobs = lavInspect(fit_cc, "nobs"), converged = lavInspect(fit_cc, "converged"),
                      fit = fit_block(fit_cc), params = params(fit_cc)),
  regression_complete = list(nobs = n, coefficients = num_list(beta), latent_sd = num_list(latent_sd),
                             omega = matrix_rows(Omega[CONSTRUCTS, CONSTRUCTS]),
                             veta = matrix_rows(VETA[CONSTRUCTS, CONSTRUCTS]),
                             scores_head = matrix_rows(F[1:5, CONSTRUCTS])),
  sam_one_block = sam_rec)
write_fixture(out, "latent_method.json")
