"""The regulator's records as files: pure builders, plain data in, bytes out (no database)."""

from __future__ import annotations

import pandas as pd

from .sheets import Book, print_setup, to_csv, write_fields, write_table

DORA_TEMPLATES = ("B_05.01", "B_05.02", "B_07.01")


def build_art26_workbook(record: dict) -> bytes:
    """System, Duties (one row per Art. 26 duty, its status and our action) and Evidence."""
    book = Book()
    ws = book.wb.add_worksheet("System")
    print_setup(ws)
    ws.write(0, 0, record["title"], book.title)
    row = write_fields(book, ws, record["system_fields"], start_row=2) + 1
    ws.write(row, 0, record["scope_note"], book.wrap)
    duties = pd.DataFrame(
        [
            {"Article": d["article"], "Duty": d["title"], "What the Act asks": d["duty"],
             "Applies": d["applies_label"], "Vendor support on file": d["status_label"],
             "What we must do": d["deployer_action"], "Owner": "", "Done on": ""}
            for d in record["duties"]
        ]
    )  # fmt: skip
    write_table(book, "Duties", duties)
    evidence = pd.DataFrame(
        [
            {"Article": d["article"], "Duty": d["title"], "Question": e["question"],
             "Vendor's answer": e["answer"], "Score": e["score"]}
            for d in record["duties"]
            for e in d["evidence"]
        ],
        columns=["Article", "Duty", "Question", "Vendor's answer", "Score"],
    )  # fmt: skip
    write_table(book, "Evidence", evidence, formats={"Score": "percent"})
    return book.close()


def build_dora_workbook(frames: dict[str, pd.DataFrame], about: list[tuple]) -> bytes:
    """One sheet per register-of-information template the platform can fill, and an About."""
    book = Book()
    ws = book.wb.add_worksheet("About")
    print_setup(ws)
    ws.write(0, 0, "DORA register of information (extract)", book.title)
    write_fields(book, ws, about, start_row=2)
    for name in DORA_TEMPLATES:
        write_table(book, name, frames[name])
    return book.close()


def build_dora_csv(frames: dict[str, pd.DataFrame], template: str) -> bytes:
    """One template of the register as CSV."""
    return to_csv(frames[template])
