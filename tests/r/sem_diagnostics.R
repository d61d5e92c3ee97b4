## Fixture: diagnostics of fitted SEMs (ML): modification indices, score tests of equality
## constraints, residuals.
## Output: tests/r/results/sem_diagnostics.json
## Data:   tests/r/data/hs.csv (Holzinger-Swineford), tests/r/data/poldem.csv (Political Democracy)
source("tests/r/common.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))
PD <- read.csv(file.path(DATA_DIR, "poldem.csv"))

source("tests/r/diagnostics_helpers.R")

mat_block <- function(M) {
  M <- as.matrix(M)
  list(names = I(rownames(M)), values = unname(lapply(seq_len(nrow(M)), function(i) as.numeric(M[i, ]))))
}

resid_block <- function(fit) {
  one <- function(type) {
    r <- resid(fit, type = type)
    if (lavInspect(fit, "ngroups") > 1) r <- r[[1]]
    out <- list(cov = mat_block(r$cov))
    if (!is.null(r$mean)) out$mean <- num_list(r$mean)
    out
  }
  lr <- lavResiduals(fit)
  list(raw = one("raw"), cor = one("cor"), cor_bentler = one("cor.bentler"),
       cor_bollen = one("cor.bollen"), standardized = one("standardized"),
       lavResiduals_cov_z = mat_block(lr$cov.z))
}

hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

pd_model <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8"

hs_eq_model <- "visual =~ x1 + a*x2 + b*x3
textual =~ x4 + c*x5 + d*x6
speed =~ x7 + x8 + x9
a == b
c == d"

hs_x_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
visual + textual ~ ageyr"

## an observed dependent variable (x7) and an indicator as a regressor (x1): lav_partable_full's
## rules for observed variables of ~ equations
hs_y_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
x7 ~ visual + x1"

fit_hs <- cfa(hs_model, data = HS)
fit_y <- sem(hs_y_model, data = HS)
fit_pd <- sem(pd_model, data = PD)
fit_eq <- cfa(hs_eq_model, data = HS)
fit_x <- sem(hs_x_model, data = HS)
fit_mg <- cfa(hs_model, data = HS, group = "school", group.equal = "loadings")

entry <- function(fit, syntax, call, extra = list()) {
  c(list(syntax = syntax, call = call, ntotal = lavInspect(fit, "ntotal"),
         chisq = unname(fitMeasures(fit, "chisq")),
         modindices = mi_block(fit)), extra)
}

out <- list(
  meta = meta_info(list(script = "tests/r/sem_diagnostics.R",
                        data = c("tests/r/data/hs.csv", "tests/r/data/poldem.csv"))),
  hs = entry(fit_hs, hs_model, "cfa(model, data = HS); modindices(fit); resid(fit, type)",
             list(residuals = resid_block(fit_hs))),
  poldem = entry(fit_pd, pd_model, "sem(model, data = PoliticalDemocracy); modindices(fit); resid(fit, type)",
                 list(residuals = resid_block(fit_pd))),
  hs_eq = entry(fit_eq, hs_eq_model, "cfa(model, data = HS); lavTestScore(fit); modindices(fit)",
                list(score = score_block(fit_eq))),
  hs_x = entry(fit_x, hs_x_model, "sem(model, data = HS)  # fixed.x covariate; modindices(fit)"),
  hs_y = entry(fit_y, hs_y_model, "sem(model, data = HS)  # observed y, indicator as regressor; modindices(fit)"),
  hs_mg = entry(fit_mg, hs_model, 'cfa(model, data = HS, group = "school", group.equal = "loadings"); lavTestScore(fit)',
                list(group_labels = I(lavInspect(fit_mg, "group.label")), score = score_block(fit_mg)))
)
write_fixture(out, "sem_diagnostics.json")
