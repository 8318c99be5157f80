"""Match resident questions to FAQ entries: a pure, typed Japanese retrieval library."""
from .decide import DEFAULT_THRESHOLDS, Thresholds
from .matcher import Matcher
from .model import Candidate, Decision, Document

__all__ = ["Candidate", "Decision", "Document", "Matcher", "Thresholds", "DEFAULT_THRESHOLDS"]
