"""SQLAlchemy models, one module per aggregate."""

from ._base import RATINGS
from .assessments import (
    OPEN_STATES,
    STATUSES,
    VENDOR_OPEN,
    Answer,
    Assessment,
    Comment,
    ControlScore,
    ObjectiveScore,
)
from .audit import AuditEvent
from .catalog import (
    Control,
    Crosswalk,
    ImportQuestion,
    Objective,
    Question,
    QuestionControl,
    Questionnaire,
    QuestionnaireImport,
)
from .chain import (
    CHANGE_KINDS,
    LINK_KINDS,
    ChangeEvent,
    PackageImport,
    PackageKey,
    SupplyLink,
    WebhookDelivery,
    WebhookEndpoint,
)
from .evidence import CERTIFICATE_KINDS, EVIDENCE_KINDS, Evidence, EvidenceLink
from .findings import FINDING_STATUSES, SEVERITIES, Finding
from .jobs import JOB_STATUSES, Job
from .notifications import (
    NOTIFICATION_KINDS,
    Campaign,
    Notification,
    NotificationPreference,
)
from .portfolio import Snapshot, TableGeneration
from .ratelimits import RateLimitCounter
from .reminders import REMINDER_STAGES, Reminder
from .users import ROLES, STAFF_ROLES, ApiToken, Invitation, PasswordReset, RecoveryCode, User
from .vendors import Vendor

__all__ = [
    "RATINGS",
    "OPEN_STATES",
    "STATUSES",
    "VENDOR_OPEN",
    "Answer",
    "Assessment",
    "Comment",
    "ControlScore",
    "ObjectiveScore",
    "AuditEvent",
    "CHANGE_KINDS",
    "LINK_KINDS",
    "ChangeEvent",
    "PackageImport",
    "PackageKey",
    "SupplyLink",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Control",
    "Crosswalk",
    "Objective",
    "Question",
    "QuestionControl",
    "Questionnaire",
    "QuestionnaireImport",
    "ImportQuestion",
    "CERTIFICATE_KINDS",
    "EVIDENCE_KINDS",
    "Evidence",
    "EvidenceLink",
    "NOTIFICATION_KINDS",
    "Campaign",
    "Notification",
    "NotificationPreference",
    "FINDING_STATUSES",
    "SEVERITIES",
    "Finding",
    "JOB_STATUSES",
    "Job",
    "Snapshot",
    "TableGeneration",
    "RateLimitCounter",
    "REMINDER_STAGES",
    "Reminder",
    "ROLES",
    "STAFF_ROLES",
    "ApiToken",
    "Invitation",
    "PasswordReset",
    "RecoveryCode",
    "User",
    "Vendor",
]
