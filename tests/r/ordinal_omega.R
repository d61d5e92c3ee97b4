## Ordinal omega (Green & Yang 2009) as semTools 0.5-6 computes it on WLSMV fits of lavaan 0.6-14,
## with the estimates it is computed from (so the Python test can feed lavaan's estimates in).
## Output: tests/r/results/ordinal_omega.json
## Data:   tests/r/data/hs_ordinal3.csv, hs_ordinal5.csv (written by ordinal_stage_one.R),
##         tests/r/data/bfi.csv (written by reliability_bfi.R), cfa_small_n_bundled.csv (the bundled run's
##         79 items, 262 firms, written by Python); all read only. The bundled case takes minutes.
source("tests/r/common.R")

HS3 <- read.csv(file.path(DATA_DIR, "hs_ordinal3.csv"))
HS5 <- read.csv(file.path(DATA_DIR, "hs_ordinal5.csv"))
B <- read.csv(file.path(DATA_DIR, "bfi.csv"))
hs_items <- paste0("x", 1:9)
bfi_items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5),
               paste0("O", 1:5))
hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
BUNDLED <- read.csv(file.path(DATA_DIR, "cfa_small_n_bundled.csv"))
bundled_items <- names(BUNDLED)
bundled_factors <- unique(sub("[0-9]+$", "", bundled_items))
## the measurement stage's joint CFA (its cfa_syntax): one factor per construct, items in file order
bundled_model <- paste(sapply(bundled_factors, function(f)
  paste0(f, " =~ ", paste(bundled_items[sub("[0-9]+$", "", bundled_items) == f], collapse = " + "))),
  collapse = "\n")
bfi_model <- paste(sapply(c("A", "C", "E", "N", "O"), function(s)
  paste0(s, " =~ ", paste0(s, 1:5, collapse = " + "))), collapse = "\n")

mat <- function(M) {
  M <- as.matrix(M)
  list(rows = rownames(M), cols = colnames(M), values = lapply(seq_len(nrow(M)), function(i) unname(M[i, ])))
}
vec <- function(v) list(names = names(v), values = unname(as.numeric(v)))

## one block (group) of a fit: the estimates omega is computed from and the sample polychoric matrix
block_record <- function(est, sampstat) {
  list(lambda = mat(est$lambda), theta = mat(est$theta), psi = mat(est$psi),
       tau = vec(est$tau[, "threshold"]), scales = vec(est$delta[, "scales"]),
       sample_cor = mat(sampstat$cov))
}

## reliability() rows of one block (a matrix, factors as columns) -> {row: {factor: value}}
rel_rows <- function(r, rows = c("omega", "omega2", "omega3")) {
  out <- lapply(rows, function(k) num_list(r[k, ]))
  names(out) <- rows
  out
}

## compRelSEM() of one block: a named vector (one group) or a data.frame row (group g)
comprel <- function(x, g = 1L) {
  if (is.data.frame(x)) {
    v <- unlist(x[g, setdiff(names(x), "group"), drop = TRUE])
    return(num_list(v))
  }
  num_list(x)
}

case <- function(model, data, ordered, ...) {
  fit <- cfa(model, data = data, ordered = ordered, estimator = "WLSMV", ...)
  stopifnot(lavInspect(fit, "converged"))
  ng <- lavInspect(fit, "ngroups")
  est <- lavInspect(fit, "est", drop.list.single.group = FALSE)
  ss <- lavInspect(fit, "sampstat", drop.list.single.group = FALSE)
  rel <- suppressWarnings(suppressMessages(semTools::reliability(fit)))
  if (ng == 1L) rel <- list(rel)
  cr_obs <- semTools::compRelSEM(fit)                     # default obs.var = TRUE: the sample polychorics
  cr_fit <- semTools::compRelSEM(fit, obs.var = FALSE)    # the model-implied polychorics
  groups <- lapply(seq_len(ng), function(g) c(
    block_record(est[[g]], ss[[g]]),
    list(reliability = rel_rows(rel[[g]]),
         compRelSEM = comprel(cr_obs, g), compRelSEM_fitted = comprel(cr_fit, g))))
  fm <- fitMeasures(fit)
  list(fit = num_list(fm[c("chisq", "df", "chisq.scaled", "df.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled",
                           "srmr", "ntotal")]),
       call = paste0("cfa(model, data, ordered = items, estimator = \"WLSMV\"",
                     if (length(list(...))) paste0(", ", paste(names(list(...)), "=", sapply(list(...), deparse),
                                                              collapse = ", ")) else "", ")"),
       model = model, ngroups = ng, groups = groups)
}

out <- list(
  meta = meta_info(list(mnormt = as.character(packageVersion("mnormt")),
                        note = paste("reliability(fit)['omega', ] = omegaCat(Lambda_f psi_ff Lambda_f',",
                                     "Lambda_f psi_ff Lambda_f' + Theta); 'omega2' the fitted polychorics;",
                                     "'omega3' and compRelSEM(fit) the sample polychorics;",
                                     "compRelSEM(fit, obs.var = FALSE) the fitted ones"))),
  cases = list(
    hs3 = case(hs_model, HS3, hs_items),
    hs5 = case(hs_model, HS5, hs_items),
    bfi = case(bfi_model, B, bfi_items, missing = "pairwise"),
    ## scaling factors free in group 2 (equal thresholds and loadings): omega with scales != 1
    hs3_school_scalar = case(hs_model, HS3, hs_items, group = "school",
                             group.equal = c("thresholds", "loadings")),
    ## the ordinal check of the bundled run (measurement.ordinal_check; data.missing fiml -> pairwise)
    bundled = case(bundled_model, BUNDLED, bundled_items, missing = "pairwise")
  )
)
write_fixture(out, "ordinal_omega.json")
