## WLSMV with ':=' definitions (lavaan 0.6-14): a chain of factors as P4's model (b), ordered
## indicators (x1-x6 cut at their terciles) and a factor of continuous indicators (x7-x9) at its
## end, with the indirect effect defined (delta-method SE, std.all from standardizedSolution).
## Output: tests/r/results/wlsmv_defined.json
## Data:   tests/r/data/hs_ordinal3.csv joined by id with x7-x9 of tests/r/data/hs.csv (read only)
source("tests/r/common.R")

hs <- read.csv(file.path(DATA_DIR, "hs.csv"))
hs3 <- read.csv(file.path(DATA_DIR, "hs_ordinal3.csv"))
stopifnot(identical(hs$id, hs3$id))
d <- cbind(hs3[, paste0("x", 1:6)], hs[, c("x7", "x8", "x9")])
syntax <- paste("visual =~ x1 + x2 + x3", "textual =~ x4 + x5 + x6", "speed =~ x7 + x8 + x9",
                "textual ~ a*visual", "speed ~ b*textual", "ind := a*b", "half := ind / 2", sep = "\n")
fit <- sem(syntax, data = d, ordered = paste0("x", 1:6), estimator = "WLSMV")
pe <- parameterEstimates(fit, ci = FALSE)
ss <- standardizedSolution(fit, type = "std.all")
keep <- pe$op %in% c("~", ":=")
rows <- lapply(which(keep), function(i) {
  j <- which(ss$lhs == pe$lhs[i] & ss$op == pe$op[i] & ss$rhs == pe$rhs[i])
  list(lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i], label = pe$label[i], est = pe$est[i], se = pe$se[i],
       z = pe$z[i], pvalue = pe$pvalue[i], std_all = ss$est.std[j])
})
out <- list(meta = meta_info(list(script = "tests/r/wlsmv_defined.R",
                                  data = c("tests/r/data/hs_ordinal3.csv", "tests/r/data/hs.csv"))),
            syntax = syntax, converged = lavInspect(fit, "converged"), estimates = rows,
            fit = num_list(fitMeasures(fit, c("chisq.scaled", "df", "cfi.scaled", "srmr"))))
write_fixture(out, "wlsmv_defined.json")
