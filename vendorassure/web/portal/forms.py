"""Forms of the vendor portal."""

from flask_babel import lazy_gettext as _l
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
DATE_MESSAGE = _l("Enter a date as YYYY-MM-DD (for example 2025-03-01).")


class CertificateFields(Form):
    """The evidence kind and the details printed on a certificate."""

    # No kind is preselected: a default certificate kind made a policy upload ask for
    # certificate dates.
    kind = SelectField(
        _l("What is it?"),
        choices=opts(
            [("", _l("Choose what the document is…"))]
            + [(k, _l(KIND_LABELS[k])) for k in EVIDENCE_KINDS]
        ),
        validators=[DataRequired(_l("Say what the document is."))],
    )
    standard = StringField(
        _l("Standard (e.g. ISO/IEC 42001)"), validators=[Optional(), Length(max=100)]
    )
    edition = StringField(_l("Edition (e.g. 2023)"), validators=[Optional(), Length(max=50)])
    certification_body = StringField(
        _l("Certification body"), validators=[Optional(), Length(max=200)]
    )
    accreditation_body = StringField(
        _l("Accreditation body (e.g. UKAS, ANAB, DAkkS)"), validators=[Optional(), Length(max=200)]
    )
    not_accredited = BooleanField(_l("The certification body is not accredited"))
    certificate_number = StringField(
        _l("Certificate number"), validators=[Optional(), Length(max=100)]
    )
    scope = TextAreaField(
        _l("Scope statement (as printed on the certificate)"),
        validators=[Optional(), Length(max=5000)],
    )
    issued_on = DateField(
        _l("Issued on"), validators=[Optional()], render_kw={"placeholder": "YYYY-MM-DD"}
    )
    expires_on = DateField(
        _l("Expires on"), validators=[Optional()], render_kw={"placeholder": "YYYY-MM-DD"}
    )

    def metadata(self) -> dict:
        return {name: getattr(self, name).data for name in METADATA_FIELDS}


class EvidenceForm(CertificateFields):
    file = FileField(
        _l("File (PDF, PNG, JPEG, DOCX or XLSX)"), validators=[FileRequired(_l("Choose a file."))]
    )
    question_key = SelectField(_l("Attach to question"), choices=opts([]), validators=[Optional()])
    to_library = BooleanField(_l("Also keep it in our certificate library for later assessments"))
    submit = SubmitField(_l("Upload"))


class LibraryUploadForm(CertificateFields):
    file = FileField(
        _l("File (PDF, PNG, JPEG, DOCX or XLSX)"), validators=[FileRequired(_l("Choose a file."))]
    )
    submit = SubmitField(_l("Add to library"))


class LibraryAttachForm(Form):
    evidence_id = SelectField(_l("Document from your library"), choices=opts([]))
    question_key = SelectField(_l("Attach to question"), choices=opts([]), validators=[Optional()])
    submit = SubmitField(_l("Attach"))


class ReplaceForm(Form):
    file = FileField(_l("New file"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Replace file"))


class ConfirmForm(Form):
    submit = SubmitField(_l("Confirm all carried-forward answers"))


class SubmitForm(Form):
    submit = SubmitField(_l("Submit for review"))


class DeleteForm(Form):
    submit = SubmitField(_l("Remove"))


class WorkbookUploadForm(Form):
    file = FileField(
        _l("Filled workbook (.xlsx)"), validators=[FileRequired(_l("Choose the workbook."))]
    )
    submit = SubmitField(_l("Check the workbook"))


class WorkbookConfirmForm(Form):
    # A signed, time-limited summary of the checked changes (services/answer_import.py).
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Save these answers"))
