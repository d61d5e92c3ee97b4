## Fixture 3: measurement invariance of the HS three-factor CFA across school.
## Output: tests/r/results/hs_invariance_school.json
## Data:   tests/r/data/hs.csv (written by hs_cfa.R; identical to lavaan::HolzingerSwineford1939)
source("tests/r/common.R")

HS <- lavaan::HolzingerSwineford1939
write_data(HS, "hs.csv")

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

configural <- cfa(model, data = HS, group = "school")
metric <- cfa(model, data = HS, group = "school", group.equal = "loadings")
scalar <- cfa(model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))

lrt <- lavTestLRT(configural, metric, scalar)
lrt_df <- as.data.frame(lrt)
lrt_rows <- lapply(seq_len(nrow(lrt_df)), function(i) {
  r <- list(model = rownames(lrt_df)[i])
  for (cn in names(lrt_df)) {
    z <- lrt_df[i, cn]
    r[[cn]] <- if (is.na(z)) NA else as.numeric(z)
  }
  r
})

fm <- function(f, k) unname(fitMeasures(f)[k])
deltas <- list(
  metric_minus_configural = list(
    cfi = fm(metric, "cfi") - fm(configural, "cfi"),
    rmsea = fm(metric, "rmsea") - fm(configural, "rmsea"),
    srmr = fm(metric, "srmr") - fm(configural, "srmr")),
  scalar_minus_metric = list(
    cfi = fm(scalar, "cfi") - fm(metric, "cfi"),
    rmsea = fm(scalar, "rmsea") - fm(metric, "rmsea"),
    srmr = fm(scalar, "srmr") - fm(metric, "srmr"))
)

out <- list(
  meta = meta_info(list(script = "tests/r/hs_invariance.R", data = "tests/r/data/hs.csv",
                        group_labels = lavInspect(configural, "group.label"),
                        note = "group index 1 = first level of lavInspect(fit,'group.label'), i.e. order of appearance in data")),
  group = "school",
  group_labels = lavInspect(configural, "group.label"),
  models = list(
    configural = model_block(configural, model, 'cfa(model, data = HS, group = "school")'),
    metric = model_block(metric, model, 'cfa(model, data = HS, group = "school", group.equal = "loadings")'),
    scalar = model_block(scalar, model, 'cfa(model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))')
  ),
  lrt_call = "lavTestLRT(configural, metric, scalar)  # default method for ML: standard chi-square difference",
  lrt_columns = names(lrt_df),
  lrt = lrt_rows,
  deltas = deltas
)
write_fixture(out, "hs_invariance_school.json")
