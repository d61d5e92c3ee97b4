## lavaan side of bench/bench_fiml.py: a FIML CFA with the outputs a report needs, timed inside R
## (R start-up and library(lavaan) excluded; bench_fiml.py also times the whole Rscript process).
##
## Timed: read.csv, cfa(model, data, missing = "fiml") (lavaan's defaults: observed information,
## EM h1 model, baseline model), then fitMeasures() (all indices, with the FIML-corrected robust
## ones) and parameterEstimates(standardized = TRUE). "fit_seconds" is cfa() alone.
##
## Usage: Rscript bench/lavaan_fiml.R data.csv model.lav
## Prints one JSON line: timings, CPU seconds, fit measures and the estimates table.
t_start <- proc.time()
suppressPackageStartupMessages(library(lavaan))
suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
syntax <- paste(readLines(args[2]), collapse = "\n")
t_loaded <- proc.time()

t0 <- proc.time()
dat <- read.csv(args[1])
fit <- cfa(syntax, data = dat, missing = "fiml")
t1 <- proc.time()
fm <- fitMeasures(fit)
pe <- parameterEstimates(fit, standardized = TRUE)
t2 <- proc.time()

cpu <- function(t) t[["user.self"]] + t[["sys.self"]]
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  fit_seconds = (t1 - t0)[["elapsed"]],
  outputs_seconds = (t2 - t0)[["elapsed"]],
  outputs_cpu_seconds = cpu(t2 - t0),
  startup_seconds = (t_loaded - t_start)[["elapsed"]],
  converged = lavInspect(fit, "converged"),
  fit = as.list(unclass(fm)),
  estimates = pe[, c("lhs", "op", "rhs", "est", "se", "std.all")]
)
cat(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), "\n")
