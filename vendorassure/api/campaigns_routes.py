"""Campaigns over the API: issue one questionnaire to many vendors, follow their progress."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..models import Campaign
from ..services import campaigns
from ..services.queries import paginate
from ..web.page_cache import page_cache
from .core import Id, Line, Paging, Schema, current_user, endpoint, page_body
from .serializers import iso

BUYER = ("procurement", "admin")
STAFF = ("procurement", "admin", "risk")


class CampaignFilter(BaseModel):
    tier: list[Line] | None = Field(None, max_length=4)
    q: Line | None = Field(None, max_length=200)


class CampaignCreate(Schema):
    questionnaire: Line
    due_date: Line
    title: Line | None = Field(None, max_length=200)
    vendor_ids: list[Id] | None = Field(None, min_length=1, max_length=campaigns.MAX_VENDORS)
    filter: CampaignFilter | None = None


def campaign_out(c: Campaign, detail: bool = True, progress: dict | None = None) -> dict:
    body = {
        "id": c.id,
        "title": c.title,
        "questionnaire": c.questionnaire_key,
        "due_date": iso(c.due_date),
        "filter": c.filter,
        "created_at": iso(c.created_at),
        "progress": progress if progress is not None else campaigns.progress(c),
    }
    if detail:
        body["assessments"] = [
            {
                "id": a.id,
                "vendor_id": a.vendor_id,
                "vendor": name,
                "status": a.status,
                "due_date": iso(a.due_date),
                "rating": a.final_rating,
            }  # fmt: skip
            for a, name in campaigns.rows(c)
        ]
    return body


@endpoint("/campaigns", "POST", "Issue one questionnaire to many vendors (by ids or a filter)",
          BUYER, body=CampaignCreate, status=201)  # fmt: skip
def campaigns_create(body: CampaignCreate):
    filters = body.filter.model_dump(exclude_none=True) if body.filter is not None else None
    campaign, skipped = campaigns.create_campaign(
        current_user(), body.questionnaire, body.due_date, body.vendor_ids, filters, body.title
    )
    return {**campaign_out(campaign), "skipped": skipped}


@endpoint("/campaigns", "GET", "Campaigns, newest first", STAFF, query=Paging)
@page_cache
def campaigns_list(query: Paging):
    rows, total = paginate(
        campaigns.campaign_list(), query.page, query.per_page, (Campaign.id.desc(),)
    )
    progress = campaigns.progress_of([c.id for c in rows])
    return page_body(
        [campaign_out(c, False, progress[c.id]) for c in rows], query.page, query.per_page, total
    )


@endpoint("/campaigns/<int:campaign_id>", "GET", "One campaign with its progress", STAFF)
@page_cache
def campaign_get(campaign_id: int):
    return campaign_out(campaigns.get_campaign(campaign_id))
