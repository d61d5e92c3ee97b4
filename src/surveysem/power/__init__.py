"""The power stage: Monte Carlo power and sample size of the hypotheses, from the simulate: population."""
