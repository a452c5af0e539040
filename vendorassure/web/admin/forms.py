"""Admin forms."""

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..forms import Form
from ..helpers import opts

ROLE_CHOICES = [
    ("procurement", "Procurement"),
    ("risk", "Risk"),
    ("admin", "Admin"),
    ("vendor", "Vendor"),
]


class UserCreateForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=opts(ROLE_CHOICES))
    vendor = StringField(
        "Vendor (vendor users only)",
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "vendor-names", "autocomplete": "off"},
    )
    password = PasswordField(
        "Initial password (leave empty to email a vendor user an invitation)",
        validators=[Optional(), Length(max=1000)],
    )
    submit = SubmitField("Create user")


class UserEditForm(Form):
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=opts(ROLE_CHOICES))
    vendor = StringField(
        "Vendor (vendor users only)",
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "vendor-names", "autocomplete": "off"},
    )
    submit = SubmitField("Save changes")


class ConfirmForm(Form):
    submit = SubmitField("Confirm")


class ReloadForm(Form):
    submit = SubmitField("Reload library from questionnaires/")


class QuestionnaireUploadForm(Form):
    file = FileField(
        "Questionnaire file (.yaml, .xlsx or .csv)",
        validators=[
            FileRequired("Choose a file."),
            FileAllowed(["yaml", "yml", "xlsx", "csv"], "Upload a .yaml, .xlsx or .csv file."),
        ],
    )
    key = StringField(
        "Questionnaire key",
        validators=[
            Optional(),
            Length(max=100),
            Regexp(r"^[a-z0-9][a-z0-9_-]*$", message="Use a-z, 0-9, - and _."),
        ],
    )
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    map = SelectField(
        "Mapping onto Annex A (industry spreadsheets)",
        choices=opts(
            [
                ("suggest", "Suggest controls, then review before publishing"),
                ("accept-above", "Accept suggestions at or above the threshold and publish"),
                ("none", "Use only the file's own mapping column"),
            ]
        ),
        default="suggest",
    )
    threshold = DecimalField(
        "Confidence threshold",
        default=0.6,
        places=2,
        validators=[Optional(), NumberRange(min=0.01, max=1, message="Between 0.01 and 1.")],
    )
    submit = SubmitField("Validate and load")


def _threshold_field():
    return DecimalField(
        "Accept suggestions at or above",
        default=0.6,
        places=2,
        validators=[DataRequired("Give a threshold."), NumberRange(min=0.01, max=1)],
    )


class ImportAcceptForm(Form):
    threshold = _threshold_field()
    submit = SubmitField("Accept")


class ImportDecisionForm(Form):
    controls = SelectMultipleField("Controls", choices=[], validate_choice=True)
    other = StringField("Other controls", validators=[Optional(), Length(max=200)])
    save = SubmitField("Save mapping")
    drop = SubmitField("No control")


class ImportPublishForm(Form):
    leave_rest_unmapped = BooleanField("Leave the questions still to review unmapped")
    submit = SubmitField("Publish as a new version")


class ImportDiscardForm(Form):
    submit = SubmitField("Discard this import")
