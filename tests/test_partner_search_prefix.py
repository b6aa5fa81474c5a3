from unittest.mock import patch

from odoo.tests import tagged, users
from odoo.tools import SQL

from ..models import res_partner_search
from ..models.res_partner import TRIGRAM_PENDING_LIST_KB
from ..models.res_partner_search import PREFIX_TABLE
from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestPartnerSearchPrefixes(CrmClientSuiteCommon):
    """Terms of one or two letters are read from the table of word starts
    (models/res_partner_search.py): the same partners, in the same display
    order, as the word-start domain they stand for, and the table follows
    every change of the partners."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.people = Partner.create(
            [
                {"name": "Jörg Müller", "email": "joerg@example.de"},
                {"name": "Ana  María Muñoz", "ref": "AM-7"},
                {"name": "Murat Quell", "vat": "DE123456788", "is_company": True},
                {"name": "Mara Zubi", "email": "zz@zubi.example.com"},
                # Two partners of the same name: the newest first, as Odoo sorts.
                {"name": "Mara Zubi"},
                {"name": "100% Bio_Laden"},
                # "mar" inside a word, first in display order.
                {"name": "Amara Zorn"},
            ]
        )
        cls.joerg, cls.ana, cls.murat, cls.mara, cls.mara2, cls.bio, cls.amara = cls.people
        cls.contact = Partner.create({"name": "Ulla Ost", "parent_id": cls.murat.id})
        cls.people |= cls.contact

    def found(self, term, limit=8, args=None, within=None):
        Partner = self.env["res.partner"]
        within = self.people if within is None else within
        pairs = Partner.name_search(term, args=[("id", "in", within.ids), *(args or [])], limit=limit)
        return Partner.browse([pid for pid, _name in pairs])

    def reference(self, term, limit=8):
        """What the word-start domain finds, through the ORM's own ilike."""
        Partner = self.env["res.partner"]
        domain = [*Partner._crm_prefix_search_domain(term), ("id", "in", self.people.ids)]
        return Partner.search(domain, order=Partner._order, limit=limit)

    def prefixes(self, partner):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL("SELECT prefix FROM %s WHERE partner_id = %s", SQL.identifier(PREFIX_TABLE), partner.id)
        )
        return {prefix for (prefix,) in rows}

    @users("ccs_manager")
    def test_table_finds_what_the_word_start_domain_finds_in_display_order(self):
        terms = ["m", "M", "mu", "mü", "MÜ", "ma", "zu", "z", "q", "u", "os", "ll", "am", "de", "zz", "jo", "1", "10"]
        terms += ["%", "_", "b", "bi", "la", "ß", "a", "am"]
        for term in terms:
            for limit in (1, 2, 8):
                self.assertEqual(list(self.found(term, limit)), list(self.reference(term, limit)), (term, limit))
        self.assertEqual(list(self.found("ma")), [self.ana, self.mara2, self.mara])
        self.assertEqual(self.found("zu", limit=1), self.mara2)
        # The start of a word only, and of the email, reference and tax ID.
        self.assertFalse(self.found("ll"))
        self.assertEqual(self.found("am"), self.ana | self.amara)
        # The contact shares its company's tax ID.
        self.assertEqual(self.found("de"), self.murat | self.contact)
        self.assertEqual(self.found("zz"), self.mara)
        # A contact's own name is a word of its complete name.
        self.assertEqual(self.found("os"), self.contact)
        # Wildcards are plain characters.
        self.assertEqual(self.found("%"), self.env["res.partner"])
        self.assertEqual(self.found("bi"), self.bio)

    @users("ccs_manager")
    def test_longer_terms_rank_word_starts_first(self):
        # Word starts in display order, then the partners that contain the term.
        self.assertEqual(list(self.found("mar")), [self.ana, self.mara2, self.mara, self.amara])
        self.assertEqual(list(self.found("MARA")), [self.mara2, self.mara, self.amara])
        self.assertEqual(list(self.found("mar", limit=2)), [self.ana, self.mara2])
        # Whole words and the start of the email, reference and tax ID.
        self.assertEqual(self.found("zubi"), self.mara | self.mara2)
        self.assertEqual(self.found("zz@zubi"), self.mara)
        self.assertEqual(self.found("am-7"), self.ana)
        self.assertEqual(self.found("de1234"), self.murat | self.contact)
        # Inside a word only: the contains path alone.
        self.assertEqual(self.found("ubi"), self.mara | self.mara2)
        self.assertEqual(list(self.found("ubi")), [self.mara2, self.mara])
        # A term that starts too many words to merge reads their range: the same.
        with patch("odoo.addons.crm_client_suite.models.res_partner_search.PREFIX_MAX_WORDS", 0):
            self.assertEqual(list(self.found("mara")), [self.mara2, self.mara, self.amara])
            self.assertEqual(list(self.found("mara", limit=1)), [self.mara2])
        # The search view's filter keeps Odoo's "contains" for these terms.
        domain = [("display_name", "ilike", "mar"), ("id", "in", self.people.ids)]
        self.assertEqual(self.env["res.partner"].search(domain), self.ana | self.mara | self.mara2 | self.amara)

    @users("ccs_manager")
    def test_accents_follow_unaccent(self):
        by_accent = self.found("mü")
        self.assertIn(self.joerg, by_accent)
        self.assertEqual(self.found("Mü"), by_accent)
        if self.env.registry.has_unaccent:
            # Odoo's ilike compares without accents: "mu" is "mü".
            self.assertEqual(self.found("mu"), self.joerg | self.ana | self.murat | self.contact)
            self.assertEqual(by_accent, self.joerg | self.ana | self.murat | self.contact)
        else:
            self.assertEqual(self.found("mu"), self.ana | self.murat | self.contact)
            self.assertEqual(by_accent, self.joerg)

    @users("ccs_manager")
    def test_caller_domain_and_search_view_filter(self):
        self.assertEqual(self.found("m", args=[("is_company", "=", True)]), self.murat)
        Partner = self.env["res.partner"]
        domain = [("display_name", "ilike", "ma"), ("id", "in", self.people.ids)]
        self.assertEqual(Partner.search(domain), self.mara | self.mara2 | self.ana)
        self.assertEqual(Partner.search_count(domain), 3)
        self.mara.sudo().active = False
        self.assertEqual(self.found("zu"), self.mara2)

    @users("ccs_contributor_b")
    def test_record_rules_still_apply(self):
        self.company.sudo().crm_team_isolation = True
        self.client_a.sudo().name = "Zubi Ibérica"
        found = self.env["res.partner"].name_search("zu")
        self.assertNotIn(self.client_a.id, [pid for pid, _name in found])
        self.client_b.sudo().name = "Zubi Alpina"
        found = self.env["res.partner"].name_search("zu")
        self.assertIn(self.client_b.id, [pid for pid, _name in found])

    def test_table_follows_create_write_unlink_and_merge(self):
        wanda = {"w", "wa", "wan", "wanda", "v", "vo", "vos", "voss", "wv"}
        Partner = self.env["res.partner"]
        created = Partner.create([{"name": f"Xaver Yilmaz {i}"} for i in range(3)])
        # Starts of one and two letters of each word and of the email, reference...;
        # of three letters of the words of the name, and the longer ones whole.
        self.assertEqual(self.prefixes(created[0]), {"x", "xa", "xav", "xaver", "y", "yi", "yil", "yilmaz", "0"})
        self.assertEqual(self.found("xa", within=created), created)
        created[0].write({"name": "Wanda Voss", "email": "wv@example.com"})
        self.assertEqual(self.prefixes(created[0]), wanda)
        self.assertEqual(self.found("xa", within=created), created[1:])
        self.assertEqual(list(self.found("yi", within=created)), [created[1], created[2]])
        # The sort key follows the name: Aaron comes before Xaver.
        created[2].name = "Aaron Yilmaz"
        self.assertEqual(list(self.found("yi", within=created)), [created[2], created[1]])
        # A parent's new name renames its contacts (complete_name).
        self.murat.name = "Otto Quell"
        self.assertIn("ot", self.prefixes(self.contact))
        self.assertNotIn("mu", self.prefixes(self.contact))
        gone = created[2].id
        created[2].unlink()
        self.assertFalse(self.prefixes(Partner.browse(gone)))
        # Merging keeps the kept partner's words only; the merged one's go.
        kept, merged = created[0], created[1]
        wizard = self.env["base.partner.merge.automatic.wizard"]
        wizard._merge((kept | merged).ids, kept, extra_checks=False)
        self.assertFalse(merged.exists())
        self.assertFalse(self.prefixes(merged))
        self.assertEqual(self.prefixes(kept), wanda)

    def test_module_update_keeps_and_refills_the_table(self):
        Partner = self.env["res.partner"]
        before = self.prefixes(self.joerg)
        Partner._crm_prefix_table_install()
        self.assertEqual(self.prefixes(self.joerg), before)
        # A table left stale (its definition changed) is rebuilt from the partners.
        self.env.cr.execute(SQL("TRUNCATE %s", SQL.identifier(PREFIX_TABLE)))
        self.env.cr.execute(SQL("COMMENT ON TABLE %s IS NULL", SQL.identifier(PREFIX_TABLE)))
        Partner._crm_prefix_table_install()
        self.assertEqual(self.prefixes(self.joerg), before)
        self.assertEqual(self.found("zu"), self.mara | self.mara2)

    def test_uninstall_drops_the_table_and_its_triggers(self):
        Partner = self.env["res.partner"]
        Partner._crm_prefix_table_uninstall()
        [[table]] = self.env.execute_query(SQL("SELECT to_regclass(%s)", PREFIX_TABLE))
        self.assertIsNone(table)
        [[triggers]] = self.env.execute_query(
            SQL("SELECT count(*) FROM pg_trigger WHERE tgname LIKE %s", "res_partner_crm_search_prefix%")
        )
        self.assertEqual(triggers, 0)
        # Partners are still written (no trigger left to call a missing table).
        Partner.create({"name": "Ida Nachher"})
        self.env.flush_all()


@tagged("post_install", "-at_install")
class TestPartnerSearchRareTrigrams(CrmClientSuiteCommon):
    """A rare term of three letters or more is looked up through the trigrams
    that few values have (models/res_partner_search.py,
    ``_crm_rare_trigram_select``), and still finds what Odoo's ilike finds."""

    def test_rare_pattern_keeps_the_rare_trigrams_in_the_terms_order(self):
        Partner = self.env["res.partner"]
        # The trigrams of a common first and last name are kept with their
        # frequencies; the digits' are rarer than the floor.
        kept = {"lau": 0.02, "aur": 0.02, "ura": 0.02, "mar": 0.13, "art": 0.05, "rti": 0.04, "tin": 0.04}
        kept["in8"] = 0.0046
        stats = (0.0042, kept)
        # The rare digits until few values are expected: each overlapping
        # trigram brings one letter, a third of its selectivity.
        self.assertEqual(Partner._crm_rare_pattern("laura.martin890217", stats, 1_000_000), "%n89021%")
        # Not enough rare trigrams to expect few values: the commonest follow.
        self.assertEqual(Partner._crm_rare_pattern("laura.martin8", stats, 1_000_000), "%lau%in8%")
        # A reference: its commonest trigrams ("c05" of every C05... code)
        # are left out, although rarer than the floor alone would not do.
        stats = (0.0034, {"c05": 0.099, "052": 0.0152, "527": 0.0054, "770": 0.0037, "709": 0.004})
        self.assertEqual(Partner._crm_rare_pattern("c0527709", stats, 1_000_000), "%27709%")
        # Pieces that only touch stay apart, in the term's order.
        stats = (0.01, {"bcd": 0.5, "cde": 0.5})
        self.assertEqual(Partner._crm_rare_pattern("abcdef", stats, 1_000_000), "%abc%def%")
        # Every trigram needed, no trigram, or no statistics: Odoo's lookup.
        self.assertIsNone(Partner._crm_rare_pattern("laura", (0.0042, kept), 1_000_000))
        self.assertIsNone(Partner._crm_rare_pattern("a.b-c", (0.0042, kept), 1_000_000))
        self.assertIsNone(Partner._crm_rare_pattern("abcdef", None, 1_000_000))
        self.assertIsNone(Partner._crm_rare_pattern("abcdef", (None, {}), 1_000_000))
        # A small table keeps every trigram: still the rarest one at least.
        stats = (0.01, {"abc": 0.5, "bcd": 0.02, "cde": 0.5})
        self.assertEqual(Partner._crm_rare_pattern("abcde", stats, 50), "%bcd%")

    @users("ccs_manager")
    def test_rare_term_finds_what_ilike_finds(self):
        # The manager: the least-privileged role that sees every client.
        if self.env.cr._cnx.server_version < 140000:
            self.skipTest("Trigram statistics need PostgreSQL 14.")
        Partner = self.env["res.partner"]
        people = Partner.sudo().create(
            [{"name": f"Quentin Sample {i}", "email": f"quentin.sample{i}@example.com"} for i in range(60)]
        )
        by_email, by_name, piece_only, accented, elsewhere = Partner.sudo().create(
            [
                {"name": "Quentin Zorro", "email": "quentin.sample.xq7z@example.com"},
                {"name": "Sample.Xq7z Shop", "is_company": True},
                # The rare trigrams, not the term.
                {"name": "Xq7z Holder", "email": "other.xq7z@example.com"},
                {"name": "Sämple.xq7z GmbH", "is_company": True},
                {"name": "Ulla Ref", "ref": "SAMPLE.XQ7Z-1"},
            ]
        )
        people |= by_email | by_name | piece_only | accented | elsewhere
        self.env.flush_all()
        self.env.cr.execute("ANALYZE res_partner")
        res_partner_search._trigram_stats_cache.clear()
        self.addCleanup(res_partner_search._trigram_stats_cache.clear)

        term = "Sample.Xq7z"
        domain = Partner._crm_typed_search_domain(term)
        select = Partner._crm_preselect_sql(domain, term, 1001)
        # The name and email columns are looked up through the rare trigrams
        # ("xq7" or "q7z", as rare as each other here), the others as Odoo does.
        pieces = [param for param in select.params if param in ("%xq7%", "%q7z%", "%xq7z%")]
        self.assertEqual(len(pieces), 2, select.params)
        expected = Partner.search([*domain, ("id", "in", people.ids)])
        self.assertIn(by_email, expected)
        self.assertIn(by_name, expected)
        self.assertIn(elsewhere, expected)
        self.assertNotIn(piece_only, expected)
        self.assertEqual(accented in expected, bool(self.env.registry.has_unaccent))
        found = Partner.browse(
            [pid for pid, _name in Partner.name_search(term, args=[("id", "in", people.ids)], limit=8)]
        )
        self.assertEqual(found, expected)
        self.assertEqual(Partner.search([("display_name", "ilike", term), ("id", "in", people.ids)]), expected)

    @users("ccs_manager")
    def test_phone_digits_found_through_their_rare_trigrams(self):
        if self.env.cr._cnx.server_version < 140000:
            self.skipTest("Trigram statistics need PostgreSQL 14.")
        Partner = self.env["res.partner"]
        # Every phone shares the digits "600 527 70", the commonest trigrams;
        # "709" is rare: the number's and a partner's that has only it.
        people = Partner.sudo().create(
            [{"name": f"Phone Sample {i}", "phone": f"+34 600 527 70{i % 9}"} for i in range(80)]
        )
        number, piece_only, mobile = Partner.sudo().create(
            [
                {"name": "Rita Number", "phone": "+34 600 527 709"},
                {"name": "Piet Piece", "phone": "+34 699 709 000"},
                {"name": "Mona Mobile", "mobile": "+34 600 527 709"},
            ]
        )
        people |= number | piece_only | mobile
        self.env.flush_all()
        self.env.cr.execute("ANALYZE res_partner")
        res_partner_search._trigram_stats_cache.clear()
        self.addCleanup(res_partner_search._trigram_stats_cache.clear)

        [(field, operator, subquery)] = Partner._crm_phone_digits_domain("600527709")
        self.assertEqual((field, operator), ("id", "in"))
        # The phones are looked up by "709" alone, then compared in full.
        self.assertIn("%709%", subquery.params)
        self.assertIn("%600527709%", subquery.params)
        found = Partner.search([("phone_mobile_search", "ilike", "600 527 709"), ("id", "in", people.ids)])
        self.assertEqual(found, number | mobile)
        self.assertEqual(
            found, Partner.search([("crm_phone_e164", "like", "600527709"), ("id", "in", people.ids)]) | mobile
        )
        self.assertNotIn(piece_only, found)

    def test_trigram_indexes_keep_a_short_pending_list(self):
        # Every search reads the whole pending list of each trigram index:
        # the install bounds them all (PostgreSQL's default is 4 MB).
        self.env.cr.execute(
            """SELECT c.relname, c.reloptions FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = 'res_partner'::regclass AND c.relname LIKE 'res\\_partner\\_crm\\_%%trgm\\_index'"""
        )
        indexes = dict(self.env.cr.fetchall())
        self.assertGreaterEqual(len(indexes), 8, indexes)
        for name, options in indexes.items():
            self.assertIn(f"gin_pending_list_limit={TRIGRAM_PENDING_LIST_KB}", options or [], name)
