## Fixture 5: second-order SEM like Proposition 4 (simulated data) + process-chain variant.
## Output: tests/r/results/second_order_sem.json
## Data:   tests/r/data/second_order_sem.csv (simulated here: set.seed(20241122); simulateData(pop_model, sample.nobs = 400))
source("tests/r/common.R")

## Population model: every variable in a unit-variance metric.
## First-order factors F1..F6, 3 indicators each (loadings 0.6-0.8, residual var = 1 - l^2);
## second-order SEN (F1,F2), SEI (F3,F4), REC (F5,F6), variance 1, correlated 0.4;
## first-order disturbances 1 - l2^2; outcome GRO (g1..g3) regressed on the second-order factors.
pop_model <- "
F1 =~ 0.7*f1_1 + 0.8*f1_2 + 0.6*f1_3
F2 =~ 0.8*f2_1 + 0.7*f2_2 + 0.6*f2_3
F3 =~ 0.6*f3_1 + 0.7*f3_2 + 0.8*f3_3
F4 =~ 0.7*f4_1 + 0.7*f4_2 + 0.8*f4_3
F5 =~ 0.8*f5_1 + 0.6*f5_2 + 0.7*f5_3
F6 =~ 0.6*f6_1 + 0.8*f6_2 + 0.7*f6_3
GRO =~ 0.75*g1 + 0.7*g2 + 0.8*g3

SEN =~ 0.8*F1 + 0.7*F2
SEI =~ 0.75*F3 + 0.8*F4
REC =~ 0.7*F5 + 0.8*F6

GRO ~ 0.3*SEN + 0.2*SEI + 0.25*REC

SEN ~~ 1*SEN
SEI ~~ 1*SEI
REC ~~ 1*REC
SEN ~~ 0.4*SEI
SEN ~~ 0.4*REC
SEI ~~ 0.4*REC

F1 ~~ 0.36*F1
F2 ~~ 0.51*F2
F3 ~~ 0.4375*F3
F4 ~~ 0.36*F4
F5 ~~ 0.51*F5
F6 ~~ 0.36*F6
GRO ~~ 0.6595*GRO

f1_1 ~~ 0.51*f1_1
f1_2 ~~ 0.36*f1_2
f1_3 ~~ 0.64*f1_3
f2_1 ~~ 0.36*f2_1
f2_2 ~~ 0.51*f2_2
f2_3 ~~ 0.64*f2_3
f3_1 ~~ 0.64*f3_1
f3_2 ~~ 0.51*f3_2
f3_3 ~~ 0.36*f3_3
f4_1 ~~ 0.51*f4_1
f4_2 ~~ 0.51*f4_2
f4_3 ~~ 0.36*f4_3
f5_1 ~~ 0.36*f5_1
f5_2 ~~ 0.64*f5_2
f5_3 ~~ 0.51*f5_3
f6_1 ~~ 0.64*f6_1
f6_2 ~~ 0.36*f6_2
f6_3 ~~ 0.51*f6_3
g1 ~~ 0.4375*g1
g2 ~~ 0.51*g2
g3 ~~ 0.36*g3
"

set.seed(20241122)
dat <- simulateData(pop_model, sample.nobs = 400)
dat <- as.data.frame(dat)
## round-trip through the CSV so R fits exactly the numbers Python will read
write_data(dat, "second_order_sem.csv")
dat <- read.csv(file.path(DATA_DIR, "second_order_sem.csv"))

model <- "
F1 =~ f1_1 + f1_2 + f1_3
F2 =~ f2_1 + f2_2 + f2_3
F3 =~ f3_1 + f3_2 + f3_3
F4 =~ f4_1 + f4_2 + f4_3
F5 =~ f5_1 + f5_2 + f5_3
F6 =~ f6_1 + f6_2 + f6_3
GRO =~ g1 + g2 + g3
SEN =~ F1 + F2
SEI =~ F3 + F4
REC =~ F5 + F6
GRO ~ SEN + SEI + REC
"
fit <- sem(model, data = dat)

chain_model <- "
F1 =~ f1_1 + f1_2 + f1_3
F2 =~ f2_1 + f2_2 + f2_3
F3 =~ f3_1 + f3_2 + f3_3
F4 =~ f4_1 + f4_2 + f4_3
F5 =~ f5_1 + f5_2 + f5_3
F6 =~ f6_1 + f6_2 + f6_3
GRO =~ g1 + g2 + g3
SEN =~ F1 + F2
SEI =~ F3 + F4
REC =~ F5 + F6
SEI ~ a*SEN
REC ~ b*SEI
GRO ~ c*REC
ind := a*b*c
"
fit_chain <- sem(chain_model, data = dat)

std_rows <- function(f) {
  ss <- standardizedSolution(f)
  lapply(seq_len(nrow(ss)), function(i) {
    r <- list(lhs = ss$lhs[i], op = ss$op[i], rhs = ss$rhs[i],
              est_std = ss$est.std[i], se = ss$se[i], z = ss$z[i], pvalue = ss$pvalue[i],
              ci_lower = ss$ci.lower[i], ci_upper = ss$ci.upper[i])
    lapply(r, function(z) if (is.numeric(z) && (is.na(z) || !is.finite(z))) NA else z)
  })
}

out <- list(
  meta = meta_info(list(script = "tests/r/second_order_sem.R",
                        data = "tests/r/data/second_order_sem.csv",
                        seed = 20241122, sample_nobs = 400,
                        note = "data simulated with lavaan::simulateData(pop_model, sample.nobs = 400) after set.seed(20241122); models fitted on the CSV as re-read by read.csv")),
  population_model = pop_model,
  second_order = c(model_block(fit, model, "sem(model, data = dat)"),
                   list(standardized_solution = std_rows(fit),
                        rsquare = num_list(lavInspect(fit, "rsquare")))),
  chain = c(model_block(fit_chain, chain_model, "sem(chain_model, data = dat)"),
            list(standardized_solution = std_rows(fit_chain),
                 rsquare = num_list(lavInspect(fit_chain, "rsquare"))))
)
write_fixture(out, "second_order_sem.json")
