"""Deterministic, explainable scoring of ISO/IEC 42001-based AI-vendor assessments.

Pure Python (pandas for the batch path): no Flask, no database. Data in, data out.
"""

from .batch import score_frame
from .engine import score_assessment, visible_questions
from .model import (
    DEFAULT_MODEL_PATH,
    CertificateCredit,
    ModelError,
    ScoringModel,
    load_model,
    validate_model,
)
from .tiering import inherent_tier
from .types import (
    RATINGS,
    AnswerIn,
    CertificateIn,
    Condition,
    ControlDef,
    ControlRef,
    ControlResult,
    Knockout,
    OptionDef,
    QuestionDef,
    ScoreResult,
    ScoringInput,
    TierResult,
)

__all__ = [
    "DEFAULT_MODEL_PATH",
    "RATINGS",
    "AnswerIn",
    "CertificateCredit",
    "CertificateIn",
    "Condition",
    "ControlDef",
    "ControlRef",
    "ControlResult",
    "Knockout",
    "ModelError",
    "OptionDef",
    "QuestionDef",
    "ScoreResult",
    "ScoringInput",
    "ScoringModel",
    "TierResult",
    "inherent_tier",
    "load_model",
    "score_assessment",
    "score_frame",
    "validate_model",
    "visible_questions",
]
