"""Views of campaigns: issue one questionnaire to many vendors chosen by a filter; progress."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import DateField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...models import Campaign
from ...services import campaigns, library
from ...services.errors import ServiceError
from ...services.queries import page_arg, paginate
from ..forms import Form
from ..helpers import opts, roles_required
from ..page_cache import page_cache
from . import bp
from .forms import IssueForm

STAFF = ("admin", "procurement", "risk")
PER_PAGE = 25


class CampaignForm(Form):
    questionnaire = IssueForm.questionnaire
    due_date = DateField("Due date", validators=[DataRequired(message="Pick a due date.")])
    title = StringField("Name of the campaign (optional)", validators=[Optional(), Length(max=200)])
    tier = SelectMultipleField(
        "Vendors of these inherent tiers",
        choices=opts(
            [("critical", "Critical"), ("high", "High"), ("medium", "Medium"), ("low", "Low")]
        ),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    q = StringField("Whose name contains (optional)", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Issue to the chosen vendors")


def _form(formdata=None) -> CampaignForm:
    form = CampaignForm(
        prefix="cp",
        formdata=formdata,
        data=None if formdata else {"due_date": date.today() + timedelta(days=30)},
    )
    form.questionnaire.choices = opts(
        [(q["key"], f"{q['title']} (v{q['version']})") for q in library.questionnaire_index()]
    )
    return form


@bp.route("/campaigns", methods=["GET", "POST"])
@roles_required(*STAFF)
@page_cache
def campaign_list():
    """Campaigns with their progress; procurement issues a new one by filter."""
    form = _form(request.form if request.method == "POST" else None)
    if request.method == "POST":
        if current_user.role not in ("procurement", "admin"):
            flash("Only procurement issues campaigns.", "error")
        elif form.validate_on_submit():
            filters = {"tier": form.tier.data or [], "q": form.q.data or ""}
            try:
                campaign, skipped = campaigns.create_campaign(
                    current_user, form.questionnaire.data, form.due_date.data, None, filters,
                    form.title.data,
                )  # fmt: skip
            except ServiceError as exc:
                flash(exc.message, "error")
            else:
                p = campaigns.progress(campaign)
                flash(f"{campaign.title}: issued to {p['total']} vendor(s)"
                      + (f"; {len(skipped)} skipped (one is still open)" if skipped else "") + ".",
                      "success")  # fmt: skip
                return redirect(url_for("procurement.campaign_detail", campaign_id=campaign.id))
        else:
            for name, errors in form.errors.items():
                flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
    page = page_arg(request.args)
    rows, total = paginate(campaigns.campaign_list(), page, PER_PAGE, (Campaign.id.desc(),))
    progress = campaigns.progress_of([c.id for c in rows])
    return render_template(
        "procurement/campaigns.html",
        rows=[(c, progress[c.id]) for c in rows],
        total=total,
        page=page,
        per_page=PER_PAGE,
        form=form,
        can_issue=current_user.role in ("procurement", "admin"),
    )


@bp.get("/campaigns/<int:campaign_id>")
@roles_required(*STAFF)
@page_cache
def campaign_detail(campaign_id: int):
    """One campaign: how far each vendor is."""
    campaign = campaigns.get_campaign(campaign_id)
    return render_template(
        "procurement/campaign.html",
        c=campaign,
        progress=campaigns.progress(campaign),
        rows=campaigns.rows(campaign),
    )
