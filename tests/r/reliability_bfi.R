## Fixture 7: scale reliability on psych::bfi (Big Five, 2800 rows, items 1..6 with NA).
## Output: tests/r/results/reliability_bfi.json
## Data:   tests/r/data/bfi.csv = psych::bfi with a leading row id column `id` (1..2800; rownames in `rowname`)
source("tests/r/common.R")

data(bfi, package = "psych")
bfi_df <- data.frame(id = seq_len(nrow(bfi)), rowname = rownames(bfi), bfi, check.names = FALSE)
write_data(bfi_df, "bfi.csv")
B <- read.csv(file.path(DATA_DIR, "bfi.csv"))

scales <- list(
  A = list(items = paste0("A", 1:5), reverse = c("A1")),
  C = list(items = paste0("C", 1:5), reverse = c("C4", "C5")),
  E = list(items = paste0("E", 1:5), reverse = c("E1", "E2")),
  N = list(items = paste0("N", 1:5), reverse = character(0)),
  O = list(items = paste0("O", 1:5), reverse = c("O2", "O5"))
)

df_rows <- function(d, id_name = "item") {
  lapply(seq_len(nrow(d)), function(i) {
    r <- list()
    r[[id_name]] <- rownames(d)[i]
    for (cn in names(d)) {
      z <- d[i, cn]
      r[[cn]] <- if (is.na(z)) NA else as.numeric(z)
    }
    r
  })
}

## Feldt (1965) CI for coefficient alpha, as psych::alpha.ci computes it:
##   lower = 1 - (1 - alpha) * qf(1 - .05/2, n - 1, (n - 1) * (k - 1))
##   upper = 1 - (1 - alpha) * qf(.05/2,     n - 1, (n - 1) * (k - 1))
feldt_ci <- function(alpha, n, k, p = 0.05) {
  c(lower = 1 - (1 - alpha) * qf(1 - p / 2, n - 1, (n - 1) * (k - 1)),
    upper = 1 - (1 - alpha) * qf(p / 2, n - 1, (n - 1) * (k - 1)))
}

res <- list()
for (s in names(scales)) {
  it <- scales[[s]]$items
  rev <- scales[[s]]$reverse
  X <- B[, it]
  Xr <- X
  for (v in rev) Xr[[v]] <- 7 - Xr[[v]]   # 1..6 scale: reverse = 7 - x (same as psych: max + min - x)
  n_listwise <- sum(complete.cases(X))
  a <- if (length(rev)) psych::alpha(X, keys = rev) else psych::alpha(X)
  tot <- a$total
  fe_psych <- list(lower = as.numeric(a$feldt$lower.ci), alpha = as.numeric(a$feldt$alpha),
                   upper = as.numeric(a$feldt$upper.ci), n_used = nrow(X), k = length(it))
  fe_cc <- feldt_ci(tot$raw_alpha, n_listwise, length(it))
  ist <- a$item.stats
  ad <- a$alpha.drop
  d_raw <- psych::describe(X)
  d_rev <- psych::describe(Xr)
  om <- suppressWarnings(psych::omega(Xr, nfactors = 1, plot = FALSE))
  mod <- paste0(s, "_f =~ ", paste(it, collapse = " + "))
  cf <- cfa(mod, data = Xr, missing = "listwise")
  cr <- compRelSEM(cf)
  item_rows <- lapply(seq_along(it), function(j) {
    v <- it[j]
    list(item = v, reversed = v %in% rev,
         psych_label = rownames(ist)[j],
         n = ist$n[j], raw_r = ist$raw.r[j], std_r = ist$std.r[j],
         r_cor = ist$r.cor[j], r_drop = ist$r.drop[j],
         mean = ist$mean[j], sd = ist$sd[j],
         alpha_drop_raw_alpha = ad$raw_alpha[j], alpha_drop_std_alpha = ad$std.alpha[j],
         describe_raw = list(n = d_raw$n[j], mean = d_raw$mean[j], sd = d_raw$sd[j],
                             median = d_raw$median[j], min = d_raw$min[j], max = d_raw$max[j],
                             skew = d_raw$skew[j], kurtosis = d_raw$kurtosis[j], se = d_raw$se[j]),
         describe_reversed = list(mean = d_rev$mean[j], sd = d_rev$sd[j],
                                  skew = d_rev$skew[j], kurtosis = d_rev$kurtosis[j]),
         share_missing = mean(is.na(X[[v]])),
         n_missing = sum(is.na(X[[v]])))
  })
  res[[s]] <- list(
    items = it, reverse = rev,
    alpha_call = if (length(rev)) sprintf("psych::alpha(bfi[, items], keys = c(%s))", paste0('"', rev, '"', collapse = ", ")) else "psych::alpha(bfi[, items])",
    n_rows = nrow(X), n_listwise = n_listwise,
    raw_alpha = tot$raw_alpha, std_alpha = tot$std.alpha, G6_smc = tot[["G6(smc)"]],
    average_r = tot$average_r, S_N = tot[["S/N"]], ase = tot$ase,
    scale_mean = tot$mean, scale_sd = tot$sd, median_r = tot$median_r,
    duhachek_lower = tot$raw_alpha - qnorm(0.975) * tot$ase,
    duhachek_upper = tot$raw_alpha + qnorm(0.975) * tot$ase,
    feldt_psych = fe_psych,
    feldt_lower = unname(fe_cc["lower"]), feldt_upper = unname(fe_cc["upper"]),
    feldt_n = n_listwise,
    item_stats = item_rows,
    omega_psych = list(call = "psych::omega(items_reversed, nfactors = 1, plot = FALSE)  # fm = 'minres', pairwise correlations",
                       omega_tot = om$omega.tot, omega_h = om$omega_h, alpha = om$alpha),
    omega_lavaan = list(model = mod,
                        call = 'cfa(model, data = items_reversed, missing = "listwise"); semTools::compRelSEM(fit)',
                        n = lavInspect(cf, "nobs"),
                        compRelSEM = unname(unlist(cr)[1]),
                        loadings_std = num_list(standardizedSolution(cf)$est.std[standardizedSolution(cf)$op == "=~"]),
                        fit = fit_block(cf))
  )
  names(res[[s]]$omega_lavaan$loadings_std) <- it
}

out <- list(
  meta = meta_info(list(script = "tests/r/reliability_bfi.R", data = "tests/r/data/bfi.csv",
    notes = c("psych::alpha default use = 'pairwise'; item.stats/alpha.drop are for the reverse-keyed items (psych labels them with a trailing '-')",
              "feldt_psych: psych::alpha()$feldt, which uses n = nrow(items) (all rows, incl. incomplete ones)",
              "feldt_lower/feldt_upper: same Feldt formula with n = number of complete cases (feldt_n)",
              "duhachek: raw_alpha +/- qnorm(.975) * ase (psych's printed Duhachek bounds)",
              "describe: psych::describe type = 3 skew/kurtosis (psych default); describe_raw on the raw items, describe_reversed after 7 - x",
              "share_missing: mean(is.na(item)) over all 2800 rows"))),
  scales = res
)
write_fixture(out, "reliability_bfi.json")
