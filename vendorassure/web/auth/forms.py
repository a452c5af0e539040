"""Forms for signing in (password, second factor), resetting a password and invitations."""

from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import Form


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Sign in")


class MfaCodeForm(Form):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )
    submit = SubmitField("Verify")


class MfaSetupForm(Form):
    code = StringField(
        "6-digit code shown in the app",
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Turn on two-step sign-in")


class PasswordForgotForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Email me a link")


class NewPasswordMixin:
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )


class PasswordResetForm(NewPasswordMixin, Form):
    submit = SubmitField("Set the new password")


class InvitationAcceptForm(Form):
    name = StringField("Your name", validators=[Length(max=200)])
    password = PasswordField("Choose a password", validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )
    submit = SubmitField("Set password and continue")
