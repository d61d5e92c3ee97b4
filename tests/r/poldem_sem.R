## Fixture 4: PoliticalDemocracy SEM (lavaan tutorial model), ML and MLR.
## Output: tests/r/results/poldem_sem.json
## Data:   tests/r/data/poldem.csv (lavaan::PoliticalDemocracy, 75 rows, no id column)
source("tests/r/common.R")

PD <- lavaan::PoliticalDemocracy
write_data(PD, "poldem.csv")

model <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8"

fit_ml <- sem(model, data = PD, estimator = "ML")
fit_mlr <- sem(model, data = PD, estimator = "MLR")

out <- list(
  meta = meta_info(list(script = "tests/r/poldem_sem.R", data = "tests/r/data/poldem.csv")),
  ml = c(model_block(fit_ml, model, 'sem(model, data = PoliticalDemocracy, estimator = "ML")'),
         list(rsquare = num_list(lavInspect(fit_ml, "rsquare")))),
  mlr = c(model_block(fit_mlr, model, 'sem(model, data = PoliticalDemocracy, estimator = "MLR")'),
          list(rsquare = num_list(lavInspect(fit_mlr, "rsquare"))))
)
write_fixture(out, "poldem_sem.json")
