from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")


class DealPipelineCommon(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.stage_lead = ref("crm.stage_lead1")
        cls.stage_qualified = ref("crm.stage_lead2")
        cls.stage_proposal = ref("crm.stage_lead3")
        cls.stage_negotiation = ref("crm_client_suite.stage_negotiation")
        cls.stage_won = ref("crm.stage_lead4")
        cls.stage_lost = ref("crm_client_suite.stage_closed_lost")
        cls.usd = cls.company.currency_id
        cls.eur = ref("base.EUR") if cls.usd != ref("base.EUR") else ref("base.USD")
        cls.eur.active = True
        # 1 company currency = 0.5 deal currency: 100 in deal currency = 200 in company currency.
        cls.env["res.currency.rate"].search([("currency_id", "in", (cls.eur | cls.usd).ids)]).unlink()
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.eur.id, "rate": 0.5, "name": "2000-01-01", "company_id": cls.company.id}
        )
        cls.lost_reason = cls.env["crm.lost.reason"].create({"name": "Precio demasiado alto"})


@tagged("post_install", "-at_install")
class TestStages(DealPipelineCommon):
    def test_six_default_stages_reuse_stock_ones(self):
        stages = self.env["crm.stage"].search([("team_id", "=", False)])
        self.assertEqual(
            stages.mapped("name"),
            ["Lead", "Qualified", "Proposal", "Negotiation", "Closed Won", "Closed Lost"],
        )
        self.assertEqual(stages.mapped("probability"), [10, 25, 50, 75, 100, 0])
        self.assertEqual(stages.mapped("rotting_threshold_days"), [14, 14, 10, 7, 0, 0])
        # crm's four stages under crm's xml ids, and the add-on's two: no stage was replaced
        self.assertEqual(
            [stage.get_external_id()[stage.id] for stage in stages],
            [
                "crm.stage_lead1",
                "crm.stage_lead2",
                "crm.stage_lead3",
                "crm_client_suite.stage_negotiation",
                "crm.stage_lead4",
                "crm_client_suite.stage_closed_lost",
            ],
        )
        self.assertTrue(self.stage_won.is_won)
        self.assertTrue(self.stage_lost.is_lost)
        self.assertEqual(self.deal_contributor.stage_id, self.stage_lead)

    def test_team_stage_only_for_its_team(self):
        Stage = self.env["crm.stage"].with_user(self.admin_user)
        review = Stage.create({"name": "Revisión técnica", "sequence": 3, "team_id": self.team_a.id})
        columns_a = (
            self.env["crm.lead"].with_context(default_team_id=self.team_a.id)._read_group_stage_ids(Stage.browse(), [])
        )
        columns_b = (
            self.env["crm.lead"].with_context(default_team_id=self.team_b.id)._read_group_stage_ids(Stage.browse(), [])
        )
        self.assertIn(review, columns_a)
        self.assertNotIn(review, columns_b)

    def test_stage_cannot_be_won_and_lost(self):
        with self.assertRaises(ValidationError):
            self.stage_won.with_user(self.admin_user).is_lost = True

    def test_probability_follows_stage_unless_set_by_hand(self):
        deal = self.deal_contributor.with_user(self.contributor)
        deal.stage_id = self.stage_proposal
        self.assertEqual(deal.probability, 50)
        deal.probability = 33
        deal.stage_id = self.stage_negotiation
        self.assertEqual(deal.probability, 33)
        self.assertEqual(deal.automated_probability, 75)
        deal.action_set_automated_probability()
        self.assertEqual(deal.probability, 75)


@tagged("post_install", "-at_install")
class TestLostStage(DealPipelineCommon):
    def test_lost_wizard_moves_to_closed_lost_and_restore_goes_back(self):
        deal = self.deal_contributor.with_user(self.contributor)
        deal.stage_id = self.stage_proposal
        wizard = (
            self.env["crm.lead.lost"]
            .with_user(self.contributor)
            .create({"lead_ids": [Command.set(deal.ids)], "lost_reason_id": self.lost_reason.id})
        )
        wizard.action_lost_reason_apply()
        self.assertFalse(deal.active)
        self.assertEqual(deal.stage_id, self.stage_lost)
        self.assertEqual(deal.lost_reason_id, self.lost_reason)
        self.assertEqual(deal.probability, 0)
        self.assertTrue(deal.date_closed)

        deal.action_unarchive()
        self.assertTrue(deal.active)
        self.assertEqual(deal.stage_id, self.stage_proposal)
        self.assertFalse(deal.lost_reason_id)
        self.assertEqual(deal.probability, 50)

    def test_moving_lost_deal_out_of_lost_stage_restores_it(self):
        deal = self.deal_manager.with_user(self.manager)
        deal.action_set_lost(lost_reason_id=self.lost_reason.id)
        self.assertEqual(deal.stage_id, self.stage_lost)
        deal.write({"stage_id": self.stage_negotiation.id})
        self.assertTrue(deal.active)
        self.assertFalse(deal.lost_reason_id)
        self.assertEqual(deal.stage_id, self.stage_negotiation)
        self.assertEqual(deal.probability, 75)

    def test_writing_lost_stage_loses_the_deal(self):
        deal = self.deal_manager.with_user(self.manager)
        deal.write({"stage_id": self.stage_lost.id})
        self.assertFalse(deal.active)
        self.assertEqual(deal.probability, 0)
        self.assertEqual(deal.stage_id, self.stage_lost)


@tagged("post_install", "-at_install")
class TestDealCurrency(DealPipelineCommon):
    def test_amount_converted_to_company_currency_and_stored(self):
        deal = (
            self.env["crm.lead"]
            .with_user(self.contributor)
            .create(
                {
                    "name": "Exportación Lyon",
                    "type": "opportunity",
                    "user_id": self.contributor.id,
                    "team_id": self.team_a.id,
                    "currency_id": self.eur.id,
                    "amount_currency": 100,
                }
            )
        )
        self.assertEqual(deal.expected_revenue, 200)
        self.assertTrue(deal.is_foreign_currency)
        deal.amount_currency = 150
        self.assertEqual(deal.expected_revenue, 300)
        self.env.flush_all()
        self.env.cr.execute("SELECT expected_revenue FROM crm_lead WHERE id = %s", [deal.id])
        self.assertEqual(self.env.cr.fetchone()[0], 300)

    def test_pipeline_sums_never_mix_currencies(self):
        self.env["crm.lead"].create(
            {
                "name": "Deal EUR",
                "type": "opportunity",
                "team_id": self.team_a.id,
                "user_id": self.manager.id,
                "currency_id": self.eur.id,
                "amount_currency": 1000,
            }
        )
        groups = self.env["crm.lead"]._read_group(
            [("team_id", "=", self.team_a.id)], ["team_id"], ["expected_revenue:sum", "prorated_revenue:sum"]
        )
        # 12000 + 8000 in company currency, plus 1000 EUR = 2000 in company currency
        self.assertEqual(groups[0][1], 22000)
        # weighted: every deal sits in Lead (10%)
        self.assertAlmostEqual(groups[0][2], 2200)

    def test_stock_writes_of_expected_revenue_keep_amount_in_sync(self):
        self.assertEqual(self.deal_contributor.amount_currency, 12000)
        self.assertEqual(self.deal_contributor.currency_id, self.usd)
        deal = self.deal_manager
        deal.write({"currency_id": self.eur.id, "amount_currency": 10})
        deal.write({"expected_revenue": 400})
        self.assertEqual(deal.amount_currency, 200)
        self.assertEqual(deal.expected_revenue, 400)


@tagged("post_install", "-at_install")
class TestStageHistory(DealPipelineCommon):
    def test_history_records_enter_and_leave(self):
        with freeze_time("2026-03-02 09:00:00"):
            deal = (
                self.env["crm.lead"]
                .with_user(self.contributor)
                .create({"name": "Historia", "type": "opportunity", "user_id": self.contributor.id})
            )
        with freeze_time("2026-03-05 09:00:00"):
            deal.stage_id = self.stage_qualified
        with freeze_time("2026-03-15 21:00:00"):
            deal.stage_id = self.stage_proposal
        history = (
            self.env["crm.deal.stage.history"]
            .with_user(self.contributor)
            .search([("lead_id", "=", deal.id)], order="date_in")
        )
        self.assertEqual(history.stage_id, self.stage_lead | self.stage_qualified | self.stage_proposal)
        self.assertEqual(history.mapped("next_stage_id"), self.stage_qualified | self.stage_proposal)
        self.assertEqual(history[0].date_in, datetime(2026, 3, 2, 9))
        self.assertEqual(history[0].date_out, datetime(2026, 3, 5, 9))
        self.assertEqual(history[0].duration_days, 3)
        self.assertEqual(history[1].duration_days, 10.5)
        self.assertFalse(history[2].date_out)
        self.assertEqual(history.user_id, self.contributor)

    def test_time_in_current_stage(self):
        deal = self.deal_contributor
        deal.date_last_stage_update = datetime(2026, 3, 2, 9)
        with freeze_time("2026-03-09 10:00:00"):
            deal.invalidate_recordset(["days_in_stage"])
            self.assertEqual(deal.days_in_stage, 7)

    def test_batch_moves_write_history_in_batch(self):
        deals = self.deal_contributor | self.deal_manager
        deals.write({"stage_id": self.stage_negotiation.id})
        open_rows = self.env["crm.deal.stage.history"].search([("lead_id", "in", deals.ids), ("date_out", "=", False)])
        self.assertEqual(open_rows.lead_id, deals)
        self.assertEqual(open_rows.stage_id, self.stage_negotiation)


@tagged("post_install", "-at_install")
class TestStalledDeals(DealPipelineCommon):
    def _activities(self, deal):
        return self.env["mail.activity"].search([("res_model", "=", "crm.lead"), ("res_id", "=", deal.id)])

    def test_stalled_flag_filter_and_cron_never_repeats(self):
        with freeze_time("2026-04-01 08:00:00"):
            deal = self.env["crm.lead"].create(
                {
                    "name": "Deal dormido",
                    "type": "opportunity",
                    "user_id": self.contributor.id,
                    "team_id": self.team_a.id,
                }
            )
            fresh = self.env["crm.lead"].create(
                {"name": "Deal activo", "type": "opportunity", "user_id": self.contributor.id}
            )
        self.assertEqual(deal.stage_id, self.stage_lead)  # 14 days threshold
        with freeze_time("2026-04-10 08:00:00"):
            fresh.stage_id = self.stage_qualified
        with freeze_time("2026-04-14 08:00:00"):
            (deal | fresh).invalidate_recordset(["is_stalled"])
            self.assertFalse(deal.is_stalled)
        with freeze_time("2026-04-16 08:00:00"):
            (deal | fresh).invalidate_recordset(["is_stalled"])
            self.assertTrue(deal.is_stalled)
            self.assertFalse(fresh.is_stalled)
            stalled = self.env["crm.lead"].with_user(self.contributor).search([("is_stalled", "=", True)])
            self.assertIn(deal, stalled)
            self.assertNotIn(fresh, stalled)
            not_stalled = self.env["crm.lead"].with_user(self.contributor).search([("is_stalled", "=", False)])
            self.assertIn(fresh, not_stalled)
            self.assertNotIn(deal, not_stalled)

            self.env["crm.lead"]._cron_notify_stalled(batch_size=1)
            self.env["crm.lead"]._cron_notify_stalled(batch_size=1)
            activities = self._activities(deal)
            self.assertEqual(len(activities), 1)
            self.assertEqual(activities.user_id, self.contributor)
            self.assertIn("Stalled", activities.summary)
            self.assertFalse(self._activities(fresh))
            digests = self.env["mail.message"].search(
                [("subject", "=", "Stalled deals"), ("partner_ids", "in", self.contributor.partner_id.ids)]
            )
            self.assertEqual(len(digests), 1, "one notification to the owner, not one per run")
        with freeze_time("2026-04-20 08:00:00"):
            self.env["crm.lead"]._cron_notify_stalled()
            self.assertEqual(len(self._activities(deal)), 1, "same stalled period: no second alert")
            # the salesperson logs a call: the deal is alive again
            deal.with_user(self.contributor).message_post(body="Llamada con el cliente", message_type="comment")
            deal.invalidate_recordset(["is_stalled"])
            self.assertFalse(deal.is_stalled)
        with freeze_time("2026-05-06 08:00:00"):
            self.env["crm.lead"]._cron_notify_stalled()
            self.assertEqual(len(self._activities(deal)), 2, "a new stalled period gets a new alert")

    def test_won_and_lost_deals_never_stall(self):
        with freeze_time("2026-04-01 08:00:00"):
            deal = self.env["crm.lead"].create(
                {"name": "Ganado", "type": "opportunity", "user_id": self.contributor.id}
            )
            deal.action_set_won()
        with freeze_time("2026-06-01 08:00:00"):
            self.assertNotIn(deal, self.env["crm.lead"].search([("is_stalled", "=", True)]))


@tagged("post_install", "-at_install")
class TestLeadToCustomer(DealPipelineCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["utm.source"].create({"name": "Feria Construmat"})
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Interés en mantenimiento",
                "type": "lead",
                "partner_name": "Reformas Costa Brava S.L.",
                "contact_name": "Núria Puig",
                "email_from": "Nuria.Puig@reformas-costa.example.com ",
                "phone": "+34 972 111 222",
                "user_id": cls.manager.id,
                "team_id": cls.team_a.id,
                "source_id": cls.source.id,
            }
        )
        cls.lead.message_post(body="Primera llamada: quieren presupuesto", message_type="comment")
        cls.env["ir.attachment"].create(
            {"name": "planos.pdf", "raw": b"%PDF-1.4", "res_model": "crm.lead", "res_id": cls.lead.id}
        )
        cls.lead.activity_schedule("mail.mail_activity_data_call", summary="Llamar a Núria", user_id=cls.manager.id)

    def _convert(self, leads, user, partner=None):
        wizard = (
            self.env["crm.lead.convert.customer"]
            .with_user(user)
            .with_context(active_model="crm.lead", active_ids=leads.ids)
            .create({"partner_id": partner.id if partner else False})
        )
        if not partner:
            wizard.partner_id = False
        return wizard.action_convert()

    def test_new_customer_inherits_history(self):
        before = self.env["res.partner"].search_count([])
        self._convert(self.lead, self.manager)
        contact = self.lead.partner_id
        client = contact.commercial_partner_id
        self.assertEqual(self.lead.type, "opportunity")
        self.assertEqual(contact.name, "Núria Puig")
        self.assertEqual(client.name, "Reformas Costa Brava S.L.")
        self.assertTrue(client.is_company)
        self.assertEqual(self.env["res.partner"].search_count([]), before + 2)
        self.assertIn("Primera llamada", "".join(client.message_ids.mapped("body")))
        attachments = self.env["ir.attachment"].search([("res_model", "=", "res.partner"), ("res_id", "=", client.id)])
        self.assertEqual(attachments.mapped("name"), ["planos.pdf"])
        activities = self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", client.id)])
        self.assertEqual(activities.mapped("summary"), ["Llamar a Núria"])
        self.assertFalse(self.lead.activity_ids)
        self.assertEqual(client.source_id, self.source)

    def test_existing_partner_found_by_dedupe_is_reused(self):
        existing = self.env["res.partner"].create(
            {"name": "Núria Puig Soler", "email": "nuria.puig@reformas-costa.example.com"}
        )
        before = self.env["res.partner"].search_count([])
        self._convert(self.lead, self.manager)
        self.assertEqual(self.lead.partner_id, existing)
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        self.assertEqual(existing.source_id, self.source)

    def test_dedupe_by_phone_and_company_name_for_many_leads(self):
        by_phone = self.env["res.partner"].create({"name": "Centralita Costa", "phone": "0034-972-111-222"})
        by_name = self.env["res.partner"].create({"name": "Hierros Ampurdán S.A.", "is_company": True})
        other = self.env["crm.lead"].create(
            {
                "name": "Vallas",
                "type": "lead",
                "partner_name": "HIERROS AMPURDÁN S.A.",
                "contact_name": "Jordi Pujol",
                "user_id": self.manager.id,
            }
        )
        self.lead.email_from = False
        self.lead.phone = "0034 972 111 222"
        self._convert(self.lead | other, self.manager)
        self.assertEqual(self.lead.partner_id, by_phone)
        self.assertEqual(other.partner_id.parent_id, by_name)
        self.assertEqual(other.partner_id.name, "Jordi Pujol")

    def test_contributor_converts_own_lead(self):
        own = self.env["crm.lead"].create(
            {
                "name": "Cubiertas",
                "type": "lead",
                "partner_name": "Cubiertas del Norte S.L.",
                "contact_name": "Iker Etxeberria",
                "email_from": "iker@cubiertas-norte.example.com",
                "user_id": self.contributor.id,
            }
        )
        own.message_post(body="Visita en obra", message_type="comment")
        self._convert(own, self.contributor)
        client = own.partner_id.commercial_partner_id
        self.assertEqual(client.name, "Cubiertas del Norte S.L.")
        self.assertEqual(client.user_id, self.contributor)
        self.assertIn(client, self.visible(self.contributor, client))
        self.assertIn("Visita en obra", "".join(client.message_ids.mapped("body")))

    @mute_logger(*MUTE)
    def test_contributor_cannot_convert_someone_elses_lead(self):
        with self.assertRaises(AccessError):
            self._convert(self.lead, self.contributor)

    def test_guest_has_no_wizard(self):
        with self.assertRaises(AccessError), mute_logger(*MUTE):
            self.env["crm.lead.convert.customer"].with_user(self.guest).create({})


@tagged("post_install", "-at_install")
class TestQuotationAndProject(DealPipelineCommon):
    def test_quotation_in_deal_currency_linked_to_deal(self):
        pricelist = self.env["product.pricelist"].create({"name": "Tarifa EUR", "currency_id": self.eur.id})
        deal = self.deal_manager
        deal.write({"currency_id": self.eur.id, "amount_currency": 4000})
        action = deal.with_user(self.manager).action_sale_quotations_new()
        order = (
            self.env["sale.order"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"partner_id": deal.partner_id.id})
        )
        self.assertEqual(order.pricelist_id, pricelist)
        self.assertEqual(order.currency_id, self.eur)
        self.assertEqual(order.opportunity_id, deal)
        self.assertEqual(order.partner_id, self.client_a)
        self.assertIn(order, deal.order_ids)

    def test_quotation_without_pricelist_in_currency_is_refused(self):
        self.env["product.pricelist"].search([("currency_id", "=", self.eur.id)]).active = False
        self.deal_manager.write({"currency_id": self.eur.id})
        with self.assertRaises(UserError):
            self.deal_manager.with_user(self.manager).action_sale_quotations_new()

    def test_project_from_won_deal(self):
        self.admin_user.groups_id |= self.env.ref("project.group_project_manager")
        deal = self.deal_manager.with_user(self.admin_user)
        with self.assertRaises(UserError):
            deal._create_client_project()
        deal.action_set_won()
        action = deal.action_create_project()
        wizard = Form(self.env[action["res_model"]].with_user(self.admin_user).with_context(**action["context"]))
        wizard.add_followers = True
        wizard.save().action_create()
        project = deal.project_id
        self.assertTrue(project)
        self.assertEqual(project.partner_id, self.client_a)
        self.assertEqual(project.type_ids.mapped("name"), ["To Do", "In Progress", "Review", "Done"])
        followers = project.message_partner_ids
        self.assertIn(self.contact_a, followers)
        self.assertIn(self.contact_a_other, followers)
        with self.assertRaises(UserError):
            deal._create_client_project()


@tagged("post_install", "-at_install")
class TestDealAccess(DealPipelineCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Stakeholder = cls.env["crm.deal.stakeholder"]
        cls.sh_contributor = Stakeholder.create(
            {"lead_id": cls.deal_contributor.id, "partner_id": cls.contact_a.id, "role": "decision_maker"}
        )
        cls.sh_b = Stakeholder.create({"lead_id": cls.deal_b.id, "partner_id": cls.contact_b.id, "role": "champion"})
        cls.sh_unassigned_b = Stakeholder.create(
            {"lead_id": cls.deal_unassigned_b.id, "partner_id": cls.contact_b.id, "role": "user"}
        )
        cls.all_stakeholders = cls.sh_contributor | cls.sh_b | cls.sh_unassigned_b
        cls.History = cls.env["crm.deal.stage.history"]
        cls.all_history = cls.History.search(
            [("lead_id", "in", (cls.deal_contributor | cls.deal_b | cls.deal_unassigned_b).ids)]
        )

    def test_contributor_manages_stakeholders_of_own_deal_only(self):
        self.assertEqual(self.visible(self.contributor, self.all_stakeholders), self.sh_contributor)
        stakeholder = (
            self.env["crm.deal.stakeholder"]
            .with_user(self.contributor)
            .create({"lead_id": self.deal_contributor.id, "partner_id": self.client_a.id, "role": "influencer"})
        )
        stakeholder.role = "champion"
        self.assertEqual(self.deal_contributor.stakeholder_ids.mapped("role"), ["decision_maker", "champion"])

    @mute_logger(*MUTE)
    def test_contributor_cannot_touch_other_deal_stakeholders(self):
        with self.assertRaises(AccessError):
            self.env["crm.deal.stakeholder"].with_user(self.contributor).create(
                {"lead_id": self.deal_manager.id, "partner_id": self.contact_a.id}
            )
        with self.assertRaises(AccessError):
            self.sh_b.with_user(self.contributor).read(["role"])

    def test_history_follows_deal_visibility(self):
        self.assertEqual(self.visible(self.contributor, self.all_history).lead_id, self.deal_contributor)
        self.assertEqual(
            self.visible(self.manager, self.all_history).lead_id,
            self.deal_contributor | self.deal_unassigned_b,
        )
        self.assertEqual(self.visible(self.admin_user, self.all_history), self.all_history)

    def test_team_isolation_hides_other_team_stakeholders_and_history(self):
        self.set_team_isolation(True)
        self.assertEqual(self.visible(self.manager, self.all_stakeholders), self.sh_contributor)
        self.assertEqual(self.visible(self.manager, self.all_history).lead_id, self.deal_contributor)
        self.assertEqual(self.visible(self.manager_b, self.all_stakeholders), self.sh_b | self.sh_unassigned_b)

    def test_history_of_lost_deal_stays_readable(self):
        self.deal_contributor.action_set_lost()
        rows = self.History.with_user(self.contributor).search([("lead_id", "=", self.deal_contributor.id)])
        self.assertEqual(rows.stage_id, self.stage_lead | self.stage_lost)

    @mute_logger(*MUTE)
    def test_nobody_edits_history(self):
        row = self.all_history[:1]
        for user in (self.contributor, self.manager, self.admin_user):
            with self.assertRaises(AccessError):
                row.with_user(user).write({"date_out": "2026-01-01 00:00:00"})

    @mute_logger(*MUTE)
    def test_guest_reads_no_stakeholder_nor_history(self):
        with self.assertRaises(AccessError):
            self.env["crm.deal.stakeholder"].with_user(self.guest).search([])
        with self.assertRaises(AccessError):
            self.History.with_user(self.guest).search([])

    @mute_logger(*MUTE)
    def test_competitors_configured_by_admin_only(self):
        competitor = self.env["crm.competitor"].with_user(self.admin_user).create({"name": "Competidor SA"})
        self.deal_contributor.with_user(self.contributor).competitor_ids = competitor
        self.assertEqual(self.deal_contributor.competitor_ids, competitor)
        with self.assertRaises(AccessError):
            self.env["crm.competitor"].with_user(self.manager).create({"name": "Otro"})
