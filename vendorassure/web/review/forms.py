"""Forms of the review area."""

from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ...models import FINDING_STATUSES, SEVERITIES
from ...models.findings import FINDING_STATUS_LABELS
from ..forms import Form
from ..helpers import opts

SEVERITY_CHOICES = [(s, s.capitalize()) for s in SEVERITIES]
STATUS_CHOICES = [(s, FINDING_STATUS_LABELS[s]) for s in FINDING_STATUSES if s != "withdrawn"]


class VerifyForm(Form):
    decision = RadioField(
        "Decision",
        choices=opts([("accepted", "Accept"), ("rejected", "Reject")]),
        validators=[DataRequired(message="Choose accept or reject.")],
    )
    note = StringField("Note", validators=[Optional(), Length(max=2000)])
    scope_covers_service = BooleanField("Scope covers the assessed service")
    accredited = BooleanField("Certification body is accredited")
    suspended = BooleanField("Suspended or withdrawn in the certification body's register")
    submit = SubmitField("Record")


class DecisionForm(Form):
    decision = RadioField(
        "Decision",
        choices=opts(
            [
                ("complete", "Complete the review"),
                ("request_changes", "Send back to the vendor"),
            ]
        ),
        validators=[DataRequired(message="Choose a decision.")],
    )
    note = TextAreaField(
        "Note (required when sending back: what must change)",
        validators=[Optional(), Length(max=5000)],
    )
    include_flagged = BooleanField("Add the flagged answers and their notes as points")
    override_rating = SelectField(
        "Override the rating (optional)",
        choices=opts(
            [
                ("", "Keep the computed rating"),
                ("low", "Low"),
                ("medium", "Medium"),
                ("high", "High"),
                ("critical", "Critical"),
            ]
        ),
        validators=[Optional()],
    )
    override_reason = TextAreaField(
        "Reason for the override", validators=[Optional(), Length(max=5000)]
    )
    proposed = SelectField(
        "Proposed findings not yet decided",
        choices=opts(
            [
                ("", "I decide them first"),
                ("open", "Open all of them"),
                ("dismiss", "Dismiss all of them (give the reason)"),
            ]
        ),
        validators=[Optional()],
    )
    dismiss_reason = StringField(
        "Reason for dismissing them", validators=[Optional(), Length(max=5000)]
    )
    submit = SubmitField("Record decision")


class FindingBulkForm(Form):
    action = SelectField(
        "With the chosen findings",
        choices=opts(
            [
                ("open", "Open (confirm the proposals)"),
                ("dismiss", "Dismiss, with a reason"),
                ("assign", "Assign an owner"),
                ("due_date", "Set the due date"),
            ]
        ),
        validators=[DataRequired()],
    )
    reason = StringField("Reason (to dismiss)", validators=[Optional(), Length(max=5000)])
    owner_id = SelectField("Owner", validators=[Optional()])
    due_date = DateField("Due date", validators=[Optional()])
    submit = SubmitField("Apply")


class StartForm(Form):
    submit = SubmitField("Start review")


class AssignForm(Form):
    reviewer = SelectField("Reviewer", validators=[Optional()])
    submit = SubmitField("Assign")


class FlagForm(Form):
    state = SelectField(
        "Flag",
        choices=opts([("none", "No flag"), ("flagged", "Flagged"), ("accepted", "Checked")]),
        validators=[DataRequired()],
    )
    note = StringField("Internal note", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Save")


class ClarifyForm(Form):
    question = SelectField("About question (optional)", validators=[Optional()])
    body = TextAreaField(
        "What should the vendor clarify?", validators=[DataRequired(), Length(max=5000)]
    )
    submit = SubmitField("Send to the vendor")


class ProposeForm(Form):
    submit = SubmitField("Propose findings from the score")


class FindingCreateForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    severity = SelectField("Severity", choices=opts(SEVERITY_CHOICES), default="medium")
    control = SelectField("Annex A control", validators=[Optional()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=10000)])
    due_date = DateField("Due", validators=[Optional()])
    submit = SubmitField("Raise finding")


class FindingEditForm(Form):
    severity = SelectField("Severity", choices=opts(SEVERITY_CHOICES))
    owner_id = SelectField("Owner", validators=[Optional()])
    due_date = DateField("Due", validators=[Optional()])
    remediation = TextAreaField("Remediation", validators=[Optional(), Length(max=10000)])
    status = SelectField("Status", choices=opts(STATUS_CHOICES))
    acceptance_reason = TextAreaField(
        "Reason for accepting the risk", validators=[Optional(), Length(max=5000)]
    )
    accepted_until = DateField("Risk accepted until", validators=[Optional()])
    shared_with_vendor = BooleanField("Send to the vendor (it sees title, description, due date)")
    submit = SubmitField("Save finding")
