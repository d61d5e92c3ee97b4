## Fixture 10: regression / GLM references with sandwich (HC0, HC1) standard errors.
## Output: tests/r/results/glm_reference.json
## Data:   tests/r/data/glm_reference.csv (simulated here with set.seed(7), n = 300)
source("tests/r/common.R")
suppressPackageStartupMessages(library(sandwich))

set.seed(7)
n <- 300
x1 <- rnorm(n)
x2 <- rnorm(n)
size <- sample(c("small", "medium", "large"), n, replace = TRUE)
y_pos <- exp(0.2 + 0.3 * x1 - 0.1 * x2 + rnorm(n, 0, 0.5))
k <- rbinom(n, 12, plogis(-0.5 + 0.4 * x1))
share <- plogis(0.3 + 0.5 * x2 + rnorm(n, 0, 0.7))
ones <- sample(n, 5)
share[ones] <- 1                       # a few exact 1s (fractional-logit boundary)
dat <- data.frame(id = seq_len(n), x1 = x1, x2 = x2, size = size,
                  y_pos = y_pos, k = k, share = share)
write_data(dat, "glm_reference.csv")
d <- read.csv(file.path(DATA_DIR, "glm_reference.csv"))
d$size <- factor(d$size)               # alphabetical levels: large (reference), medium, small

coef_rows <- function(m) {
  sm <- summary(m)
  ct <- coef(sm)
  V0 <- vcovHC(m, type = "HC0")
  V1 <- vcovHC(m, type = "HC1")
  lapply(seq_len(nrow(ct)), function(i) {
    list(term = rownames(ct)[i], est = ct[i, 1], se = ct[i, 2],
         stat = ct[i, 3], pvalue = ct[i, 4],
         se_HC0 = sqrt(V0[i, i]), se_HC1 = sqrt(V1[i, i]))
  })
}
vc_rows <- function(m, type) matrix_rows(vcovHC(m, type = type))

glm_block <- function(m, call) {
  sm <- summary(m)
  ll <- tryCatch(as.numeric(logLik(m)), error = function(e) NA)
  list(call = call,
       family = family(m)$family, link = family(m)$link,
       coefficients = coef_rows(m),
       vcov_HC0 = vc_rows(m, "HC0"),
       deviance = deviance(m), null_deviance = m$null.deviance,
       df_residual = m$df.residual, df_null = m$df.null,
       dispersion = sm$dispersion,
       pearson_chi2 = sum(residuals(m, type = "pearson")^2),
       aic = if (is.null(m$aic) || is.na(m$aic)) NA else m$aic,
       loglik = ll, iterations = m$iter, converged = m$converged,
       nobs = nobs(m))
}

## (a) OLS on log(y_pos)
ma <- lm(log(y_pos) ~ x1 + x2 + size, data = d)
sa <- summary(ma)
a_block <- list(call = "lm(log(y_pos) ~ x1 + x2 + size, data = d)",
                coefficients = coef_rows(ma), vcov_HC0 = vc_rows(ma, "HC0"),
                r_squared = sa$r.squared, adj_r_squared = sa$adj.r.squared,
                sigma = sa$sigma, df_residual = ma$df.residual,
                fstatistic = as.list(sa$fstatistic), loglik = as.numeric(logLik(ma)),
                aic = AIC(ma), bic = BIC(ma), nobs = nobs(ma))

## (b) Gamma log link
mb <- glm(y_pos ~ x1 + x2 + size, family = Gamma(link = "log"), data = d)

## (c) grouped binomial, and quasibinomial
mc <- glm(cbind(k, 12 - k) ~ x1 + x2 + size, family = binomial, data = d)
mc0 <- glm(cbind(k, 12 - k) ~ 1, family = binomial, data = d)
mcq <- glm(cbind(k, 12 - k) ~ x1 + x2 + size, family = quasibinomial, data = d)
const <- sum(lchoose(12, d$k))     # binomial-coefficient constant in R's logLik
c_block <- glm_block(mc, "glm(cbind(k, 12 - k) ~ x1 + x2 + size, family = binomial, data = d)")
c_block$null_loglik <- as.numeric(logLik(mc0))
c_block$mcfadden_r2 <- 1 - as.numeric(logLik(mc)) / as.numeric(logLik(mc0))
c_block$loglik_binom_constant <- const
c_block$mcfadden_r2_without_constant <- 1 - (as.numeric(logLik(mc)) - const) / (as.numeric(logLik(mc0)) - const)
c_block$deviance_r2 <- 1 - deviance(mc) / mc$null.deviance
c_block$mcfadden_note <- "mcfadden_r2 = 1 - logLik(fit)/logLik(null) with R's logLik, which includes sum(lchoose(12, k)) (statsmodels GLM llf also includes it); mcfadden_r2_without_constant drops that constant from both"
cq_block <- glm_block(mcq, "glm(cbind(k, 12 - k) ~ x1 + x2 + size, family = quasibinomial, data = d)")

## (d) Papke-Wooldridge fractional logit
md <- suppressWarnings(glm(share ~ x1 + x2 + size, family = quasibinomial(link = "logit"), data = d))

## (e) Poisson
me <- glm(k ~ x1 + x2 + size, family = poisson, data = d)

out <- list(
  meta = meta_info(list(script = "tests/r/glm_reference.R", data = "tests/r/data/glm_reference.csv",
                        seed = 7, n = n, size_levels = levels(d$size), size_reference = levels(d$size)[1],
                        notes = c("se = model-based SE from summary() (scaled by the dispersion for Gamma/quasi families)",
                                  "se_HC0/se_HC1 = sqrt(diag(sandwich::vcovHC(fit, type = 'HC0'/'HC1'))); HC1 = HC0 * n / (n - p)",
                                  "stat = t value (lm, Gamma, quasi*) or z value (binomial, poisson)",
                                  "dispersion = summary(fit)$dispersion (Pearson chi2 / df.residual for Gamma and quasi families, 1 for binomial/poisson)",
                                  "Gamma aic/loglik: R's Gamma()$aic uses dispersion = deviance / n"))),
  ols_log = a_block,
  gamma_log = glm_block(mb, 'glm(y_pos ~ x1 + x2 + size, family = Gamma(link = "log"), data = d)'),
  binomial = c_block,
  quasibinomial_grouped = cq_block,
  fractional_logit = glm_block(md, 'glm(share ~ x1 + x2 + size, family = quasibinomial(link = "logit"), data = d)'),
  poisson = glm_block(me, "glm(k ~ x1 + x2 + size, family = poisson, data = d)")
)
write_fixture(out, "glm_reference.json")
