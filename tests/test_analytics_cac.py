from contextlib import contextmanager
from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import CrmClientSuiteCommon
from .test_analytics import set_rate

# Every figure of the CAC and CLTV analysis, as _read_group aggregates.
MEASURES = (
    "spend:sum",
    "new_clients:sum",
    "revenue:sum",
    "active_clients:sum",
    "churned_clients:sum",
    "cac:avg",
    "revenue_per_client:avg",
    "churn_rate:avg",
    "cltv:avg",
    "ltv_cac:avg",
    "payback_months:avg",
)


@tagged("post_install", "-at_install")
class TestAnalyticsCac(CrmClientSuiteCommon):
    """CAC and CLTV on a small hand-made history with known answers.

    Costs: January 1000 (company currency) and 500 in a second currency at rate
    0.5 (= 1000), team A, source Ads; 600 with no source nor team; February 400,
    team A, Ads; March 300, team B, Ads.
    Client A: first won deal 01-10 from Ads (3000), won again 02-05 from Fairs
    (1000, still Ads: the client's source). Client B: first won 01-20 from Ads
    (1000), Past Client since 02-15 (churned). Read on 02-28.
    """

    @classmethod
    @contextmanager
    def at(cls, when):
        with freeze_time(when):
            cls.env.cr._now = datetime.now()
            yield
        cls.env.cr._now = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.ads, cls.fairs = cls.env["utm.source"].create([{"name": "CAC Ads"}, {"name": "CAC Fairs"}])
        company_currency = cls.env.company.currency_id
        cls.other_currency = ref("base.EUR") if company_currency != ref("base.EUR") else ref("base.USD")
        cls.other_currency.active = True
        set_rate(cls.env, cls.other_currency, 0.5)
        Cost = cls.env["crm.sales.cost"].with_user(cls.admin_user)
        cls.costs = Cost.create(
            [
                {"date": "2026-01-15", "amount": 1000, "team_id": cls.team_a.id, "source_id": cls.ads.id},
                {
                    "date": "2026-01-01",
                    "amount": 500,
                    "currency_id": cls.other_currency.id,
                    "team_id": cls.team_a.id,
                    "source_id": cls.ads.id,
                },
                {"date": "2026-01-31", "amount": 600},
                {"date": "2026-02-10", "amount": 400, "team_id": cls.team_a.id, "source_id": cls.ads.id},
                {"date": "2026-03-10", "amount": 300, "team_id": cls.team_b.id, "source_id": cls.ads.id},
            ]
        )
        won = cls.env.ref("crm.stage_lead4")

        def win(when, partner, amount, source):
            with cls.at(when):
                deal = cls.env["crm.lead"].create(
                    {
                        "name": f"CAC {partner.name} {when}",
                        "type": "opportunity",
                        "partner_id": partner.id,
                        "team_id": cls.team_a.id,
                        "user_id": cls.contributor.id,
                        "source_id": source.id,
                        "amount_currency": amount,
                    }
                )
                deal.stage_id = won
            return deal

        win("2026-01-10 10:00:00", cls.contact_a, 3000, cls.ads)
        win("2026-01-20 10:00:00", cls.client_b, 1000, cls.ads)
        win("2026-02-05 10:00:00", cls.client_a, 1000, cls.fairs)
        with cls.at("2026-02-15 10:00:00"):
            cls.client_b.crm_client_type = "past"
        cls.env.flush_all()

    def figures(self, groupby, aggregates, domain=(), user=None):
        Report = self.env["crm.cac.report"].with_user(user or self.manager)
        with self.at("2026-02-28 12:00:00"):
            return Report._read_group(
                [("source_id", "in", [self.ads.id, False]), ("month", ">=", "2026-01-01"), *domain],
                groupby=groupby,
                aggregates=aggregates,
            )

    def test_costs_are_kept_by_month(self):
        self.assertEqual(self.costs[0].date, date(2026, 1, 1))
        self.costs[0].date = "2026-04-22"
        self.assertEqual(self.costs[0].date, date(2026, 4, 1))

    def test_churn_date_follows_the_client_type(self):
        self.assertEqual(self.client_b.crm_date_past, date(2026, 2, 15))
        self.client_b.crm_client_type = "active"
        self.assertFalse(self.client_b.crm_date_past)

    def test_cac_cltv_by_source(self):
        self.env.company.crm_team_isolation = False
        measures = list(MEASURES)
        rows = {
            source: values for source, *values in self.figures(["source_id"], measures, [("month", "<", "2026-03-01")])
        }
        spend, new, revenue, months, churned, cac, arpc, churn, cltv, ltv_cac, payback = rows[self.ads]
        self.assertEqual((spend, new, revenue, months, churned), (2400.0, 2, 5000.0, 4, 1))
        self.assertEqual(cac, 1200.0)  # 2400 / 2 new clients
        self.assertEqual(arpc, 1250.0)  # 5000 over 4 client months
        self.assertEqual(churn, 25.0)  # 1 churned over 4 client months
        self.assertEqual(cltv, 5000.0)  # 1250 × 100 % / 0.25
        self.assertAlmostEqual(ltv_cac, 5000.0 / 1200.0)
        self.assertAlmostEqual(payback, 0.96)  # 1200 / 1250
        self.assertEqual(rows[self.env["utm.source"]][:2], [600.0, 0])  # spend without source, no client
        # the gross margin setting scales CLTV and payback
        self.env.company.crm_gross_margin = 40.0
        [(cltv, payback)] = self.figures(
            [], ["cltv:avg", "payback_months:avg"], [("source_id", "=", self.ads.id), ("month", "<", "2026-03-01")]
        )
        self.assertAlmostEqual(cltv, 2000.0)
        self.assertAlmostEqual(payback, 2.4)

    def test_cac_by_month_without_churn_has_no_cltv(self):
        self.env.company.crm_team_isolation = False
        months = {
            month: values
            for month, *values in self.figures(["month:month"], ["spend:sum", "new_clients:sum", "cac:avg", "cltv:avg"])
        }
        self.assertEqual(months[date(2026, 1, 1)], [2600.0, 2, 1300.0, False])  # no churn in January
        self.assertEqual(months[date(2026, 2, 1)][:2], [400.0, 0])
        self.assertEqual(months[date(2026, 3, 1)], [300.0, 0, False, False])  # a cost of the future month

    def test_campaign_costs_are_spend_of_their_month(self):
        self.env.company.crm_team_isolation = False
        campaign = self.env["utm.campaign"].create({"name": "CAC Spring"})
        self.env["crm.campaign.cost"].with_user(self.admin_user).create(
            {"campaign_id": campaign.id, "date": "2026-01-12", "amount": 200}
        )
        months = {
            month: values
            for month, *values in self.figures(["month:month"], ["spend:sum", "new_clients:sum", "cac:avg"])
        }
        self.assertEqual(months[date(2026, 1, 1)], [2800.0, 2, 1400.0])

    def test_access_per_role_and_team_isolation(self):
        for user in (self.contributor, self.guest):
            with self.subTest(user=user.login), self.assertRefusedByAccessRights("read", "crm.cac.report"):
                self.figures([], ["spend:sum"], user=user)
            with self.assertRefusedByAccessRights("create", "crm.sales.cost"):
                self.env["crm.sales.cost"].with_user(user).create({"date": "2026-01-01", "amount": 1})
        self.set_team_isolation(True)
        [(spend,)] = self.figures([], ["spend:sum"], user=self.manager_b)
        self.assertEqual(spend, 900.0, "team B's March cost and the cost without team")
        [(spend,)] = self.figures([], ["spend:sum"], user=self.admin_user)
        self.assertEqual(spend, 3300.0)
        self.assertEqual(self.env["crm.sales.cost"].with_user(self.manager_b).search([]), self.costs[2] | self.costs[4])

    def test_dashboard_new_clients_and_cac_vs_cltv(self):
        self.env.company.crm_team_isolation = False
        Dashboard = self.env["crm.analytics.dashboard"].with_user(self.manager)
        with self.at("2026-02-28 12:00:00"):
            data = Dashboard.get_dashboard_data("2026-01-01", "2026-02-28", source_id=self.ads.id)
            by_team_b = Dashboard.get_dashboard_data("2026-01-01", "2026-02-28", team_id=self.team_b.id)
        self.assertEqual(data["new_clients_by_source"], [{"source_id": self.ads.id, "source": "CAC Ads", "count": 2}])
        months = {row["month"]: (row["cac"], row["cltv"]) for row in data["cac_cltv"]}
        self.assertEqual(months["2026-01"], (1000.0, False))  # 2000 for 2 new clients; no churn yet
        self.assertEqual(months["2026-02"], (False, 1000.0))  # no new client; 500 per client ÷ 50 % churn
        self.assertEqual(by_team_b["new_clients_by_source"], [], "the clients were acquired by team A")

    def test_cltv_reads_invoiced_revenue_where_invoicing_is_used(self):
        """Client A is invoiced through Invoicing: its posted invoices (less its credit notes) replace the
        value of its won deals; client B, never invoiced, keeps its won deal value."""
        self.env.company.crm_team_isolation = False
        Move = self.env["account.move"]

        def move(move_type, day, amount, post=True):
            record = Move.create(
                {
                    "move_type": move_type,
                    "partner_id": self.client_a.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create({"name": "Obra", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
            if post:
                record.action_post()
            return record

        move("out_invoice", "2026-02-03", 2200)
        move("out_refund", "2026-02-20", 200)
        move("out_invoice", "2025-12-15", 999)  # before its first won deal: not client revenue
        move("out_invoice", "2026-02-25", 5000, post=False)  # a draft is not revenue
        measures = ["revenue:sum", "active_clients:sum", "revenue_per_client:avg", "cltv:avg"]
        [(revenue, months, arpc, cltv)] = self.figures(
            [], measures, [("source_id", "=", self.ads.id), ("month", "<", "2026-03-01")]
        )
        self.assertEqual((revenue, months), (3000.0, 4))  # 2200 - 200 invoiced to A, 1000 won from B
        self.assertEqual(arpc, 750.0)
        self.assertEqual(cltv, 3000.0)  # 750 × 100 % / 25 % churn
        by_month = dict(self.figures(["month:month"], ["revenue:sum"], [("source_id", "=", self.ads.id)]))
        self.assertEqual(by_month[date(2026, 1, 1)], 1000.0, "A's January deal is not counted: A is invoiced")
        self.assertEqual(by_month[date(2026, 2, 1)], 2000.0)

    def test_a_read_computes_only_its_figures_and_they_do_not_change(self):
        """Each measure read alone, or with a filter on another, equals the same measure read with all
        the others, in every grouping; a grouping holding none of the figures read has no row."""
        self.env.company.crm_team_isolation = False
        Report = self.env["crm.cac.report"]
        measures = list(MEASURES)
        for groupby in (["source_id"], ["month:month"], ["team_id", "month:month"]):
            keys = len(groupby)
            full = {tuple(row[:keys]): row[keys:] for row in self.figures(groupby, measures)}
            for index, measure in enumerate(measures):
                with self.subTest(groupby=groupby, measure=measure):
                    alone = {tuple(row[:keys]): row[keys] for row in self.figures(groupby, [measure])}
                    self.assertEqual(alone, {key: values[index] for key, values in full.items() if key in alone})
                    self.assertFalse(
                        any(values[index] for key, values in full.items() if key not in alone),
                        "a grouping left out holds no figure",
                    )
        # the parts follow the figures read, their filters and their order, all of them outside a read group
        with self.at("2026-02-28 12:00:00"):
            parts = Report.with_context(crm_analytics_fields=frozenset({"source_id", "new_clients"}))._fact_parts()
            self.assertEqual(parts, {"new_clients"})
            self.assertEqual(Report._fact_parts(), set(Report._FACT_PARTS))
        [(new,)] = self.figures([], ["new_clients:sum"], [("spend", ">", 0)])
        self.assertEqual(new, 2, "a filter on the spend reads the spend: the months with costs keep their clients")
