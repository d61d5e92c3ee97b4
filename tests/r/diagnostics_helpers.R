## Helpers of the diagnostics fixtures (sem_diagnostics.R, sem_diagnostics_fiml.R): modindices()
## and lavTestScore() output as JSON-ready lists. Sourced after common.R.

## modindices() with its defaults (free.remove, na.remove), in lavaan's row order
mi_block <- function(fit) {
  mi <- modindices(fit)
  multi <- lavInspect(fit, "ngroups") > 1
  lapply(seq_len(nrow(mi)), function(i) {
    r <- list(lhs = mi$lhs[i], op = mi$op[i], rhs = mi$rhs[i])
    if (multi) r$group <- as.integer(mi$group[i])
    for (k in c("mi", "epc", "sepc.lv", "sepc.all", "sepc.nox")) {
      z <- mi[[k]][i]
      r[[gsub(".", "_", k, fixed = TRUE)]] <- if (is.na(z) || !is.finite(z)) NA else z
    }
    r
  })
}

## lavTestScore(): total test and univariate tests, one per "==" row of the parameter table
## (... goes to lavTestScore, e.g. warn = FALSE)
score_block <- function(fit, ...) {
  ts <- lavTestScore(fit, ...)
  pt <- parTable(fit)
  eq <- pt[pt$op == "==", ]
  # the rows each constraint ties, by their plabel
  where <- function(lab) {
    k <- which(pt$plabel == lab | (nchar(pt$label) > 0 & pt$label == lab & pt$op != "=="))[1]
    list(lhs = pt$lhs[k], op = pt$op[k], rhs = pt$rhs[k], group = as.integer(pt$group[k]))
  }
  list(
    total = list(X2 = ts$test$X2, df = ts$test$df, p_value = ts$test$p.value),
    uni = lapply(seq_len(nrow(ts$uni)), function(i) list(
      lhs = ts$uni$lhs[i], rhs = ts$uni$rhs[i],
      lhs_par = where(ts$uni$lhs[i]), rhs_par = where(ts$uni$rhs[i]),
      X2 = ts$uni$X2[i], df = ts$uni$df[i], p_value = ts$uni$p.value[i]))
  )
}
