"""The benchmarks: each module prints its own table; run one from the repository's root as
`python -m benchmarks.<name>` (benchmarks/README.md says what each measures and records the
results).

Every benchmark measures one core with BLAS single-threaded. OpenBLAS reads its thread count
once, when numpy loads, so the switch is made here, in the package's import, which Python runs
before a benchmark module's own imports (numpy among them); `benchmarks.timing` holds the rest
of what the timing benchmarks share.
"""

import os

from benchmarks.timing import ONE_BLAS_THREAD

os.environ.update(ONE_BLAS_THREAD)
