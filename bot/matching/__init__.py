"""Match resident questions to FAQ entries: a pure, typed Japanese retrieval library."""
import os

# Matching does one small matrix product per question. OpenBLAS would run it on a pool of threads that
# spin for a while after every call: under load they burned three times the CPU of the matching itself,
# in every worker. One thread per process is what a gunicorn worker wants. This must run before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .decide import DEFAULT_THRESHOLDS, Thresholds
from .matcher import Matcher
from .model import Candidate, Decision, Document

__all__ = ["Candidate", "Decision", "Document", "Matcher", "Thresholds", "DEFAULT_THRESHOLDS"]
