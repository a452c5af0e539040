"""Forms of the supply-chain pages."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ...models import LINK_KINDS
from ...scoring.vocabulary import load_vocabulary
from ..forms import Form


def kind_choices() -> list[tuple[str, str]]:
    vocab = load_vocabulary()
    return [(k, vocab.label("link_kinds", k)) for k in LINK_KINDS]


class LinkForm(Form):
    upstream_vendor_id = SelectField("Upstream provider", coerce=int, validators=[DataRequired()])
    kind = SelectField("What it provides", validators=[DataRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    source_question = HiddenField()


class ChangeEventForm(Form):
    kind = SelectField("What changed", validators=[DataRequired()])
    description = TextAreaField(
        "Describe the change", validators=[DataRequired(), Length(max=5000)]
    )
    occurred_on = DateField("When did it happen?", validators=[Optional()])


def change_kind_choices() -> list[tuple[str, str]]:
    from ...models import CHANGE_KINDS

    vocab = load_vocabulary()
    return [(k, vocab.label("change_kinds", k)) for k in CHANGE_KINDS]


class WebhookForm(Form):
    url = StringField("Address (https://...)", validators=[DataRequired(), Length(max=500)])
    description = StringField("What it is for", validators=[Optional(), Length(max=200)])
    events = SelectMultipleField("Events to send", validators=[DataRequired()])


class PackageImportForm(Form):
    vendor_id = SelectField("Vendor it comes from", coerce=int, validators=[DataRequired()])
    package = FileField("Answer package (.vapkg.json)", validators=[FileRequired()])
    confirm_fingerprint = StringField("Key fingerprint you confirmed", validators=[Optional(),
                                      Length(max=200)])  # fmt: skip
