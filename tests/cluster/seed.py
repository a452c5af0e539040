"""Seed the cluster's database through the services (run on an app host): staff, vendors with an
assessment each, a contact with an API token per vendor, invitations (mail jobs for the queue),
and the evidence bucket. Prints the load plan as JSON."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta

import boto3

from tests.helpers import answers_payloads
from vendorassure import create_app


def main(vendors: int) -> dict:
    app = create_app()
    bucket = app.config["EVIDENCE_STORE"].removeprefix("s3://").split("/", 1)[0]
    boto3.client("s3", endpoint_url=app.config["EVIDENCE_S3_ENDPOINT_URL"]).create_bucket(
        Bucket=bucket
    )
    password = os.environ["CLUSTER_PASSWORD"]
    with app.app_context():
        from vendorassure.services import assessments
        from vendorassure.services import vendors as vendor_service
        from vendorassure.services.auth import create_user, issue_api_token
        from vendorassure.services.library import intake_definition, load_library

        load_library()
        buyer = create_user("buyer@cluster.example", "procurement", password, "Buyer")
        create_user("risk@cluster.example", "risk", password, "Risk")
        create_user("admin@cluster.example", "admin", password, "Admin")
        intake = {q["key"]: q["options"][0]["value"] for q in intake_definition()["questions"]}
        plan = {"vendors": []}
        for i in range(vendors):
            vendor = vendor_service.create_vendor(
                buyer, f"Cluster Vendor {i}", f"https://v{i}.example", "AI service", intake
            )
            a = assessments.issue_assessment(
                buyer, vendor, "iso42001-ai-vendor-lite", date.today() + timedelta(days=30)
            )
            contact = create_user(f"contact{i}@cluster.example", "vendor", password,
                                  f"Contact {i}", vendor.id)  # fmt: skip
            vendor_service.add_contact(buyer, vendor, f"invitee{i}@cluster.example", "Invitee")
            token, _ = issue_api_token(contact.email, password)
            plan["vendors"].append(
                {"assessment_id": a.id, "token": token, "answers": answers_payloads(a)}
            )
        plan["risk_token"] = issue_api_token("risk@cluster.example", password)[0]
        plan["admin_token"] = issue_api_token("admin@cluster.example", password)[0]
    return plan


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
