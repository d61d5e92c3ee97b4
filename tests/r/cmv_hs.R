## Fixture 9: common-method-variance diagnostics on HolzingerSwineford1939 x1..x9.
## Output: tests/r/results/cmv_hs.json
## Data:   tests/r/data/hs.csv
source("tests/r/common.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))
X <- HS[, paste0("x", 1:9)]
R <- cor(X)
ev <- eigen(R)$values

f1 <- psych::fa(X, nfactors = 1, rotate = "none", fm = "ml")
pc1 <- psych::principal(X, nfactors = 1, rotate = "none")

## full collinearity VIF on factor mean scores
scores <- data.frame(
  visual = rowMeans(X[, c("x1", "x2", "x3")]),
  textual = rowMeans(X[, c("x4", "x5", "x6")]),
  speed = rowMeans(X[, c("x7", "x8", "x9")])
)
vif <- list(); r2 <- list()
for (v in names(scores)) {
  others <- setdiff(names(scores), v)
  m <- lm(reformulate(others, response = v), data = scores)
  r2[[v]] <- summary(m)$r.squared
  vif[[v]] <- 1 / (1 - r2[[v]])
}

out <- list(
  meta = meta_info(list(script = "tests/r/cmv_hs.R", data = "tests/r/data/hs.csv")),
  harman = list(
    first_pc_share = ev[1] / 9,
    first_eigenvalue = ev[1],
    eigenvalues = ev,
    principal_1_Vaccounted = matrix_rows(pc1$Vaccounted),
    fa1_ml_proportion_var = unname(f1$Vaccounted["Proportion Var", 1]),
    fa1_ml_ss_loadings = unname(f1$Vaccounted["SS loadings", 1]),
    fa1_ml_loadings = num_list(unclass(f1$loadings)[, 1]),
    fa1_call = "psych::fa(X, nfactors = 1, rotate = 'none', fm = 'ml')"
  ),
  full_collinearity = list(
    scores = "row means: visual = x1..x3, textual = x4..x6, speed = x7..x9",
    r_squared = r2, vif = vif,
    method = "lm(score_j ~ other scores); VIF = 1 / (1 - R^2)"
  )
)
write_fixture(out, "cmv_hs.json")
