import importlib.util
from unittest.mock import patch

from odoo.modules.module import get_module_path
from odoo.tests import tagged, users

from .common import CrmClientSuiteCommon

RES_PARTNER = "odoo.addons.crm_client_suite.models.res_partner"


@tagged("post_install", "-at_install")
class TestPartnerPhones(CrmClientSuiteCommon):
    """Phones are compared in E.164, read in the contact's country, else its
    client's, else its company's; the number as typed is kept."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spain = cls.env.ref("base.es")
        cls.germany = cls.env.ref("base.de")
        cls.uk = cls.env.ref("base.uk")
        cls.company.country_id = cls.spain
        Partner = cls.env["res.partner"]
        cls.madrid = Partner.create({"name": "Elena Madrid", "country_id": cls.spain.id, "phone": "612 345 678"})
        # The same last nine digits, in Manchester.
        cls.manchester = Partner.create({"name": "Ian Manchester", "country_id": cls.uk.id, "phone": "0161 234 5678"})

    def test_number_with_and_without_country_code_is_a_duplicate(self):
        self.assertEqual(self.madrid.crm_phone_e164, "+34612345678")
        Partner = self.env["res.partner"].with_user(self.manager)
        for typed in ("+34 612 345 678", "0034 612-345-678", "612345678"):
            new = Partner.new({"name": "Someone", "country_id": self.spain.id, "mobile": typed})
            self.assertEqual((new.crm_duplicate_id, new.crm_duplicate_reason), (self.madrid, "phone"), typed)

    def test_same_last_nine_digits_in_two_countries_are_not_duplicates(self):
        self.assertEqual(self.manchester.crm_phone_e164, "+441612345678")
        self.assertFalse(self.manchester.crm_duplicate_id)
        self.assertFalse(self.madrid.crm_duplicate_id)
        new = self.env["res.partner"].new({"name": "Someone", "country_id": self.uk.id, "phone": "+44 161 234 5678"})
        self.assertEqual(new.crm_duplicate_id, self.manchester)

    def test_country_of_contact_then_client_then_company(self):
        Partner = self.env["res.partner"]
        client = Partner.create({"name": "Berliner Bau GmbH", "is_company": True, "country_id": self.germany.id})
        # An invoice address keeps its own (empty) country: the client's applies.
        billing = Partner.create(
            {"name": "Buchhaltung", "parent_id": client.id, "type": "invoice", "phone": "030 1234567"}
        )
        self.assertFalse(billing.country_id)
        self.assertEqual(billing.crm_phone_e164, "+49301234567")
        # Neither the contact nor its client has a country: the company's (Spain).
        orphan = Partner.create({"name": "Sin País", "mobile": "600 111 222"})
        self.assertEqual(orphan.crm_mobile_e164, "+34600111222")
        # The contact's own country comes first.
        shipping = Partner.create(
            {
                "name": "Almacén",
                "parent_id": client.id,
                "type": "delivery",
                "country_id": self.spain.id,
                "phone": "612 345 678",
            }
        )
        self.assertEqual(shipping.crm_phone_e164, "+34612345678")

    def test_lead_finds_its_customer_by_phone_in_another_format(self):
        lead = self.env["crm.lead"].create(
            {"name": "Obra", "type": "opportunity", "phone": "+34 612-345-678", "country_id": self.spain.id}
        )
        self.assertEqual(lead._find_customer_partners(), {lead.id: self.madrid})
        lead.write({"phone": "612 345 678", "country_id": self.uk.id})
        self.assertFalse(lead._find_customer_partners())

    @users("ccs_manager")
    def test_search_by_phone_typed_in_any_format(self):
        Partner = self.env["res.partner"]
        for typed in ("+34 612 345 678", "0034612345678", "612-345-678", "612 345 678"):
            self.assertIn(self.madrid.id, [pid for pid, _name in Partner.name_search(typed)], typed)
            self.assertIn(self.madrid, Partner.search([("phone_mobile_search", "ilike", typed)]), typed)
        # A number with its country code is that country's number only.
        self.assertNotIn(self.manchester, Partner.search([("phone_mobile_search", "ilike", "+34 612 345 678")]))
        self.assertEqual(Partner.search([("phone_mobile_search", "ilike", "+44 161 234 5678")]), self.manchester)

    def test_upgrade_fills_e164_and_keeps_raw_numbers(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET crm_phone_e164 = NULL, phone = '0034 (612) 345 678' WHERE id = %s",
            [self.madrid.id],
        )
        self.env.invalidate_all()
        path = f"{get_module_path('crm_client_suite')}/migrations/18.0.1.1.0/post-migrate_phones.py"
        spec = importlib.util.spec_from_file_location("post_migrate_phones", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, "18.0.1.0.0")
        self.assertEqual(self.madrid.crm_phone_e164, "+34612345678")
        self.assertEqual(self.madrid.phone, "0034 (612) 345 678")
        self.assertEqual(self.manchester.crm_phone_e164, "+441612345678")


@tagged("post_install", "-at_install")
class TestPartnerTypedSearch(CrmClientSuiteCommon):
    """Each path of the typed search returns what the user asked for, in
    Odoo's display order: rare terms through the trigram preselection, common
    ones through the ordered scan, short terms as word prefixes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.people = Partner.create(
            [
                {"name": "Quirina Zubizarreta", "ref": "QZ-0042", "email": "quirina@zubi.example.com"},
                {"name": "Zoltán Quevedo", "vat": "ESB12345674", "is_company": True},
                {"name": "Xenia Müller", "email": "xenia.mueller@example.de"},
                {"name": "Bernd Zulauf"},
            ]
        )
        cls.quirina, cls.zoltan, cls.xenia, cls.bernd = cls.people

    def found(self, term, limit=8):
        pairs = self.env["res.partner"].name_search(term, args=[("id", "in", self.people.ids)], limit=limit)
        return self.env["res.partner"].browse([pid for pid, _name in pairs])

    def both_paths(self, term, limit=8):
        """The matches of name_search, checked against each of its paths:
        the ordered scan that stops at the page size (common terms), the
        trigram preselection (rare terms) and the plain domain (what a
        common term gives the search view)."""
        found = self.found(term, limit)
        Partner = self.env["res.partner"]
        if found:
            ordered = Partner._crm_first_matches_in_order(
                Partner._crm_typed_search_domain(term), [("id", "in", self.people.ids)], len(found)
            )
            self.assertEqual(ordered, found.ids, term)
        with patch(f"{RES_PARTNER}.NAME_SEARCH_ORDERED_SCAN", 1):
            self.assertEqual(list(self.found(term, limit)), list(found), term)
            with patch(f"{RES_PARTNER}.NAME_SEARCH_PRESELECT", 0):
                self.assertEqual(list(self.found(term, limit)), list(found), term)
        return found

    @users("ccs_manager")
    def test_three_letters_or_more_match_inside_words_like_ilike(self):
        self.assertEqual(self.both_paths("ller"), self.xenia)
        self.assertEqual(self.both_paths("UBIZ"), self.quirina)
        self.assertFalse(self.both_paths("zzyzx"))

    @users("ccs_manager")
    def test_one_and_two_letters_match_the_start_of_a_word(self):
        # "zu" starts Zubizarreta and Zulauf; "ll" is inside Müller only: no match.
        self.assertEqual(self.both_paths("zu"), self.bernd | self.quirina)
        self.assertFalse(self.both_paths("ll"))
        self.assertEqual(self.both_paths("x"), self.xenia)
        self.assertEqual(self.both_paths("Q"), self.quirina | self.zoltan)
        # Wildcards typed by the user are plain characters.
        self.assertFalse(self.both_paths("%"))
        self.assertFalse(self.both_paths("_"))

    @users("ccs_manager")
    def test_email_reference_and_tax_id(self):
        self.assertEqual(self.both_paths("xenia.mueller@"), self.xenia)
        self.assertEqual(self.both_paths("QZ-0042"), self.quirina)
        self.assertEqual(self.both_paths("QZ"), self.quirina)
        self.assertEqual(self.both_paths("ESB12345674"), self.zoltan)

    @users("ccs_manager")
    def test_results_come_in_display_order_up_to_the_limit(self):
        self.assertEqual(list(self.both_paths("z", limit=2)), [self.bernd, self.quirina])
        self.assertEqual(list(self.both_paths("z")), [self.bernd, self.quirina, self.zoltan])

    @users("ccs_manager")
    def test_ordered_scan_leaves_rare_terms_to_the_trigram_indexes(self):
        Partner = self.env["res.partner"]
        in_people = [("id", "in", self.people.ids)]
        zolt, zul = Partner._crm_typed_search_domain("zolt"), Partner._crm_typed_search_domain("zul")
        # Bernd Zulauf, first in display order, is no Zoltán: rare within a window of one row.
        self.assertIsNone(Partner._crm_first_matches_in_order(zolt, in_people, 1, window=1))
        self.assertEqual(Partner._crm_first_matches_in_order(zul, in_people, 1, window=1), self.bernd.ids)
        # Without a window, the walk goes on to the end.
        self.assertEqual(Partner._crm_first_matches_in_order(zolt, in_people, 8), self.zoltan.ids)
        with patch(f"{RES_PARTNER}.NAME_SEARCH_ORDERED_SCAN", 1):
            self.assertEqual(self.found("zolt"), self.zoltan)

    @users("ccs_manager")
    def test_search_view_name_filter_and_count_see_every_match(self):
        Partner = self.env["res.partner"]
        domain = [("display_name", "ilike", "zu"), ("id", "in", self.people.ids)]
        self.assertEqual(Partner.search_count(domain), 2)
        with patch(f"{RES_PARTNER}.NAME_SEARCH_PRESELECT", 0):
            self.assertEqual(Partner.search_count(domain), 2)

    @users("ccs_contributor_b")
    def test_record_rules_still_apply(self):
        self.company.sudo().crm_team_isolation = True
        self.client_a.sudo().name = "Zubi Ibérica"
        found = self.env["res.partner"].name_search("zubi")
        self.assertNotIn(self.client_a.id, [pid for pid, _name in found])
