"""Copy evidence blobs from one store to another, each verified by its recorded SHA-256."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..storage import EvidenceStore, MissingObject, StoreError, sha256_of


@dataclass
class MigrationReport:
    total: int = 0
    copied: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def migrate(
    rows, source: EvidenceStore, target: EvidenceStore, delete_source: bool = False
) -> MigrationReport:
    """Copy (id, key, sha256) rows' blobs to target; the source is only touched when asked to."""
    report = MigrationReport(total=len(rows))
    for ev_id, key, sha in rows:
        try:
            if target.exists(key) and target.verify(key, sha):
                report.skipped += 1
            else:
                data = source.read(key)
                if sha256_of([data]) != sha:
                    report.problems.append(f"evidence {ev_id}: source SHA-256 differs; not copied")
                    continue
                target.save(data, key=key)
                if not target.verify(key, sha):
                    report.problems.append(f"evidence {ev_id}: target copy does not verify")
                    continue
                report.copied += 1
            if delete_source and source is not target:
                source.delete(key)
        except MissingObject:
            report.problems.append(f"evidence {ev_id}: missing from the source store")
        except StoreError as exc:
            report.problems.append(f"evidence {ev_id}: {exc}")
    return report
