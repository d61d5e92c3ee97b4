## Fixture: modification indices and score tests of FIML (missing = "ml") and MLR fits, and the
## partial-invariance search of the measurement stage replayed with lavaan.
## lavaan 0.6-14: modindices() and lavTestScore() use information = "expected"; for missing = "ml"
## that is the structured (model-implied moments) expected information, pattern by pattern
## (h1.information = "structured"). With MLR both use the same (non-robust) information and
## gradient: lavTestScore() warns "se is not `standard'; ... falling back to ordinary score test".
## Output: tests/r/results/sem_diagnostics_fiml.json
## Data:   tests/r/data/hs_missing.csv (hs_fiml.R), tests/r/data/hs.csv; three groups "agegrp" are
##         made from hs.csv's ageyr: 11-12, 13, 14-16
source("tests/r/common.R")
source("tests/r/diagnostics_helpers.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))
HSm <- read.csv(file.path(DATA_DIR, "hs_missing.csv"))

hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

hs_eq_model <- "visual =~ x1 + a*x2 + b*x3
textual =~ x4 + c*x5 + d*x6
speed =~ x7 + x8 + x9
a == b
c == d"

warnings_of <- function(expr) {
  w <- character(0)
  val <- withCallingHandlers(expr, warning = function(cond) {
    w <<- c(w, conditionMessage(cond))
    invokeRestart("muffleWarning")
  })
  list(value = val, warnings = I(w))
}

entry <- function(fit, syntax, call, data, kw, score = FALSE) {
  out <- list(syntax = syntax, call = call, data = data, kwargs = kw,
              ntotal = lavInspect(fit, "ntotal"), chisq = unname(fitMeasures(fit, "chisq")),
              modindices = mi_block(fit))
  if (score) {
    s <- warnings_of(score_block(fit))
    out$score <- s$value
    out$score_warnings <- s$warnings
  }
  out
}

## per parameter with equality constraints (lhs op rhs of the constraints' first row): the score
## test releasing all its constraints together, lavTestScore(fit, release = idx)$test (with two
## groups the univariate test); op: only parameters with that operator
release_block <- function(fit, op = NULL) {
  sc <- warnings_of(score_block(fit))$value
  name <- vapply(sc$uni, function(u) paste0(u$lhs_par$lhs, u$lhs_par$op, u$lhs_par$rhs), character(1))
  ops <- vapply(sc$uni, function(u) u$lhs_par$op, character(1))
  keep <- if (is.null(op)) rep(TRUE, length(name)) else ops == op
  lapply(unique(name[keep]), function(nm) {
    idx <- which(name == nm)
    t <- warnings_of(lavTestScore(fit, release = idx, univariate = FALSE))$value$test
    list(parameter = nm, constraints = I(idx), X2 = t$X2, df = t$df, p_value = t$p.value)
  })
}

## the search of surveysem.measurement.partial replayed: free (group.partial) the parameter with
## operator op of the largest release_block test, refit, n_steps times (no stopping rule)
search_block <- function(model, data, group, group.equal, op, n_steps, ...) {
  partial <- character(0)
  steps <- list()
  for (s in 0:n_steps) {
    fit <- cfa(model, data = data, group = group, group.equal = group.equal, group.partial = partial, ...)
    rel <- release_block(fit, op)
    x2 <- vapply(rel, function(r) r$X2, numeric(1))
    best <- rel[[which.max(x2)]]$parameter
    steps[[s + 1]] <- list(group_partial = I(partial), chisq = unname(fitMeasures(fit, "chisq")),
                           df = unname(fitMeasures(fit, "df")), cfi = unname(fitMeasures(fit, "cfi")),
                           rmsea = unname(fitMeasures(fit, "rmsea")), release = rel,
                           largest = best, largest_X2 = max(x2))
    partial <- c(partial, best)
  }
  steps
}

## three groups: age 11-12, 13, 14-16 (ageyr of hs.csv)
age_group <- function(a) ifelse(a <= 12, "11-12", ifelse(a == 13, "13", "14-16"))
HS$agegrp <- age_group(HS$ageyr)

fiml <- cfa(hs_model, data = HSm, missing = "ml")
fiml_mlr <- cfa(hs_model, data = HSm, missing = "ml", estimator = "MLR")
mlr <- cfa(hs_model, data = HS, estimator = "MLR")
fiml_eq <- cfa(hs_eq_model, data = HSm, missing = "ml")
fiml_mlr_eq <- cfa(hs_eq_model, data = HSm, missing = "ml", estimator = "MLR")
fiml_mg <- cfa(hs_model, data = HSm, missing = "ml", group = "school", group.equal = "loadings")
fiml_mg_scalar <- cfa(hs_model, data = HSm, missing = "ml", group = "school",
                      group.equal = c("loadings", "intercepts"))
mg_scalar <- cfa(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))
mg3_scalar <- cfa(hs_model, data = HS, group = "agegrp", group.equal = c("loadings", "intercepts"))

kw <- function(...) list(...)
out <- list(
  meta = meta_info(list(script = "tests/r/sem_diagnostics_fiml.R",
                        data = c("tests/r/data/hs_missing.csv", "tests/r/data/hs.csv"),
                        options_fiml = options_block(fiml), options_fiml_mlr = options_block(fiml_mlr))),
  fiml = entry(fiml, hs_model, 'cfa(model, data = HSm, missing = "ml"); modindices(fit)', "hs_missing",
               kw(missing = "fiml")),
  fiml_mlr = entry(fiml_mlr, hs_model, 'cfa(model, data = HSm, missing = "ml", estimator = "MLR"); modindices(fit)',
                   "hs_missing", kw(missing = "fiml", estimator = "MLR")),
  mlr = entry(mlr, hs_model, 'cfa(model, data = HS, estimator = "MLR"); modindices(fit)', "hs",
              kw(estimator = "MLR")),
  fiml_eq = entry(fiml_eq, hs_eq_model, 'cfa(model, data = HSm, missing = "ml"); lavTestScore(fit); modindices(fit)',
                  "hs_missing", kw(missing = "fiml"), score = TRUE),
  fiml_mlr_eq = entry(fiml_mlr_eq, hs_eq_model,
                      'cfa(model, data = HSm, missing = "ml", estimator = "MLR"); lavTestScore(fit); modindices(fit)',
                      "hs_missing", kw(missing = "fiml", estimator = "MLR"), score = TRUE),
  fiml_mg = entry(fiml_mg, hs_model,
                  'cfa(model, data = HSm, missing = "ml", group = "school", group.equal = "loadings"); lavTestScore(fit); modindices(fit)',
                  "hs_missing", kw(missing = "fiml", group = "school", group_equal = I("loadings")), score = TRUE),
  fiml_mg_scalar = entry(fiml_mg_scalar, hs_model,
                         'cfa(model, data = HSm, missing = "ml", group = "school", group.equal = c("loadings", "intercepts")); lavTestScore(fit)',
                         "hs_missing", kw(missing = "fiml", group = "school", group_equal = I(c("loadings", "intercepts"))),
                         score = TRUE),
  mg_scalar = entry(mg_scalar, hs_model,
                    'cfa(model, data = HS, group = "school", group.equal = c("loadings", "intercepts")); lavTestScore(fit)',
                    "hs", kw(group = "school", group_equal = I(c("loadings", "intercepts"))), score = TRUE),
  mg3_scalar = c(entry(mg3_scalar, hs_model,
                         'HS$agegrp <- ifelse(ageyr <= 12, "11-12", ifelse(ageyr == 13, "13", "14-16")); cfa(model, data = HS, group = "agegrp", group.equal = c("loadings", "intercepts")); lavTestScore(fit); lavTestScore(fit, release = )',
                         "hs", kw(group = "agegrp", group_equal = I(c("loadings", "intercepts"))), score = TRUE),
                   list(release = release_block(mg3_scalar))),
  search = list(
    scalar_ml = list(data = "hs", group = "school", group_equal = I(c("loadings", "intercepts")), op = "~1",
                     kwargs = kw(),
                     steps = search_block(hs_model, HS, "school", c("loadings", "intercepts"), "~1", 3)),
    scalar_fiml = list(data = "hs_missing", group = "school", group_equal = I(c("loadings", "intercepts")), op = "~1",
                       kwargs = kw(missing = "fiml"),
                       steps = search_block(hs_model, HSm, "school", c("loadings", "intercepts"), "~1", 3,
                                            missing = "ml")),
    metric_fiml_mlr = list(data = "hs_missing", group = "school", group_equal = I("loadings"), op = "=~",
                           kwargs = kw(missing = "fiml", estimator = "MLR"),
                           steps = search_block(hs_model, HSm, "school", "loadings", "=~", 2, missing = "ml",
                                                estimator = "MLR")),
    scalar_3groups = list(data = "hs", group = "agegrp", group_equal = I(c("loadings", "intercepts")), op = "~1",
                          kwargs = kw(),
                          steps = search_block(hs_model, HS, "agegrp", c("loadings", "intercepts"), "~1", 2))
  )
)
write_fixture(out, "sem_diagnostics_fiml.json")
