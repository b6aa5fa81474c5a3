from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon
from .test_email import RAW_EMAIL

MUTE = ("odoo.models", "odoo.addons.base.models.ir_rule")


@tagged("post_install", "-at_install")
class TestTimelineDocuments(CrmClientSuiteCommon):
    """Attachments of the emails on a client, its contacts and its deals: the
    client's Documents and the timeline's document entries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def post(record, subject, filename, when, **kw):
            with freeze_time(when):
                return record.message_post(
                    body=f"<p>{subject}</p>",
                    subject=subject,
                    attachments=[(filename, b"%PDF-1.4 " + filename.encode())],
                    **kw,
                )

        cls.email_in = post(
            cls.contact_a,
            "Planos de la nave",
            "planos.pdf",
            "2026-02-02 09:00:00",
            message_type="email",
            author_id=cls.contact_a.id,
        )
        cls.on_contributor_deal = post(
            cls.deal_contributor, "Oferta firmada", "oferta.pdf", "2026-02-03 09:00:00", message_type="comment"
        )
        cls.on_manager_deal = post(
            cls.deal_manager, "Presupuesto Sevilla", "sevilla.pdf", "2026-02-04 09:00:00", message_type="comment"
        )
        # noise: another client's document
        post(cls.contact_b, "Zeichnung", "zeichnung.pdf", "2026-02-05 09:00:00", message_type="email")

    def documents(self, partner=None):
        partner = (partner or self.client_a).with_env(self.env)
        return set(partner._crm_documents().mapped("name"))

    @users("ccs_admin")
    def test_client_documents_hold_its_contacts_and_deals_attachments(self):
        self.assertEqual(self.documents(), {"planos.pdf", "oferta.pdf", "sevilla.pdf"})
        client = self.client_a.with_env(self.env)
        self.assertEqual(client.crm_document_count, 3)
        action = client.action_crm_documents()
        self.assertEqual(action["res_model"], "ir.attachment")
        self.assertEqual(
            set(self.env["ir.attachment"].search(action["domain"]).mapped("name")),
            {"planos.pdf", "oferta.pdf", "sevilla.pdf"},
        )
        self.assertEqual(self.documents(self.contact_a), {"planos.pdf"})

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_documents_leave_out_another_owner_deal(self):
        self.assertEqual(self.documents(), {"planos.pdf", "oferta.pdf"})

    @users("ccs_admin")
    def test_documents_are_timeline_entries(self):
        page = self.env["crm.timeline"].get_page(
            self.client_a.id, {"types": ["document"], "date_from": "2026-02-01", "date_to": "2026-02-28"}
        )
        entries = page["entries"]
        self.assertEqual([e["title"] for e in entries], ["sevilla.pdf", "oferta.pdf", "planos.pdf"])
        planos = entries[-1]
        self.assertEqual((planos["open_model"], planos["open_id"]), ("res.partner", self.contact_a.id))
        self.assertEqual(planos["author_id"], self.contact_a.id)
        attachment = self.email_in.attachment_ids
        self.assertEqual(planos["url"], f"/web/content/{attachment.id}?download=true")
        searched = self.env["crm.timeline"].get_page(self.client_a.id, {"types": ["document"], "search": "oferta"})
        self.assertEqual([e["title"] for e in searched["entries"]], ["oferta.pdf"])


@tagged("post_install", "-at_install")
class TestTimelineExport(CrmClientSuiteCommon):
    """The timeline of one client and period as a PDF report."""

    REPORT = "crm_client_suite.report_crm_timeline"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for when, subject, record in (
            ("2026-01-15 09:00:00", "Enero fuera del periodo", cls.contact_a),
            ("2026-02-10 09:00:00", "Pedido de febrero", cls.contact_a),
            ("2026-02-20 09:00:00", "Visita de obra Sevilla", cls.deal_manager),
            ("2026-03-05 09:00:00", "Marzo fuera del periodo", cls.deal_contributor),
        ):
            with freeze_time(when):
                record.message_post(body=subject, subject=subject, message_type="comment")

    def render(self, partner, date_from, date_to):
        export = self.env["crm.timeline.export"].create(
            {"partner_id": partner.id, "date_from": date_from, "date_to": date_to}
        )
        action = export.action_print()
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(self.REPORT, partner.ids, data=action["data"])
        return html.decode()

    @users("ccs_manager")
    def test_report_holds_the_period_entries_with_the_client_header(self):
        html = self.render(self.client_a, date(2026, 2, 1), date(2026, 2, 28))
        self.assertIn("Pedido de febrero", html)
        self.assertIn("Visita de obra Sevilla", html)
        self.assertNotIn("Enero fuera del periodo", html)
        self.assertNotIn("Marzo fuera del periodo", html)
        self.assertIn("Construcciones Ibéricas S.L.", html)
        self.assertIn(self.env.company.name, html)
        self.assertEqual(html.count("o_crm_timeline_report_entry"), 2)

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_report_leaves_out_what_the_user_may_not_read(self):
        html = self.render(self.client_a, date(2026, 2, 1), date(2026, 2, 28))
        self.assertIn("Pedido de febrero", html)
        self.assertNotIn("Visita de obra Sevilla", html)

    @users("ccs_manager")
    def test_report_cut_at_its_limit_says_so(self):
        with patch("odoo.addons.crm_client_suite.models.crm_timeline_export.MAX_EXPORT_ENTRIES", 1):
            html = self.render(self.client_a, date(2026, 2, 1), date(2026, 2, 28))
        self.assertEqual(html.count("o_crm_timeline_report_entry"), 1)
        self.assertIn("Visita de obra Sevilla", html)
        self.assertIn("Only the latest 1 entries of the period are shown", html)
        html = self.render(self.client_a, date(2026, 2, 1), date(2026, 2, 28))
        self.assertNotIn("o_crm_timeline_report_cut", html)

    @users("ccs_manager")
    def test_report_of_an_empty_period_says_so(self):
        html = self.render(self.client_a, date(2025, 2, 1), date(2025, 2, 28))
        self.assertIn("Nothing happened in this period.", html)

    @users("ccs_manager")
    def test_period_ending_before_it_starts_is_refused(self):
        with self.assertRaisesRegex(UserError, "ends before it starts"):
            self.env["crm.timeline.export"].create(
                {"partner_id": self.client_a.id, "date_from": date(2026, 3, 1), "date_to": date(2026, 2, 1)}
            )

    @users("ccs_manager")
    def test_export_is_reachable_from_the_client(self):
        action = self.client_a.with_env(self.env).action_crm_timeline_export()
        self.assertEqual(
            (action["res_model"], action["context"]["default_partner_id"]), ("crm.timeline.export", self.client_a.id)
        )

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_cannot_export(self):
        with self.assertRaises(AccessError):
            self.env["crm.timeline.export"].create(
                {"partner_id": self.client_a.id, "date_from": date(2026, 2, 1), "date_to": date(2026, 2, 28)}
            )


@tagged("post_install", "-at_install")
class TestIncomingEmailToDeal(CrmClientSuiteCommon):
    """A known contact's email, not a reply, naming their open deal."""

    def process(self, subject, msg_id):
        raw = RAW_EMAIL.format(
            email_from="lucia@construcciones-ibericas.example.com",
            name="Lucía Fernández",
            subject=subject,
            msg_id=msg_id,
        )
        return self.env["mail.thread"].message_process(False, raw)

    def on(self, record, subject):
        return self.env["mail.message"].search(
            [("model", "=", record._name), ("res_id", "=", record.id), ("subject", "=", subject)]
        )

    def setUp(self):
        super().setUp()
        self.team_a.crm_log_known_senders = True

    def test_subject_naming_the_open_deal_attaches_it_to_the_deal(self):
        subject = "Re: planos obra nueva madrid"
        self.process(subject, "deal-1")
        message = self.on(self.deal_contributor, subject)
        self.assertEqual((message.message_type, message.author_id), ("email", self.contact_a))
        self.assertFalse(self.on(self.contact_a, subject))
        page = self.env["crm.timeline"].get_page(self.client_a.id, {"types": ["email_in"], "search": "planos"})
        self.assertEqual([e["res_name"] for e in page["entries"]], ["Obra nueva Madrid"])

    def test_subject_naming_no_deal_stays_on_the_contact(self):
        self.process("Disponibilidad marzo", "deal-2")
        self.assertTrue(self.on(self.contact_a, "Disponibilidad marzo"))
        self.assertFalse(self.on(self.deal_contributor, "Disponibilidad marzo"))

    def test_won_deal_is_not_open(self):
        self.deal_contributor.stage_id = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self.process("Obra nueva Madrid: factura", "deal-3")
        self.assertFalse(self.on(self.deal_contributor, "Obra nueva Madrid: factura"))
        self.assertTrue(self.on(self.contact_a, "Obra nueva Madrid: factura"))

    def test_other_client_deal_is_never_chosen(self):
        self.process("Fertigungslinie Stuttgart", "deal-4")
        self.assertFalse(self.on(self.deal_b, "Fertigungslinie Stuttgart"))
        self.assertTrue(self.on(self.contact_a, "Fertigungslinie Stuttgart"))

    def test_longest_deal_name_wins(self):
        longer = self.deal_contributor.copy({"name": "Obra nueva Madrid Fase 2"})
        self.process("Obra nueva Madrid Fase 2 - planos", "deal-5")
        self.assertTrue(self.on(longer, "Obra nueva Madrid Fase 2 - planos"))
        self.assertFalse(self.on(self.deal_contributor, "Obra nueva Madrid Fase 2 - planos"))
