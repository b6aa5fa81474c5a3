from odoo.tests import HttpCase, tagged

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
