"""The audit trail in human words: event labels, kinds to filter by, and consecutive answer
saves by one person grouped into one line ("Dana Okafor answered 23 questions in Data for AI
systems, 10:02-10:41"). The raw hash-chained events stay as they are in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..labels import label

# What each recorded action means, in the words the trail shows.
ACTION_LABELS = {
    "assessment.created": "issued the assessment",
    "assessment.sent": "sent the assessment to the vendor",
    "assessment.started": "started answering",
    "assessment.submitted": "submitted the answers",
    "assessment.review_started": "started the review",
    "assessment.completed": "completed the review",
    "assessment.changes_requested": "sent the assessment back for changes",
    "assessment.reopened": "reopened the answers",
    "assessment.cancelled": "cancelled the assessment",
    "assessment.assigned": "assigned the reviewer",
    "assessment.rating_overridden": "overrode the rating",
    "assessment.carried_forward": "carried answers forward from the last assessment",
    "assessment.answers_reused": "suggested answers from another questionnaire",
    "answer.saved": "answered",
    "answers.confirmed": "confirmed carried-forward answers",
    "answer.reviewed": "reviewed an answer",
    "comment.posted": "wrote a message",
    "comment.internal_note": "wrote an internal note",
    "evidence.uploaded": "uploaded evidence",
    "evidence.attached_from_library": "attached evidence from the library",
    "evidence.kept_in_library": "kept evidence in the library",
    "evidence.detached": "removed library evidence from the assessment",
    "evidence.replaced": "replaced an evidence file",
    "evidence.deleted": "removed an evidence file",
    "evidence.accepted": "accepted evidence",
    "evidence.rejected": "rejected evidence",
    "finding.created": "raised a finding",
    "finding.proposed": "proposed findings from the score",
    "finding.reconciled": "brought the proposed findings in line with the score",
    "finding.updated": "updated a finding",
    "finding.vendor_responded": "sent a remediation plan",
    "scoring.rescored": "rescored the portfolio",
}
# The kinds the trail can be filtered by, with their labels.
KINDS = {
    "assessment": "Status and decisions",
    "answer": "Answers",
    "evidence": "Evidence",
    "finding": "Findings",
    "comment": "Messages",
}
STATES = {"none": "no flag", "flagged": "flagged", "accepted": "checked"}


def kind_of(action: str) -> str:
    """The filter kind of an action ("answers.confirmed" is an answer event)."""
    head = action.split(".", 1)[0]
    return "answer" if head == "answers" else head


def action_label(action: str) -> str:
    """The words for an action; an unknown one is shown without dots and underscores."""
    return ACTION_LABELS.get(action) or action.replace(".", " ").replace("_", " ")


@dataclass
class TrailEntry:
    """One line of the trail: one event, or a run of answer saves by one person."""

    kind: str
    actor: str
    text: str
    first_at: datetime
    last_at: datetime
    note: str = ""
    count: int = 1
    event_ids: list[int] = field(default_factory=list)
    base: str = ""  # the text of one event, to join a run of identical ones


def actor_name(event) -> str:
    actor = getattr(event, "actor", None)
    if actor is not None:
        return actor.display_name
    return event.actor_label or "System"


def _detail(event, texts: dict[str, str]) -> str:
    d = event.details or {}
    q = d.get("question")
    question = f"“{texts.get(q, q)}”" if q else ""
    action = event.action
    if action == "answer.reviewed":
        return f"{STATES.get(d.get('state'), d.get('state'))}: {question}"
    if action in ("comment.posted", "comment.internal_note") and question:
        return f"about {question}"
    if action.startswith("evidence.") and d.get("name"):
        return d["name"]
    if action == "assessment.assigned":
        return d.get("reviewer") or "nobody"
    if action == "assessment.rating_overridden":
        return f"{label(d.get('computed'))} → {label(d.get('override'))}: {d.get('reason', '')}"
    if action == "finding.reconciled":
        parts = [f"{len(d[k])} {k}" for k in ("proposed", "updated", "withdrawn") if d.get(k)]
        return ", ".join(parts)
    if action == "finding.updated" and d.get("from") != d.get("to"):
        return f"{label(d.get('from')).lower()} → {label(d.get('to')).lower()}"
    if action == "finding.created":
        return d.get("title", "")
    return ""


def group_events(events, texts: dict[str, str], sections: dict[str, str] | None = None):
    """Trail entries, newest first, from events newest first: consecutive answer saves by the
    same person become one entry naming how many questions, where, and the time span."""
    sections = sections or {}
    out: list[TrailEntry] = []
    for ev in events:
        who = actor_name(ev)
        if ev.action == "answer.saved":
            key = (ev.details or {}).get("question")
            last = out[-1] if out else None
            if last is not None and last.kind == "answer-run" and last.actor == who:
                last.count += 1
                last.first_at = ev.at
                last.event_ids.append(ev.id)
                if key not in last.note.split("\x1f"):
                    last.note += "\x1f" + (key or "")
                continue
            out.append(TrailEntry("answer-run", who, "", ev.at, ev.at, key or "", 1, [ev.id]))
            continue
        note = (ev.details or {}).get("note") or ""
        text = " ".join(p for p in (action_label(ev.action), _detail(ev, texts)) if p)
        last = out[-1] if out else None
        if (last is not None and last.kind == kind_of(ev.action) and last.actor == who
                and last.base == text and not note):  # fmt: skip
            last.count += 1  # a bulk decision: one line, how many
            last.first_at = ev.at
            last.event_ids.append(ev.id)
            last.text = f"{text} ({last.count} times)"
            continue
        out.append(
            TrailEntry(
                kind_of(ev.action),
                who,
                text,
                ev.at,
                ev.at,
                note,
                1,
                [ev.id],
                text,
            )
        )
    for entry in out:
        if entry.kind == "answer-run":
            keys = [k for k in entry.note.split("\x1f") if k]
            where = sorted({sections.get(k, "") for k in keys} - {""})
            n = len(keys)
            if n == 1:
                entry.text = f"answered “{texts.get(keys[0], keys[0])}”"
            else:
                shown = (
                    f" in {', '.join(where)}"
                    if len(where) <= 3
                    else f" across {len(where)} objectives"
                )
                entry.text = f"answered {n} questions" + (shown if where else "")
            entry.note = ""
            entry.kind = "answer"
    return out
