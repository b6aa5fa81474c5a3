from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_rule")


@tagged("post_install", "-at_install")
class TestTimeline(CrmClientSuiteCommon):
    """The timeline of a client with two contacts and two deals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        mt_note = env.ref("mail.mt_note").id
        with freeze_time("2026-02-01 09:00:00"):
            cls.client_a.message_post(
                body="Cliente visitado en feria", subtype_id=mt_note, author_id=cls.manager.partner_id.id
            )
        with freeze_time("2026-02-02 09:00:00"):
            cls.contact_a.message_post(
                body="Necesitamos presupuesto para la nave",
                subject="Presupuesto nave",
                message_type="email",
                author_id=cls.contact_a.id,
            )
        with freeze_time("2026-02-03 09:00:00"):
            cls.contact_a_other.with_user(cls.manager).message_post(
                body="Le envío el catálogo",
                subject="Catálogo 2026",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with freeze_time("2026-02-04 09:00:00"):
            call = cls.deal_contributor.activity_schedule(
                "mail.mail_activity_data_call", summary="Llamada de cierre", user_id=cls.contributor.id
            )
            call.with_user(cls.contributor).action_feedback(feedback="Acepta la oferta")
        cls.chat = cls.deal_manager.activity_schedule(
            "crm_client_suite.mail_activity_type_chat",
            summary="Chat con compras",
            date_deadline=date(2026, 2, 5),
            user_id=cls.manager.id,
        )
        with freeze_time("2026-02-06 09:00:00"):
            cls.outreach = env["crm.outreach"].create(
                {
                    "summary": "Visita a obra",
                    "channel": "call",
                    "partner_id": cls.contact_a.id,
                    "user_id": cls.contributor.id,
                }
            )
        with freeze_time("2026-02-07 09:00:00"):
            cls.won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
            cls.deal_manager.with_user(cls.manager).stage_id = cls.won
        with freeze_time("2026-02-08 09:00:00"):
            cls.order = env["sale.order"].create({"partner_id": cls.client_a.id, "user_id": cls.manager.id})
        # noise: another client's entries never show
        cls.contact_b.message_post(body="Otro cliente", subtype_id=mt_note)

    def page(self, partner=None, **filters):
        partner = partner or self.client_a
        limit = filters.pop("limit", 40)
        offset = filters.pop("offset", 0)
        return self.env["crm.timeline"].get_page(partner.id, filters, offset=offset, limit=limit)

    def summary(self, **filters):
        return [(e["type"], e["title"], e["res_name"]) for e in self.page(**filters)["entries"]]

    def since_february(self, **filters):
        # the fixture's own records (their creation, the deals' first stage)
        # date from today: keep to the entries made in February
        return self.summary(date_from="2026-02-01", date_to="2026-02-28", **filters)

    @users("ccs_admin")
    def test_client_timeline_content_and_order(self):
        self.assertEqual(
            self.since_february(),
            [
                ("document", self.order.name, self.client_a.name),
                ("stage", f"Stage: {self.won.name}", "Reforma Sevilla"),
                ("outreach", "Visita a obra", self.contact_a.display_name),
                ("chat", "Chat con compras", "Reforma Sevilla"),
                ("call", "Call", "Obra nueva Madrid"),
                ("email_out", "Catálogo 2026", self.contact_a_other.display_name),
                ("email_in", "Presupuesto nave", self.contact_a.display_name),
                ("note", "Note", self.client_a.name),
            ],
        )
        entries = {e["type"]: e for e in self.page(date_from="2026-02-01", date_to="2026-02-28")["entries"]}
        self.assertTrue(entries["chat"]["planned"])
        self.assertIn("Acepta la oferta", entries["call"]["body"])
        self.assertEqual(entries["email_out"]["author"], "Ccs Manager")
        self.assertEqual(
            (entries["stage"]["open_model"], entries["stage"]["open_id"]), ("crm.lead", self.deal_manager.id)
        )
        self.assertEqual(
            (entries["document"]["open_model"], entries["document"]["open_id"]), ("sale.order", self.order.id)
        )
        self.assertEqual(
            (entries["email_in"]["open_model"], entries["email_in"]["open_id"]), ("res.partner", self.contact_a.id)
        )

    @users("ccs_admin")
    def test_contact_timeline_holds_its_own_and_its_deals_entries(self):
        self.deal_contributor.sudo().partner_id = self.contact_a
        kinds = [
            kind
            for kind, _title, _name in self.summary(
                partner=self.contact_a, date_from="2026-02-01", date_to="2026-02-28"
            )
        ]
        self.assertEqual(kinds, ["outreach", "call", "email_in"])

    def post_plans_on_client_deals(self):
        """The mail gateway put the contact's emails on the client's deals."""
        with freeze_time("2026-02-22 09:00:00"):
            for deal in (self.deal_contributor, self.deal_manager):
                deal.sudo().message_post(
                    body="Adjunto los planos",
                    subject=f"Planos {deal.name}",
                    message_type="email",
                    author_id=self.contact_a.id,
                )
        return {"date_from": "2026-02-22", "date_to": "2026-02-22"}

    @users("ccs_admin")
    def test_contact_timeline_holds_the_emails_it_wrote_on_its_client_deals(self):
        day = self.post_plans_on_client_deals()
        expected = [
            ("email_in", "Planos Reforma Sevilla", "Reforma Sevilla"),
            ("email_in", "Planos Obra nueva Madrid", "Obra nueva Madrid"),
        ]
        self.assertEqual(self.summary(partner=self.contact_a, **day), expected)
        self.assertEqual(self.summary(**day), expected, "once on the client's timeline")
        self.assertEqual(self.summary(partner=self.contact_a_other, **day), [], "the colleague wrote nothing")

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contact_timeline_holds_its_emails_only_on_deals_the_user_reads(self):
        day = self.post_plans_on_client_deals()
        expected = [("email_in", "Planos Obra nueva Madrid", "Obra nueva Madrid")]
        self.assertEqual(self.summary(partner=self.contact_a, **day), expected)
        self.assertEqual(self.summary(**day), expected)

    @users("ccs_admin")
    def test_filters(self):
        self.assertEqual(
            [k for k, _t, _n in self.since_february(types=["email_in", "email_out"])], ["email_out", "email_in"]
        )
        self.assertEqual(
            [k for k, _t, _n in self.since_february(contact_id=self.contact_a.id)], ["outreach", "email_in"]
        )
        self.assertEqual([k for k, _t, _n in self.since_february(deal_id=self.deal_manager.id)], ["stage", "chat"])
        self.assertEqual(
            {k for k, _t, _n in self.since_february(author_id=self.contributor.partner_id.id)}, {"outreach", "call"}
        )
        self.assertEqual(
            [k for k, _t, _n in self.summary(date_from="2026-02-03", date_to="2026-02-04")], ["call", "email_out"]
        )
        self.assertEqual([t for _k, t, _n in self.since_february(search="catálogo")], ["Catálogo 2026"])
        self.assertEqual([t for _k, t, _n in self.since_february(search="nave presupuesto")], ["Presupuesto nave"])
        # Words, not wildcards or the bodies' markup.
        self.assertEqual(self.since_february(search="%"), [])
        self.assertEqual(self.since_february(search="<p>"), [])

    @users("ccs_admin")
    def test_pages_do_not_overlap(self):
        february = {"date_from": "2026-02-01", "date_to": "2026-02-28"}
        first = self.page(limit=3, **february)
        second = self.page(limit=3, offset=3, **february)
        third = self.page(limit=3, offset=6, **february)
        self.assertTrue(first["has_more"] and second["has_more"])
        self.assertFalse(third["has_more"])
        keys = [e["key"] for page in (first, second, third) for e in page["entries"]]
        self.assertEqual(len(keys), 8)
        self.assertEqual(len(set(keys)), 8)

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_sees_none_of_another_owner_deals(self):
        summary = self.since_february()
        names = {name for _kind, _title, name in summary}
        self.assertNotIn("Reforma Sevilla", names)
        self.assertNotIn(self.contact_a_other.display_name, names)
        self.assertEqual([kind for kind, _title, _name in summary], ["outreach", "call", "email_in", "note"])

    @users("ccs_manager_b")
    @mute_logger(*MUTE)
    def test_other_team_manager_sees_no_team_a_deal(self):
        names = {name for _kind, _title, name in self.since_february()}
        self.assertNotIn("Reforma Sevilla", names)
        self.assertNotIn("Obra nueva Madrid", names)
        self.assertIn(self.contact_a.display_name, names)

    @users("ccs_manager_b")
    @mute_logger(*MUTE)
    def test_team_isolation_refuses_the_other_team_client(self):
        self.set_team_isolation(True)
        with self.assertRaises(AccessError):
            self.page()

    @users("ccs_manager_b")
    @mute_logger(*MUTE)
    def test_team_isolation_hides_the_other_team_deals_of_a_readable_client(self):
        self.set_team_isolation(True)
        # A collaborator of the other team's client reads the client and its contacts, not its deals.
        self.client_a.sudo().crm_collaborator_ids = [Command.link(self.env.user.id)]
        summary = self.since_february()
        names = {name for _kind, _title, name in summary}
        self.assertFalse(names & {"Reforma Sevilla", "Obra nueva Madrid"}, summary)
        self.assertFalse({kind for kind, _title, _name in summary} & {"stage", "chat", "call"}, summary)
        self.assertIn(("note", "Note", self.client_a.name), summary)
        self.assertIn(("email_in", "Presupuesto nave", self.contact_a.display_name), summary)
        for deal in (self.deal_contributor, self.deal_manager):
            self.assertEqual(self.page(deal_id=deal.id)["entries"], [])

    def log_changes(self, record, day, changes):
        """The chatter's message of a write on ``record`` on ``day``: one
        tracking value per (field name, values) of ``changes``."""
        env = self.env(su=True)
        with freeze_time(f"{day} 09:00:00"):
            env["mail.message"].create(
                {
                    "model": record._name,
                    "res_id": record.id,
                    "message_type": "notification",
                    "subtype_id": env.ref("mail.mt_note").id,
                    "tracking_value_ids": [
                        Command.create({"field_id": env["ir.model.fields"]._get(record._name, fname).id, **values})
                        for fname, values in changes
                    ],
                }
            )
        return {"date_from": day, "date_to": day}

    @users("ccs_contributor")
    def test_field_changes_follow_field_access(self):
        day = self.log_changes(
            self.contact_a,
            "2026-02-20",
            [
                ("credit_limit", {"old_value_float": 0, "new_value_float": 7300}),  # accounting groups only
                ("function", {"old_value_char": "Técnica", "new_value_char": "Jefa de obra"}),
            ],
        )
        [entry] = [e for e in self.page(partner=self.contact_a, **day)["entries"] if e["type"] == "tracking"]
        self.assertIn("Jefa de obra", entry["body"])
        self.assertNotIn("7300", entry["body"])
        self.assertFalse(self.env.user.has_group("account.group_account_invoice"))

    @users("ccs_manager")
    def test_a_stage_change_with_another_field_shows_once(self):
        deal = self.deal_contributor
        proposition = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence desc", limit=1)
        # crm's message for a write of the stage and the revenue at once
        day = self.log_changes(
            deal,
            "2026-02-21",
            [
                ("stage_id", {"old_value_char": deal.stage_id.name, "new_value_char": proposition.name}),
                ("expected_revenue", {"new_value_float": 48000}),
            ],
        )
        [change] = self.page(deal_id=deal.id, **day)["entries"]
        self.assertEqual(change["type"], "tracking")
        self.assertIn("48000", change["body"])
        self.assertNotIn(proposition.name, change["body"], "the stage change is the stage history's entry")

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_has_no_timeline(self):
        with self.assertRaises(AccessError):
            self.page()

    @users("ccs_admin")
    def test_type_filters_of_each_kind(self):
        env = self.env(su=True)
        meeting = self.deal_manager.activity_schedule(
            "mail.mail_activity_data_meeting",
            summary="Reunión en obra",
            date_deadline=date(2026, 2, 10),
            user_id=self.manager.id,
        )
        ticket = self.contact_a.activity_schedule(
            "crm_client_suite.mail_activity_type_ticket",
            summary="Incidencia 42",
            date_deadline=date(2026, 2, 11),
            user_id=self.manager.id,
        )
        automation = env["crm.automation"].create(
            {"name": "Seguimiento", "target_model": "crm.lead", "user_id": self.admin_user.id}
        )
        step = env["crm.automation.step"].create({"automation_id": automation.id, "name": "Recordatorio"})
        run = env["crm.automation.run"].create(
            {"automation_id": automation.id, "res_model": "crm.lead", "res_id": self.deal_manager.id}
        )
        with freeze_time("2026-02-12 09:00:00"):
            run_step = env["crm.automation.run.step"].create(
                {"run_id": run.id, "step_id": step.id, "result": "done", "message": "Actividad creada"}
            )
        self.assertEqual(self.since_february(types=["meeting"]), [("meeting", "Reunión en obra", "Reforma Sevilla")])
        self.assertEqual(
            self.since_february(types=["ticket"]), [("ticket", "Incidencia 42", self.contact_a.display_name)]
        )
        self.assertEqual(self.since_february(types=["chat"]), [("chat", "Chat con compras", "Reforma Sevilla")])
        self.assertEqual(self.since_february(types=["call"]), [("call", "Call", "Obra nueva Madrid")])
        self.assertEqual(self.since_february(types=["note"]), [("note", "Note", self.client_a.name)])
        self.assertEqual([k for k, _t, _n in self.since_february(types=["stage"])], ["stage"])
        self.assertEqual(self.since_february(types=["automation"]), [("automation", "Seguimiento", "Reforma Sevilla")])
        self.assertEqual(self.since_february(types=["document"]), [("document", self.order.name, self.client_a.name)])
        entries = {e["type"]: e for e in self.page(date_from="2026-02-01", date_to="2026-02-28")["entries"]}
        self.assertEqual(
            (entries["automation"]["open_model"], entries["automation"]["open_id"]), ("crm.automation.run", run.id)
        )
        self.assertEqual(entries["automation"]["source_id"], run_step.id)
        self.assertEqual(
            (entries["meeting"]["open_model"], entries["meeting"]["open_id"]), ("crm.lead", meeting.res_id)
        )
        self.assertEqual(
            (entries["ticket"]["open_model"], entries["ticket"]["open_id"]), ("res.partner", ticket.res_id)
        )

    @users("ccs_admin")
    def test_invoice_is_one_document_line_with_its_state(self):
        with freeze_time("2026-02-09 09:00:00"):
            invoice = (
                self.env["account.move"]
                .sudo()
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": self.contact_a.id,
                        "invoice_date": date(2026, 2, 9),
                        "invoice_line_ids": [Command.create({"name": "Proyecto", "quantity": 1, "price_unit": 1000})],
                    }
                )
            )
        documents = [e for e in self.page(types=["document"], date_from="2026-02-09")["entries"]]
        self.assertEqual([(e["source_model"], e["state"]) for e in documents], [("account.move", "draft")])
        self.assertEqual((documents[0]["open_model"], documents[0]["open_id"]), ("account.move", invoice.id))
        self.assertIn("Draft", documents[0]["body"])

    @users("ccs_admin")
    def test_filter_options_list_contacts_deals_and_authors(self):
        options = self.env["crm.timeline"].get_filter_options(self.client_a.id)
        self.assertEqual(
            [name for _id, name in options["contacts"]],
            sorted(
                [
                    self.contact_a_other.display_name,
                    self.contact_a.display_name,
                    self.portal_user.partner_id.display_name,
                ]
            ),
        )
        self.assertEqual({i for i, _name in options["deals"]}, {self.deal_contributor.id, self.deal_manager.id})
        author_ids = {i for i, _name in options["authors"]}
        self.assertTrue({self.manager.partner_id.id, self.contributor.partner_id.id, self.contact_a.id} <= author_ids)

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_filter_options_leave_out_what_the_user_may_not_read(self):
        options = self.env["crm.timeline"].get_filter_options(self.client_a.id)
        self.assertEqual([i for i, _name in options["deals"]], [self.deal_contributor.id])
        self.assertNotIn(self.contact_a_other.id, {i for i, _name in options["contacts"]})
