"""Admin forms."""

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import Form
from ..helpers import opts


class UserCreateForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField(
        "Role",
        choices=opts(
            [
                ("procurement", "Procurement"),
                ("risk", "Risk"),
                ("admin", "Admin"),
                ("vendor", "Vendor"),
            ]
        ),
    )
    vendor_id = IntegerField("Vendor id (vendor users only)", validators=[Optional()])
    password = PasswordField(
        "Password (at least 10 characters)", validators=[DataRequired(), Length(min=10)]
    )
    submit = SubmitField("Create user")


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
