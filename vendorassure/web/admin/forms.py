"""Admin forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..helpers import opts


class UserCreateForm(FlaskForm):
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


class ReloadForm(FlaskForm):
    submit = SubmitField("Reload library from questionnaires/")
