"""The base of every web form: one-line text fields refuse line breaks, whole numbers stay in
the range a database id can hold."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from ..validation import LINE_MESSAGE, MAX_INT, has_control_chars


def _one_line(form, field) -> None:
    if isinstance(field.data, str) and has_control_chars(field.data, multiline=False):
        raise ValidationError(LINE_MESSAGE)


class Form(FlaskForm):
    """FlaskForm with the shared input rules added to every field of the matching type."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            # The request-wide check (web.helpers) already refuses NUL and other control
            # characters; single-line inputs also refuse CR/LF (names end up in mail headers).
            field_class = unbound_field.field_class
            extra = []
            if issubclass(field_class, StringField) and not issubclass(field_class, TextAreaField):
                extra.append(_one_line)
            if issubclass(field_class, IntegerField):
                extra.append(NumberRange(min=0, max=MAX_INT))
            if extra and len(unbound_field.args) < 2:  # validators given by keyword
                validators = list(unbound_field.kwargs.get("validators") or [])
                # A new list per bound field: the unbound field is shared by every instance.
                options = {**options, "validators": [*validators, *extra]}
            return super().bind_field(form, unbound_field, options)
