from datetime import date
from unittest.mock import patch

from odoo.tests import tagged

from .client_billing_common import ClientBillingCommon

WEEK_START = date(2026, 11, 16)


@tagged("post_install", "-at_install")
class TestTimeInvoiceSending(ClientBillingCommon):
    """Posting an invoice from time emails it through account.move.send."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoicing_contact = cls.env["res.partner"].create(
            {
                "name": "Contabilidad Ibérica",
                "type": "invoice",
                "parent_id": cls.client_a.id,
                "email": "facturas@construcciones-ibericas.example.com",
            }
        )
        cls.log(cls.project_a, cls.emp_contributor, 3.0, date(2026, 11, 18))
        cls.company.crm_invoice_send_on_post = True

    def send_queued(self):
        """Odoo's background sending, mails left in the queue."""
        self.env["account.move"].with_context(mail_notify_force_send=False)._cron_account_move_send()

    def queued_mails(self, invoice):
        return self.env["mail.mail"].search([("model", "=", "account.move"), ("res_id", "=", invoice.id)])

    def test_posting_emails_the_invoice_to_the_invoicing_contact(self):
        self.run_weekly()
        invoice = self.invoices_of(self.client_a)
        self.assertEqual(invoice.partner_id, self.invoicing_contact)
        invoice.action_post()
        self.assertTrue(invoice.is_being_sent, "queued for Odoo's own sending")
        self.assertFalse(self.queued_mails(invoice), "sent in the background, not while posting")
        self.send_queued()
        mail = self.queued_mails(invoice)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.invoicing_contact)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.attachment_ids.mapped("name"), [invoice._get_invoice_report_filename()])
        self.assertEqual(invoice.invoice_pdf_report_id, invoice.message_main_attachment_id)
        self.assertTrue(invoice.is_move_sent)
        self.assertFalse(invoice.is_being_sent)
        self.send_queued()
        self.assertEqual(len(self.queued_mails(invoice)), 1)

    def test_setting_off_or_manual_invoice_sends_nothing(self):
        self.company.crm_invoice_send_on_post = False
        self.run_weekly()
        invoice = self.invoices_of(self.client_a)
        invoice.action_post()
        self.assertFalse(invoice.is_being_sent)
        self.company.crm_invoice_send_on_post = True
        manual = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.client_a.id,
                "invoice_line_ids": [(0, 0, {"name": "Other", "quantity": 1, "price_unit": 10.0})],
            }
        )
        manual.action_post()
        self.assertFalse(manual.is_being_sent, "only the invoices from time")

    def test_invoicing_contact_without_email_is_told_on_the_invoice(self):
        self.invoicing_contact.email = False
        self.run_weekly()
        invoice = self.invoices_of(self.client_a)
        invoice.action_post()
        self.assertFalse(invoice.is_being_sent)
        self.assertIn("has no email address", invoice.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestWeeklyTimeSummary(ClientBillingCommon):
    """One summary email per client and week, to the contacts who opted in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crm_time_summary_weekly = True
        cls.contact_a.crm_time_summary_optin = True
        cls.log(cls.project_a, cls.emp_contributor, 3.0, date(2026, 11, 17))
        cls.log(cls.project_a, cls.emp_manager, 1.5, date(2026, 11, 18))
        cls.log(cls.project_a2, cls.emp_contributor, 2.0, date(2026, 11, 22))
        cls.log(cls.project_a, cls.emp_contributor, 7.0, date(2026, 11, 23), name="This week, not in the summary")
        cls.log(cls.project_b, cls.emp_contributor_b, 4.0, date(2026, 11, 18))
        cls.Summary = cls.env["crm.time.summary"]

    def summary_mails(self, client):
        return self.env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "=", client.id)])

    def test_summary_sums_last_week_by_project_and_member(self):
        sent = self.Summary._cron_send_time_summary()
        self.assertEqual(sent, self.client_a, "client B has no contact who opted in")
        mail = self.summary_mails(self.client_a)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.contact_a)
        self.assertIn("11/16/2026", mail.subject)
        self.assertIn("11/22/2026", mail.subject)
        body = mail.body_html
        self.assertIn("6:30", body, "3 + 1.5 + 2 hours of last week")
        self.assertIn("Second project A", body)
        self.assertIn("2:00", body)
        self.assertIn("Manager Employee", body)
        self.assertIn("1:30", body)
        self.assertNotIn("7:00", body, "this week's time waits for next week")
        self.assertEqual(self.client_a.crm_time_summary_sent_until, date(2026, 11, 22))
        self.assertFalse(self.summary_mails(self.client_b))

    def test_rerun_sends_nothing_twice(self):
        self.Summary._cron_send_time_summary()
        self.assertFalse(self.Summary._cron_send_time_summary())
        self.assertEqual(len(self.summary_mails(self.client_a)), 1)

    def test_contacts_must_opt_in_and_the_company_must_send(self):
        self.contact_b.write({"crm_time_summary_optin": True, "email": "jonas@mueller.example.com"})
        self.company.crm_time_summary_weekly = False
        self.assertFalse(self.Summary._cron_send_time_summary())
        self.company.crm_time_summary_weekly = True
        self.assertEqual(self.Summary._cron_send_time_summary(), self.client_a | self.client_b)
        self.assertEqual(self.summary_mails(self.client_b).recipient_ids, self.contact_b)
        self.assertNotIn(self.contact_a_other, self.summary_mails(self.client_a).recipient_ids)

    def test_one_failing_client_keeps_the_others(self):
        self.contact_b.write({"crm_time_summary_optin": True, "email": "jonas@mueller.example.com"})
        Template = self.registry["mail.template"]
        send_mail = Template.send_mail

        def failing(template, res_id, *args, **kwargs):
            if res_id == self.client_a.id:
                raise ValueError("rendering failed")
            return send_mail(template, res_id, *args, **kwargs)

        with (
            patch.object(Template, "send_mail", failing),
            self.assertLogs("odoo.addons.crm_client_suite.models.crm_time_summary", "ERROR"),
        ):
            sent = self.Summary._cron_send_time_summary()
        self.assertEqual(sent, self.client_b)
        self.assertFalse(self.client_a.crm_time_summary_sent_until, "A is retried on the next run")
        self.assertEqual(self.Summary._cron_send_time_summary(), self.client_a)
