"""Forms for vendors, intake, contacts and issuing assessments."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form
from ..helpers import opts


class VendorBaseForm(Form):
    name = StringField("Vendor name", validators=[DataRequired(), Length(max=200)])
    # The service checks the address (http/https only) and adds https:// when it is missing.
    website = StringField("Website", validators=[Optional(), Length(max=500)])
    services = TextAreaField(
        "AI products or services bought", validators=[Optional(), Length(max=5000)]
    )
    submit = SubmitField("Register vendor")


def vendor_form_class(intake_questions: list[dict], base=VendorBaseForm):
    """Build a vendor form with one required radio group per intake question."""

    class VendorForm(base):
        pass

    for q in intake_questions:
        choices = [(o["value"], o["label"]) for o in q["options"]]
        setattr(
            VendorForm,
            f"intake__{q['key']}",
            SelectField(
                q["text"],
                choices=opts([("", "Choose…"), *choices]),
                validators=[DataRequired(message="Choose an answer.")],
                description=q.get("help", ""),
            ),
        )
    return VendorForm


class ContactForm(Form):
    email = EmailField("Contact email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Contact name", validators=[Optional(), Length(max=200)])
    language = SelectField(
        "Language of the portal and emails",
        choices=opts(
            [
                ("", "Their browser's (English if not German or French)"),
                ("en", "English"),
                ("de", "Deutsch (German)"),
                ("fr", "Français (French)"),
            ]
        ),  # fmt: skip
        validators=[Optional()],
    )
    submit = SubmitField("Add contact and send invitation")


class IssueForm(Form):
    questionnaire = SelectField("Questionnaire", validators=[DataRequired()])
    due_date = DateField("Due date", validators=[DataRequired(message="Pick a due date.")])
    force = BooleanField("Issue even if some scored questions are not mapped to a control")
    confirm_duplicate = BooleanField("Issue even though one of this questionnaire is still open")
    submit = SubmitField("Issue assessment")


class CancelForm(Form):
    reason = StringField(
        "Reason", validators=[DataRequired(message="Say why it is cancelled."), Length(max=500)]
    )
    submit = SubmitField("Cancel assessment")
