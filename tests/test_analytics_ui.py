from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestAnalyticsUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_opens_the_funnel_proposal_deals(self):
        proposal = self.env.ref("crm.stage_lead3")
        Lead = self.env["crm.lead"]
        deals = Lead.create(
            [
                {
                    "name": "Propuesta Valencia",
                    "type": "opportunity",
                    "user_id": self.manager.id,
                    "team_id": self.team_a.id,
                },
                {"name": "Angebot Hamburg", "type": "opportunity", "user_id": False, "team_id": self.team_a.id},
            ]
        )
        deals.write({"stage_id": proposal.id})
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_analytics_dashboard",
            "crm_client_suite_analytics_dashboard",
            login=self.manager.login,
        )
