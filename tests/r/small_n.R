## semTools::chisqSmallN(fit, smallN.method = "all") of one lavaan fit as a named list:
## one entry per method (standard, swain, yuan.2015, yuan.2005, bartlett) with chisq, df, pvalue and
## smallN.factor, plus the ingredients semTools reads (N, P, K, npar, sample.cov.rescale).
## Sourced after tests/r/common.R by cfa_small_fiml.R, cfa_small_n_seeds.R and chisq_small_n.R.
small_n_block <- function(fit) {
  res <- suppressMessages(semTools::chisqSmallN(fit, smallN.method = "all"))
  out <- lapply(res, function(v) num_list(unclass(v)))
  out$ingredients <- list(
    ntotal = lavInspect(fit, "ntotal"), ngroups = lavInspect(fit, "ngroups"),
    sample_cov_rescale = lavInspect(fit, "options")$sample.cov.rescale,
    P = length(lavNames(fit)), K = length(lavNames(fit, type = "lv")),
    npar = unname(fitMeasures(fit, "npar")))
  out
}


## Fit measures of a FIML fit from lavaan's own parts and formulas: fitMeasures() of a FIML fit computes the
## FIML-corrected robust CFI/RMSEA whenever cfi, tli, rmsea or baseline.* are asked for, which needs the
## information matrix of the saturated model and takes far longer than the fit.
## Used by cfa_small_fiml.R and cfa_small_n_seeds.R.
fiml_fit_measures <- function(fit) {
  N <- lavInspect(fit, "ntotal")
  X2 <- fit@test[[1]]$stat
  df <- fit@test[[1]]$df
  X2b <- fit@baseline$test[[1]]$stat
  dfb <- fit@baseline$test[[1]]$df
  fm <- fitMeasures(fit, c("npar", "ntotal", "chisq", "df", "pvalue", "logl", "unrestricted.logl", "srmr"))
  c(num_list(fm), list(
    baseline.chisq = X2b, baseline.df = dfb,
    cfi = lavaan:::lav_fit_cfi(X2 = X2, df = df, X2.null = X2b, df.null = dfb),
    tli = lavaan:::lav_fit_tli(X2 = X2, df = df, X2.null = X2b, df.null = dfb),
    rmsea = lavaan:::lav_fit_rmsea(X2 = X2, df = df, N = N)))
}
