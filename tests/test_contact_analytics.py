from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import SQL

from ..models import crm_contact_analytics as contact_analytics
from ..models.crm_contact_analytics import CONTACT_ANALYTICS_COLUMNS
from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestContactAnalyticsUpkeep(CrmClientSuiteCommon):
    """The rows kept per partner for the contact analysis stay equal to a fold from scratch of the
    partners after each kind of change, and hold the expected duplicate flag, client and flags.

    The fixture's clients and contacts have distinct emails; each test adds the partners it needs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spain = cls.env.ref("base.es")
        cls.client_a.country_id = cls.spain

    def rows(self):
        """``{partner id: row}`` of the kept rows, after checking that they equal the fold of every
        partner from scratch. The report is searched first, as every read of it does."""
        self.env["crm.contact.report"].sudo().search_count([])
        columns = SQL(", ").join(SQL.identifier(column) for column in CONTACT_ANALYTICS_COLUMNS)
        kept = self.env.execute_query(SQL("SELECT %s FROM crm_contact_analytics", columns))
        scratch = self.env.execute_query(self.env["crm.contact.analytics"]._fold_sql())
        self.assertEqual(sorted(kept), sorted(scratch), "the kept rows differ from a recompute from scratch")
        return {values[0]: dict(zip(CONTACT_ANALYTICS_COLUMNS, values, strict=True)) for values in kept}

    def flagged(self, *partners):
        rows = self.rows()
        return [rows[partner.id]["is_duplicate"] for partner in partners]

    def contact(self, name, **values):
        return self.env["res.partner"].create({"name": name, "parent_id": self.client_a.id, **values})

    def test_email_shared_on_create_and_cleared_on_write(self):
        twin = self.contact("Lucía F. (second card)", email="LUCIA@construcciones-ibericas.example.com")
        self.assertEqual(self.flagged(self.contact_a, twin, self.contact_a_other), [True, True, False])
        twin.email = "lucia.f@construcciones-ibericas.example.com"
        self.assertEqual(self.flagged(self.contact_a, twin), [False, False], "the old email's partner is freed too")

    def test_phone_in_e164_between_phone_and_mobile(self):
        first = self.contact("Ana Phone", phone="+34 612 345 678")
        second = self.contact("Ana Mobile", mobile="612 34 56 78")  # read in Spain, the client's country
        self.assertEqual(self.flagged(first, second), [True, True])
        # one partner's own phone and mobile are not a duplicate
        second.mobile = False
        first.mobile = "+34 612 345 678"
        self.assertEqual(self.flagged(first, second), [False, False])

    def test_tax_id_and_a_partner_outside_the_report(self):
        # a client without contacts: its contacts would share its tax ID (a commercial field)
        client = self.env["res.partner"].create(
            {"name": "Sin Contactos S.L.", "is_company": True, "vat": "ESB12345674"}
        )
        person = self.env["res.partner"].create({"name": "Individual", "vat": "es b12345674"})
        rows = self.rows()
        self.assertTrue(rows[client.id]["is_duplicate"], "a partner outside the report still counts")
        self.assertFalse(rows[person.id]["in_report"], "a person with no client is no row of the analysis")
        person.vat = False
        self.assertEqual(self.flagged(client), [False])

    def test_archive_unarchive_and_delete(self):
        twin = self.contact("Javier twin", email="javier@construcciones-ibericas.example.com")
        twin.active = False
        rows = self.rows()
        self.assertFalse(rows[self.contact_a_other.id]["is_duplicate"])
        self.assertFalse(rows[twin.id]["in_report"])
        twin.active = True
        self.assertEqual(self.flagged(self.contact_a_other, twin), [True, True])
        twin.unlink()
        rows = self.rows()
        self.assertNotIn(twin.id, rows)
        self.assertFalse(rows[self.contact_a_other.id]["is_duplicate"])

    def test_merge_moves_contacts_and_keys(self):
        twin = self.env["res.partner"].create(
            {"name": "Construcciones Ibéricas (dup)", "is_company": True, "email": self.client_a.email}
        )
        contact = self.env["res.partner"].create({"name": "Under the twin", "parent_id": twin.id})
        self.assertEqual(self.flagged(self.client_a, twin), [True, True])
        self.env["base.partner.merge.automatic.wizard"]._merge([self.client_a.id, twin.id], dst_partner=self.client_a)
        rows = self.rows()
        self.assertNotIn(twin.id, rows)
        self.assertFalse(rows[self.client_a.id]["is_duplicate"])
        self.assertEqual(rows[contact.id]["client_id"], self.client_a.id, "the contact moved in SQL follows")

    def test_client_changes_reach_its_contacts(self):
        source = self.env["utm.source"].create({"name": "Upkeep Fair"})
        self.client_a.write({"crm_client_type": "past", "source_id": source.id})
        rows = self.rows()
        self.assertEqual(rows[self.contact_a.id]["client_type"], "past")
        self.assertEqual(rows[self.contact_a.id]["source_id"], source.id)
        self.client_b.crm_client_type = "active"
        self.contact_a.parent_id = self.client_b
        rows = self.rows()
        self.assertEqual(rows[self.contact_a.id]["client_id"], self.client_b.id)
        self.assertEqual(rows[self.contact_a.id]["client_type"], "active")

    def test_blacklist_and_do_not_contact_flags(self):
        entry = self.env["mail.blacklist"].create({"email": self.contact_a.email})
        self.assertTrue(self.rows()[self.contact_a.id]["do_not_contact"])
        entry.active = False
        self.assertFalse(self.rows()[self.contact_a.id]["do_not_contact"])
        self.contact_a.write({"crm_no_call": True, "phone": False, "mobile": False})
        row = self.rows()[self.contact_a.id]
        self.assertEqual((row["do_not_contact"], row["missing_phone"]), (True, True))

    def test_commit_folds_what_no_report_read(self):
        twin = self.contact("Commit twin", email=self.contact_a.email)
        self.env.cr.flush()  # what a commit runs: the precommit hooks
        [(flag,)] = self.env.execute_query(
            SQL("SELECT is_duplicate FROM crm_contact_analytics WHERE partner_id = %s", twin.id)
        )
        self.assertTrue(flag)

    def test_install_folds_every_partner_while_the_table_is_empty(self):
        self.contact("Install twin", email=self.contact_a.email)
        self.env["crm.contact.report"].sudo().search_count([])
        self.env.cr.execute(SQL("DELETE FROM crm_contact_analytics"))
        self.env["crm.contact.analytics"]._init_contact_analytics()
        self.assertEqual(self.flagged(self.contact_a), [True])

    def test_many_marks_fold_all_partners_at_once(self):
        twin = self.contact("Bulk twin", email=self.contact_a.email)
        with patch.object(contact_analytics, "FULL_FOLD_FROM", 1):
            twin.email = "bulk@construcciones-ibericas.example.com"
            self.contact_a_other.email = twin.email
            self.assertEqual(self.flagged(self.contact_a, twin, self.contact_a_other), [False, True, True])
        self.assertFalse(self.env.execute_query(SQL("SELECT 1 FROM crm_contact_analytics_pending")))

    @users("ccs_manager")
    def test_manager_reads_the_report_not_the_rows(self):
        """A Manager's report read sees a change of the same transaction; the kept rows themselves
        are for Admins only."""
        self.env["res.partner"].browse(self.contact_a_other.id).email = self.contact_a.email
        Report = self.env["crm.contact.report"]
        [(duplicates,)] = Report._read_group([("client_id", "=", self.client_a.id)], [], ["duplicate_count:sum"])
        self.assertEqual(duplicates, 2)
        with self.assertRaises(AccessError):
            self.env["crm.contact.analytics"].search([])

    def test_team_isolation_on_the_kept_rows(self):
        self.set_team_isolation(True)
        self.rows()
        Report = self.env["crm.contact.report"]
        domain = [("client_id", "=", self.client_a.id), ("team_id", "=", self.team_a.id)]
        [(kept,)] = self.env.execute_query(
            SQL(
                "SELECT count(*) FROM crm_contact_analytics WHERE in_report AND client_id = %s AND team_id = %s",
                self.client_a.id,
                self.team_a.id,
            )
        )
        self.assertGreaterEqual(kept, 3, "the client and its two contacts are in team A")
        self.assertEqual(Report.with_user(self.manager).search_count(domain), kept)
        self.assertFalse(Report.with_user(self.manager_b).search_count(domain))


@tagged("post_install", "-at_install")
class TestEngagementKeptClient(CrmClientSuiteCommon):
    """The touches of the engagement report take their client's type and team from the kept rows,
    current within the transaction."""

    def test_touch_follows_its_client(self):
        self.set_team_isolation(True)
        self.env["crm.outreach"].create(
            {
                "partner_id": self.contact_a.id,
                "summary": "Called about the site",
                "channel": "call",
                "direction": "outbound",
                "outcome": "done",
            }
        )
        self.client_a.crm_client_type = "past"
        Report = self.env["crm.client.engagement.report"].with_user(self.manager)
        domain = [("row_kind", "=", "touch"), ("client_id", "=", self.client_a.id)]
        self.assertEqual(
            Report._read_group(domain, ["client_type", "team_id"], ["touch_count:sum"]),
            [("past", self.team_a.with_user(self.manager), 1)],
        )
        self.client_a.team_id = self.team_b
        self.assertFalse(Report._read_group(domain, [], ["touch_count:sum"])[0][0])
