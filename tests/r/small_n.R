## semTools::chisqSmallN(fit, smallN.method = "all") of one lavaan fit as a named list:
## one entry per method (standard, swain, yuan.2015, yuan.2005, bartlett) with chisq, df, pvalue and
## smallN.factor, plus the ingredients semTools reads (N, P, K, npar, sample.cov.rescale).
## Sourced after tests/r/common.R by cfa_small_fiml.R and chisq_small_n.R.
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
