## lavaan side of bench/bench.py: one fit of the P4 model (a) and a B-resample bootstrap of the
## process-chain model (b), on the same CSV and syntax files as surveysem, with the same estimator.
##
## When the items have missing values surveysem uses two-stage ML without the Savalei-Bentler
## correction (EM saturated moments, then ML on them). The same computation in lavaan is the EM
## step of lavaan itself (lav_mvnorm_missing_h1_estimate_moments, the h1 estimator behind
## missing = "two.stage") followed by sem(sample.cov =, sample.mean =, sample.nobs =). lavaan's own
## missing = "two.stage" additionally computes the corrected SEs and test, which takes minutes on
## 58 variables, so timing it would not compare like with like. With complete data: plain ML.
##
## Usage: Rscript bench/lavaan_bench.R data.csv model_a.lav model_b.lav B ncpus
## Prints one JSON line: {"fit_seconds": ..., "boot_seconds": ..., "boot_ok": ..., ...}
suppressPackageStartupMessages(library(lavaan))
suppressPackageStartupMessages(library(parallel))
args <- commandArgs(trailingOnly = TRUE)
dat <- read.csv(args[1])
syn_a <- paste(readLines(args[2]), collapse = "\n")
syn_b <- paste(readLines(args[3]), collapse = "\n")
B <- as.integer(args[4])
ncpus <- as.integer(args[5])
has_na <- anyNA(dat)

em <- function(Y, tol = 1e-7) {
  m <- lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y = as.matrix(Y), max.iter = 1000L, tol = tol)
  S <- m$Sigma
  dimnames(S) <- list(colnames(Y), colnames(Y))
  mu <- as.numeric(m$Mu)
  names(mu) <- colnames(Y)
  list(S = S, mu = mu)
}
fit_on <- function(syntax, Y, start = NULL, se = "standard", tol = 1e-7) {
  if (has_na) {
    m <- em(Y, tol)
    sem(syntax, sample.cov = m$S, sample.nobs = nrow(Y), likelihood = "normal", se = se,
        test = if (se == "none") "none" else "standard", start = if (is.null(start)) "default" else start)
  } else {
    sem(syntax, data = Y, se = se, test = if (se == "none") "none" else "standard",
        start = if (is.null(start)) "default" else start)
  }
}

t0 <- proc.time()[["elapsed"]]
fit_a <- fit_on(syn_a, dat)
t1 <- proc.time()[["elapsed"]]

fit_b <- fit_on(syn_b, dat)
set.seed(20261122)
idx <- lapply(seq_len(B), function(b) sample.int(nrow(dat), nrow(dat), replace = TRUE))
one <- function(i) {
  f <- tryCatch(fit_on(syn_b, dat[i, , drop = FALSE], start = fit_b, se = "none", tol = 1e-4),
                error = function(e) NULL)
  if (is.null(f) || !lavInspect(f, "converged")) return(NA)
  coef(f, type = "user")
}
t2 <- proc.time()[["elapsed"]]
res <- if (ncpus > 1) mclapply(idx, one, mc.cores = ncpus) else lapply(idx, one)
t3 <- proc.time()[["elapsed"]]
ok <- sum(vapply(res, function(r) !all(is.na(r)), logical(1)))
cat(sprintf('{"fit_seconds": %.4f, "boot_seconds": %.4f, "boot_ok": %d, "B": %d, "missing": "%s", "chisq_a": %.6f, "df_a": %d, "converged_a": %s}\n',
            t1 - t0, t3 - t2, ok, B, if (has_na) "two-stage (EM moments + ML)" else "complete data",
            fitMeasures(fit_a, "chisq"), as.integer(fitMeasures(fit_a, "df")),
            tolower(as.character(lavInspect(fit_a, "converged")))))
