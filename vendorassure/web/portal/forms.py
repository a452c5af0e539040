"""Forms of the vendor portal."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...models import EVIDENCE_KINDS
from ..helpers import opts

KIND_LABELS = {
    "iso42001_certificate": "ISO/IEC 42001 certificate",
    "iso27001_certificate": "ISO/IEC 27001 certificate",
    "iso27701_certificate": "ISO/IEC 27701 certificate",
    "soc2_type2_report": "SOC 2 Type II report",
    "policy": "Policy or procedure",
    "other": "Other document",
}


class EvidenceForm(FlaskForm):
    file = FileField(
        "File (PDF, PNG, JPEG, DOCX or XLSX)", validators=[FileRequired("Choose a file.")]
    )
    kind = SelectField(
        "What is it?",
        choices=opts([(k, KIND_LABELS[k]) for k in EVIDENCE_KINDS]),
        validators=[DataRequired()],
    )
    question_key = SelectField("Attach to question", choices=opts([]), validators=[Optional()])
    certification_body = StringField("Certification body", validators=[Optional(), Length(max=200)])
    certificate_number = StringField("Certificate number", validators=[Optional(), Length(max=100)])
    scope = TextAreaField(
        "Scope statement (as printed on the certificate)", validators=[Optional(), Length(max=5000)]
    )
    issued_on = DateField("Issued on", validators=[Optional()])
    expires_on = DateField("Expires on", validators=[Optional()])
    submit = SubmitField("Upload")


class SubmitForm(FlaskForm):
    submit = SubmitField("Submit for review")


class DeleteForm(FlaskForm):
    submit = SubmitField("Remove")
