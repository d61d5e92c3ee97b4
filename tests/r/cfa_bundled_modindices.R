## Fixture: modification indices of the measurement stage's joint CFA on the bundled data, FIML
## (the numbers on the measurement page): modindices(fit) with lavaan 0.6-14's defaults
## (information = "expected": for missing = "ml" the structured expected information), the 50
## largest by mi as results/measurement/cfa_modindices.csv holds them.
## Output: tests/r/results/cfa_bundled_modindices.json
## Data:   tests/r/data/cfa_small_n_bundled.csv (the 79 items of the bundled run, see cfa_small_n_seeds.R);
##         the model is that file's `default` model (16 constructs as fielded).
source("tests/r/common.R")
source("tests/r/diagnostics_helpers.R")

scales <- list(PDC = 5, CCA = 5, EFT = 5, SOE = 5, ECP = 5, ODV = 5, TEC = 5, BMM = 5, CUS = 5,
               TOC = 5, ICO = 5, OIE_RSP = 6, OIE_IEM = 6, OIE_IOC = 4, OIE_CEN = 4, MARKER = 4)
model <- paste(sapply(names(scales), function(f)
  paste0(f, " =~ ", paste(paste0(f, seq_len(scales[[f]])), collapse = " + "))), collapse = "\n")
D <- read.csv(file.path(DATA_DIR, "cfa_small_n_bundled.csv"))
fit <- suppressWarnings(cfa(model, data = D, missing = "ml", estimator = "ML"))
mi <- mi_block(fit)
x <- vapply(mi, function(r) r$mi, numeric(1))
top <- mi[order(-x)[1:50]]
out <- list(
  meta = meta_info(list(script = "tests/r/cfa_bundled_modindices.R", data = "tests/r/data/cfa_small_n_bundled.csv")),
  syntax = model, call = 'cfa(model, data = D, missing = "ml", estimator = "ML"); modindices(fit)',
  chisq = unname(fitMeasures(fit, "chisq")), n_rows = length(mi), top50 = top)
write_fixture(out, "cfa_bundled_modindices.json")
