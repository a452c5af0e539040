"""Deterministic, explainable scoring of ISO/IEC 42001-based AI-vendor assessments.

Pure Python (numpy and pandas): no Flask, no database. Data in, data out.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small matrices: BLAS threads only add contention
# ruff: noqa: E402

from .batch import FrameScores, score_frame
from .engine import score_assessment, score_many, visible_questions
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
    CERTIFICATE_STATES,
    RATINGS,
    AnswerIn,
    CapHit,
    CertificateDecision,
    CertificateIn,
    Condition,
    ContradictionHit,
    ControlDef,
    ControlRef,
    ControlResult,
    Driver,
    Explanation,
    Knockout,
    ObjectiveResult,
    OptionDef,
    Plan,
    PlanStep,
    QuestionDef,
    RedFlagHit,
    ScoreResult,
    ScoringInput,
    TierResult,
    Trigger,
)

__all__ = [
    "CERTIFICATE_STATES",
    "DEFAULT_MODEL_PATH",
    "RATINGS",
    "AnswerIn",
    "CapHit",
    "CertificateDecision",
    "ContradictionHit",
    "Driver",
    "Explanation",
    "FrameScores",
    "ObjectiveResult",
    "Plan",
    "PlanStep",
    "RedFlagHit",
    "Trigger",
    "score_many",
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
