from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged, users
from odoo.tools import SQL, mute_logger

from ..hooks import keep_used_stages
from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
STOCK_USERS = ("ccs_stock_salesman", "ccs_stock_all_leads", "ccs_stock_sale_manager")
ROLES = ("group_guest", "group_contributor", "group_manager", "group_admin")


class StockCompatCommon(CrmClientSuiteCommon):
    """Users who hold only one of Odoo's stock Sales rights, as on a database where CRM was in use
    before the add-on, and a client without salesperson, as most clients there are."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.role = {name: ref(f"crm_client_suite.{name}") for name in ROLES}

        def stock_user(login, group):
            return new_test_user(cls.env, login=login, groups=f"base.group_user,{group}", name=login.title())

        cls.stock_salesman = stock_user("ccs_stock_salesman", "sales_team.group_sale_salesman")
        cls.stock_all_leads = stock_user("ccs_stock_all_leads", "sales_team.group_sale_salesman_all_leads")
        cls.stock_sale_manager = stock_user("ccs_stock_sale_manager", "sales_team.group_sale_manager")
        cls.client_unowned = cls.env["res.partner"].create(
            {"name": "Talleres Gómez S.A.", "is_company": True, "email": "info@talleres-gomez.example.com"}
        )
        cls.product = cls.env["product.product"].create({"name": "Consulting day", "list_price": 800})
        cls.lost_reason = cls.env["crm.lost.reason"].create({"name": "Budget cut"})

    def roles_of(self, user):
        return {name for name, group in self.role.items() if group in user.groups_id}

    def take_role_away(self, user):
        user.write({"groups_id": [Command.unlink(group.id) for group in self.role.values()]})


@tagged("post_install", "-at_install")
class TestStockSalesRoles(StockCompatCommon):
    def test_stock_sales_rights_map_to_roles(self):
        # Own Documents Only and All Documents -> Manager (all contacts, deals never narrowed),
        # Sales Administrator -> Admin.
        self.assertEqual(self.roles_of(self.stock_salesman), {"group_guest", "group_contributor", "group_manager"})
        self.assertEqual(self.roles_of(self.stock_all_leads), {"group_guest", "group_contributor", "group_manager"})
        self.assertEqual(self.roles_of(self.stock_sale_manager), set(ROLES))

    def test_install_gives_roles_to_users_without_one(self):
        user = new_test_user(self.env, login="ccs_stock_legacy", groups="base.group_user")
        # as on a database where the user got Sales rights before the add-on was installed
        self.env.cr.execute(
            SQL(
                "INSERT INTO res_groups_users_rel (gid, uid) VALUES (%s, %s)",
                self.env.ref("sales_team.group_sale_manager").id,
                user.id,
            )
        )
        user.invalidate_recordset(["groups_id"])
        self.assertFalse(self.roles_of(user))
        self.env["res.users"]._crm_assign_roles_from_sales()
        self.assertEqual(self.roles_of(user), set(ROLES))
        # users who already have a role keep it
        self.assertEqual(self.roles_of(self.contributor), {"group_guest", "group_contributor"})

    def test_sales_right_given_later_gives_the_role(self):
        user = new_test_user(self.env, login="ccs_stock_later", groups="base.group_user")
        self.assertFalse(self.roles_of(user))
        user.write({"groups_id": [Command.link(self.env.ref("sales_team.group_sale_salesman").id)]})
        self.assertIn("group_manager", self.roles_of(user))
        self.assertNotIn("group_admin", self.roles_of(user))
        # through the group, as data files and the group form do
        self.env.ref("sales_team.group_sale_manager").write({"users": [Command.link(user.id)]})
        self.assertIn("group_admin", self.roles_of(user))

    def test_sales_right_through_implied_group_gives_the_role(self):
        team_leads = self.env["res.groups"].create({"name": "Team leads", "users": [Command.link(self.guest.id)]})
        team_leads.write({"implied_ids": [Command.link(self.env.ref("sales_team.group_sale_manager").id)]})
        self.assertIn("group_admin", self.roles_of(self.guest))

    def test_role_set_in_the_same_change_wins(self):
        user = new_test_user(self.env, login="ccs_stock_chosen", groups="base.group_user")
        user.write(
            {
                "groups_id": [
                    Command.link(self.env.ref("sales_team.group_sale_manager").id),
                    Command.link(self.role["group_contributor"].id),
                ]
            }
        )
        self.assertEqual(self.roles_of(user), {"group_guest", "group_contributor"})

    def test_role_taken_away_stays_away(self):
        user = self.stock_salesman
        self.take_role_away(user)
        self.assertFalse(self.roles_of(user))
        user.write({"groups_id": [Command.link(self.env.ref("base.group_allow_export").id)]})
        self.assertFalse(self.roles_of(user))
        self.assertTrue(user.has_group("sales_team.group_sale_salesman"))

    @users("ccs_stock_salesman")
    @mute_logger(*MUTE)
    def test_mapped_salesman_is_not_widened_past_manager(self):
        # another team's deal stays out of reach, and configuration too
        with self.assertRaises(AccessError):
            self.env["crm.lead"].browse(self.deal_b.id).name  # noqa: B018
        with self.assertRaises(AccessError):
            self.env["crm.competitor"].create({"name": "Acme"})


@tagged("post_install", "-at_install")
class TestStockSalesScreens(StockCompatCommon):
    """Every stock CRM screen, through ``Form``, as each stock Sales user."""

    def _create_deal(self, **values):
        with Form(self.env["crm.lead"].with_context(default_type="opportunity")) as form:
            form.name = values.get("name", "Renovación taller")
            form.partner_id = self.client_unowned
            form.amount_currency = 5000
        return form.record

    @users(*STOCK_USERS)
    def test_lead_form_and_pipeline(self):
        deal = self._create_deal()
        self.assertEqual(deal.user_id, self.env.user)
        with Form(deal) as form:
            form.stage_id = self.env.ref("crm.stage_lead3")
            form.amount_currency = 6500
        self.assertEqual(deal.expected_revenue, 6500)
        self.assertEqual(deal.stage_id.name, "Proposal")
        self.env["crm.lead"].get_views([(False, "kanban"), (False, "form"), (False, "list"), (False, "search")])
        groups = self.env["crm.lead"].web_read_group(
            [("type", "=", "opportunity")], ["expected_revenue:sum"], ["stage_id"]
        )["groups"]
        self.assertEqual(
            [group["stage_id"][1] for group in groups],
            ["Lead", "Qualified", "Proposal", "Negotiation", "Closed Won", "Closed Lost"],
        )
        proposal = next(group for group in groups if group["stage_id"][1] == "Proposal")
        self.assertGreaterEqual(proposal["expected_revenue"], 6500)

    @users(*STOCK_USERS)
    def test_lost_and_won(self):
        lost, won = self._create_deal(name="Perdida"), self._create_deal(name="Ganada")
        # the context of crm's "Lost" button (crm.crm_lead_lost_action)
        with Form(self.env["crm.lead.lost"].with_context(default_lead_ids=lost.ids)) as wizard:
            wizard.lost_reason_id = self.lost_reason
        wizard.record.action_lost_reason_apply()
        self.assertFalse(lost.active)
        self.assertEqual(lost.lost_reason_id, self.lost_reason)
        won.action_set_won_rainbowman()
        self.assertTrue(won.stage_id.is_won)
        self.assertEqual(won.probability, 100)

    @users(*STOCK_USERS)
    def test_convert_lead_to_opportunity(self):
        login = self.env.user.login
        with Form(self.env["crm.lead"].with_context(default_type="lead")) as form:
            form.name = "Web form request"
            form.partner_name = f"Carpintería López {login}"
            form.contact_name = f"Ana López {login}"
            form.email_from = f"ana@{login}.example.com"
        lead = form.record
        context = {"active_model": "crm.lead", "active_id": lead.id, "active_ids": lead.ids}
        with Form(self.env["crm.lead2opportunity.partner"].with_context(**context)) as wizard:
            self.assertEqual(wizard.name, "convert")
            self.assertEqual(wizard.action, "create")
        wizard.record.action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.partner_id.commercial_partner_id.name, f"Carpintería López {login}")

    @users(*STOCK_USERS)
    def test_quotation(self):
        deal = self._create_deal()
        action = deal.action_sale_quotations_new()
        with Form(self.env["sale.order"].with_context(**action["context"])) as order:
            with order.order_line.new() as line:
                line.product_id = self.product
        self.assertEqual(order.record.opportunity_id, deal)
        self.assertEqual(order.record.partner_id, self.client_unowned)
        self.assertEqual(deal.quotation_count, 1)

    @mute_logger(*MUTE)
    def test_lead_form_without_role(self):
        """A Sales user whose role was taken away keeps stock CRM; the add-on's details stay closed."""
        user = self.stock_salesman
        self.take_role_away(user)
        deal = self.env["crm.lead"].with_user(user).with_context(default_type="opportunity")
        with Form(deal) as form:
            form.name = "Sin rol"
            form.partner_id = self.client_unowned
        deal = form.record
        self.assertEqual(deal.user_id, user)
        with Form(deal) as form:
            form.stage_id = self.env.ref("crm.stage_lead2")
        self.assertEqual(deal.stage_id.name, "Qualified")
        with self.assertRaises(AccessError):
            deal.stakeholder_ids.read(["role"])


@tagged("post_install", "-at_install")
class TestProbabilitySource(StockCompatCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.proposal = cls.env.ref("crm.stage_lead3")
        # Won and lost history for the Proposal stage, so predictive scoring has its own answer.
        cls.env["crm.lead.scoring.frequency"].create(
            [
                {
                    "variable": "stage_id",
                    "value": str(stage.id),
                    "won_count": won,
                    "lost_count": lost,
                    "team_id": cls.team_a.id,
                }
                for stage, won, lost in ((cls.env.ref("crm.stage_lead1"), 2, 18), (cls.proposal, 3, 17))
            ]
        )

    def test_new_database_uses_stage_default(self):
        self.assertEqual(self.env.company.crm_probability_source, "stage")
        deal = self.deal_contributor.with_user(self.contributor)
        deal.stage_id = self.proposal
        self.assertEqual(deal.probability, 50)

    def test_predictive_source_ignores_stage_default(self):
        self.company.crm_probability_source = "predictive"
        deal = self.deal_contributor.with_user(self.contributor)
        deal.stage_id = self.proposal
        predictive = deal.probability
        self.assertNotIn(predictive, (0, 50))
        # the same score crm gives where the stage has no default probability
        self.company.crm_probability_source = "stage"
        self.assertEqual(deal.probability, 50)
        self.proposal.probability = 0
        deal.invalidate_recordset()
        deal._compute_probabilities()
        self.assertEqual(deal.probability, predictive)

    def test_switching_source_recomputes_open_deals_and_keeps_manual_ones(self):
        automated, manual = self.deal_contributor, self.deal_manager
        (automated | manual).stage_id = self.proposal
        manual.probability = 33
        self.company.crm_probability_source = "predictive"
        self.assertNotEqual(automated.probability, 50)
        self.assertEqual(manual.probability, 33)
        self.company.crm_probability_source = "stage"
        self.assertEqual(automated.probability, 50)
        self.assertEqual(manual.probability, 33)

    def test_install_keeps_predictive_where_people_entered_deals(self):
        Company = self.env["res.company"]
        used, empty, demo_only = Company.create([{"name": "Used"}, {"name": "Empty"}, {"name": "Demo only"}])
        self.env["crm.lead"].with_context(active_test=False).search(
            [("company_id", "=", False)]
        ).company_id = self.company
        self.env["crm.lead"].create({"name": "Real deal", "company_id": used.id})
        demo = self.env["crm.lead"].create({"name": "Demo deal", "company_id": demo_only.id})
        self.env["ir.model.data"].create(
            {"module": "crm", "name": "ccs_test_demo_lead", "model": "crm.lead", "res_id": demo.id}
        )
        Company._crm_init_probability_source()
        self.assertEqual(used.crm_probability_source, "predictive")
        self.assertEqual(self.company.crm_probability_source, "predictive")  # the fixture's deals
        self.assertEqual(empty.crm_probability_source, "stage")
        self.assertEqual(demo_only.crm_probability_source, "stage")

    def test_administrator_sets_the_source_in_settings(self):
        administrator = new_test_user(
            self.env, login="ccs_settings_admin", groups="base.group_system,crm_client_suite.group_admin"
        )
        with Form(self.env["res.config.settings"].with_user(administrator)) as settings:
            settings.crm_probability_source = "predictive"
        self.assertEqual(self.company.crm_probability_source, "predictive")

    @mute_logger(*MUTE)
    def test_manager_cannot_change_the_source(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.manager).crm_probability_source = "predictive"
        self.assertEqual(self.company.crm_probability_source, "stage")


@tagged("post_install", "-at_install")
class TestStockStages(StockCompatCommon):
    def test_add_on_owns_only_its_two_stages(self):
        # Uninstalling deletes the records of the add-on's xml ids only: crm's four stages stay.
        owned = self.env["ir.model.data"].search([("module", "=", "crm_client_suite"), ("model", "=", "crm.stage")])
        self.assertEqual(sorted(owned.mapped("name")), ["stage_closed_lost", "stage_negotiation"])
        for number in range(1, 5):
            self.assertEqual(self.env.ref(f"crm.stage_lead{number}")._name, "crm.stage")

    def test_uninstall_keeps_the_add_on_stages_deals_use(self):
        lost = self.env.ref("crm_client_suite.stage_closed_lost")
        negotiation = self.env.ref("crm_client_suite.stage_negotiation")
        self.deal_manager.action_set_lost(lost_reason_id=self.lost_reason.id)
        self.assertEqual(self.deal_manager.stage_id, lost)
        keep_used_stages(self.env)
        self.assertFalse(lost.get_external_id()[lost.id])  # no xml id: not deleted with the module
        self.assertEqual(negotiation.get_external_id()[negotiation.id], "crm_client_suite.stage_negotiation")

    def test_adopting_keeps_admin_names_and_translates_the_new_ones(self):
        self.env["res.lang"]._activate_lang("es_ES")
        new, proposition = self.env.ref("crm.stage_lead1"), self.env.ref("crm.stage_lead3")
        new.with_context(lang="en_US").name = "New"
        new.update_field_translations("name", {"es_ES": "Nuevo"})
        proposition.with_context(lang="en_US").name = "Offer sent"  # an admin's own name
        self.env["crm.stage"]._adopt_stock_stages()
        self.assertEqual(new.with_context(lang="en_US").name, "Lead")
        self.assertNotEqual(new.with_context(lang="es_ES").name, "Nuevo")
        self.assertEqual(proposition.with_context(lang="en_US").name, "Offer sent")
        self.assertEqual(proposition.probability, 50)

    def test_a_language_installed_later_keeps_the_seed_stage_names(self):
        self.env["res.lang"]._activate_lang("es_ES")
        lead, won, proposal = (self.env.ref(f"crm.stage_lead{number}") for number in (1, 4, 3))
        # As on a database that never had Spanish: no Spanish names yet, and one admin's own.
        self.env.cr.execute(SQL("UPDATE crm_stage SET name = name - 'es_ES' WHERE id IN %s", (lead.id, won.id)))
        self.env.invalidate_all()
        proposal.update_field_translations("name", {"es_ES": "Oferta enviada"})
        self.env["ir.module.module"]._load_module_terms(["crm", "crm_client_suite"], ["es_ES"])
        self.env.invalidate_all()
        self.assertEqual(won.with_context(lang="es_ES").name, "Cerrado ganado")  # not crm's "Ganado"
        self.assertEqual(lead.with_context(lang="es_ES").name, "Lead")  # not crm's "Nuevo"
        self.assertEqual(proposal.with_context(lang="es_ES").name, "Oferta enviada")
        # Reloading the terms with overwrite gives the adopted stages the add-on's name again.
        won.update_field_translations("name", {"es_ES": "Ganado"})
        self.env["ir.module.module"]._load_module_terms(["crm", "crm_client_suite"], ["es_ES"], overwrite=True)
        self.env.invalidate_all()
        self.assertEqual(won.with_context(lang="es_ES").name, "Cerrado ganado")
