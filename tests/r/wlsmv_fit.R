## WLSMV (DWLS, delta parameterization) fits of ordered data with lavaan 0.6-14: the stage-one
## inputs of stage two (wls.obs, gamma, wls.v, nobs, threshold names) and lavaan's results.
## Output: tests/r/results/wlsmv_fit.json
## Data:   tests/r/data/hs_ordered3.csv, hs_ordered5.csv (HS x1-x9 cut by the quantiles below),
##         tests/r/data/bfi.csv (written by reliability_bfi.R; read only)
source("tests/r/common.R")

HS <- lavaan::HolzingerSwineford1939
items_hs <- paste0("x", 1:9)
## cut points: empirical quantiles of each item (3 categories: terciles; 5: skewed 10/30/60/85 %)
cut_items <- function(d, probs) {
  for (v in items_hs) {
    d[[v]] <- cut(d[[v]], quantile(d[[v]], probs), include.lowest = TRUE, labels = FALSE)
  }
  d
}
hs3 <- cut_items(HS[, c("id", "school", items_hs)], c(0, 1/3, 2/3, 1))
hs5 <- cut_items(HS[, c("id", "school", items_hs)], c(0, .10, .30, .60, .85, 1))
write_data(hs3, "hs_ordered3.csv")
write_data(hs5, "hs_ordered5.csv")
hs3 <- read.csv(file.path(DATA_DIR, "hs_ordered3.csv"))
hs5 <- read.csv(file.path(DATA_DIR, "hs_ordered5.csv"))
bfi <- read.csv(file.path(DATA_DIR, "bfi.csv"))

model_hs <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
model_bfi <- "A =~ A1 + A2 + A3 + A4 + A5
C =~ C1 + C2 + C3 + C4 + C5
E =~ E1 + E2 + E3 + E4 + E5
N =~ N1 + N2 + N3 + N4 + N5
O =~ O1 + O2 + O3 + O4 + O5"

FIT_WLSMV <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
               "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.pvalue",
               "baseline.chisq.scaled", "baseline.df.scaled", "baseline.pvalue.scaled",
               "baseline.chisq.scaling.factor", "cfi", "tli", "rmsea", "cfi.scaled",
               "tli.scaled", "rmsea.scaled", "srmr", "srmr_bentler", "srmr_bentler_nomean",
               "crmr", "crmr_nomean", "ntotal", "fmin")

as_list_groups <- function(x, G) if (G == 1L) list(x) else x

## the per-group stage-one inputs; gamma as its upper triangle (row-wise, diagonal included)
stage_one_block <- function(fit) {
  G <- lavInspect(fit, "ngroups")
  obs <- as_list_groups(lavInspect(fit, "wls.obs"), G)
  gam <- as_list_groups(lavInspect(fit, "gamma"), G)
  wv <- as_list_groups(lavInspect(fit, "wls.v"), G)
  th <- as_list_groups(lavInspect(fit, "th"), G)
  nobs <- lavInspect(fit, "nobs")
  lapply(seq_len(G), function(g) {
    W <- as.matrix(wv[[g]])
    stopifnot(max(abs(W - diag(diag(W)))) == 0)   # DWLS: diagonal weights
    Gm <- as.matrix(gam[[g]])
    list(nobs = as.integer(nobs[g]),
         names = names(obs[[g]]),
         wls_obs = unname(as.numeric(obs[[g]])),
         wls_v_diag = unname(diag(W)),
         gamma_upper = t(Gm)[lower.tri(Gm, diag = TRUE)],   # upper triangle of Gm, row by row
         gamma_dim = nrow(Gm),
         th_names = names(th[[g]]))
  })
}

estimates_rows <- function(fit) {
  pe <- parameterEstimates(fit, ci = FALSE, rsquare = FALSE)
  ss <- standardizedSolution(fit, type = "std.all")
  multi <- lavInspect(fit, "ngroups") > 1
  key <- function(d) paste(d$lhs, d$op, d$rhs, if (multi) d$group else 1L, sep = "\r")
  m <- match(key(pe), key(ss))
  lapply(seq_len(nrow(pe)), function(i) {
    r <- list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i])
    if (multi) r$group <- as.integer(pe$group[i])
    r$label <- if (is.null(pe$label)) "" else pe$label[i]
    r$est <- pe$est[i]; r$se <- pe$se[i]; r$z <- pe$z[i]; r$pvalue <- pe$pvalue[i]
    r$std_all <- if (is.na(m[i])) NA else ss$est.std[m[i]]
    lapply(r, function(z) if (is.numeric(z) && (is.na(z) || !is.finite(z))) NA else z)
  })
}

test_block <- function(fit) {
  lapply(fit@test, function(t) num_list(unlist(t[intersect(names(t),
    c("stat", "df", "pvalue", "scaling.factor", "shift.parameter", "trace.UGamma",
      "trace.UGamma2"))])))
}

## same_as: the fit whose stage-one statistics are these (same data and groups), to keep the file small
record <- function(fit, syntax, call, same_as = NULL) {
  if (!is.null(same_as)) {
    so <- stage_one_block(fit)
    stopifnot(isTRUE(all.equal(so, fits[[same_as]]$stage_one, tolerance = 0)))
  }
  list(syntax = syntax, call = call,
       options = options_block(fit),
       converged = lavInspect(fit, "converged"),
       ngroups = lavInspect(fit, "ngroups"),
       group_labels = I(lavInspect(fit, "group.label")),
       stage_one = if (is.null(same_as)) stage_one_block(fit) else list(),
       stage_one_of = if (is.null(same_as)) "" else same_as,
       fit = num_list(fitMeasures(fit, FIT_WLSMV)),
       fit_all = fit_all_block(fit),
       test = test_block(fit),
       estimates = estimates_rows(fit))
}

fits <- list()
f <- cfa(model_hs, data = hs3, ordered = items_hs, estimator = "WLSMV")
fits_hs3 <- f
fits$hs3 <- record(f, model_hs, 'cfa(model_hs, data = hs3, ordered = items_hs, estimator = "WLSMV")')
f <- cfa(model_hs, data = hs3, ordered = items_hs, estimator = "WLSMVS")
fits$hs3_wlsmvs <- record(f, model_hs, 'cfa(model_hs, data = hs3, ordered = items_hs, estimator = "WLSMVS")')
f <- cfa(model_hs, data = hs5, ordered = items_hs, estimator = "WLSMV")
fits$hs5 <- record(f, model_hs, 'cfa(model_hs, data = hs5, ordered = items_hs, estimator = "WLSMV")')
items_bfi <- unlist(lapply(c("A", "C", "E", "N", "O"), function(s) paste0(s, 1:5)))
f <- cfa(model_bfi, data = bfi[, items_bfi], ordered = items_bfi, estimator = "WLSMV",
         missing = "pairwise")
fits$bfi <- record(f, model_bfi, 'cfa(model_bfi, data = bfi[, items_bfi], ordered = items_bfi, estimator = "WLSMV", missing = "pairwise")')
f <- cfa(model_hs, data = hs3, ordered = items_hs, estimator = "WLSMV", group = "school")
objects <- list(hs3 = fits_hs3, hs3_school = f)
fits$hs3_school <- record(f, model_hs, 'cfa(model_hs, data = hs3, ordered = items_hs, estimator = "WLSMV", group = "school")')

## model features on hs3: std.lv, a latent regression, equal loadings by labels, a second-order
## factor, thresholds in the syntax with one fixed, and WLSMVS with two groups
more <- list(
  hs3_std_lv = list(model_hs, list(std.lv = TRUE)),
  hs3_regression = list(paste(model_hs, "textual ~ visual", "speed ~ textual", sep = "\n"), list()),
  hs3_equal_loadings = list("visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + b*x5 + b*x6\nspeed =~ x7 + x8 + x9", list()),
  hs5_second_order = list(paste(model_hs, "g =~ visual + textual + speed", sep = "\n"), list(data = "hs5")),
  hs3_fixed_threshold = list(paste(model_hs, "x1 | -0.4*t1 + t2", "x9 | t1 + t2", sep = "\n"), list()),
  hs3_school_wlsmvs = list(model_hs, list(group = "school", estimator = "WLSMVS")),
  hs3_residual_covariance = list(paste(model_hs, "x4 ~~ x7", "x1 ~~ x9", sep = "\n"), list()),
  hs3_theta = list(paste(model_hs, "textual ~ visual", sep = "\n"), list(parameterization = "theta")),
  hs5_school_theta = list(model_hs, list(data = "hs5", group = "school", parameterization = "theta")),
  ## invariance (delta): lavaan 0.6-14 frees the scaling factors (~*~) and latent means in group 2
  ## when the thresholds are equal
  hs3_school_loadings = list(model_hs, list(group = "school", group.equal = "loadings")),
  hs3_school_thresholds = list(model_hs, list(group = "school", group.equal = "thresholds")),
  hs3_school_loadings_std_lv = list(model_hs, list(group = "school", group.equal = "loadings", std.lv = TRUE)),
  hs5_school_scalar = list(model_hs, list(data = "hs5", group = "school",
                                          group.equal = c("thresholds", "loadings"))),
  hs3_school_scalar = list(model_hs, list(group = "school", group.equal = c("thresholds", "loadings"))),
  hs3_school_partial = list(model_hs, list(group = "school", group.equal = c("thresholds", "loadings"),
                                           group.partial = c("x4|t1", "x4|t2", "visual=~x3"))),
  hs3_school_scalar_wlsmvs = list(model_hs, list(group = "school", estimator = "WLSMVS",
                                                 group.equal = c("thresholds", "loadings", "intercepts")))
)
for (nm in names(more)) {
  syn <- more[[nm]][[1]]; opt <- more[[nm]][[2]]
  d <- if (identical(opt$data, "hs5")) hs5 else hs3
  opt$data <- NULL
  args <- c(list(model = syn, data = d, ordered = items_hs, estimator = "WLSMV"), opt)
  args$estimator <- if (is.null(opt$estimator)) "WLSMV" else opt$estimator
  f <- do.call("cfa", args)
  call <- paste0("cfa(model, data = ", if (identical(more[[nm]][[2]]$data, "hs5")) "hs5" else "hs3",
                 ", ordered = items_hs, estimator = \"", args$estimator, "\"",
                 paste0(sapply(setdiff(names(opt), "estimator"), function(k) paste0(", ", k, " = ", deparse(opt[[k]]))), collapse = ""), ")")
  is_hs5 <- identical(more[[nm]][[2]]$data, "hs5")
  grouped <- !is.null(opt$group)
  # the base fit with the same statistics (none for two groups of hs5: recorded in full)
  same <- if (is_hs5) (if (grouped) NULL else "hs5") else (if (grouped) "hs3_school" else "hs3")
  fits[[nm]] <- record(f, syn, call, same)
  objects[[nm]] <- f
}

## scaled difference tests of nested fits: lavTestLRT (method "satorra.2000", A.method "delta",
## scaled.shifted = TRUE: lavaan 0.6-14's default for WLSMV and WLSMVS) and its ingredients
lrt <- function(m1, m0) {
  t <- lavTestLRT(objects[[m1]], objects[[m0]])
  d <- lavaan:::lav_test_diff_Satorra2000(objects[[m1]], objects[[m0]], H1 = TRUE, Satterthwaite = TRUE,
                                           scaled.shifted = TRUE, A.method = "delta")
  list(h1 = m1, h0 = m0, chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
       pvalue = t[["Pr(>Chisq)"]][2], a = d$a, b = d$b, trace_ugamma = d$trace.UGamma,
       trace_ugamma2 = d$trace.UGamma2)
}
differences <- list(
  configural_metric = lrt("hs3_school", "hs3_school_loadings"),
  configural_thresholds = lrt("hs3_school", "hs3_school_thresholds"),
  metric_scalar = lrt("hs3_school_loadings", "hs3_school_scalar"),
  configural_scalar = lrt("hs3_school", "hs3_school_scalar"),
  partial_scalar = lrt("hs3_school_partial", "hs3_school_scalar"),
  configural_scalar_wlsmvs = lrt("hs3_school_wlsmvs", "hs3_school_scalar_wlsmvs"),
  cfa_regression = lrt("hs3", "hs3_regression")
)

fiml <- tryCatch(cfa(model_hs, data = hs3, ordered = items_hs, estimator = "WLSMV", missing = "ml"),
                 error = function(e) conditionMessage(e), warning = function(w) conditionMessage(w))

out <- list(meta = meta_info(list(
  script = "tests/r/wlsmv_fit.R",
  data = c("tests/r/data/hs_ordered3.csv", "tests/r/data/hs_ordered5.csv", "tests/r/data/bfi.csv"),
  note = "stage_one: per group wls.obs (names), diag of wls.v, gamma as its upper triangle row by row, th names; fmin is lavaan's (chisq = 2 N fmin)")),
  fits = fits,
  differences = differences,
  fiml_ordered = if (is.character(fiml)) fiml else "fitted")
write_fixture(out, "wlsmv_fit.json")
