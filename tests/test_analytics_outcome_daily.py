from odoo.tests import tagged

from ..report.crm_deal_outcome_report_daily import CLOSED_AGGREGATES, OPEN_AGGREGATES
from .test_analytics import TestAnalyticsCommon

CLOSED = list(CLOSED_AGGREGATES)
OPEN = list(OPEN_AGGREGATES)
FEB = [("date_closed", ">=", "2026-02-01 00:00:00"), ("date_closed", "<", "2026-03-01 00:00:00")]
YEAR = [("date_closed", ">=", "2026-01-01 00:00:00"), ("date_closed", "<", "2027-01-01 00:00:00")]
OPEN_DEALS = [("outcome", "=", "open")]


@tagged("post_install", "-at_install")
class TestOutcomesFromDailyFigures(TestAnalyticsCommon):
    """The deal outcome report's reads of the closed deals of a period (and of the open deals' pipeline
    and forecast) on the daily figures' keys are answered from the daily sums, with the figures of the
    report's own query: counts, win rates, sizes, cycles, the exact medians and 90th percentile, velocity,
    pipeline and weighted forecast, under the same record rules."""

    def report_read(self, user, domain, groupby, aggregates, daily=True, tz="UTC"):
        Outcome = self.env["crm.deal.outcome.report"].with_user(user).with_context(tz=tz)
        if not daily:
            Outcome = Outcome.with_context(crm_analytics_no_daily=True)
        return Outcome._read_group(domain, groupby, aggregates)

    def assertSameRows(self, ours, theirs, aggregates, msg):
        count = len(aggregates)
        self.assertEqual([row[:-count] for row in ours], [row[:-count] for row in theirs], msg)
        for our_row, their_row in zip(ours, theirs, strict=True):
            for spec, mine, expected in zip(aggregates, our_row[-count:], their_row[-count:], strict=True):
                if not expected or not mine:
                    self.assertEqual(mine or False, expected or False, f"{msg} {spec} {our_row}")
                else:
                    self.assertAlmostEqual(mine, expected, places=6, msg=f"{msg} {spec} {our_row}")

    def assertSameAsQuery(self, user, domain, groupby, aggregates):
        Outcome = self.env["crm.deal.outcome.report"].with_user(user).with_context(tz="UTC")
        self.assertIsNotNone(Outcome._read_group_daily(domain, groupby, aggregates), "answered from the sums")
        ours = self.report_read(user, domain, groupby, aggregates)
        if user == self.admin_user:
            self.assertTrue(ours, "Admins see every figure")
        theirs = self.report_read(user, domain, groupby, aggregates, daily=False)
        self.assertSameRows(ours, theirs, aggregates, f"{user.login} {domain} {groupby}")

    def test_same_figures_as_the_query(self):
        source = self.env["utm.source"].create({"name": "Fair"})
        (self.d1 | self.d4).write({"source_id": source.id})
        (self.d3 | self.d5).write({"date_deadline": "2026-03-15"})
        self.d4.date_deadline = "2026-04-02"
        closed = [
            (YEAR, []),
            (YEAR, ["user_id"]),
            (YEAR, ["team_id", "date_closed:month"]),
            (FEB, ["date_closed:week"]),
            ([*YEAR, ("source_id", "=", source.id)], ["company_id"]),
            ([*YEAR, ("deal_team_id", "=", self.team_a.id)], ["user_id"]),
            ([("date_closed", "<", "2026-02-01 00:00:00")], ["source_id"]),
            ([*YEAR, "|", ("team_id", "=", self.team_b.id), ("user_id", "=", self.contributor.id)], ["team_id"]),
        ]
        opened = [
            (OPEN_DEALS, []),
            (OPEN_DEALS, ["date_deadline:month"]),
            ([*OPEN_DEALS, ("team_id", "=", self.team_b.id)], ["user_id", "date_deadline:day"]),
            ([*OPEN_DEALS, ("date_deadline", ">=", "2026-03-01"), ("date_deadline", "<", "2026-04-01")], []),
        ]
        Daily = self.env["crm.deal.analytics.daily"]
        for isolation in (False, True):
            self.set_team_isolation(isolation)
            for folded in (False, True):
                if folded:
                    Daily._fold_pending()
                for user in (self.manager, self.manager_b, self.admin_user):
                    for cases, aggregates in ((closed, CLOSED), (opened, OPEN)):
                        for domain, groupby in cases:
                            with self.subTest(isolation=isolation, folded=folded, user=user.login, domain=domain):
                                self.assertSameAsQuery(user, domain, groupby, aggregates)
            # deals moving now: a win and a loss of this month, a new expected closing, pending until folded
            with self.at("2026-02-20 10:00:00"):
                self.d3.write({"stage_id": self.s_won.id})
                self.d5.write({"date_deadline": "2026-05-01"})
                self.assertSameAsQuery(self.admin_user, YEAR, ["user_id"], CLOSED)
                self.assertSameAsQuery(self.admin_user, OPEN_DEALS, ["date_deadline:month"], OPEN)
                self.d3.write({"stage_id": self.s_proposal.id})

    def test_known_outcomes(self):
        self.set_team_isolation(False)
        # won in 2026: D5 4000 after 10 days, D2 1000 (500 at 0.5) after 20 days, D1 1000 after 37 days;
        # lost: D4 6000; D3 lost then reopened (open, no closing date)
        [row] = self.report_read(self.admin_user, [*YEAR, ("team_id", "=", self.team_a.id)], [], CLOSED)
        figures = dict(zip(CLOSED, row, strict=True))
        self.assertEqual((figures["won_count:sum"], figures["lost_count:sum"]), (3, 1))
        self.assertAlmostEqual(figures["win_rate:avg"], 75.0)
        self.assertAlmostEqual(figures["win_rate_value:avg"], 100.0 * 6000 / 12000)
        self.assertAlmostEqual(figures["deal_size:avg"], 2000.0)
        self.assertAlmostEqual(figures["deal_size_median:avg"], 1000.0)
        self.assertAlmostEqual(figures["cycle_days:avg"], 67.0 / 3)
        self.assertAlmostEqual(figures["cycle_median:avg"], 20.0)
        self.assertAlmostEqual(figures["cycle_p90:avg"], 20.0 + 0.8 * 17.0)
        # the open deal of team B: D3, 3000 at its probability, by its expected closing month
        self.d3.write({"date_deadline": "2026-03-15", "probability": 40})
        team_b = [*OPEN_DEALS, ("team_id", "=", self.team_b.id), ("date_deadline", ">=", "2026-01-01")]
        rows = self.report_read(self.admin_user, team_b, ["date_deadline:month"], OPEN)
        self.assertEqual([(str(month), count) for month, count, *_values in rows], [("2026-03-01", 1)])
        self.assertAlmostEqual(rows[0][3], 3000.0)
        self.assertAlmostEqual(rows[0][4], 1200.0)

    def test_other_reads_run_the_query(self):
        Outcome = self.env["crm.deal.outcome.report"].with_user(self.admin_user).with_context(tz="UTC")
        for domain, groupby, aggregates in [
            ([], ["user_id"], ["win_rate:avg"]),  # no closing bound: the deals never closed count too
            (YEAR, ["stage_id"], ["won_count:sum"]),
            (YEAR, ["client_type"], ["won_count:sum"]),
            ([*YEAR, ("lead_id", "in", self.deals.ids)], ["user_id"], ["won_count:sum"]),
            ([*YEAR, ("outcome", "=", "won")], ["user_id"], ["won_count:sum"]),
            (YEAR, ["user_id"], ["pipeline_value:sum"]),
            ([("date_closed", ">=", "2026-01-06 12:00:00")], [], ["won_count:sum"]),
            (["|", ("date_closed", ">=", "2026-01-01 00:00:00"), ("user_id", "=", False)], [], ["deal_count:sum"]),
            ([], ["date_deadline:month"], ["pipeline_value:sum"]),  # every deal, not the open ones
            (["!", *OPEN_DEALS], [], ["pipeline_value:sum"]),
            ([*OPEN_DEALS, ("lost_reason_id", "=", False)], [], ["pipeline_value:sum"]),
            (YEAR, ["user_id"], ["deal_size:max"]),
        ]:
            with self.subTest(domain=domain, groupby=groupby, aggregates=aggregates):
                self.assertIsNone(Outcome._read_group_daily(domain, groupby, aggregates))
        # days of the figures are UTC days: closings grouped by month in another time zone, the query answers
        madrid = Outcome.with_context(tz="Europe/Madrid")
        self.assertIsNone(madrid._read_group_daily(YEAR, ["date_closed:month"], ["won_count:sum"]))
        self.assertSameRows(
            self.report_read(self.admin_user, YEAR, ["date_closed:month"], CLOSED, tz="Europe/Madrid"),
            self.report_read(self.admin_user, YEAR, ["date_closed:month"], CLOSED, daily=False, tz="Europe/Madrid"),
            CLOSED,
            "other time zone",
        )
        # an expected closing is a date: the same days in every time zone
        self.assertIsNotNone(madrid._read_group_daily(OPEN_DEALS, ["date_deadline:month"], OPEN))

    def test_contributors_are_refused(self):
        with self.assertRefusedByAccessRights("read", "crm.deal.outcome.report"):
            self.env["crm.deal.outcome.report"].with_user(self.contributor)._read_group(YEAR, [], ["win_rate:avg"])
