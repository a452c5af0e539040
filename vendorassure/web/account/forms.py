"""Forms for the profile page: name, password, two-step sign-in and API tokens."""

from wtforms import IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..auth.forms import MfaSetupForm, NewPasswordMixin
from ..forms import Form

__all__ = ["MfaSetupForm", "PasswordChangeForm", "ProfileForm", "ApiTokenForm", "ConfirmForm"]


class ProfileForm(Form):
    name = StringField("Your name", validators=[Length(max=200)])
    submit = SubmitField("Save name")


class PasswordChangeForm(NewPasswordMixin, Form):
    current_password = PasswordField("Current password", validators=[Length(max=1000)])
    submit = SubmitField("Change password")


class ApiTokenForm(Form):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
    expires_in_days = IntegerField(
        "Expires after (days)",
        validators=[Optional(), NumberRange(min=1, max=366, message="1 to 366 days.")],
    )
    password = PasswordField("Confirm your password", validators=[Length(max=1000)])
    submit = SubmitField("Create token")


class ConfirmForm(Form):
    """A button that only needs the CSRF token."""

    submit = SubmitField("Confirm")
