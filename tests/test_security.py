from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")


@tagged("post_install", "-at_install")
class TestRoles(CrmClientSuiteCommon):
    """What each role may read, create, write and unlink, through the ORM."""

    @property
    def all_partners(self):
        return self.client_a | self.contact_a | self.contact_a_other | self.client_b | self.contact_b

    @property
    def all_deals(self):
        return self.deal_contributor | self.deal_manager | self.deal_b | self.deal_unassigned_b

    # Guest -----------------------------------------------------------------

    @mute_logger(*MUTE)
    def test_guest_reads_no_deal(self):
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(self.guest).search([])
        with self.assertRaises(AccessError):
            self.deal_b.with_user(self.guest).read(["name"])

    def test_guest_sees_no_client_or_contact(self):
        self.assertFalse(self.visible(self.guest, self.all_partners))
        found = self.env["res.partner"].with_user(self.guest).search([("is_company", "=", True)])
        self.assertNotIn(self.client_a, found)
        # ... but still sees the people they work with, so the back end works.
        self.assertIn(self.manager.partner_id, self.visible(self.guest, self.manager.partner_id))

    @mute_logger(*MUTE)
    def test_guest_cannot_read_client_by_id(self):
        with self.assertRaises(AccessError):
            self.client_a.with_user(self.guest).read(["name", "email"])

    @mute_logger(*MUTE)
    def test_guest_cannot_create_client(self):
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.guest).create({"name": "Gast AG", "is_company": True})

    # Contributor -----------------------------------------------------------

    def test_contributor_sees_own_contacts_only(self):
        visible = self.visible(self.contributor, self.all_partners)
        self.assertEqual(visible, self.client_a | self.contact_a)

    def test_contributor_sees_own_deals_only(self):
        self.assertEqual(self.visible(self.contributor, self.all_deals), self.deal_contributor)

    @mute_logger(*MUTE)
    def test_contributor_cannot_read_other_deal(self):
        with self.assertRaises(AccessError):
            self.deal_manager.with_user(self.contributor).read(["name"])
        with self.assertRaises(AccessError):
            self.deal_unassigned_b.with_user(self.contributor).read(["name"])

    def test_contributor_creates_and_edits_own_contact(self):
        contact = (
            self.env["res.partner"]
            .with_user(self.contributor)
            .create({"name": "Marta Gómez", "parent_id": self.client_a.id, "user_id": self.contributor.id})
        )
        contact.write({"function": "Jefa de obra"})
        self.assertEqual(contact.function, "Jefa de obra")

    @mute_logger(*MUTE)
    def test_contributor_cannot_create_contact_for_someone_else(self):
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.contributor).create(
                {"name": "Pedro Sanz", "user_id": self.manager.id}
            )

    @mute_logger(*MUTE)
    def test_contributor_cannot_edit_other_contact(self):
        with self.assertRaises(AccessError):
            self.contact_a_other.with_user(self.contributor).write({"function": "CEO"})

    def test_contributor_updates_own_deal(self):
        self.deal_contributor.with_user(self.contributor).write({"expected_revenue": 15000})
        self.assertEqual(self.deal_contributor.expected_revenue, 15000)

    @mute_logger(*MUTE)
    def test_contributor_cannot_unlink_deal(self):
        with self.assertRaises(AccessError):
            self.deal_contributor.with_user(self.contributor).unlink()
        self.assertTrue(self.deal_contributor.exists())

    @mute_logger(*MUTE)
    def test_contributor_cannot_update_other_deal(self):
        with self.assertRaises(AccessError):
            self.deal_manager.with_user(self.contributor).write({"expected_revenue": 1})
        self.assertEqual(self.deal_manager.expected_revenue, 8000)

    # Manager ---------------------------------------------------------------

    def test_manager_sees_all_clients_and_contacts(self):
        self.assertEqual(self.visible(self.manager, self.all_partners), self.all_partners)

    def test_manager_manages_clients_and_contacts(self):
        Partner = self.env["res.partner"].with_user(self.manager)
        client = Partner.create({"name": "Hoffmann & Söhne KG", "is_company": True})
        contact = Partner.create({"name": "Anna Hoffmann", "parent_id": client.id})
        contact.write({"function": "Geschäftsführerin"})
        self.contact_b.with_user(self.manager).write({"function": "Einkauf"})
        contact.unlink()
        self.assertFalse(contact.exists())
        self.assertEqual(self.contact_b.function, "Einkauf")

    def test_manager_sees_own_team_and_unassigned_deals(self):
        visible = self.visible(self.manager, self.all_deals)
        self.assertEqual(visible, self.deal_contributor | self.deal_manager | self.deal_unassigned_b)

    @mute_logger(*MUTE)
    def test_manager_cannot_read_other_team_deal(self):
        with self.assertRaises(AccessError):
            self.deal_b.with_user(self.manager).read(["name"])

    @mute_logger(*MUTE)
    def test_manager_cannot_delete_deals(self):
        with self.assertRaises(AccessError):
            self.deal_manager.with_user(self.manager).unlink()

    @mute_logger(*MUTE)
    def test_manager_has_no_configuration(self):
        with self.assertRaises(AccessError):
            self.env["crm.stage"].with_user(self.manager).create({"name": "Sin configurar"})

    # Admin -----------------------------------------------------------------

    def test_admin_sees_and_deletes_everything(self):
        self.assertEqual(self.visible(self.admin_user, self.all_deals), self.all_deals)
        self.assertEqual(self.visible(self.admin_user, self.all_partners), self.all_partners)
        stage = self.env["crm.stage"].with_user(self.admin_user).create({"name": "Auditoría"})
        self.deal_b.with_user(self.admin_user).unlink()
        self.assertFalse(self.deal_b.exists())
        self.assertTrue(stage.exists())

    def test_roles_imply_each_other(self):
        self.assertTrue(self.admin_user.has_group("crm_client_suite.group_manager"))
        self.assertTrue(self.admin_user.has_group("sales_team.group_sale_manager"))
        self.assertTrue(self.manager.has_group("crm_client_suite.group_contributor"))
        self.assertTrue(self.contributor.has_group("crm_client_suite.group_guest"))
        self.assertFalse(self.guest.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(self.manager.has_group("sales_team.group_sale_manager"))

    # Portal ----------------------------------------------------------------

    def test_portal_reads_only_own_commercial_partner(self):
        visible = self.visible(self.portal_user, self.all_partners)
        self.assertIn(self.client_a, visible)
        self.assertNotIn(self.client_b, visible)
        self.assertNotIn(self.contact_b, visible)

    @mute_logger(*MUTE)
    def test_portal_reads_no_deal(self):
        with self.assertRaises(AccessError):
            self.deal_contributor.with_user(self.portal_user).read(["name"])


@tagged("post_install", "-at_install")
class TestTeamIsolation(CrmClientSuiteCommon):
    """The Team Isolation setting, on and off."""

    def test_off_by_default_managers_see_other_team_clients(self):
        self.assertIn(self.client_b, self.visible(self.manager, self.client_b))

    def test_on_hides_other_team_clients_and_contacts(self):
        self.set_team_isolation(True)
        visible = self.visible(self.manager, self.client_a | self.contact_a | self.client_b | self.contact_b)
        self.assertEqual(visible, self.client_a | self.contact_a)
        visible_b = self.visible(self.manager_b, self.client_a | self.client_b | self.contact_b)
        self.assertEqual(visible_b, self.client_b | self.contact_b)

    def test_on_hides_other_team_unassigned_deals(self):
        self.set_team_isolation(True)
        self.assertEqual(
            self.visible(self.manager, self.deal_contributor | self.deal_unassigned_b | self.deal_b),
            self.deal_contributor,
        )

    def test_on_keeps_clients_without_team_shared(self):
        self.set_team_isolation(True)
        shared = self.env["res.partner"].create({"name": "Sin Equipo S.A.", "is_company": True})
        self.assertEqual(self.visible(self.manager_b, shared), shared)

    def test_on_admin_still_sees_everything(self):
        self.set_team_isolation(True)
        self.assertEqual(self.visible(self.admin_user, self.client_a | self.client_b), self.client_a | self.client_b)

    def test_switching_off_restores_visibility(self):
        self.set_team_isolation(True)
        self.assertFalse(self.visible(self.manager, self.client_b))
        self.set_team_isolation(False)
        self.assertEqual(self.visible(self.manager, self.client_b), self.client_b)

    def test_crm_admin_switches_isolation_without_odoo_settings_rights(self):
        self.assertFalse(self.admin_user.has_group("base.group_system"))
        wizard = self.env["res.company.team.isolation"].with_user(self.admin_user).create({"crm_team_isolation": True})
        wizard.action_apply()
        self.assertTrue(self.env.company.crm_team_isolation)
        self.assertFalse(self.visible(self.manager, self.client_b))

    @mute_logger(*MUTE)
    def test_managers_and_foreign_companies_cannot_switch_isolation(self):
        with self.assertRaises(AccessError):
            self.env["res.company.team.isolation"].with_user(self.manager).create({"crm_team_isolation": True})
        other = self.env["res.company"].create({"name": "Filial Portugal Lda"})
        wizard = (
            self.env["res.company.team.isolation"]
            .with_user(self.admin_user)
            .create({"company_id": other.id, "crm_team_isolation": True})
        )
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertFalse(other.crm_team_isolation)

    def test_setting_is_exposed_in_settings(self):
        settings = self.env["res.config.settings"].create({"crm_team_isolation": True})
        settings.execute()
        self.assertTrue(self.env.company.crm_team_isolation)


@tagged("post_install", "-at_install")
class TestMenus(CrmClientSuiteCommon):
    def _visible_menus(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def test_guest_sees_no_crm_menu(self):
        menus = self._visible_menus(self.guest)
        self.assertNotIn(self.env.ref("crm_client_suite.menu_root").id, menus)
        self.assertNotIn(self.env.ref("crm.crm_menu_root").id, menus)

    def test_contributor_sees_app_but_no_configuration(self):
        menus = self._visible_menus(self.contributor)
        self.assertIn(self.env.ref("crm_client_suite.menu_clients").id, menus)
        self.assertIn(self.env.ref("crm_client_suite.menu_deals").id, menus)
        self.assertNotIn(self.env.ref("crm_client_suite.menu_configuration").id, menus)

    def test_admin_sees_configuration(self):
        menus = self._visible_menus(self.admin_user)
        self.assertIn(self.env.ref("crm_client_suite.menu_configuration").id, menus)


@tagged("post_install", "-at_install")
class TestCollaboration(CrmClientSuiteCommon):
    """Seed 001, team collaboration: collaborators share a client with its owner."""

    def test_collaborator_contributor_sees_shared_client_and_its_contacts(self):
        self.assertFalse(self.visible(self.contributor, self.client_b | self.contact_b))
        self.client_b.crm_collaborator_ids = self.contributor
        self.assertEqual(self.visible(self.contributor, self.client_b | self.contact_b), self.client_b | self.contact_b)

    def test_explicit_collaboration_crosses_team_isolation(self):
        self.set_team_isolation(True)
        self.assertFalse(self.visible(self.manager, self.client_b))
        self.client_b.crm_collaborator_ids = self.manager
        self.assertEqual(self.visible(self.manager, self.client_b | self.contact_b), self.client_b | self.contact_b)
        # ... but not the other clients of that team.
        other = self.env["res.partner"].create(
            {"name": "Wolf Verpackungen GmbH", "is_company": True, "team_id": self.team_b.id}
        )
        self.assertFalse(self.visible(self.manager, other))


@tagged("post_install", "-at_install")
class TestAccessRows(CrmClientSuiteCommon):
    """Every model of the add-on states its rights for every role."""

    ROLES = ("group_guest", "group_contributor", "group_manager", "group_admin")
    # Business data a Guest must never reach, not even through RPC.
    CRM_DATA = (
        "crm.automation",
        "crm.automation.step",
        "crm.automation.run",
        "crm.automation.run.step",
        "crm.outreach",
        "crm.deal.stakeholder",
        "crm.deal.stage.history",
        "crm.contact.report",
        "crm.competitor",
    )

    def test_every_model_has_a_row_per_role(self):
        models = (
            self.env["ir.model.data"]
            .search([("module", "=", "crm_client_suite"), ("model", "=", "ir.model")])
            .mapped("res_id")
        )
        # the add-on's own models, not the ones it only extends
        own = (
            self.env["ir.model"]
            .browse(models)
            .filtered(lambda model: model.modules == "crm_client_suite" and not self.env[model.model]._abstract)
        )
        self.assertIn("crm.automation", own.mapped("model"))
        for model in own:
            groups = self.env["ir.model.access"].search([("model_id", "=", model.id)]).group_id
            for role in self.ROLES:
                self.assertIn(
                    self.env.ref(f"crm_client_suite.{role}"), groups, f"{model.model} has no access row for {role}"
                )

    def test_guest_reaches_no_crm_data(self):
        for model in self.CRM_DATA:
            Model = self.env[model].with_user(self.guest)
            self.assertFalse(Model.has_access("read"), f"a Guest may read {model}")
            self.assertFalse(Model.has_access("create"), f"a Guest may create {model}")

    def test_contributor_reads_but_does_not_configure(self):
        for model in ("crm.automation", "crm.competitor"):
            Model = self.env[model].with_user(self.contributor)
            self.assertTrue(Model.has_access("read"))
            self.assertFalse(Model.has_access("create"), f"a Contributor may configure {model}")
        self.assertFalse(self.env["crm.contact.report"].with_user(self.contributor).has_access("read"))
