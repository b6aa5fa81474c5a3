from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_creates_client_with_contact_and_finds_it(self):
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_clients",
            "crm_client_suite_manager_client",
            login=self.manager.login,
        )
        client = self.env["res.partner"].search([("name", "=", "Talleres Navarro S.L.")])
        self.assertTrue(client.is_company)
        self.assertEqual(client.child_ids.mapped("name"), ["Irene Navarro"])
        self.assertEqual(client.user_id, self.manager)

    def test_manager_client_contacts_custom_field(self):
        # Custom field definitions are configuration: an Admin defines the
        # field, the Manager fills and searches it.
        self.env["crm.custom.field"].with_user(self.admin_user).create(
            {
                "name": "Badge Number",
                "key": "badge_number",
                "applies_to": "contacts",
                "field_type": "char",
                "regex": r"[A-Z]{2}-\d{4}",
                "regex_message": "Use two capitals, a dash and four digits, e.g. AB-1234.",
            }
        )
        with mute_logger("odoo.http"):  # the refused value is logged by the RPC layer
            self.start_tour(
                "/odoo/action-crm_client_suite.action_crm_clients",
                "crm_client_suite_custom_field",
                login=self.manager.login,
            )
        client = self.env["res.partner"].search([("name", "=", "Herrajes Ortega S.L.")])
        self.assertEqual(sorted(client.child_ids.mapped("name")), ["Irene Ortega", "Tomás Ortega"])
        irene = client.child_ids.filtered(lambda p: p.crm_first_name == "Irene")
        self.assertEqual(irene.x_badge_number, "AB-1234")
        self.assertEqual(irene.crm_last_name, "Ortega")

    def test_guest_web_client_has_no_crm_menu(self):
        self.authenticate(self.guest.login, self.guest.login)
        menus = self.url_open("/web/webclient/load_menus/1").json()
        names = {menu.get("xmlid") for menu in menus.values() if isinstance(menu, dict)}
        self.assertNotIn("crm_client_suite.menu_root", names)
        self.assertNotIn("crm.crm_menu_root", names)
        self.authenticate(self.manager.login, self.manager.login)
        menus = self.url_open("/web/webclient/load_menus/1").json()
        names = {menu.get("xmlid") for menu in menus.values() if isinstance(menu, dict)}
        self.assertIn("crm_client_suite.menu_root", names)
