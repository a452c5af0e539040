"""Forms of the review area."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..helpers import opts


class VerifyForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=opts([("accepted", "Accept"), ("rejected", "Reject")]),
        validators=[DataRequired(message="Choose accept or reject.")],
    )
    note = StringField("Note", validators=[Optional(), Length(max=2000)])
    scope_covers_service = BooleanField("Scope covers the assessed service")
    accredited = BooleanField("Certification body is accredited")
    submit = SubmitField("Record")


class DecisionForm(FlaskForm):
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
    submit = SubmitField("Record decision")


class StartForm(FlaskForm):
    submit = SubmitField("Start review")
