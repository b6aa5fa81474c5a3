from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")

# Access rights per model: r(ead), w(rite), c(reate), u(nlink), per role.
ACL_OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
ROLE_LOGINS = ("ccs_guest", "ccs_contributor", "ccs_manager", "ccs_admin")
ACL_RIGHTS = {
    # model: rights of (Guest, Contributor, Manager, Admin)
    "crm.competitor": ("", "r", "r", "rwcu"),
    "crm.deal.stakeholder": ("", "rwcu", "rwcu", "rwcu"),
    "crm.deal.stage.history": ("", "r", "r", "r"),
    "crm.lead.convert.customer": ("", "rwc", "rwc", "rwcu"),
    "crm.lead.create.project": ("", "rwc", "rwc", "rwcu"),
    "crm.automation": ("", "r", "rwcu", "rwcu"),
    "crm.automation.step": ("", "r", "rwcu", "rwcu"),
    "crm.automation.run": ("", "r", "rw", "rwu"),
    "crm.automation.run.step": ("", "r", "r", "ru"),
    "crm.outreach": ("", "rwcu", "rwcu", "rwcu"),
    "crm.last.contact": ("", "r", "r", "r"),
    "crm.campaign.cost": ("", "", "r", "rwcu"),
    "crm.inactivity.rule": ("", "", "r", "rwcu"),
    "crm.acquisition.event": ("", "", "r", "ru"),
    "crm.contact.form": ("", "", "r", "rwcu"),
    "crm.contact.form.hit": ("", "", "", "r"),
    "crm.team.assignment.line": ("r", "r", "r", "rwcu"),  # writers: sales administrators (Admins)
    "crm.automation.enrol": ("", "", "rwcu", "rwcu"),
    "crm.automation.preview": ("", "", "rwcu", "rwcu"),
    "crm.custom.field": ("r", "r", "r", "rwcu"),
    "crm.custom.field.group": ("r", "r", "r", "rwcu"),
    "crm.custom.field.option": ("r", "r", "r", "rwcu"),
    "crm.contact.report": ("", "", "r", "r"),
    "res.company.team.isolation": ("", "", "", "rwc"),
    "crm.import.job": ("", "", "rwcu", "rwcu"),
    "crm.import.job.row": ("", "", "r", "ru"),
    "crm.import.job.column": ("", "", "rwcu", "rwcu"),
    "crm.import.template": ("", "", "rwcu", "rwcu"),
    "crm.billing.rate": ("", "", "r", "rwcu"),
    "crm.audit.log": ("", "r", "r", "r"),
    "crm.activity.reminder": ("", "rwcu", "rwcu", "rwcu"),
    "crm.deal.stage.summary": ("", "", "r", "r"),
    "crm.deal.funnel.report": ("", "", "r", "r"),
    "crm.deal.outcome.report": ("", "", "r", "r"),
    "crm.salesperson.ranking.report": ("", "", "r", "r"),
    "crm.sales.cost": ("", "", "rwcu", "rwcu"),
    "crm.cac.report": ("", "", "r", "r"),
    # read by the CAC report in SQL; in the ORM only Admins (who see every team) read them
    "crm.client.acquisition": ("", "", "", "r"),
    "crm.client.won.month": ("", "", "", "r"),
    # read by the contact analysis and the engagement report in SQL; in the ORM only Admins read them
    "crm.contact.analytics": ("", "", "", "r"),
    "crm.contact.analytics.pending": ("", "", "", "r"),
    # Contributors reach their own exports (record rules); exporting itself needs the right to export.
    "crm.export.job": ("", "rwcu", "rwcu", "rwcu"),
    "crm.export.job.column": ("", "rwcu", "rwcu", "rwcu"),
    "crm.salesperson.activity.report": ("", "r", "r", "r"),
    "crm.timeline.export": ("", "rwc", "rwc", "rwc"),
    "crm.automation.email.event": ("", "r", "r", "ru"),
    "crm.automation.email": ("", "", "", "ru"),
    "crm.case": ("", "rwc", "rwc", "rwcu"),
    "crm.case.sla": ("", "", "r", "rwcu"),
    "crm.client.engagement.report": ("", "", "r", "r"),
    "crm.usage.report": ("", "", "r", "r"),
    "crm.deal.competitor.report": ("", "", "r", "r"),
    # the dashboard's daily figures (sums and pending differences), read under the same rules as the
    # reports they stand for; the two tables behind them are the Admins' alone
    "crm.deal.analytics.figures": ("", "", "r", "r"),
    "crm.deal.analytics.daily": ("", "", "", "r"),
    "crm.deal.analytics.pending": ("", "", "", "r"),
}


@tagged("post_install", "-at_install")
class TestRoles(CrmClientSuiteCommon):
    """What each role may read, create, write and unlink, through the ORM,
    as the role's own user (``@users`` runs the test as that login)."""

    @property
    def all_partners(self):
        return self.client_a | self.contact_a | self.contact_a_other | self.client_b | self.contact_b

    @property
    def all_deals(self):
        return self.deal_contributor | self.deal_manager | self.deal_b | self.deal_unassigned_b

    # Guest -----------------------------------------------------------------

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_reads_no_deal(self):
        with self.assertRefusedByAccessRights("read", "crm.lead"):
            self.env["crm.lead"].search([])
        with self.assertRefusedByAccessRights("read", "crm.lead"):
            self.deal_b.with_env(self.env).read(["name"])

    @users("ccs_guest")
    def test_guest_sees_no_client_or_contact(self):
        self.assertFalse(self.visible(self.env.user, self.all_partners))
        found = self.env["res.partner"].search([("is_company", "=", True)])
        self.assertNotIn(self.client_a, found)
        # ... but still sees the people they work with, so the back end works.
        self.assertIn(self.manager.partner_id, self.visible(self.env.user, self.manager.partner_id))

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_cannot_read_client_by_id(self):
        with self.assertRefusedByRecordRules("read", "res.partner"):
            self.client_a.with_env(self.env).read(["name", "email"])

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_cannot_create_client(self):
        with self.assertRefusedByAccessRights("create", "res.partner"):
            self.env["res.partner"].create({"name": "Gast AG", "is_company": True})

    # Contributor -----------------------------------------------------------

    def test_contributor_sees_own_contacts_only(self):
        visible = self.visible(self.contributor, self.all_partners)
        self.assertEqual(visible, self.client_a | self.contact_a)

    def test_contributor_sees_own_deals_only(self):
        self.assertEqual(self.visible(self.contributor, self.all_deals), self.deal_contributor)

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_cannot_read_other_deal(self):
        with self.assertRefusedByRecordRules("read", "crm.lead"):
            self.deal_manager.with_env(self.env).read(["name"])
        with self.assertRefusedByRecordRules("read", "crm.lead"):
            self.deal_unassigned_b.with_env(self.env).read(["name"])

    @users("ccs_contributor")
    def test_contributor_creates_and_edits_own_contact(self):
        contact = self.env["res.partner"].create(
            {"name": "Marta Gómez", "parent_id": self.client_a.id, "user_id": self.env.user.id}
        )
        contact.write({"function": "Jefa de obra"})
        contact.invalidate_recordset()
        self.assertEqual(contact.sudo().function, "Jefa de obra")

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_cannot_create_contact_for_someone_else(self):
        with self.assertRefusedByRecordRules("create", "res.partner"):
            self.env["res.partner"].create({"name": "Pedro Sanz", "user_id": self.manager.id})

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_cannot_edit_other_contact(self):
        with self.assertRefusedByRecordRules("write", "res.partner"):
            self.contact_a_other.with_env(self.env).write({"function": "CEO"})

    @users("ccs_contributor")
    def test_contributor_updates_own_deal(self):
        self.deal_contributor.with_env(self.env).write({"expected_revenue": 15000})
        self.deal_contributor.invalidate_recordset()
        self.assertEqual(self.deal_contributor.expected_revenue, 15000)

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_cannot_unlink_deal(self):
        with self.assertRefusedByAccessRights("unlink", "crm.lead"):
            self.deal_contributor.with_env(self.env).unlink()
        self.assertTrue(self.deal_contributor.exists())

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_cannot_update_other_deal(self):
        # The deal is hidden from them: the write fails on reading it.
        with self.assertRefusedByRecordRules("read", "crm.lead"):
            self.deal_manager.with_env(self.env).write({"expected_revenue": 1})
        self.deal_manager.invalidate_recordset()
        self.assertEqual(self.deal_manager.expected_revenue, 8000)

    # Manager ---------------------------------------------------------------

    def test_manager_sees_all_clients_and_contacts(self):
        self.assertEqual(self.visible(self.manager, self.all_partners), self.all_partners)

    @users("ccs_manager")
    def test_manager_manages_clients_and_contacts(self):
        Partner = self.env["res.partner"]
        client = Partner.create({"name": "Hoffmann & Söhne KG", "is_company": True})
        contact = Partner.create({"name": "Anna Hoffmann", "parent_id": client.id})
        contact.write({"function": "Geschäftsführerin"})
        self.contact_b.with_env(self.env).write({"function": "Einkauf"})
        contact.unlink()
        self.assertFalse(contact.exists())
        self.contact_b.invalidate_recordset()
        self.assertEqual(self.contact_b.function, "Einkauf")

    def test_manager_sees_own_team_and_unassigned_deals(self):
        visible = self.visible(self.manager, self.all_deals)
        self.assertEqual(visible, self.deal_contributor | self.deal_manager | self.deal_unassigned_b)

    @users("ccs_manager")
    @mute_logger(*MUTE)
    def test_manager_cannot_read_other_team_deal(self):
        with self.assertRefusedByRecordRules("read", "crm.lead"):
            self.deal_b.with_env(self.env).read(["name"])

    @users("ccs_manager")
    @mute_logger(*MUTE)
    def test_manager_cannot_delete_deals(self):
        with self.assertRefusedByAccessRights("unlink", "crm.lead"):
            self.deal_manager.with_env(self.env).unlink()

    @users("ccs_manager")
    @mute_logger(*MUTE)
    def test_manager_has_no_configuration(self):
        with self.assertRefusedByAccessRights("create", "crm.stage"):
            self.env["crm.stage"].create({"name": "Sin configurar"})

    # Admin -----------------------------------------------------------------

    @users("ccs_admin")
    def test_admin_sees_and_deletes_everything(self):
        self.assertEqual(self.visible(self.env.user, self.all_deals), self.all_deals)
        self.assertEqual(self.visible(self.env.user, self.all_partners), self.all_partners)
        stage = self.env["crm.stage"].create({"name": "Auditoría"})
        self.deal_b.with_env(self.env).unlink()
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
        with self.assertRefusedByAccessRights("read", "crm.lead"):
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
        with self.assertRefusedByAccessRights("create", "res.company.team.isolation"):
            self.env["res.company.team.isolation"].with_user(self.manager).create({"crm_team_isolation": True})
        other = self.env["res.company"].create({"name": "Filial Portugal Lda"})
        wizard = (
            self.env["res.company.team.isolation"]
            .with_user(self.admin_user)
            .create({"company_id": other.id, "crm_team_isolation": True})
        )
        with self.assertRaisesRegex(AccessError, "only set Team Isolation for the companies you work in"):
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
class TestAccessRights(CrmClientSuiteCommon):
    """What the access rights (security/ir.model.access.csv) of each role
    allow and refuse on every model of the add-on, checked as that role's
    user: r(ead), w(rite), c(reate), u(nlink)."""

    def test_every_model_of_the_add_on_has_its_rights_stated(self):
        xml_models = (
            self.env["ir.model.data"]
            .search([("module", "=", "crm_client_suite"), ("model", "=", "ir.model")])
            .mapped("res_id")
        )
        # the add-on's own models, not the ones it only extends
        own = (
            self.env["ir.model"]
            .browse(xml_models)
            .filtered(lambda model: model.modules == "crm_client_suite" and not self.env[model.model]._abstract)
        )
        self.assertEqual(sorted(own.mapped("model")), sorted(ACL_RIGHTS))

    @users(*ROLE_LOGINS)
    @mute_logger(*MUTE)
    def test_rights_of_each_role_on_each_model(self):
        role = ROLE_LOGINS.index(self.env.user.login)
        for model, rights in ACL_RIGHTS.items():
            Model = self.env[model]
            for letter, operation in ACL_OPERATIONS.items():
                with self.subTest(model=model, operation=operation):
                    if letter in rights[role]:
                        self.assertTrue(Model.has_access(operation))
                    else:
                        with self.assertRefusedByAccessRights(operation, model):
                            Model.check_access(operation)

    @users("ccs_manager")
    def test_manager_reads_field_definitions_for_set_field_steps(self):
        fields = self.env["ir.model.fields"].search([("model", "=", "crm.lead"), ("name", "=", "priority")])
        self.assertEqual(fields.name, "priority")
        with self.assertRefusedByAccessRights("write", "ir.model.fields"), mute_logger(*MUTE):
            fields.write({"field_description": "Prioridad"})

    # The rights at work, on real records ------------------------------------

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_reaches_no_crm_data(self):
        for model in (
            "crm.automation",
            "crm.automation.run",
            "crm.outreach",
            "crm.deal.stakeholder",
            "crm.deal.stage.history",
            "crm.contact.report",
            "crm.competitor",
        ):
            with self.subTest(model=model), self.assertRefusedByAccessRights("read", model):
                self.env[model].search([])

    @users("ccs_contributor", "ccs_manager")
    @mute_logger(*MUTE)
    def test_sales_roles_read_competitors_but_do_not_configure_them(self):
        name = f"Rival Obras S.A. ({self.env.user.login})"
        competitor = self.env["crm.competitor"].sudo().create({"name": name}).with_env(self.env)
        self.assertEqual(competitor.read(["name"])[0]["name"], name)
        with self.assertRefusedByAccessRights("create", "crm.competitor"):
            self.env["crm.competitor"].create({"name": "Otro Rival S.L."})
        with self.assertRefusedByAccessRights("write", "crm.competitor"):
            competitor.write({"name": "Renamed"})
        with self.assertRefusedByAccessRights("unlink", "crm.competitor"):
            competitor.unlink()
        self.assertTrue(competitor.exists())

    @users("ccs_admin")
    def test_admin_configures_competitors(self):
        competitor = self.env["crm.competitor"].create({"name": "Rival Obras S.A."})
        competitor.write({"website": "https://rival.example.com"})
        competitor.unlink()
        self.assertFalse(competitor.exists())

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_logs_outreach_on_own_contacts_only(self):
        Outreach = self.env["crm.outreach"]
        call = Outreach.create({"summary": "Llamada", "channel": "call", "partner_id": self.contact_a.id})
        call.write({"outcome": "done"})
        self.assertEqual(Outreach.search([("id", "=", call.id)]), call)
        theirs = Outreach.sudo().create(
            {"summary": "Visita", "partner_id": self.contact_a_other.id, "user_id": self.manager.id}
        )
        self.assertFalse(Outreach.search([("id", "=", theirs.id)]))
        with self.assertRefusedByRecordRules("write", "crm.outreach"):
            theirs.with_env(self.env).write({"summary": "Cambiada"})
        # Done, the call is audit trail (tests/test_outreach.py).
        with self.assertRaisesRegex(AccessError, "only Admins can change it"):
            call.unlink()
        self.assertTrue(call.exists())

    @users("ccs_manager", "ccs_admin")
    @mute_logger(*MUTE)
    def test_stage_history_is_written_by_the_add_on_only(self):
        won = self.env["crm.stage"].sudo().search([("is_won", "=", True)], limit=1)
        self.deal_manager.sudo().stage_id = won
        history = self.env["crm.deal.stage.history"].search([("lead_id", "=", self.deal_manager.id)])
        self.assertIn(won, history.stage_id)
        with self.assertRefusedByAccessRights("write", "crm.deal.stage.history"):
            history.write({"date_in": "2020-01-01 00:00:00"})
        with self.assertRefusedByAccessRights("unlink", "crm.deal.stage.history"):
            history.unlink()
        with self.assertRefusedByAccessRights("create", "crm.deal.stage.history"):
            history.create({"lead_id": self.deal_manager.id, "date_in": "2020-01-01 00:00:00"})

    @users("ccs_guest", "ccs_contributor", "ccs_manager")
    @mute_logger(*MUTE)
    def test_only_admin_defines_custom_fields(self):
        definitions = self.env["crm.custom.field"]
        key = f"badge_{self.env.user.login}"
        badge = definitions.sudo().create({"name": "Badge", "key": key, "field_type": "char"})
        self.assertEqual(definitions.search([("id", "=", badge.id)]).name, "Badge")
        with self.assertRefusedByAccessRights("write", "crm.custom.field"):
            badge.with_env(self.env).write({"required": True})
        with self.assertRefusedByAccessRights("create", "crm.custom.field"):
            definitions.create({"name": "Nope", "key": f"nope_{self.env.user.login}", "field_type": "char"})
        with self.assertRefusedByAccessRights("create", "crm.custom.field.group"):
            self.env["crm.custom.field.group"].create({"name": "Nope"})
