## Fixture 11: measurement-stage extras (common latent factor, marker adjustment, factor scores).
## Output: tests/r/results/measurement_hs.json
## Data:   tests/r/data/hs.csv (lavaan::HolzingerSwineford1939), tests/r/data/bfi.csv (psych::bfi)
source("tests/r/common.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))
base <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
items <- paste0("x", 1:9)

## ---- common latent factor: orthogonal method factor on all items ----
clf_equal <- paste0(base, "\nCMV =~ NA*x1 + ", paste0("m*", items, collapse = " + "),
                    "\nCMV ~~ 1*CMV\nCMV ~~ 0*visual\nCMV ~~ 0*textual\nCMV ~~ 0*speed")
clf_free <- paste0(base, "\nCMV =~ ", paste0("NA*x1 + ", paste(items[-1], collapse = " + ")),
                   "\nCMV ~~ 1*CMV\nCMV ~~ 0*visual\nCMV ~~ 0*textual\nCMV ~~ 0*speed")
fit0 <- cfa(base, data = HS)
fit_eq <- cfa(clf_equal, data = HS)
fit_free <- suppressWarnings(cfa(clf_free, data = HS))
clf_block <- function(f, syntax) {
  ss <- standardizedSolution(f)
  ml <- ss[ss$lhs == "CMV" & ss$op == "=~", ]
  fm <- fitMeasures(f, c("chisq", "df", "cfi", "rmsea"))
  list(syntax = syntax, converged = lavInspect(f, "converged"),
       chisq = unname(fm["chisq"]), df = unname(fm["df"]), cfi = unname(fm["cfi"]), rmsea = unname(fm["rmsea"]),
       method_loadings_std = setNames(as.list(ml$est.std), ml$rhs),
       method_variance_share = mean(ml$est.std^2),
       estimates = estimates_block(f))
}
fm0 <- fitMeasures(fit0, c("chisq", "df", "cfi", "rmsea"))
lrt_eq <- lavTestLRT(fit_eq, fit0)

## ---- marker-variable adjustment (Lindell & Whitney 2001) on bfi scale means ----
B <- read.csv(file.path(DATA_DIR, "bfi.csv"))
rev <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
for (v in rev) B[[v]] <- 7 - B[[v]]
sc <- data.frame(A = rowMeans(B[, paste0("A", 1:5)]), C = rowMeans(B[, paste0("C", 1:5)]),
                 E = rowMeans(B[, paste0("E", 1:5)]), N = rowMeans(B[, paste0("N", 1:5)]),
                 O = rowMeans(B[, paste0("O", 1:5)]))
sc <- sc[complete.cases(sc), ]
n <- nrow(sc)
R <- cor(sc)
subst <- c("A", "C", "E", "N")
rm_abs <- sort(abs(R[subst, "O"]))
marker_rows <- function(rM) {
  out <- list()
  for (i in 1:3) for (j in (i + 1):4) {
    a <- subst[i]; b <- subst[j]; r <- R[a, b]
    ra <- (r - rM) / (1 - rM)
    ta <- ra / sqrt((1 - ra^2) / (n - 3))
    out[[length(out) + 1]] <- list(a = a, b = b, r = r, r_adj = ra, t_adj = ta,
                                   p_adj = 2 * pt(-abs(ta), n - 3),
                                   p = cor.test(sc[[a]], sc[[b]])$p.value)
  }
  out
}

## ---- HTMT with missing data (tests/r/data/hs_missing.csv): pairwise-complete and EM ("ml") correlations ----
HM <- read.csv(file.path(DATA_DIR, "hs_missing.csv"))[, items]
htmt_missing <- list(
  pairwise = matrix_rows(htmt(base, HM, missing = "pairwise", htmt2 = FALSE)),
  pairwise_htmt2 = matrix_rows(htmt(base, HM, missing = "pairwise", htmt2 = TRUE)),
  ml = matrix_rows(htmt(base, HM, missing = "ml", htmt2 = FALSE)),
  listwise = matrix_rows(htmt(base, HM, missing = "listwise", htmt2 = FALSE))
)

## ---- factor scores (regression method) ----
fs <- lavPredict(fit0, method = "regression")

out <- list(
  meta = meta_info(list(script = "tests/r/measurement_hs.R", data = c("tests/r/data/hs.csv", "tests/r/data/bfi.csv"),
    notes = c("CLF: lavaan::cfa(base + orthogonal CMV factor, variance 1); equal = one label m on all method loadings; free = all method loadings free",
              "method_variance_share = mean of squared standardized method loadings",
              "marker: scale means of bfi (reverse keys 7 - x), complete rows; marker = O, substantive = A, C, E, N; r_M = smallest |r(marker, scale)| (rank 1) or second smallest (rank 2); t with n - 3 df",
              "factor_scores: lavPredict(cfa(base, HS), method = 'regression')",
              "htmt_missing: semTools::htmt(base, hs_missing[, x1..x9], missing = pairwise | ml | listwise)"))),
  clf = list(
    base = list(syntax = base, chisq = unname(fm0["chisq"]), df = unname(fm0["df"]), cfi = unname(fm0["cfi"]),
                rmsea = unname(fm0["rmsea"])),
    equal = clf_block(fit_eq, clf_equal),
    free = clf_block(fit_free, clf_free),
    lrt_equal_vs_base = list(delta_chisq = lrt_eq[["Chisq diff"]][2], delta_df = lrt_eq[["Df diff"]][2],
                             p = lrt_eq[["Pr(>Chisq)"]][2])
  ),
  marker = list(n = n, marker = "O", substantive = subst,
                marker_correlations = as.list(R[subst, "O"]),
                rank1 = list(r_m = unname(rm_abs[1]), from = names(rm_abs)[1], pairs = marker_rows(unname(rm_abs[1]))),
                rank2 = list(r_m = unname(rm_abs[2]), from = names(rm_abs)[2], pairs = marker_rows(unname(rm_abs[2])))),
  htmt_missing = htmt_missing,
  factor_scores = list(columns = colnames(fs), first_rows = matrix_rows(fs[1:10, ]),
                       means = as.list(colMeans(fs)), sds = as.list(apply(fs, 2, sd)))
)
write_fixture(out, "measurement_hs.json")
