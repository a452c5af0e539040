"""Forms for the profile page: name, password, two-step sign-in and API tokens."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..auth.forms import MfaSetupForm, NewPasswordMixin
from ..forms import Form
from ..helpers import opts

__all__ = ["MfaSetupForm", "PasswordChangeForm", "ProfileForm", "ApiTokenForm", "ConfirmForm"]


class ProfileForm(Form):
    name = StringField(_l("Your name"), validators=[Length(max=200)])
    language = SelectField(
        _l("Language"),
        choices=opts(
            [("", _l("My browser's")), ("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
        ),  # fmt: skip
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save"))


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
