## Stage one of WLSMV (Muthén 1984) as lavaan 0.6-14 computes it: thresholds, polychoric
## correlations, their asymptotic covariance (Gamma, NACOV) and the DWLS weights (wls.v).
## Output: tests/r/results/ordinal_stage_one.json
## Data:   tests/r/data/hs_ordinal3.csv, hs_ordinal5.csv (HS x1-x9 cut, cut points below),
##         tests/r/data/hs_mixed.csv (x1-x6 cut in 3, x7-x9 continuous, holes in x2, x5),
##         tests/r/data/ordinal_zero_cell.csv (binary items with one empty 2x2 cell),
##         tests/r/data/bfi.csv (written by reliability_bfi.R), cfa_small_n_bundled.csv (Python)
source("tests/r/common.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))
items <- paste0("x", 1:9)

## Cut points: the sample quantiles of each item at fixed probabilities (type 7, R's default);
## category k = 1 + number of cut points below the value.
cut_items <- function(d, probs) {
  for (v in items) {
    cuts <- unname(quantile(d[[v]], probs = probs))
    d[[v]] <- findInterval(d[[v]], cuts, left.open = TRUE) + 1L
  }
  d
}
probs3 <- c(1 / 3, 2 / 3)
probs5 <- c(0.1, 0.3, 0.6, 0.85)
write_data(cut_items(HS[, c("id", "school", items)], probs3), "hs_ordinal3.csv")
write_data(cut_items(HS[, c("id", "school", items)], probs5), "hs_ordinal5.csv")

## binary items: y1, y2 with one empty cell (y1 = 2, y2 = 2), y3 a plain median split and
## y4 = y3 (two empty cells: lavaan sets rho = 1)
zc <- data.frame(id = HS$id,
                 y1 = as.integer(HS$x1 > quantile(HS$x1, 0.7)) + 1L,
                 y2 = as.integer(HS$x2 > quantile(HS$x2, 0.7)) + 1L,
                 y3 = as.integer(HS$x3 > median(HS$x3)) + 1L)
zc$y2[zc$y1 == 2L & zc$y2 == 2L] <- 1L
zc$y4 <- zc$y3
write_data(zc, "ordinal_zero_cell.csv")

## mixed: x1-x6 from hs_ordinal3.csv (3 categories), x7-x9 continuous as in hs.csv; 15 holes
## (seed 14) in x2 and x5 each (ordered; the continuous pairs stay complete)
h3 <- cut_items(HS[, c("id", "school", items)], probs3)
mixed <- cbind(h3[, c("id", "school", paste0("x", 1:6))], HS[, paste0("x", 7:9)])
set.seed(14)
for (v in c("x2", "x5")) mixed[[v]][sample(nrow(mixed), 15)] <- NA
write_data(mixed, "hs_mixed.csv")

HS3 <- read.csv(file.path(DATA_DIR, "hs_ordinal3.csv"))
MX <- read.csv(file.path(DATA_DIR, "hs_mixed.csv"))
HS5 <- read.csv(file.path(DATA_DIR, "hs_ordinal5.csv"))
ZC <- read.csv(file.path(DATA_DIR, "ordinal_zero_cell.csv"))
B <- read.csv(file.path(DATA_DIR, "bfi.csv"))
bfi_items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5),
               paste0("O", 1:5))

hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
bfi_model <- paste(sapply(c("A", "C", "E", "N", "O"), function(s)
  paste0(s, "f =~ ", paste0(s, 1:5, collapse = " + "))), collapse = "\n")

mat_list <- function(M) lapply(seq_len(nrow(M)), function(i) unname(as.numeric(M[i, ])))

lavcor_block <- function(d, ov, missing, ordered_items = ov) {
  th <- lavCor(d[, ov], ordered = ordered_items, output = "th", missing = missing)
  cr <- lavCor(d[, ov], ordered = ordered_items, output = "cor", missing = missing)
  list(th = num_list(th), th_names = names(th), cor = mat_list(cr))
}

group_block <- function(fit, g) {
  pick <- function(x) if (lavInspect(fit, "ngroups") > 1) x[[g]] else x
  ss <- pick(lavInspect(fit, "sampstat"))
  wobs <- pick(lavInspect(fit, "wls.obs"))
  gam <- pick(lavInspect(fit, "gamma"))
  wv <- pick(lavInspect(fit, "wls.v"))
  off <- wv[row(wv) != col(wv)]
  list(nobs = lavInspect(fit, "nobs")[[g]],
       th = num_list(ss$th), th_names = names(ss$th), cov = mat_list(ss$cov),
       mean = if (is.null(ss$mean)) NA else num_list(ss$mean),
       ov_names = colnames(ss$cov),
       wls_obs = unname(as.numeric(wobs)),
       gamma = mat_list(gam),
       wls_v_diag = unname(diag(wv)),
       wls_v_offdiag_max_abs = if (length(off)) max(abs(off)) else 0)
}

fit_case <- function(d, ov, model, missing, group = NULL, lavcor = TRUE, ordered_items = ov) {
  fit <- cfa(model, data = d, ordered = ordered_items, estimator = "WLSMV", missing = missing,
             group = group)
  o <- lavInspect(fit, "options")
  out <- list(ordered = ordered_items, variables = ov, missing = missing, group = if (is.null(group)) NA else group,
              group_labels = if (is.null(group)) NA else I(lavInspect(fit, "group.label")),
              zero_add = o$zero.add, zero_keep_margins = o$zero.keep.margins,
              gamma_n_minus_one = o$gamma.n.minus.one,
              groups = lapply(seq_len(lavInspect(fit, "ngroups")), function(g) group_block(fit, g)))
  if (lavcor) out$lavcor <- lavcor_block(d, ov, missing, ordered_items)
  out
}

res <- list(
  meta = meta_info(list(
    cut_probs_3 = probs3, cut_probs_5 = probs5,
    note = paste("gamma = lavInspect(fit, 'gamma') (NACOV = muthen1984 WLS.W * nobs);",
                 "wls_v_diag = diag(lavInspect(fit, 'wls.v')) = 1 / diag(gamma);",
                 "wls_obs = thresholds then vech(cor, diagonal = FALSE) (column-wise lower triangle)"))),
  hs3 = fit_case(HS3, items, hs_model, "listwise"),
  hs5 = fit_case(HS5, items, hs_model, "listwise"),
  bfi = fit_case(B, bfi_items, bfi_model, "pairwise"),
  hs_mixed = fit_case(MX, items, hs_model, "pairwise", ordered_items = paste0("x", 1:6)),
  hs_mixed_school = fit_case(MX, items, hs_model, "pairwise", group = "school",
                             ordered_items = paste0("x", 1:6), lavcor = FALSE),
  hs3_school = fit_case(HS3, items, hs_model, "listwise", group = "school", lavcor = FALSE),
  zero_cell = c(list(table_y1_y2 = mat_list(table(ZC$y1, ZC$y2)),
                     table_y3_y4 = mat_list(table(ZC$y3, ZC$y4))),
                fit_case(ZC, paste0("y", 1:4), "f =~ y1 + y2 + y3 + y4", "listwise"))
)
## the bundled run's 79 items (7 categories, 262 firms, missing answers; every one of the 3,081
## bivariate tables has empty cells): stage one only (do.fit = FALSE, the statistics do not depend
## on the model), with parts of Gamma to keep the fixture small
BU <- read.csv(file.path(DATA_DIR, "cfa_small_n_bundled.csv"))
bu_fit <- suppressWarnings(cfa(paste0("f =~ ", paste(names(BU), collapse = " + ")), data = BU,
                               ordered = names(BU), estimator = "WLSMV", missing = "pairwise",
                               do.fit = FALSE))
bu_gamma <- lavInspect(bu_fit, "gamma")
res$bundled <- list(
  ordered = names(BU), missing = "pairwise", nobs = lavInspect(bu_fit, "nobs"),
  wls_obs = unname(as.numeric(lavInspect(bu_fit, "wls.obs"))),
  gamma_diag = unname(diag(bu_gamma)),
  wls_v_diag = unname(diag(lavInspect(bu_fit, "wls.v"))),
  gamma_rows_1_120_cols_1_120 = mat_list(bu_gamma[1:120, 1:120]),
  gamma_rows_3000_3060_cols_1_40_and_3400_3440 = mat_list(bu_gamma[3000:3060, c(1:40, 3400:3440)]))
write_fixture(res, "ordinal_stage_one.json")
