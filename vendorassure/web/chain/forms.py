"""Forms of the supply-chain pages."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ...models import LINK_KINDS
from ...scoring.vocabulary import load_vocabulary
from ..forms import Form


def kind_choices() -> list[tuple[str, str]]:
    vocab = load_vocabulary()
    return [(k, vocab.label("link_kinds", k)) for k in LINK_KINDS]


MAX_ID = 2**31 - 1


def _vendor_id(value):
    if value in (None, ""):
        return None
    number = int(value)  # a ValueError is the field's "not a valid choice"
    if not 1 <= number <= MAX_ID:
        raise ValueError(value)
    return number


class LinkForm(Form):
    # a select while the portfolio is small; beyond that the provider's name, typed
    upstream_vendor_id = SelectField(
        "Upstream provider", coerce=_vendor_id, validate_choice=False, validators=[Optional()]
    )
    upstream_name = StringField(
        "Upstream provider (its name as in the register)",
        validators=[Optional(), Length(max=200)],
    )
    kind = SelectField("What it provides", validators=[DataRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    source_question = HiddenField()


def _recent_past(form, field) -> None:
    """A change happened in the last ten years, not in the future (as the service requires)."""
    if field.data and not date.today() - timedelta(days=3650) <= field.data <= date.today():
        raise ValidationError(_l("Give a date in the last ten years, not in the future."))


class ChangeEventForm(Form):
    """A change report; the vendor reads it in the portal, so its words are translated."""

    kind = SelectField(_l("What changed"), validators=[DataRequired(_l("Say what changed."))])
    description = TextAreaField(
        _l("Describe the change"),
        validators=[DataRequired(_l("Describe the change.")), Length(max=5000)],
    )
    occurred_on = DateField(
        _l("When did it happen?"),
        validators=[Optional(), _recent_past],
        render_kw={"placeholder": "YYYY-MM-DD"},
    )


def change_kind_choices() -> list[tuple[str, str]]:
    """The kinds of change with their labels in the reader's language (see i18n.VOCABULARY)."""
    from ...models import CHANGE_KINDS

    vocab = load_vocabulary()
    return [(k, _l(vocab.label("change_kinds", k))) for k in CHANGE_KINDS]


class WebhookForm(Form):
    url = StringField("Address (https://...)", validators=[DataRequired(), Length(max=500)])
    description = StringField("What it is for", validators=[Optional(), Length(max=200)])
    events = SelectMultipleField("Events to send", validators=[DataRequired()])


class PackageImportForm(Form):
    vendor_id = SelectField("Vendor it comes from", coerce=int, validators=[DataRequired()])
    package = FileField("Answer package (.vapkg.json)", validators=[FileRequired()])
    confirm_fingerprint = StringField("Key fingerprint you confirmed", validators=[Optional(),
                                      Length(max=200)])  # fmt: skip
