## Shared helpers for the R reference fixtures of surveysem.
## Sourced by every tests/r/<topic>.R script (run from the repository root,
## see tests/r/run_all.sh).
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})

options(mc.cores = 1)   # psych parallelises with mclapply; keep everything serial and reproducible
RESULTS_DIR <- "tests/r/results"
DATA_DIR <- "tests/r/data"

meta_info <- function(extra = list()) {
  pk <- c("lavaan", "semTools", "psych", "jsonlite", "GPArotation", "sandwich")
  vers <- lapply(pk, function(p) {
    if (requireNamespace(p, quietly = TRUE)) as.character(packageVersion(p)) else NA
  })
  names(vers) <- pk
  c(list(R = R.version.string, packages = vers,
         lavaan = vers$lavaan, semTools = vers$semTools, psych = vers$psych),
    extra)
}

write_fixture <- function(x, name) {
  path <- file.path(RESULTS_DIR, name)
  jsonlite::write_json(x, path, digits = NA, auto_unbox = TRUE, pretty = TRUE,
                       na = "null")
  cat("wrote", path, "\n")
  invisible(path)
}

write_data <- function(df, name) {
  path <- file.path(DATA_DIR, name)
  write.csv(df, path, row.names = FALSE, na = "")
  cat("wrote", path, "\n")
  invisible(path)
}

FIT_ML <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
            "rmsea.ci.upper", "srmr", "aic", "bic", "logl", "unrestricted.logl",
            "npar", "ntotal", "baseline.chisq", "baseline.df", "baseline.pvalue",
            "bic2", "rmsea.pvalue", "srmr_bentler", "srmr_bentler_nomean",
            "crmr", "crmr_nomean", "srmr_mplus", "srmr_mplus_nomean",
            "nfi", "rni", "ifi", "gfi", "agfi")
FIT_ROBUST <- c("chisq.scaled", "df.scaled", "pvalue.scaled",
                "chisq.scaling.factor", "cfi.scaled", "tli.scaled",
                "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
                "cfi.robust", "tli.robust", "rmsea.robust",
                "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
                "baseline.chisq.scaled", "baseline.df.scaled",
                "baseline.pvalue.scaled", "baseline.chisq.scaling.factor")

num_list <- function(v) {
  out <- lapply(seq_along(v), function(i) {
    z <- unname(as.numeric(v[i]))
    if (is.na(z) || !is.finite(z)) NA else z
  })
  names(out) <- names(v)
  out
}

fit_block <- function(fit) {
  fm <- fitMeasures(fit)
  want <- FIT_ML
  if (lavInspect(fit, "options")$test[1] != "standard") want <- c(want, FIT_ROBUST)
  miss <- setdiff(want, names(fm))
  if (length(miss)) warning("fit measures not available: ", paste(miss, collapse = ", "))
  num_list(fm[intersect(want, names(fm))])
}

fit_all_block <- function(fit) num_list(fitMeasures(fit))

## parameterEstimates() rows merged with standardizedSolution() (std.all)
estimates_block <- function(fit) {
  pe <- parameterEstimates(fit, ci = TRUE, rsquare = FALSE)
  ss <- standardizedSolution(fit, type = "std.all")
  multi <- lavInspect(fit, "ngroups") > 1
  key <- function(d) {
    g <- if ("group" %in% names(d)) d$group else rep(1L, nrow(d))
    paste(d$lhs, d$op, d$rhs, g, sep = "\r")
  }
  m <- match(key(pe), key(ss))
  rows <- vector("list", nrow(pe))
  for (i in seq_len(nrow(pe))) {
    r <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i])
    if (multi) r$group <- as.integer(pe$group[i])
    r$label <- if (is.null(pe$label)) "" else pe$label[i]
    r$est <- pe$est[i]
    r$se <- pe$se[i]
    r$z <- pe$z[i]
    r$pvalue <- pe$pvalue[i]
    r$ci_lower <- pe$ci.lower[i]
    r$ci_upper <- pe$ci.upper[i]
    j <- m[i]
    r$std_all <- if (is.na(j)) NA else ss$est.std[j]
    r$std_all_se <- if (is.na(j)) NA else ss$se[j]
    r$std_all_z <- if (is.na(j)) NA else ss$z[j]
    r$std_all_pvalue <- if (is.na(j)) NA else ss$pvalue[j]
    r <- lapply(r, function(z) if (is.numeric(z) && (is.na(z) || !is.finite(z))) NA else z)
    rows[[i]] <- r
  }
  rows
}

options_block <- function(fit) {
  o <- lavInspect(fit, "options")
  keep <- c("estimator", "se", "test", "information", "h1.information",
            "observed.information", "missing", "likelihood", "meanstructure",
            "int.ov.free", "int.lv.free", "std.lv", "fixed.x", "mimic",
            "group.equal", "group.partial", "auto.fix.first", "auto.var",
            "auto.cov.lv.x", "auto.cov.y", "orthogonal", "optim.method")
  o <- o[intersect(keep, names(o))]
  o <- lapply(o, function(v) if (length(v) == 0) character(0) else v)
  for (k in c("group.equal", "group.partial")) if (!is.null(o[[k]])) o[[k]] <- I(o[[k]])  # always a JSON array
  o
}

## full record of one fitted lavaan model
model_block <- function(fit, syntax, call_string, extra = list()) {
  c(list(
    syntax = syntax,
    call = call_string,
    options = options_block(fit),
    converged = lavInspect(fit, "converged"),
    iterations = lavInspect(fit, "iterations"),
    nobs = as.list(lavInspect(fit, "nobs")),
    fit = fit_block(fit),
    fit_all = fit_all_block(fit),
    estimates = estimates_block(fit)
  ), extra)
}

## matrix -> list of rows {row: name, <col>: value}
matrix_rows <- function(M) {
  M <- as.matrix(M)
  rn <- rownames(M); cn <- colnames(M)
  lapply(seq_len(nrow(M)), function(i) {
    r <- list(row = rn[i])
    for (j in seq_len(ncol(M))) {
      z <- unname(M[i, j])
      r[[cn[j]]] <- if (is.na(z)) NA else as.numeric(z)
    }
    r
  })
}

## data.frame returned by semTools (compRelSEM, AVE) -> named list
named_vec <- function(x) {
  if (is.data.frame(x)) x <- unlist(x[1, , drop = TRUE])
  num_list(x)
}
