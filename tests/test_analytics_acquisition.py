from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..models.crm_client_acquisition import ACQUISITION_COLUMNS, WON_MONTH_COLUMNS
from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestClientAcquisition(CrmClientSuiteCommon):
    """The client acquisition rows the CAC report reads stay equal to a fold from scratch of the
    deals, after each kind of change, and hold the expected first won deal.

    Client A (through contact A): won 2026-01-10 from Ads (first), won 2026-02-05 from Fairs.
    Client B: won 2026-03-03 from Fairs.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ads, cls.fairs = cls.env["utm.source"].create([{"name": "Acq Ads"}, {"name": "Acq Fairs"}])
        cls.won_stage = cls.env.ref("crm.stage_lead4")
        cls.deal_a1 = cls.win("2026-01-10 10:00:00", cls.contact_a, cls.ads)
        cls.deal_a2 = cls.win("2026-02-05 10:00:00", cls.client_a, cls.fairs)
        cls.deal_b1 = cls.win("2026-03-03 10:00:00", cls.client_b, cls.fairs)

    @classmethod
    def win(cls, when, partner, source):
        with freeze_time(when):
            cls.env.cr._now = datetime.now()
            deal = cls.env["crm.lead"].create(
                {
                    "name": f"Acquisition {partner.name} {when}",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "team_id": cls.team_a.id,
                    "user_id": cls.contributor.id,
                    "source_id": source.id,
                    "expected_revenue": 1000,
                }
            )
            deal.stage_id = cls.won_stage
            cls.env.flush_all()
        cls.env.cr._now = None
        return deal

    def acquisitions(self):
        """``{client: (first won deal, month, source, company, churn month)}``, after checking that the
        kept rows equal the fold of every client from scratch."""
        self.env.flush_all()
        columns = SQL(", ").join(SQL.identifier(column) for column in ACQUISITION_COLUMNS)
        kept = self.env.execute_query(SQL("SELECT %s FROM crm_client_acquisition", columns))
        scratch = self.env.execute_query(self.env["crm.client.acquisition"]._fold_sql())
        self.assertEqual(sorted(kept), sorted(scratch), "the kept rows differ from a recompute from scratch")
        won_columns = SQL(", ").join(SQL.identifier(column) for column in WON_MONTH_COLUMNS)
        self.assertEqual(
            sorted(self.env.execute_query(SQL("SELECT %s FROM crm_client_won_month", won_columns))),
            sorted(self.env.execute_query(self.env["crm.client.acquisition"]._won_months_sql())),
            "the kept won values differ from a recompute from scratch",
        )
        rows = {}
        for values in kept:
            row = dict(zip(ACQUISITION_COLUMNS, values, strict=True))
            rows[row["client_id"]] = (
                row["lead_id"],
                row["month"],
                row["source_id"],
                row["company_id"],
                row["churn_month"],
            )
        return rows

    def test_first_won_deal_of_each_client(self):
        rows = self.acquisitions()
        company = self.env.company.id
        self.assertEqual(rows[self.client_a.id], (self.deal_a1.id, date(2026, 1, 1), self.ads.id, company, None))
        self.assertEqual(rows[self.client_b.id], (self.deal_b1.id, date(2026, 3, 1), self.fairs.id, company, None))

    def won_months(self, client):
        self.acquisitions()
        Month = self.env["crm.client.won.month"]
        return {row.month: row.amount for row in Month.search([("client_id", "=", client.id)])}

    def test_won_value_per_month(self):
        self.assertEqual(self.won_months(self.client_a), {date(2026, 1, 1): 1000.0, date(2026, 2, 1): 1000.0})
        self.deal_a2.expected_revenue = 2500
        self.deal_a1.date_closed = "2026-02-27 10:00:00"
        self.assertEqual(self.won_months(self.client_a), {date(2026, 2, 1): 3500.0})
        self.deal_a2.action_set_lost()
        self.assertEqual(self.won_months(self.client_a), {date(2026, 2, 1): 1000.0})

    def test_lost_reopened_and_archived_deals(self):
        self.deal_a1.action_set_lost()
        self.assertEqual(self.acquisitions()[self.client_a.id][:3], (self.deal_a2.id, date(2026, 2, 1), self.fairs.id))
        self.deal_a1.action_unarchive()
        self.deal_a1.write({"stage_id": self.won_stage.id, "date_closed": "2026-03-15 10:00:00"})
        # won again later: the February deal stays the first
        self.assertEqual(self.acquisitions()[self.client_a.id][0], self.deal_a2.id)
        self.deal_a2.stage_id = self.env.ref("crm.stage_lead1")  # reopened
        self.assertEqual(self.acquisitions()[self.client_a.id][:2], (self.deal_a1.id, date(2026, 3, 1)))
        (self.deal_a1 | self.deal_a2).action_archive()
        self.assertNotIn(self.client_a.id, self.acquisitions(), "no won deal left: not acquired")

    def test_source_team_closing_date_and_company_changes(self):
        self.deal_a1.source_id = self.fairs
        self.assertEqual(self.acquisitions()[self.client_a.id][2], self.fairs.id)
        self.deal_a1.date_closed = "2026-02-20 09:00:00"
        self.assertEqual(self.acquisitions()[self.client_a.id][:2], (self.deal_a2.id, date(2026, 2, 1)))
        other = self.env["res.company"].create({"name": "Acquisition Other Company"})
        self.deal_a2.write({"company_id": other.id, "team_id": False, "user_id": False})
        self.assertEqual(self.acquisitions()[self.client_a.id][3], other.id)

    def test_deal_moved_to_another_client_and_contact_moved(self):
        self.deal_a1.partner_id = self.client_b
        rows = self.acquisitions()
        self.assertEqual(rows[self.client_a.id][0], self.deal_a2.id)
        self.assertEqual(rows[self.client_b.id][:2], (self.deal_a1.id, date(2026, 1, 1)))
        self.deal_a1.partner_id = self.contact_a
        # the contact moves to client B with its deal
        self.contact_a.parent_id = self.client_b
        rows = self.acquisitions()
        self.assertEqual(rows[self.client_a.id][0], self.deal_a2.id)
        self.assertEqual(rows[self.client_b.id][0], self.deal_a1.id)

    def test_unlinked_deals_and_contacts(self):
        self.deal_a2.unlink()
        self.assertEqual(self.acquisitions()[self.client_a.id][0], self.deal_a1.id)
        self.contact_a.unlink()  # its deal loses it: client A has no won deal left
        self.assertNotIn(self.client_a.id, self.acquisitions())
        self.deal_b1.unlink()
        self.assertNotIn(self.client_b.id, self.acquisitions())

    def test_merged_clients(self):
        """Merging moves the deals in SQL: client B, kept, now starts with client A's January deal."""
        self.env["base.partner.merge.automatic.wizard"]._merge(
            [self.client_a.id, self.client_b.id], dst_partner=self.client_b
        )
        rows = self.acquisitions()
        self.assertNotIn(self.client_a.id, rows)
        self.assertEqual(rows[self.client_b.id][:2], (self.deal_a1.id, date(2026, 1, 1)))

    def test_churn_and_won_stage_setting(self):
        with freeze_time("2026-04-12"):
            self.client_b.crm_client_type = "past"
        self.assertEqual(self.acquisitions()[self.client_b.id][4], date(2026, 4, 1))
        self.client_b.crm_client_type = "active"
        self.assertIsNone(self.acquisitions()[self.client_b.id][4])
        self.won_stage.is_won = False
        self.assertFalse(self.acquisitions(), "no won stage: no client acquired")
        self.won_stage.is_won = True
        self.assertEqual(self.acquisitions()[self.client_b.id][0], self.deal_b1.id)

    def test_install_folds_every_client_while_a_table_is_empty(self):
        self.env.cr.execute(SQL("DELETE FROM crm_client_won_month"))
        self.env["crm.client.acquisition"]._init_acquisition()
        self.assertEqual(self.won_months(self.client_b), {date(2026, 3, 1): 1000.0})
        self.assertEqual(self.acquisitions()[self.client_b.id][0], self.deal_b1.id)

    def test_cac_report_reads_the_acquisitions(self):
        """The report's new clients follow the kept rows (here: a lost first deal moves the client)."""
        self.env.company.crm_team_isolation = False
        Report = self.env["crm.cac.report"].with_user(self.manager)
        domain = [("source_id", "in", [self.ads.id, self.fairs.id])]
        by_source = dict(Report._read_group(domain, ["source_id"], ["new_clients:sum"]))
        self.assertEqual((by_source[self.ads], by_source[self.fairs]), (1, 1))
        self.deal_a1.action_set_lost()
        by_source = dict(Report._read_group(domain, ["source_id"], ["new_clients:sum"]))
        self.assertEqual(by_source[self.fairs], 2)
        self.assertNotIn(self.ads, by_source)
