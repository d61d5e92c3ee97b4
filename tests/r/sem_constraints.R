## Constraints and model options, lavaan 0.6-14, on the HS 3-factor CFA with labelled loadings.
## `constraints`: `==` between expressions of labels (linear and nonlinear; lavaan drops one
## parameter per equality: npar 20, df 25) and inequalities `<`, `>` (active and inactive; lavaan
## fits them by nlminb.constr or with bounds, leaves df as it is, and takes SEs from the
## information augmented by the Jacobian of the active constraints). `options`: orthogonal,
## meanstructure, auto.fix.first = FALSE (with fixed latent variances), std.lv. lavaan 0.6-14's
## cfa() and sem() reset auto.fix.first to TRUE whatever the user passes (`cfa_auto_fix_first`
## records it), so `auto_fix_first_false` is fitted by lavaan() with cfa()'s other auto.* settings,
## the semantics surveysem gives the option.
## Output: tests/r/results/sem_constraints.json
## Data:   tests/r/data/hs.csv (written by hs_cfa.R), tests/r/data/hs_missing.csv (hs_fiml.R),
##         tests/r/data/poldem.csv (poldem_sem.R)
source("tests/r/common.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))

labelled <- "visual =~ x1 + l2*x2 + l3*x3
textual =~ x4 + l5*x5 + l6*x6
speed =~ x7 + l8*x8 + l9*x9
"
plain <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
"

constraints <- list(
  eq_linear = "l2 == 2*l3",
  eq_sum = "l5 + l6 == 2",
  eq_product = "l8*l9 == l5",
  ineq_active = "l3 < l2",
  ineq_scaled_active = "l5 > 2*l6",
  ineq_inactive = "l2 > 0",
  bound_active = "l2 > 1",
  defined_active = "d := l5 - l6\nd > 0.5",
  eq_and_ineq = "l5 + l6 == 2\nl3 < l2"
)

con_records <- lapply(names(constraints), function(nm) {
  syntax <- paste0(labelled, constraints[[nm]], "\n")
  fit <- cfa(syntax, data = HS)
  model_block(fit, syntax, "cfa(model, data = HS)")
})
names(con_records) <- names(constraints)

## effect coding (the loadings of a factor average 1: lavaan merges `NA*x1 + a*x1`), FIML with a
## constraint (hs_missing.csv, missing = "ml"), and a constraint across groups (group = "school")
con_records$effect_coding <- local({
  syntax <- "visual =~ NA*x1 + a*x1 + b*x2 + c*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\na + b + c == 3\n"
  model_block(cfa(syntax, data = HS), syntax, "cfa(model, data = HS)")
})
HSM <- read.csv(file.path(DATA_DIR, "hs_missing.csv"))
con_records$fiml_eq_ineq <- local({
  syntax <- paste0(labelled, "l5 + l6 == 2\nl3 < l2\n")
  model_block(cfa(syntax, data = HSM, missing = "ml"), syntax, 'cfa(model, data = HS_missing, missing = "ml")')
})
con_records$multigroup_ineq <- local({
  syntax <- paste0("visual =~ x1 + c(l2a, l2b)*x2 + c(l3a, l3b)*x3\ntextual =~ x4 + x5 + x6\n",
                   "speed =~ x7 + x8 + x9\nl2a > l2b\nl3a + l3b == 2*l2b\n")
  model_block(cfa(syntax, data = HS, group = "school"), syntax, 'cfa(model, data = HS, group = "school")')
})

## PoliticalDemocracy tutorial SEM: indirect effect equal to the direct one (a*b == c), and b < 0.8
PD <- read.csv(file.path(DATA_DIR, "poldem.csv"))
pd_paths <- "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60\ndem65 ~ c*ind60 + b*dem60\ny1 ~~ y5\ny2 ~~ y4 + y6\ny3 ~~ y7\ny4 ~~ y8\ny6 ~~ y8\n"
## from lavaan's default start values nlminb.constr stops at a * b == c with a = -97 (chisq 185.5,
## negative latent variances, "converged"); started from the unconstrained fit it finds chisq 40.33
fit_pd_free <- sem(pd_paths, data = PD)
for (nm in c("poldem_indirect", "poldem_ineq")) {
  syntax <- paste0(pd_paths, if (nm == "poldem_indirect") "a*b == c\n" else "b < 0.8\n")
  con_records[[nm]] <- model_block(sem(syntax, data = PD, start = fit_pd_free), syntax,
                                   "sem(model, data = PoliticalDemocracy, start = <the fit without the constraint>)")
}
con_records$poldem_indirect$default_start_chisq <- fitMeasures(sem(paste0(pd_paths, "a*b == c\n"), data = PD), "chisq")[[1]]

## the same constraints with robust estimators (SEs and scaling from the constrained information)
robust_cases <- list(eq_linear_mlr = c("eq_linear", "MLR"), ineq_active_mlr = c("ineq_active", "MLR"),
                     eq_product_mlm = c("eq_product", "MLM"), ineq_active_mlm = c("ineq_active", "MLM"))
robust_records <- lapply(robust_cases, function(cs) {
  syntax <- paste0(labelled, constraints[[cs[1]]], "\n")
  fit <- cfa(syntax, data = HS, estimator = cs[2])
  model_block(fit, syntax, paste0('cfa(model, data = HS, estimator = "', cs[2], '")'))
})
robust_records$fiml_eq_ineq_mlr <- local({
  syntax <- paste0(labelled, "l5 + l6 == 2\nl3 < l2\n")
  model_block(cfa(syntax, data = HSM, missing = "ml", estimator = "MLR"), syntax,
              'cfa(model, data = HS_missing, missing = "ml", estimator = "MLR")')
})

opt_models <- list(
  orthogonal = list(syntax = plain, args = list(orthogonal = TRUE)),
  orthogonal_user_cov = list(syntax = paste0(plain, "visual ~~ textual\n"), args = list(orthogonal = TRUE)),
  meanstructure = list(syntax = plain, args = list(meanstructure = TRUE)),
  std_lv = list(syntax = plain, args = list(std.lv = TRUE))
)
opt_records <- lapply(names(opt_models), function(nm) {
  m <- opt_models[[nm]]
  fit <- do.call("cfa", c(list(model = m$syntax, data = quote(HS)), m$args))
  args_txt <- paste(names(m$args), "=", sapply(m$args, deparse), collapse = ", ")
  model_block(fit, m$syntax, paste0("cfa(model, data = HS, ", args_txt, ")"))
})
names(opt_records) <- names(opt_models)
fixed_var <- paste0(plain, "visual ~~ 1*visual\ntextual ~~ 1*textual\nspeed ~~ 1*speed\n")
fit_afl <- lavaan(fixed_var, data = HS, auto.fix.first = FALSE, int.ov.free = TRUE, int.lv.free = FALSE,
                  auto.fix.single = TRUE, auto.var = TRUE, auto.cov.lv.x = TRUE, auto.cov.y = TRUE,
                  auto.th = TRUE, auto.delta = TRUE, auto.efa = TRUE)
opt_records$auto_fix_first_false <- model_block(
  fit_afl, fixed_var, "lavaan(model, data = HS, auto.fix.first = FALSE, <the other auto.* settings of cfa()>)")
cfa_afl <- cfa(fixed_var, data = HS, auto.fix.first = FALSE)

out <- list(
  meta = meta_info(list(script = "tests/r/sem_constraints.R", data = "tests/r/data/hs.csv")),
  constraints = con_records,
  constraints_robust = robust_records,
  options = opt_records,
  cfa_auto_fix_first = lavInspect(cfa_afl, "options")$auto.fix.first
)
write_fixture(out, "sem_constraints.json")
