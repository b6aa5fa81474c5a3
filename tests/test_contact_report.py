from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestContactReport(CrmClientSuiteCommon):
    @freeze_time("2026-02-15 09:00:00")
    def test_manager_analyses_contacts_and_completeness(self):
        self.client_a.write({"crm_client_type": "active", "crm_client_status": "active", "phone": "+34 910000000"})
        self.contact_a.phone = "+34 600000001"  # email and phone
        # contact_a_other: email only; portal partner: email only
        self.env.flush_all()
        Report = self.env["crm.contact.report"].with_user(self.manager)
        rows = Report.search([("client_id", "=", self.client_a.id)])
        self.assertEqual(len(rows), 4)  # the client, two contacts, the portal user's partner
        groups = Report._read_group(
            [("client_id", "=", self.client_a.id), ("kind", "=", "contact")],
            ["client_type"],
            ["count:sum", "missing_phone:sum", "missing_phone_rate:avg", "missing_email_rate:avg"],
        )
        self.assertEqual(groups, [("active", 3, 2, 200 / 3, 0.0)])
        by_team = dict(Report._read_group([("partner_id", "in", self.client_b.ids)], ["team_id"], ["count:sum"]))
        self.assertEqual(by_team, {self.team_b: 1})
        months = Report._read_group([("client_id", "=", self.client_a.id)], ["create_date:month"], ["count:sum"])
        self.assertEqual(len(months), 1)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_contributor_and_guest_have_no_analytics(self):
        for user in (self.contributor, self.guest):
            with self.assertRaises(AccessError):
                self.env["crm.contact.report"].with_user(user).search([])

    def test_analytics_menu_for_managers_only(self):
        menu = self.env.ref("crm_client_suite.menu_analytics")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids())
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.contributor)._visible_menu_ids())
