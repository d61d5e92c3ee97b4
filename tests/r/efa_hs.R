## Fixture 8: EFA diagnostics on HolzingerSwineford1939 x1..x9.
## Output: tests/r/results/efa_hs.json
## Data:   tests/r/data/hs.csv (lavaan::HolzingerSwineford1939)
source("tests/r/common.R")
suppressPackageStartupMessages(library(GPArotation))

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))
X <- HS[, paste0("x", 1:9)]
R <- cor(X)
n <- nrow(X)

kmo <- psych::KMO(R)
bart <- psych::cortest.bartlett(R, n = n)
ev <- eigen(R)$values

options(mc.cores = 1)   # psych uses parallel::mclapply; serial => set.seed() is reproducible
set.seed(1)
pa <- psych::fa.parallel(X, fa = "fa", n.iter = 20, plot = FALSE)

fa_block <- function(f) {
  L <- unclass(f$loadings)
  list(
    loadings = matrix_rows(L),
    factor_names = colnames(L),
    Phi = if (is.null(f$Phi)) NULL else matrix_rows(f$Phi),
    communalities = num_list(f$communality),
    uniquenesses = num_list(f$uniquenesses),
    Vaccounted = matrix_rows(f$Vaccounted),
    rotation = f$rotation, fm = f$fm,
    objective = f$objective, STATISTIC = f$STATISTIC, dof = f$dof, PVAL = f$PVAL,
    RMSEA = num_list(f$RMSEA), TLI = f$TLI, BIC = f$BIC,
    e_values = f$e.values, values = f$values,
    note = "factor columns are psych's output order (sorted by variance accounted for); match Python factors by loadings, up to sign/order"
  )
}

fa_ml <- psych::fa(X, nfactors = 3, fm = "ml", rotate = "oblimin")
fa_minres <- psych::fa(X, nfactors = 3, fm = "minres", rotate = "oblimin")
## also the unrotated solutions (no rotation ambiguity)
fa_ml_none <- psych::fa(X, nfactors = 3, fm = "ml", rotate = "none")
fa_minres_none <- psych::fa(X, nfactors = 3, fm = "minres", rotate = "none")

out <- list(
  meta = meta_info(list(script = "tests/r/efa_hs.R", data = "tests/r/data/hs.csv", n = n)),
  items = colnames(X),
  kmo = list(MSA = kmo$MSA, MSAi = num_list(kmo$MSAi)),
  bartlett = list(chisq = bart$chisq, p_value = bart$p.value, df = bart$df,
                  call = "psych::cortest.bartlett(cor(X), n = 301)"),
  eigenvalues = ev,
  parallel = list(call = "options(mc.cores = 1); set.seed(1); psych::fa.parallel(X, fa = 'fa', n.iter = 20, plot = FALSE)",
                  defaults = list(fm = "minres", quant = 0.95, SMC = FALSE, sim = TRUE, cor = "cor", use = "pairwise"),
                  nfact = pa$nfact, ncomp = if (is.null(pa$ncomp) || is.na(pa$ncomp)) NA else pa$ncomp,
                  fa_values = pa$fa.values,
                  fa_sim = pa$fa.sim,
                  fa_simr = if (is.null(pa$fa.simr)) NA else pa$fa.simr,
                  note = "random; Python need only reproduce nfact approximately"),
  fa_ml_oblimin = c(list(call = "psych::fa(X, nfactors = 3, fm = 'ml', rotate = 'oblimin')"), fa_block(fa_ml)),
  fa_minres_oblimin = c(list(call = "psych::fa(X, nfactors = 3, fm = 'minres', rotate = 'oblimin')"), fa_block(fa_minres)),
  fa_ml_unrotated = c(list(call = "psych::fa(X, nfactors = 3, fm = 'ml', rotate = 'none')"), fa_block(fa_ml_none)),
  fa_minres_unrotated = c(list(call = "psych::fa(X, nfactors = 3, fm = 'minres', rotate = 'none')"), fa_block(fa_minres_none))
)
write_fixture(out, "efa_hs.json")
