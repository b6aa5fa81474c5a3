from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestDealPipelineUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_works_the_pipeline(self):
        Lead = self.env["crm.lead"]
        common = {"type": "opportunity", "user_id": self.manager.id, "team_id": self.team_a.id}
        drag = Lead.create(dict(common, name="Paneles solares", partner_id=self.client_a.id))
        lost = Lead.create(
            dict(
                common,
                name="Ventanas PVC",
                partner_id=self.client_a.id,
                stage_id=self.env.ref("crm.stage_lead2").id,
            )
        )
        lead = Lead.create(
            dict(
                common,
                name="Tejados Gallegos",
                partner_name="Tejados Gallegos S.L.",
                contact_name="Rosa Castro",
                email_from="rosa@tejados-gallegos.example.com",
            )
        )
        reason = self.env["crm.lost.reason"].create({"name": "Precio demasiado alto"})

        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_deals",
            "crm_client_suite_deal_pipeline",
            login=self.manager.login,
        )

        self.assertEqual(drag.stage_id, self.env.ref("crm.stage_lead3"))
        self.assertFalse(lost.active)
        self.assertEqual(lost.lost_reason_id, reason)
        self.assertEqual(lost.stage_id, self.env.ref("crm_client_suite.stage_closed_lost"))
        client = lead.partner_id.commercial_partner_id
        self.assertEqual(client.name, "Tejados Gallegos S.L.")
        self.assertEqual(lead.partner_id.name, "Rosa Castro")
        self.assertEqual(lead.order_ids.partner_id, lead.partner_id)
