## Graded-response (normal-ogive) one-factor model by marginal ML: the reference for
## surveysem.propositions.item_scores.fit_graded_block (linearised category scores of P1-P3).
## lavaan 0.6-14 estimator = "MML" (Gauss-Hermite, integration.ngh = 21 by default) with
## std.lv = TRUE gives P(x <= c | f) = pnorm(tau_c - lambda f), f ~ N(0, 1): the same
## parameterisation as fit_graded_block.
source("tests/r/common.R")
set.seed(20261201)
n <- 300
f <- rnorm(n)
tau <- c(-2.1, -1.5, -0.9, -0.3, 0.35, 1.15)   # the synthetic survey's agreement-skewed cut points
lam <- c(0.85, 0.75, 0.65, 0.70)
items <- sapply(seq_along(lam), function(j) {
  ystar <- lam[j] * f + sqrt(1 - lam[j]^2) * rnorm(n)
  1 + findInterval(ystar, tau)
})
colnames(items) <- paste0("g", seq_along(lam))
write_data(as.data.frame(items), "graded_block.csv")
d <- read.csv(file.path(DATA_DIR, "graded_block.csv"))
fit <- cfa("f =~ g1 + g2 + g3 + g4", data = d, ordered = names(d), estimator = "MML", std.lv = TRUE)
pe <- parameterEstimates(fit)
out <- list(
  meta = meta_info(list(ngh = lavInspect(fit, "options")$integration.ngh)),
  converged = lavInspect(fit, "converged"),
  loadings = setNames(as.list(pe$est[pe$op == "=~"]), pe$rhs[pe$op == "=~"]),
  thresholds = lapply(split(pe$est[pe$op == "|"], pe$lhs[pe$op == "|"]), as.numeric),
  loglik = as.numeric(fit@optim$logl)
)
write_fixture(out, "graded_mml.json")
