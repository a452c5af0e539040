"""The review page shows each Annex A control's crosswalk refs beside its score."""

from __future__ import annotations


def test_review_control_table_shows_crosswalks(make, client, login_as):
    assessment, _contact = make.submitted()
    login_as("risk")
    html = client.get(f"/review/assessments/{assessment.id}").get_data(as_text=True)
    table = html.split('id="control-table"')[1].split("</table>")[0]
    assert table.count('class="xw"') == 38
    row = table.split('data-control="A.10.3"')[1].split('class="xw"')[0]
    assert "GOVERN 6.1" in row and "Art. 25" in row
