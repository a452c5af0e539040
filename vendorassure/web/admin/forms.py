"""Admin forms."""

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

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
    submit = SubmitField("Validate and load")
