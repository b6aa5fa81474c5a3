from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")


@tagged("post_install", "-at_install")
class TestClientsAndContacts(CrmClientSuiteCommon):
    def test_manager_sets_client_fields_and_status_is_tracked(self):
        client = self.client_a.with_user(self.manager).with_context(tracking_disable=False)
        client.write(
            {
                "crm_client_type": "prospect",
                "crm_client_status": "prospect",
                "crm_currency_id": self.env.ref("base.EUR").id,
                "crm_payment_term": "30",
                "crm_payment_method": "transfer",
                "crm_collaborator_ids": [Command.set([self.contributor.id, self.manager.id])],
                "crm_primary_contact_id": self.contact_a.id,
            }
        )
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written at commit time
        client.crm_client_status = "active"
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = client.sudo().message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "crm_client_status"
        )
        self.assertIn(("Prospect", "Active"), [(t.old_value_char, t.new_value_char) for t in tracked])
        self.assertEqual(client.crm_collaborator_ids, self.contributor | self.manager)
        self.assertEqual(client.crm_amount_currency_id, self.env.ref("base.EUR"))

    def test_primary_contact_must_belong_to_client(self):
        with self.assertRaisesRegex(ValidationError, "The primary contact of .* must be one of its contacts"):
            self.client_a.with_user(self.manager).crm_primary_contact_id = self.contact_b

    def test_contact_name_built_from_first_and_last_name(self):
        form = Form(
            self.env["res.partner"]
            .with_user(self.manager)
            .with_context(default_is_company=False, crm_require_names=True)
        )
        form.crm_first_name = "Irene"
        form.crm_last_name = "Navarro"
        form.parent_id = self.client_a
        form.crm_role_category = "decision_maker"
        form.crm_department = "Compras"
        contact = form.save()
        self.assertEqual(contact.name, "Irene Navarro")
        self.assertEqual(contact.display_name, "Construcciones Ibéricas S.L., Irene Navarro")
        contact.crm_last_name = "Navarro Gil"
        self.assertEqual(contact.name, "Irene Navarro Gil")
        # Partners without first/last name keep Odoo's plain name.
        self.assertEqual(self.client_b.name, "Müller Maschinenbau GmbH")
        self.client_b.name = "Müller Maschinenbau AG"
        self.assertEqual(self.client_b.name, "Müller Maschinenbau AG")

    def test_contact_names_required_in_contacts_action(self):
        Partner = self.env["res.partner"].with_user(self.manager)
        form = Form(Partner.with_context(default_is_company=False, crm_require_names=True))
        form.parent_id = self.client_a
        form.name = "Irene Navarro"  # Odoo's own required name is filled
        with self.assertRaisesRegex(AssertionError, "^crm_first_name is a required field"):
            form.save()
        form.crm_first_name = "Irene"
        with self.assertRaisesRegex(AssertionError, "^crm_last_name is a required field"):
            form.save()
        form.crm_last_name = "Navarro"
        self.assertEqual(form.save().name, "Irene Navarro")
        # Elsewhere (a client's contacts, imports) a plain name is enough.
        form = Form(Partner.with_context(default_is_company=False))
        form.parent_id = self.client_a
        form.name = "Irene Navarro"
        contact = form.save()
        self.assertFalse(contact.crm_first_name)

    @mute_logger(*MUTE)
    def test_invalid_email_refused(self):
        Partner = self.env["res.partner"].with_user(self.manager)
        with self.assertRaisesRegex(ValidationError, "ana at example is not a valid email address"):
            Partner.create({"name": "Ana Mal", "parent_id": self.client_a.id, "email": "ana at example"})
        with self.assertRaisesRegex(ValidationError, "ana@ is not a valid email address"):
            self.contact_a.with_user(self.manager).crm_email2 = "ana@"

    def test_moved_contact_follows_its_new_clients_team(self):
        # The sales team is a commercial field: a contact moved to another
        # client takes that client's team, and team isolation follows.
        self.set_team_isolation(True)
        self.assertEqual(self.contact_a.team_id, self.team_a)
        self.contact_a.parent_id = self.client_b
        self.assertEqual(self.contact_a.team_id, self.team_b)
        self.assertFalse(self.visible(self.manager, self.contact_a))
        self.assertEqual(self.visible(self.manager_b, self.contact_a), self.contact_a)
        # A client's new team reaches its contacts too.
        self.client_b.team_id = self.team_a
        self.assertEqual((self.contact_a | self.contact_b).team_id, self.team_a)

    def test_duplicate_warning_on_email_phone_vat_and_name(self):
        self.contact_a.phone = "+34 600 111 222"
        self.client_b.vat = "DE123456788"
        Partner = self.env["res.partner"].with_user(self.manager)
        new = Partner.new({"name": "Someone", "email": "LUCIA@construcciones-ibericas.example.com"})
        self.assertEqual(new.crm_duplicate_id, self.contact_a)
        self.assertEqual(new.crm_duplicate_reason, "email")
        new = Partner.new({"name": "Someone Else", "phone": "0034-600111222"})
        self.assertEqual((new.crm_duplicate_id, new.crm_duplicate_reason), (self.contact_a, "phone"))
        new = Partner.new({"name": "Other GmbH", "is_company": True, "vat": "de 123.456.788"})
        self.assertEqual((new.crm_duplicate_id, new.crm_duplicate_reason), (self.client_b, "vat"))
        new = Partner.new({"name": "javier ruiz", "parent_id": self.client_a.id})
        self.assertEqual((new.crm_duplicate_id, new.crm_duplicate_reason), (self.contact_a_other, "name"))
        # Same name at another client is not a duplicate; a record is not its own duplicate.
        new = Partner.new({"name": "Javier Ruiz", "parent_id": self.client_b.id})
        self.assertFalse(new.crm_duplicate_id)
        self.assertFalse(self.contact_a.crm_duplicate_id)

    def test_duplicate_compute_is_batched(self):
        spain = self.env.ref("base.es")
        earlier = self.env["res.partner"].create(
            {"name": "Earlier", "phone": "+34 600 000 007", "country_id": spain.id}
        )
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Batch {i}",
                    "email": f"batch{i}@example.com",
                    "phone": f"60000{i:04d}",
                    "country_id": spain.id,
                }
                for i in range(30)
            ]
        )
        partners.invalidate_recordset()
        with self.assertQueryCount(4):  # one search per criterion, not per record
            duplicates = partners.mapped("crm_duplicate_id")
        # The phone criterion ran: the same number typed without its country code.
        self.assertEqual(duplicates, earlier)
        self.assertEqual(partners[7].crm_duplicate_id, earlier)

    @freeze_time("2026-03-02 10:00:00")
    def test_client_profile_figures(self):
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self.deal_manager.stage_id = won_stage
        self.contact_a.message_post(body="Hola Lucía", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.contact_a_other.activity_schedule("mail.mail_activity_data_call", date_deadline="2026-03-10")
        client = self.client_a.with_user(self.manager)
        self.assertEqual(client.crm_open_deal_value, 12000)
        self.assertEqual(client.crm_won_revenue, 8000)
        self.assertEqual(client.crm_contact_count, 3)  # two contacts and the portal user
        self.assertEqual(str(client.crm_profile_last_contacted), "2026-03-02 10:00:00")
        self.assertEqual(str(client.crm_next_activity_date), "2026-03-10")

    def test_contributor_profile_counts_only_own_deals(self):
        client = self.client_a.with_user(self.contributor)
        self.assertEqual(client.crm_open_deal_value, 12000)
        # The whole client form (profile, duplicate banner, CRM tab) loads for them.
        form = Form(self.contact_a.with_user(self.contributor))
        form.crm_role_category = "technical"
        form.crm_linkedin_url = "https://www.linkedin.com/in/lucia"
        form.save()
        self.assertEqual(self.contact_a.crm_role_category, "technical")

    def test_contributor_cannot_see_other_owners_contacts(self):
        found = self.env["res.partner"].with_user(self.contributor).search([("parent_id", "=", self.client_a.id)])
        self.assertIn(self.contact_a, found)
        self.assertNotIn(self.contact_a_other, found)

    @mute_logger(*MUTE)
    def test_guest_cannot_read_contacts(self):
        with self.assertRefusedByRecordRules("read", "res.partner"):
            self.contact_a.with_user(self.guest).read(["name", "crm_role_category"])

    def test_search_by_role_type_status_and_tags(self):
        tag = self.env["res.partner.category"].create({"name": "VIP"})
        self.contact_a.write({"crm_role_category": "decision_maker", "category_id": [Command.link(tag.id)]})
        self.client_a.write({"crm_client_type": "active", "crm_client_status": "active"})
        Partner = self.env["res.partner"].with_user(self.manager)
        self.assertEqual(Partner.search([("crm_role_category", "=", "decision_maker")]), self.contact_a)
        self.assertEqual(Partner.search([("category_id", "=", tag.id)]), self.contact_a)
        self.assertIn(self.client_a, Partner.search([("crm_client_type", "=", "active")]))
        groups = Partner._read_group(
            [("id", "in", (self.client_a | self.client_b).ids)], ["crm_client_status"], ["__count"]
        )
        self.assertIn(("active", 1), groups)

    def test_name_search_preselects_through_trigram_indexes(self):
        Partner = self.env["res.partner"].with_user(self.manager)
        found = Partner.name_search("Construcciones", limit=8)
        self.assertEqual(found[0][0], self.client_a.id)
        self.assertIn(self.contact_a.id, [pid for pid, _name in found])  # child of the company: in complete name
        self.assertEqual(Partner._search_display_name("ilike", "Construcciones")[0][:2], ("id", "in"))
        # Non-ilike terms keep Odoo's domain (short terms: test_partner_phone_search.py).
        self.assertNotEqual(Partner._search_display_name("=", "Co")[0][:2], ("id", "in"))
        # The search view's name filter goes through the same path.
        self.assertEqual(Partner.search([("display_name", "ilike", "lucia@construcciones")]), self.contact_a)

    def test_trigram_indexes_exist(self):
        self.env.cr.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'res_partner' AND indexdef ILIKE '%%gin_trgm_ops%%'"
        )
        names = {row[0] for row in self.env.cr.fetchall()}
        self.assertTrue({"res_partner_crm_complete_name_trgm_index", "res_partner_crm_email_trgm_index"} <= names)
