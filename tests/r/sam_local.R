## Fixture: structural-after-measurement, local SAM (Rosseel & Loh 2022), lavaan 0.6-14
## sam(model, data, sam.method = "local") with its defaults: one measurement block per latent
## variable (mm.list = NULL), ML mapping matrix (local.options M.method = "ML"),
## veta.force.pd = TRUE (the lambda correction), alpha.correction = 0, se = "twostep".
## Output: tests/r/results/sam_local.json
## Data:   tests/r/data/poldem.csv, tests/r/data/hs.csv (written by poldem_sem.R / hs_cfa.R),
##         tests/r/data/sam_covariate.csv and tests/r/data/sam_small.csv (simulated here)
source("tests/r/common.R")

## one sam() record: parameterEstimates (the structural rows lavaan reports) with std.all,
## and step 1 from output = "list": VETA, the lambda of the correction, REL, LAMBDA, THETA
sam_block <- function(model, data, call_string) {
  fit <- sam(model, data = data, sam.method = "local")
  step1 <- sam(model, data = data, sam.method = "local", output = "list")
  lam <- step1$LAMBDA[[1]]
  dimnames(lam) <- list(lavNames(fit, "ov"), colnames(step1$VETA[[1]]))
  theta <- step1$THETA[[1]]
  dimnames(theta) <- list(lavNames(fit, "ov"), lavNames(fit, "ov"))
  sf <- fit@internal$sam.struc.fit
  list(
    syntax = model,
    call = call_string,
    nobs = lavInspect(fit, "nobs"),
    estimates = estimates_block(fit),
    veta = matrix_rows(step1$VETA[[1]]),
    lambda_correction = step1$lambda[[1]],
    lambda_cutoff = 1 + 1 / (lavInspect(fit, "nobs") - 1),
    rel = num_list(step1$REL[[1]]),
    LAMBDA = matrix_rows(lam),
    theta_diag = num_list(diag(theta)),
    struc_fit = num_list(sf)
  )
}

PD <- read.csv("tests/r/data/poldem.csv")
HS <- read.csv("tests/r/data/hs.csv")

m_pd <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60"

m_hs <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ visual
speed ~ textual"

## (c) observed outcome on two latent factors and an observed control (P1-P3 shape)
set.seed(20240601)
n <- 300
f1 <- rnorm(n); f2 <- 0.5 * f1 + rnorm(n); age <- rnorm(n)
cov_data <- data.frame(x1 = f1 + rnorm(n), x2 = 0.8 * f1 + rnorm(n), x3 = 1.2 * f1 + rnorm(n),
                       y1 = f2 + rnorm(n), y2 = 0.7 * f2 + rnorm(n), y3 = 1.1 * f2 + rnorm(n),
                       age = age)
cov_data$spread <- 0.3 * f1 + 0.2 * f2 + 0.3 * age + rnorm(n)
write_data(round(cov_data, 4), "sam_covariate.csv")
cov_data <- read.csv("tests/r/data/sam_covariate.csv")
m_cov <- "PDC =~ x1 + x2 + x3
SOE =~ y1 + y2 + y3
spread ~ PDC + SOE + age"

## (d) small sample, factors correlated 0.97: the lambda correction of VETA is active
set.seed(1)
n <- 60
f1 <- rnorm(n); f2 <- 0.97 * f1 + sqrt(1 - 0.97^2) * rnorm(n)
small <- data.frame(x1 = f1 + rnorm(n), x2 = f1 + rnorm(n), x3 = f1 + rnorm(n),
                    y1 = f2 + rnorm(n), y2 = f2 + rnorm(n), y3 = f2 + rnorm(n))
write_data(round(small, 3), "sam_small.csv")
small <- read.csv("tests/r/data/sam_small.csv")
m_small <- "F1 =~ x1 + x2 + x3
F2 =~ y1 + y2 + y3
F2 ~ F1"

## (e) the tutorial model with its residual covariances: y2 ~~ y4 and y6 ~~ y8 lie within a
## block (fitted in step 1), y1 ~~ y5, y2 ~~ y6, y3 ~~ y7, y4 ~~ y8 across blocks (no block has them)
m_pd_rescov <- paste(m_pd, "y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8", sep = "\n")

## (f) labelled paths and a defined indirect effect
m_hs_def <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ a*visual
speed ~ b*textual + visual
ab := a*b"

out <- list(
  meta = meta_info(list(script = "tests/r/sam_local.R",
                        defaults = "sam.method = 'local', mm.list = NULL, M.method = 'ML', veta.force.pd = TRUE, alpha.correction = 0, se = 'twostep'")),
  poldem = sam_block(m_pd, PD, 'sam(model, data = PoliticalDemocracy, sam.method = "local")'),
  hs = sam_block(m_hs, HS, 'sam(model, data = HolzingerSwineford1939, sam.method = "local")'),
  covariate = sam_block(m_cov, cov_data, 'sam(model, data = sam_covariate, sam.method = "local")'),
  small = sam_block(m_small, small, 'sam(model, data = sam_small, sam.method = "local")'),
  poldem_rescov = sam_block(m_pd_rescov, PD, 'sam(model, data = PoliticalDemocracy, sam.method = "local")'),
  hs_defined = sam_block(m_hs_def, HS, 'sam(model, data = HolzingerSwineford1939, sam.method = "local")')
)
write_fixture(out, "sam_local.json")
