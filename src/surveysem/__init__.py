"""surveysem: survey measurement and structural equation models for born-global research.

Importing the package pins BLAS/OpenMP to one thread before numpy loads: with default
threading two concurrent fits on two cores run about 100 times slower.
"""

import os as _os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
