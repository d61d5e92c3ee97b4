## lavaan side of bench/bench_ordinal.py: stage one of WLSMV on one CSV of ordered items.
## Usage: Rscript bench/lavaan_ordinal.R data.csv missing   (missing = listwise | pairwise)
## Prints one JSON line: seconds of lavCor(output = "cor") and of the WLSMV sample statistics
## (lavaan(..., estimator = "WLSMV", do.fit = FALSE): thresholds, correlations, Gamma, W).
suppressPackageStartupMessages({ library(lavaan); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); miss <- args[2]; ov <- names(d)
t0 <- proc.time()[["elapsed"]]
cr <- lavCor(d, ordered = ov, output = "cor", missing = miss)
t1 <- proc.time()[["elapsed"]]
model <- paste0("f =~ ", paste(ov, collapse = " + "))
fit <- suppressWarnings(lavaan::cfa(model, data = d, ordered = ov, estimator = "WLSMV",
                                    missing = miss, do.fit = FALSE))
t2 <- proc.time()[["elapsed"]]
g <- lavInspect(fit, "gamma")
cat(toJSON(list(lavcor = t1 - t0, wlsmv_stage_one = t2 - t1, n_stats = nrow(g)), auto_unbox = TRUE), "\n")
