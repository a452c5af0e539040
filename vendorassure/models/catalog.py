"""Controls, crosswalks, questionnaires and questions: the content, loaded from questionnaires/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow


class Control(db.Model):
    __tablename__ = "controls"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    objective: Mapped[str] = mapped_column(String(10), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    crosswalks: Mapped[list[Crosswalk]] = relationship(
        back_populates="control", order_by="Crosswalk.framework"
    )


class Objective(db.Model):
    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(10), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)


class Crosswalk(db.Model):
    __tablename__ = "crosswalks"
    __table_args__ = (UniqueConstraint("control_id", "framework", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("controls.id"), index=True)
    framework: Mapped[str] = mapped_column(String(50))
    framework_name: Mapped[str] = mapped_column(String(100), default="")
    ref: Mapped[str] = mapped_column(String(100))

    control: Mapped[Control] = relationship(back_populates="crosswalks")


class Questionnaire(db.Model):
    """One immutable version of a questionnaire; a change in content makes a new row."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    sections: Mapped[list] = mapped_column(JSON, default=list)
    # what catalog coverage the file requires: {controls: all, questions: mapped, per_control}
    coverage: Mapped[dict] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="questionnaire", order_by="Question.order"
    )


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    section: Mapped[str] = mapped_column(String(100))
    order: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    help: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=True)
    allows_na: Mapped[bool] = mapped_column(default=False)
    evidence_kinds: Mapped[list] = mapped_column(JSON, default=list)
    show_if: Mapped[list | None] = mapped_column(JSON)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    knockout: Mapped[dict | None] = mapped_column(JSON)
    # multi_choice: "mean" of the chosen options' scores, or their capped "sum"
    score_mode: Mapped[str] = mapped_column(String(10), default="mean", server_default="mean")
    # false: an informational option question (no score, no control)
    scored: Mapped[bool] = mapped_column(default=True, server_default=true())
    # {"de": {"text": ..., "help": ..., "options": {value: label}}, "fr": {...}}; English is above
    translations: Mapped[dict | None] = mapped_column(JSON)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
    control_links: Mapped[list[QuestionControl]] = relationship(
        back_populates="question", order_by="QuestionControl.id"
    )

    def to_dict(self) -> dict:
        """Return the question in the API shape of DESIGN.md §7."""
        return {
            "key": self.key,
            "section": self.section,
            "order": self.order,
            "text": self.text,
            "help": self.help or "",
            "type": self.type,
            "required": self.required,
            "allows_na": self.allows_na,
            "options": list(self.options or []),
            "evidence_kinds": list(self.evidence_kinds or []),
            "show_if": self.show_if,
            "controls": [
                {"ref": link.control.ref, "weight": link.weight} for link in self.control_links
            ],
            "weight": self.weight,
            "knockout": self.knockout,
            "score_mode": self.score_mode,
            "scored": self.scored,
        }


class QuestionControl(db.Model):
    __tablename__ = "question_controls"
    __table_args__ = (UniqueConstraint("question_id", "control_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("controls.id"), index=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    question: Mapped[Question] = relationship(back_populates="control_links")
    control: Mapped[Control] = relationship()


class QuestionnaireImport(db.Model):
    """An imported questionnaire awaiting mapping review; publishing it makes a version."""

    __tablename__ = "questionnaire_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="review", index=True)
    sections: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaires.id"))

    questions: Mapped[list[ImportQuestion]] = relationship(
        back_populates="questionnaire_import", order_by="ImportQuestion.position"
    )
    published: Mapped[Questionnaire | None] = relationship()


class ImportQuestion(db.Model):
    """One imported question with the mapper's suggestions and the reviewer's decision."""

    __tablename__ = "import_questions"
    __table_args__ = (UniqueConstraint("import_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_imports.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    # The normalized question without controls (catalog.validate_questionnaire's shape).
    content: Mapped[dict] = mapped_column(JSON)
    # Ranked [{ref, confidence, source, reason}]; confidence >= mapping.SUGGEST_CUT is suggested.
    suggestions: Mapped[list] = mapped_column(JSON, default=list)
    unknown_refs: Mapped[list] = mapped_column(JSON, default=list)
    # pending (suggestions to decide), accepted, changed, dropped, unmapped (nothing suggested)
    decision: Mapped[str] = mapped_column(String(20), default="pending")
    controls: Mapped[list] = mapped_column(JSON, default=list)  # the chosen refs, primary first

    questionnaire_import: Mapped[QuestionnaireImport] = relationship(back_populates="questions")
