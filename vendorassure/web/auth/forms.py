"""Forms for signing in and accepting an invitation."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Sign in")


class InvitationAcceptForm(FlaskForm):
    name = StringField("Your name", validators=[Length(max=200)])
    password = PasswordField(
        "Choose a password", validators=[DataRequired(), Length(min=10, max=200)]
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )
    submit = SubmitField("Set password and continue")


class ApiTokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
    password = PasswordField("Confirm your password", validators=[DataRequired()])
    submit = SubmitField("Create token")
