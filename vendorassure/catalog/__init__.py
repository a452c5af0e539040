"""Pure questionnaire-library tools: validation, hashing and Excel/CSV round trip.

No Flask or SQLAlchemy here; only the standard library, PyYAML, pandas and the Excel engines.
"""

from ..scoring.vocabulary import EVIDENCE_KINDS
from .qtypes import OPTION_TYPES
from .rules import RATINGS
from .tabular import (
    FRAME_COLUMNS,
    ImportTable,
    questionnaire_to_frame,
    read_import_table,
    read_questionnaire_table,
    write_questionnaire_xlsx,
)
from .validate import (
    QUESTION_TYPES,
    ControlCatalog,
    Problem,
    content_hash,
    control_coverage,
    load_control_catalog,
    questionnaire_files,
    read_yaml,
    validate_library,
    validate_questionnaire,
)

__all__ = [
    "EVIDENCE_KINDS",
    "FRAME_COLUMNS",
    "ImportTable",
    "read_import_table",
    "OPTION_TYPES",
    "QUESTION_TYPES",
    "RATINGS",
    "ControlCatalog",
    "Problem",
    "content_hash",
    "control_coverage",
    "load_control_catalog",
    "questionnaire_files",
    "questionnaire_to_frame",
    "read_questionnaire_table",
    "read_yaml",
    "validate_library",
    "validate_questionnaire",
    "write_questionnaire_xlsx",
]
