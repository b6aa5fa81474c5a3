import base64
from unittest.mock import MagicMock, patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon
from .test_import import csv_bytes

EVENT_MODULE = "odoo.addons.crm_client_suite.models.crm_acquisition_event"
MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")


@tagged("post_install", "-at_install")
class TestAcquisitionEvents(CrmClientSuiteCommon):
    """Every new lead, deal or contact records how it came in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["utm.source"].create({"name": "Feria Construmat"})
        cls.campaign = cls.env["utm.campaign"].create({"name": "Primavera 2026"})
        cls.Event = cls.env["crm.acquisition.event"]

    def event(self, record):
        field = "lead_id" if record._name == "crm.lead" else "partner_id"
        domain = [(field, "=", record.id)] + ([("kind", "=", "contact")] if field == "partner_id" else [])
        return self.Event.search(domain)

    def test_lead_records_source_campaign_and_assignee(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Consulta de obra",
                "type": "lead",
                "source_id": self.source.id,
                "campaign_id": self.campaign.id,
                "user_id": self.contributor.id,
                "team_id": self.team_a.id,
            }
        )
        event = self.event(lead)
        self.assertEqual(
            (event.kind, event.entry_point, event.source_id, event.campaign_id, event.user_id, event.team_id),
            ("lead", "api", self.source, self.campaign, self.contributor, self.team_a),
        )

    def test_entry_points(self):
        Lead = self.env["crm.lead"]
        imported = Lead.with_context(import_file=True).create({"name": "Importado"})
        automated = Lead.with_context(ir_cron_progress_id=1).create({"name": "Automático"})
        form = Lead.with_context(crm_entry_point="web_form").create({"name": "Formulario"})
        web_client = MagicMock()
        web_client.httprequest.path = "/web/dataset/call_kw/crm.lead/web_save"
        with patch(f"{EVENT_MODULE}.request", web_client):
            manual = Lead.create({"name": "A mano"})
            contact = self.env["res.partner"].create({"name": "Nuevo Contacto", "source_id": self.source.id})
        rpc = MagicMock()
        rpc.httprequest.path = "/json/2/crm.lead/create"
        with patch(f"{EVENT_MODULE}.request", rpc):
            api = Lead.create({"name": "Por API"})
        self.assertEqual(
            [self.event(r).entry_point for r in (imported, automated, form, manual, api, contact)],
            ["import", "automation", "web_form", "manual", "api", "manual"],
        )
        self.assertEqual((self.event(contact).kind, self.event(contact).source_id), ("contact", self.source))

    def test_import_job(self):
        # The add-on's import job runs its chunks with its own context, in a request or by cron.
        content = csv_bytes([["Name", "Company"], ["Lena Vogel", "Vogel Bau GmbH"]])
        job = (
            self.env["crm.import.job"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(content), "file_name": "contacts.csv"})
        )
        job.action_load()
        job.action_import()
        contact = job.row_ids.record_id
        self.assertEqual(contact.parent_id.name, "Vogel Bau GmbH")
        self.assertEqual([self.event(p).entry_point for p in (contact, contact.parent_id)], ["import", "import"])

    def test_email_alias(self):
        raw = (
            "From: Ana Cliente <ana@cliente.example.com>\r\n"
            "To: ventas@example.com\r\n"
            "Subject: Presupuesto nave industrial\r\n"
            "Message-ID: <alias-1@example.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Buenos días\r\n"
        )
        lead = self.env["crm.lead"].browse(self.env["mail.thread"].message_process("crm.lead", raw))
        self.assertEqual(self.event(lead).entry_point, "email_alias")

    def test_one_event_per_record_in_a_batch(self):
        leads = self.env["crm.lead"].create([{"name": f"Lote {n}"} for n in range(5)])
        self.assertEqual(self.Event.search_count([("lead_id", "in", leads.ids)]), 5)

    @mute_logger(*MUTE)
    def test_access(self):
        lead_b = self.env["crm.lead"].create({"name": "Anfrage", "team_id": self.team_b.id})
        lead_a = self.env["crm.lead"].create({"name": "Consulta", "team_id": self.team_a.id})
        events = self.event(lead_a) | self.event(lead_b)
        self.assertEqual(self.visible(self.manager, events), events)
        self.set_team_isolation(True)
        self.assertEqual(self.visible(self.manager, events), self.event(lead_a))
        with self.assertRefusedByAccessRights("read", "crm.acquisition.event"):
            self.Event.with_user(self.contributor).search([])


@tagged("post_install", "-at_install")
class TestAcquisitionNotifications(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The fixture's own clients, contacts and deals were told already.
        cls.env["crm.acquisition.event"].search([]).notified = True

    def inbox(self, user):
        return self.env["mail.message"].search(
            [("partner_ids", "in", user.partner_id.ids), ("subject", "=", "New leads and contacts")]
        )

    def test_daily_digest_is_one_message_per_user(self):
        self.team_a.message_subscribe(partner_ids=self.manager.partner_id.ids)
        Event = self.env["crm.acquisition.event"]
        with freeze_time("2026-03-02 07:00"):
            self.env["crm.lead"].create(
                [{"name": f"Consulta {n}", "user_id": self.contributor.id, "team_id": self.team_a.id} for n in range(3)]
            )
            self.env["crm.lead"].create(
                {"name": "Otra consulta", "user_id": self.contributor.id, "team_id": self.team_b.id}
            )
            self.assertFalse(self.inbox(self.contributor), "digest users get nothing at once")
            Event._cron_send_digest()
            digest = self.inbox(self.contributor)
            self.assertEqual(len(digest), 1)
            self.assertIn("4 new leads", digest.body)
            self.assertIn("Consulta 2", digest.body)
            # The team's follower hears of the team's three leads, once.
            self.assertEqual(len(self.inbox(self.manager)), 1)
            self.assertIn("3 new leads", self.inbox(self.manager).body)
            self.assertFalse(self.inbox(self.contributor_b))
        with freeze_time("2026-03-02 18:00"):
            # Leads after the digest, and the cron run again the same day: no second message.
            self.env["crm.lead"].create(
                [{"name": f"Tarde {n}", "user_id": self.contributor.id, "team_id": self.team_a.id} for n in range(25)]
            )
            Event._cron_send_digest()
            self.assertEqual(len(self.inbox(self.contributor)), 1)
        with freeze_time("2026-03-03 07:00"):
            # The next day's one message holds them.
            Event._cron_send_digest()
            digests = self.inbox(self.contributor)
            self.assertEqual(len(digests), 2)
            self.assertIn("25 new leads", digests[0].body)
            Event._cron_send_digest()
            self.assertEqual(len(self.inbox(self.contributor)), 2)

    def test_immediate_notification(self):
        self.contributor_b.crm_acquisition_notify = "immediate"
        self.manager_b.crm_acquisition_notify = "none"
        self.team_b.message_subscribe(partner_ids=self.manager_b.partner_id.ids)
        self.env["crm.lead"].create(
            [{"name": f"Anfrage {n}", "user_id": self.contributor_b.id, "team_id": self.team_b.id} for n in range(2)]
        )
        message = self.inbox(self.contributor_b)
        self.assertEqual(len(message), 1, "one message for the batch")
        self.assertIn("Anfrage 1", message.body)
        self.env["crm.acquisition.event"]._cron_send_digest()
        self.assertFalse(self.inbox(self.manager_b))
        self.assertEqual(len(self.inbox(self.contributor_b)), 1)

    def test_team_setting_and_user_override(self):
        # Team A tells at once; Team B keeps the daily digest.
        self.team_a.crm_acquisition_notify = "immediate"
        self.team_a.message_subscribe(partner_ids=self.manager.partner_id.ids)
        self.team_b.message_subscribe(partner_ids=self.manager.partner_id.ids)
        self.manager_b.crm_acquisition_notify = "immediate"  # overrides Team B's digest
        self.team_b.message_subscribe(partner_ids=self.manager_b.partner_id.ids)
        self.env["crm.lead"].create(
            [
                {"name": "Consulta A", "user_id": self.contributor.id, "team_id": self.team_a.id},
                {"name": "Anfrage B", "user_id": self.contributor_b.id, "team_id": self.team_b.id},
            ]
        )
        self.assertIn("Consulta A", self.inbox(self.contributor).body, "the team's choice: at once")
        self.assertFalse(self.inbox(self.contributor_b), "Team B: digest")
        self.assertIn("Anfrage B", self.inbox(self.manager_b).body, "the user's choice wins")
        self.assertNotIn("Anfrage B", self.inbox(self.manager).body, "one team at once, the other in the digest")
        self.env["crm.acquisition.event"]._cron_send_digest()
        self.assertIn("Anfrage B", self.inbox(self.contributor_b).body)
        manager_messages = self.inbox(self.manager)
        self.assertEqual(len(manager_messages), 2, "the message at once and the digest")
        self.assertEqual(len(self.inbox(self.manager_b)), 1, "nothing again in the digest")

    def test_opting_out_overrides_the_team(self):
        self.team_a.crm_acquisition_notify = "immediate"
        self.contributor.crm_acquisition_notify = "none"
        self.env["crm.lead"].create({"name": "Consulta", "user_id": self.contributor.id, "team_id": self.team_a.id})
        self.env["crm.acquisition.event"]._cron_send_digest()
        self.assertFalse(self.inbox(self.contributor))

    def test_users_set_their_own_preference(self):
        self.contributor.with_user(self.contributor).write({"crm_acquisition_notify": "immediate"})
        self.assertEqual(self.contributor.crm_acquisition_notify, "immediate")
