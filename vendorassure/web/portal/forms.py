"""Forms of the vendor portal."""

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ...models import EVIDENCE_KINDS
from ...scoring.vocabulary import load_vocabulary
from ...services.evidence import METADATA_FIELDS
from ..forms import Form
from ..helpers import opts

KIND_LABELS = dict(load_vocabulary().sections["evidence_kinds"])
DATE_MESSAGE = "Enter a date as YYYY-MM-DD (for example 2025-03-01)."


class CertificateFields(Form):
    """The evidence kind and the details printed on a certificate."""

    # No kind is preselected: a default certificate kind made a policy upload ask for
    # certificate dates.
    kind = SelectField(
        "What is it?",
        choices=opts(
            [("", "Choose what the document is…")] + [(k, KIND_LABELS[k]) for k in EVIDENCE_KINDS]
        ),
        validators=[DataRequired("Say what the document is.")],
    )
    standard = StringField(
        "Standard (e.g. ISO/IEC 42001)", validators=[Optional(), Length(max=100)]
    )
    edition = StringField("Edition (e.g. 2023)", validators=[Optional(), Length(max=50)])
    certification_body = StringField("Certification body", validators=[Optional(), Length(max=200)])
    accreditation_body = StringField(
        "Accreditation body (e.g. UKAS, ANAB, DAkkS)", validators=[Optional(), Length(max=200)]
    )
    not_accredited = BooleanField("The certification body is not accredited")
    certificate_number = StringField("Certificate number", validators=[Optional(), Length(max=100)])
    scope = TextAreaField(
        "Scope statement (as printed on the certificate)", validators=[Optional(), Length(max=5000)]
    )
    issued_on = DateField(
        "Issued on", validators=[Optional()], render_kw={"placeholder": "YYYY-MM-DD"}
    )
    expires_on = DateField(
        "Expires on", validators=[Optional()], render_kw={"placeholder": "YYYY-MM-DD"}
    )

    def metadata(self) -> dict:
        return {name: getattr(self, name).data for name in METADATA_FIELDS}


class EvidenceForm(CertificateFields):
    file = FileField(
        "File (PDF, PNG, JPEG, DOCX or XLSX)", validators=[FileRequired("Choose a file.")]
    )
    question_key = SelectField("Attach to question", choices=opts([]), validators=[Optional()])
    to_library = BooleanField("Also keep it in our certificate library for later assessments")
    submit = SubmitField("Upload")


class LibraryUploadForm(CertificateFields):
    file = FileField(
        "File (PDF, PNG, JPEG, DOCX or XLSX)", validators=[FileRequired("Choose a file.")]
    )
    submit = SubmitField("Add to library")


class LibraryAttachForm(Form):
    evidence_id = SelectField("Document from your library", choices=opts([]))
    question_key = SelectField("Attach to question", choices=opts([]), validators=[Optional()])
    submit = SubmitField("Attach")


class ReplaceForm(Form):
    file = FileField("New file", validators=[FileRequired("Choose a file.")])
    submit = SubmitField("Replace file")


class ConfirmForm(Form):
    submit = SubmitField("Confirm all carried-forward answers")


class SubmitForm(Form):
    submit = SubmitField("Submit for review")


class DeleteForm(Form):
    submit = SubmitField("Remove")


class WorkbookUploadForm(Form):
    file = FileField("Filled workbook (.xlsx)", validators=[FileRequired("Choose the workbook.")])
    submit = SubmitField("Check the workbook")


class WorkbookConfirmForm(Form):
    # A signed, time-limited summary of the checked changes (services/answer_import.py).
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Save these answers")
