from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

RAW_EMAIL = """Return-Path: <{email_from}>
From: {name} <{email_from}>
To: ventas@construcciones.example.com
Subject: {subject}
Message-ID: <{msg_id}@construcciones-ibericas.example.com>
Date: Mon, 02 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Buenos días, ¿tienen disponibilidad para la obra de marzo?
"""


@tagged("post_install", "-at_install")
class TestIncomingEmail(CrmClientSuiteCommon):
    def process(self, email_from, subject, msg_id, name="Lucía Fernández"):
        raw = RAW_EMAIL.format(email_from=email_from, name=name, subject=subject, msg_id=msg_id)
        return self.env["mail.thread"].message_process(False, raw)

    def messages(self, partner, subject):
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id), ("subject", "=", subject)]
        )

    @freeze_time("2026-03-02 10:05:00")
    def test_known_sender_without_thread_is_logged_on_the_contact(self):
        self.team_a.crm_log_known_senders = True
        self.process("lucia@construcciones-ibericas.example.com", "Disponibilidad marzo", "known-1")
        message = self.messages(self.contact_a, "Disponibilidad marzo")
        self.assertEqual(message.message_type, "email")
        self.assertEqual(message.author_id, self.contact_a)
        self.assertEqual(self.contact_a.crm_last_contacted, datetime(2026, 3, 2, 10, 0))
        self.assertEqual(self.client_a.crm_last_contacted, datetime(2026, 3, 2, 10, 0))
        page = self.env["crm.timeline"].get_page(self.client_a.id, {"types": ["email_in"]})
        self.assertEqual(page["entries"][0]["title"], "Disponibilidad marzo")
        self.assertEqual(page["entries"][0]["res_id"], self.contact_a.id)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_known_sender_of_a_team_that_does_not_log_is_refused_as_before(self):
        self.assertFalse(self.team_a.crm_log_known_senders)
        with self.assertRaisesRegex(ValueError, "No possible route found"):
            self.process("lucia@construcciones-ibericas.example.com", "Sin equipo", "known-2")
        self.assertFalse(self.messages(self.contact_a, "Sin equipo"))

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_unknown_sender_is_refused_as_before(self):
        self.team_a.crm_log_known_senders = True
        with self.assertRaisesRegex(ValueError, "No possible route found"):
            self.process("nadie@desconocido.example.com", "Desconocido", "unknown-1", name="Nadie")

    def test_older_inbound_email_does_not_move_last_contacted_back(self):
        self.contact_a.crm_last_contacted = datetime(2026, 4, 1)
        self.contact_a._crm_register_inbound_touch("email", datetime(2026, 3, 1))
        self.assertEqual(self.contact_a.crm_last_contacted, datetime(2026, 4, 1))


@tagged("post_install", "-at_install")
class TestEmailDelivery(CrmClientSuiteCommon):
    def send(self, record, subject):
        return record.with_user(self.manager).message_post(
            body="Adjunto la oferta",
            subject=subject,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.contact_a.ids,
        )

    def entry(self, partner, subject):
        page = self.env["crm.timeline"].get_page(partner.id, {"types": ["email_out"], "search": subject})
        self.assertEqual(len(page["entries"]), 1)
        return page["entries"][0]

    def test_outgoing_email_shows_its_delivery_state(self):
        message = self.send(self.deal_manager, "Oferta enviada")
        self.assertEqual(self.entry(self.client_a, "Oferta enviada")["delivery_label"], "Sent")
        message.sudo().notification_ids.write({"notification_status": "ready"})
        self.assertEqual(self.entry(self.client_a, "Oferta enviada")["delivery_state"], "queued")
        message.sudo().notification_ids.write({"notification_status": "exception", "failure_type": "mail_smtp"})
        self.assertEqual(self.entry(self.client_a, "Oferta enviada")["delivery_state"], "failed")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_bounce_flags_the_address_and_the_email(self):
        message = self.send(self.deal_manager, "Oferta rebotada")
        self.assertFalse(self.contact_a.crm_email_bounced)
        self.env["mail.thread"]._routing_handle_bounce(
            None,
            {
                "bounced_email": self.contact_a.email_normalized,
                "bounced_partner": self.contact_a,
                "bounced_msg_ids": [message.message_id],
                "bounced_message": message,
                "body": "550 5.1.1 User unknown",
                "email_from": "mailer-daemon@example.com",
                "to": "bounce@example.com",
                "message_id": "<bounce-1@example.com>",
            },
        )
        self.assertTrue(self.contact_a.crm_email_bounced)
        self.assertFalse(self.contact_a_other.crm_email_bounced)
        # The same address written again stays flagged; a fixed one starts afresh.
        self.contact_a.with_user(self.contributor).email = self.contact_a.email.upper()
        self.assertTrue(self.contact_a.crm_email_bounced)
        self.contact_a.with_user(self.contributor).email = "compras.nuevo@example.com"
        self.assertFalse(self.contact_a.crm_email_bounced)
        entry = self.entry(self.client_a, "Oferta rebotada")
        self.assertEqual((entry["delivery_state"], entry["delivery_label"]), ("bounced", "Bounced"))
        self.assertEqual(entry["res_name"], "Reforma Sevilla")
