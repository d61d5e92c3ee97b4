## WLSMV (DWLS, delta parameterization) with continuous observed variables beside ordered items,
## lavaan 0.6-14: the stage-one inputs of stage two and lavaan's results.
## Output: tests/r/results/wlsmv_mixed.json
## Data:   tests/r/data/hs_ordinal3.csv (x1-x6 cut at their terciles, from wlsmv_fit.R) joined by id
##         with the continuous x7-x9 and ageyr of tests/r/data/hs.csv (read only)
source("tests/r/common.R")

hs <- read.csv(file.path(DATA_DIR, "hs.csv"))
hs3 <- read.csv(file.path(DATA_DIR, "hs_ordinal3.csv"))
stopifnot(identical(hs$id, hs3$id))
d <- cbind(hs3[, paste0("x", 1:6)], hs[, c("x7", "x8", "x9", "ageyr")])
ordered_items <- paste0("x", 1:6)

FIT <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
         "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.chisq.scaled",
         "baseline.df.scaled", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled",
         "cfi.robust", "tli.robust", "rmsea.robust", "srmr", "ntotal", "fmin")

stage_one <- function(fit) {
  W <- as.matrix(lavInspect(fit, "wls.v"))
  stopifnot(max(abs(W - diag(diag(W)))) == 0)
  Gm <- as.matrix(lavInspect(fit, "gamma"))
  obs <- lavInspect(fit, "wls.obs")
  list(nobs = as.integer(lavInspect(fit, "nobs")), names = names(obs), wls_obs = unname(as.numeric(obs)),
       wls_v_diag = unname(diag(W)), gamma_upper = t(Gm)[lower.tri(Gm, diag = TRUE)], gamma_dim = nrow(Gm))
}

estimates <- function(fit) {
  pe <- parameterEstimates(fit, ci = FALSE, rsquare = TRUE)
  ss <- standardizedSolution(fit, type = "std.all")
  m <- match(paste(pe$lhs, pe$op, pe$rhs), paste(ss$lhs, ss$op, ss$rhs))
  lapply(seq_len(nrow(pe)), function(i) {
    r <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i], est = pe$est[i], se = pe$se[i],
              std_all = if (is.na(m[i])) NA else ss$est.std[m[i]])
    lapply(r, function(z) if (is.numeric(z) && (is.na(z) || !is.finite(z))) NA else z)
  })
}

record <- function(fit, syntax, call) {
  t <- fit@test[[2]]
  list(syntax = syntax, call = call, options = options_block(fit),
       conditional_x = lavInspect(fit, "options")$conditional.x,
       converged = lavInspect(fit, "converged"), stage_one = stage_one(fit),
       fit = num_list(fitMeasures(fit, FIT)),
       test = num_list(unlist(t[c("stat", "df", "scaling.factor", "shift.parameter", "trace.UGamma",
                                  "trace.UGamma2")])),
       estimates = estimates(fit))
}

models <- list(
  speed_continuous = list("cfa", "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9", list()),
  outcome = list("sem", "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nx7 ~ visual + textual", list()),
  outcome_covariate = list("sem", "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nx7 ~ visual + textual + ageyr",
                           list(conditional.x = FALSE)),
  outcome_theta = list("sem", "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nx7 ~ visual + textual",
                       list(parameterization = "theta")),
  outcome_wlsmvs = list("sem", "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nx7 ~ visual + textual",
                        list(estimator = "WLSMVS")),
  ## a continuous outcome that predicts another (x8 ~ x7)
  chain = list("sem", "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nx7 ~ visual + textual\nx8 ~ x7 + textual",
               list())
)
fits <- list()
for (nm in names(models)) {
  fn <- models[[nm]][[1]]; syn <- models[[nm]][[2]]; opt <- models[[nm]][[3]]
  if (is.null(opt$estimator)) opt <- c(list(estimator = "WLSMV"), opt)
  f <- do.call(fn, c(list(model = syn, data = d, ordered = ordered_items), opt))
  call <- paste0(fn, "(model, data = d, ordered = paste0(\"x\", 1:6)",
                 paste0(sapply(names(opt), function(k) paste0(", ", k, " = ", deparse(opt[[k]]))), collapse = ""), ")")
  fits[[nm]] <- record(f, syn, call)
}
## lavaan's default for ordered data with an exogenous covariate: conditional.x = TRUE (not built)
f <- sem(models$outcome_covariate[[2]], data = d, ordered = ordered_items, estimator = "WLSMV")
default_conditional_x <- lavInspect(f, "options")$conditional.x

out <- list(meta = meta_info(list(script = "tests/r/wlsmv_mixed.R",
                                  data = c("tests/r/data/hs_ordinal3.csv", "tests/r/data/hs.csv"),
                                  note = "stage_one: wls.obs (names), diag of wls.v, gamma upper triangle row by row")),
            fits = fits, covariate_default_conditional_x = default_conditional_x)
write_fixture(out, "wlsmv_mixed.json")
