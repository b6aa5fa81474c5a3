import re
from unittest.mock import patch

from psycopg2.errors import ExclusionViolation, UniqueViolation

from odoo.exceptions import ValidationError
from odoo.service.model import _as_validation_error
from odoo.tests import tagged, users
from odoo.tools import mute_logger, sql

from ..models import crm_lead_reference
from .common import CrmClientSuiteCommon
from .test_email import RAW_EMAIL


@tagged("post_install", "-at_install")
class TestDealReference(CrmClientSuiteCommon):
    def number(self, deal):
        return int(re.fullmatch(r"D(\d{5,})", deal.crm_reference).group(1))

    @users("ccs_contributor")
    def test_new_deals_get_consecutive_references(self):
        deals = self.env["crm.lead"].create(
            [{"name": f"Obra {i}", "type": "opportunity", "partner_id": self.client_a.id} for i in range(3)]
        )
        first = self.number(deals[0])
        self.assertEqual([self.number(d) for d in deals], [first, first + 1, first + 2])
        self.assertGreater(first, self.number(self.deal_unassigned_b))

    def test_a_copy_gets_its_own_reference(self):
        copy = self.deal_contributor.copy()
        # the sequence is not rolled back between tests: only the order is known
        self.assertGreater(self.number(copy), self.number(self.deal_unassigned_b))

    def test_deals_without_reference_get_one_on_update(self):
        self.env.cr.execute("UPDATE crm_lead SET crm_reference = NULL WHERE id = %s", [self.deal_manager.id])
        self.deal_manager.invalidate_recordset(["crm_reference"])
        kept = self.deal_contributor.crm_reference
        self.env["crm.lead"]._crm_fill_references()
        self.assertGreater(self.number(self.deal_manager), self.number(self.deal_unassigned_b))
        self.assertEqual(self.deal_contributor.crm_reference, kept)

    def test_missing_references_are_filled_in_chunks(self):
        deals = self.deal_manager | self.deal_contributor | self.deal_unassigned_b
        self.env.cr.execute("UPDATE crm_lead SET crm_reference = NULL WHERE id IN %s", [tuple(deals.ids)])
        deals.invalidate_recordset(["crm_reference"])
        Lead = type(self.env["crm.lead"])
        chunks = []

        def set_references(leads):
            chunks.append(len(leads))
            return original(leads)

        original = Lead._crm_set_references
        with (
            patch.object(crm_lead_reference, "FILL_CHUNK", 2),
            patch.object(Lead, "_crm_set_references", set_references),
        ):
            self.env["crm.lead"]._crm_fill_references()
        self.assertEqual(chunks, [2, 1])
        references = deals.mapped("crm_reference")
        self.assertTrue(all(references), references)
        self.assertEqual(len(set(references)), 3)

    def test_a_company_with_its_own_sequence_draws_from_it(self):
        other = self.env["res.company"].create({"name": "Ibérica Norte S.L."})
        self.env["ir.sequence"].create(
            {"name": "Norte", "code": "crm.lead.reference", "prefix": "N-", "padding": 3, "company_id": other.id}
        )
        deal = self.env["crm.lead"].create({"name": "Nave Bilbao", "type": "opportunity", "company_id": other.id})
        self.assertEqual(deal.crm_reference, "N-001")
        self.assertRegex(self.deal_contributor.copy().crm_reference, r"^D\d{5}$")

    @mute_logger("odoo.sql_db")
    def test_reference_is_unique_per_company(self):
        with self.assertRaises(UniqueViolation), self.env.cr.savepoint():
            self.deal_manager.write({"crm_reference": self.deal_contributor.crm_reference})
            self.deal_manager.flush_recordset()
        other = self.env["res.company"].create({"name": "Ibérica Norte S.L."})
        elsewhere = self.env["crm.lead"].create({"name": "Nave Bilbao", "company_id": other.id})
        elsewhere.write({"crm_reference": self.deal_contributor.crm_reference})
        elsewhere.flush_recordset()
        self.assertEqual(elsewhere.crm_reference, self.deal_contributor.crm_reference)

    def no_company_deals(self, count):
        deals = self.env["crm.lead"].create([{"name": f"Nave {i}", "company_id": False} for i in range(count)])
        self.assertFalse(deals.company_id)
        return deals

    @mute_logger("odoo.sql_db")
    def test_reference_is_unique_among_deals_without_company(self):
        first, second = self.no_company_deals(2)
        with self.assertRaises(ExclusionViolation) as caught, self.env.cr.savepoint():
            second.write({"crm_reference": first.crm_reference})
            second.flush_recordset()
        # what the user reads (the RPC layer turns the database error into it)
        error = _as_validation_error(self.env, caught.exception)
        self.assertIsInstance(error, ValidationError)
        self.assertIn("Two deals without a company cannot have the same reference.", str(error))
        # deals with no reference at all (no sequence) are no duplicates
        (first | second).write({"crm_reference": False})
        (first | second).flush_recordset()
        self.assertEqual((first | second).mapped("crm_reference"), [False, False])
        # a deal of a company may still carry a reference a deal without one has
        other = self.env["res.company"].create({"name": "Ibérica Norte S.L."})
        elsewhere = self.env["crm.lead"].create({"name": "Nave Bilbao", "company_id": other.id})
        elsewhere.write({"crm_reference": self.deal_contributor.crm_reference})
        elsewhere.flush_recordset()

    def test_a_deal_without_company_draws_from_the_shared_sequence(self):
        # a company's own sequence would repeat what another company's gave
        self.env["ir.sequence"].create(
            {"name": "Own", "code": "crm.lead.reference", "prefix": "OWN-", "company_id": self.env.company.id}
        )
        [deal] = self.no_company_deals(1)
        self.assertRegex(deal.crm_reference, r"^D\d{5}$")

    def test_update_gives_duplicates_without_company_new_references(self):
        # a database where duplicates were written before the exclusion existed
        first, second, third = self.no_company_deals(3)
        self.env.cr.execute("ALTER TABLE crm_lead DROP CONSTRAINT crm_lead_crm_reference_no_company_uniq")
        self.env.cr.execute(
            "UPDATE crm_lead SET crm_reference = %s WHERE id IN %s", [first.crm_reference, (second.id, third.id)]
        )
        self.env.invalidate_all()
        kept = first.crm_reference
        Lead = self.env["crm.lead"]
        Lead._crm_clear_duplicate_references()
        Lead._crm_fill_references()
        self.assertEqual(first.crm_reference, kept)
        references = (first | second | third).mapped("crm_reference")
        self.assertEqual(len(set(references)), 3)
        self.assertTrue(all(references))
        # the exclusion can now be added back, as the update does
        definition = dict((key, d) for key, d, _msg in Lead._sql_constraints)["crm_reference_no_company_uniq"]
        sql.add_constraint(self.env.cr, "crm_lead", "crm_lead_crm_reference_no_company_uniq", definition)

    @users("ccs_manager")
    def test_deals_are_found_by_reference(self):
        reference = self.deal_contributor.crm_reference
        found = self.env["crm.lead"].name_search(reference)
        self.assertEqual([name for _id, name in found], ["Obra nueva Madrid"])
        self.assertEqual(self.env["crm.lead"].search([("crm_reference", "=", reference)]), self.deal_contributor)


@tagged("post_install", "-at_install")
class TestIncomingEmailByReference(CrmClientSuiteCommon):
    """A known contact's email, not a reply, holding a deal's reference."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_a.write({"crm_log_known_senders": True, "company_id": cls.env.company.id})

    def process(self, subject, msg_id):
        email_from = "lucia@construcciones-ibericas.example.com"
        raw = RAW_EMAIL.format(email_from=email_from, name="Lucía Fernández", subject=subject, msg_id=msg_id)
        self.env["mail.thread"].message_process(False, raw)
        return self.env["mail.message"].search([("subject", "=", subject), ("message_type", "=", "email")])

    def filed_on(self, message):
        return self.env[message.model].browse(message.res_id)

    def test_reference_files_the_email_on_its_deal(self):
        subject = f"Planos [{self.deal_manager.crm_reference}]"
        self.assertEqual(self.filed_on(self.process(subject, "ref-1")), self.deal_manager)

    def test_reference_in_small_letters_matches(self):
        subject = f"planos {self.deal_manager.crm_reference.lower()}"
        self.assertEqual(self.filed_on(self.process(subject, "ref-2")), self.deal_manager)

    def test_reference_wins_over_another_deal_name(self):
        subject = f"Obra nueva Madrid, ver {self.deal_manager.crm_reference}"
        self.assertEqual(self.filed_on(self.process(subject, "ref-3")), self.deal_manager)

    def test_unknown_reference_falls_back_to_the_name(self):
        subject = "Obra nueva Madrid, ver D99999"
        self.assertEqual(self.filed_on(self.process(subject, "ref-4")), self.deal_contributor)

    def test_no_reference_and_no_name_stays_on_the_contact(self):
        self.assertEqual(self.filed_on(self.process("Pedido 2026-03 D99999", "ref-5")), self.contact_a)

    def test_references_of_two_deals_stay_on_the_contact(self):
        subject = f"{self.deal_contributor.crm_reference} y {self.deal_manager.crm_reference}"
        self.assertEqual(self.filed_on(self.process(subject, "ref-6")), self.contact_a)

    def test_reference_of_another_client_deal_is_never_chosen(self):
        subject = f"Consulta {self.deal_b.crm_reference}"
        self.assertEqual(self.filed_on(self.process(subject, "ref-7")), self.contact_a)

    def test_reference_of_a_won_deal_is_not_chosen(self):
        self.deal_manager.stage_id = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        subject = f"Factura {self.deal_manager.crm_reference}"
        self.assertEqual(self.filed_on(self.process(subject, "ref-8")), self.contact_a)

    def test_same_reference_in_another_company_is_left_out(self):
        other = self.env["res.company"].create({"name": "Ibérica Norte S.L."})
        twin = self.env["crm.lead"].create(
            {"name": "Nave Bilbao", "type": "opportunity", "partner_id": self.client_a.id, "company_id": other.id}
        )
        twin.crm_reference = self.deal_manager.crm_reference
        subject = f"Planos {self.deal_manager.crm_reference}"
        self.assertEqual(self.filed_on(self.process(subject, "ref-9")), self.deal_manager)
        twin.crm_reference = "N-7"
        self.assertEqual(self.filed_on(self.process("Planos N-7", "ref-10")), self.contact_a)


@tagged("post_install", "-at_install")
class TestAliasEmailByReference(CrmClientSuiteCommon):
    """A known contact writing to the team's alias, which creates deals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        domain = cls.env["mail.alias.domain"].create({"name": "construcciones.example.com"})
        cls.team_a.write({"crm_log_known_senders": True, "use_opportunities": True, "alias_name": "ventas"})
        cls.team_a.alias_id.write({"alias_domain_id": domain.id, "alias_contact": "everyone"})

    def process(self, subject, msg_id):
        email_from = "lucia@construcciones-ibericas.example.com"
        raw = RAW_EMAIL.format(email_from=email_from, name="Lucía Fernández", subject=subject, msg_id=msg_id)
        return self.env["crm.lead"].browse(self.env["mail.thread"].message_process(False, raw))

    def test_reference_files_the_email_on_the_deal_instead_of_a_new_one(self):
        subject = f"Re: {self.deal_manager.crm_reference} planos"
        before = self.env["crm.lead"].search_count([])
        self.assertEqual(self.process(subject, "alias-1"), self.deal_manager)
        self.assertEqual(self.env["crm.lead"].search_count([]), before)
        message = self.deal_manager.message_ids.filtered(lambda m: m.subject == subject)
        self.assertEqual((message.message_type, message.author_id), ("email", self.contact_a))

    def test_without_reference_the_alias_creates_a_deal_as_before(self):
        lead = self.process("Obra nueva Madrid: nueva consulta", "alias-2")
        self.assertNotIn(lead, self.deal_contributor | self.deal_manager)
        self.assertEqual((lead.name, lead.team_id), ("Obra nueva Madrid: nueva consulta", self.team_a))

    def test_team_that_does_not_log_creates_a_deal_as_before(self):
        self.team_a.crm_log_known_senders = False
        lead = self.process(f"Re: {self.deal_manager.crm_reference}", "alias-3")
        self.assertNotEqual(lead, self.deal_manager)
        self.assertEqual(lead.team_id, self.team_a)


@tagged("post_install", "-at_install")
class TestOutgoingEmailReference(CrmClientSuiteCommon):
    def test_email_from_a_deal_carries_its_reference_and_the_reply_comes_back(self):
        self.team_a.write({"crm_log_known_senders": True, "company_id": self.env.company.id})
        deal = self.deal_manager.with_user(self.manager).with_context(mail_notify_force_send=False)
        message = deal.message_post(body="Adjunto la oferta", message_type="comment", partner_ids=self.contact_a.ids)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        expected = f"Reforma Sevilla [{self.deal_manager.crm_reference}]"
        self.assertEqual(mail.subject, expected)
        # the client answers from another mail program: no In-Reply-To, no References
        email_from = "lucia@construcciones-ibericas.example.com"
        raw = RAW_EMAIL.format(email_from=email_from, name="Lucía Fernández", subject=f"RE: {expected}", msg_id="out-1")
        self.env["mail.thread"].message_process(False, raw)
        reply = self.env["mail.message"].search([("subject", "=", f"RE: {expected}")])
        self.assertEqual((reply.model, reply.res_id), ("crm.lead", self.deal_manager.id))

    def test_a_subject_that_already_holds_the_reference_is_kept(self):
        self.deal_manager.name = f"Reforma {self.deal_manager.crm_reference}"
        self.assertEqual(self.deal_manager._message_compute_subject(), self.deal_manager.name)
