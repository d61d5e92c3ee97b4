## Fixture: partial measurement invariance of the HS three-factor CFA across school.
## lavaan's group.equal respects user labels (lav_partable_labels: user labels override the
## group.equal labels) and group.partial frees the named parameters from group.equal.
## Output: tests/r/results/hs_partial_invariance.json
## Data:   tests/r/data/hs.csv (written by hs_invariance.R; identical to lavaan::HolzingerSwineford1939)
source("tests/r/common.R")

HS <- read.csv(file.path(DATA_DIR, "hs.csv"))

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
labelled <- "visual =~ x1 + x2 + c(l3a,l3b)*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

metric_labels <- cfa(labelled, data = HS, group = "school", group.equal = "loadings")
metric_partial <- cfa(model, data = HS, group = "school", group.equal = "loadings",
                      group.partial = c("visual=~x3"))
scalar_partial <- cfa(model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
                      group.partial = c("x3~1"))

out <- list(
  meta = meta_info(list(script = "tests/r/hs_partial_invariance.R", data = "tests/r/data/hs.csv",
                        group_labels = lavInspect(metric_partial, "group.label"),
                        note = "group index 1 = first level of lavInspect(fit,'group.label'), i.e. order of appearance in data")),
  group = "school",
  group_labels = lavInspect(metric_partial, "group.label"),
  models = list(
    metric_labels = model_block(metric_labels, labelled,
      'cfa(labelled, data = HS, group = "school", group.equal = "loadings")',
      list(group_equal = I("loadings"), group_partial = I(character(0)))),
    metric_partial = model_block(metric_partial, model,
      'cfa(model, data = HS, group = "school", group.equal = "loadings", group.partial = c("visual=~x3"))',
      list(group_equal = I("loadings"), group_partial = I("visual=~x3"))),
    scalar_partial = model_block(scalar_partial, model,
      'cfa(model, data = HS, group = "school", group.equal = c("loadings", "intercepts"), group.partial = c("x3~1"))',
      list(group_equal = I(c("loadings", "intercepts")), group_partial = I("x3~1")))
  )
)
write_fixture(out, "hs_partial_invariance.json")
