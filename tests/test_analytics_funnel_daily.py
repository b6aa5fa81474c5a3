from odoo.tests import tagged

from ..report.crm_deal_funnel_report_daily import DAILY_AGGREGATES
from .test_analytics import TestAnalyticsCommon

MEASURES = [spec for spec in DAILY_AGGREGATES if spec != "__count"] + ["__count"]


@tagged("post_install", "-at_install")
class TestFunnelFromDailyFigures(TestAnalyticsCommon):
    """The funnel's grouped reads on the daily figures' keys are answered from the daily sums, with the
    figures of the report's own query: counts, conversions, latest and cumulative time in stage, open
    stay excluded and included (its age following the clock), under the same record rules."""

    def grouped(self, user, domain, groupby, daily=True, tz="UTC"):
        Funnel = self.env["crm.deal.funnel.report"].with_user(user).with_context(tz=tz)
        if not daily:
            Funnel = Funnel.with_context(crm_analytics_no_daily=True)
        return Funnel._read_group(domain, groupby, MEASURES)

    def assertSameRows(self, ours, theirs, msg):
        self.assertEqual([row[: -len(MEASURES)] for row in ours], [row[: -len(MEASURES)] for row in theirs], msg)
        for our_row, their_row in zip(ours, theirs, strict=True):
            for spec, mine, expected in zip(
                MEASURES, our_row[-len(MEASURES) :], their_row[-len(MEASURES) :], strict=True
            ):
                if expected is False or mine is False:
                    self.assertEqual(mine, expected, f"{msg} {spec} {our_row}")
                else:
                    self.assertAlmostEqual(mine, expected, places=6, msg=f"{msg} {spec} {our_row}")

    def assertSameAsQuery(self, user, domain, groupby):
        Funnel = self.env["crm.deal.funnel.report"].with_user(user).with_context(tz="UTC")
        self.assertIsNotNone(Funnel._read_group_daily(domain, groupby, MEASURES), "answered from the sums")
        ours = self.grouped(user, domain, groupby)
        if user == self.admin_user:
            self.assertTrue(ours, "Admins see every figure")
        self.assertSameRows(ours, self.grouped(user, domain, groupby, daily=False), f"{user.login} {domain} {groupby}")

    def test_same_figures_as_the_query(self):
        source = self.env["utm.source"].create({"name": "Fair"})
        (self.d1 | self.d3).write({"source_id": source.id})
        january = [("date_first_in", ">=", "2026-01-06 00:00:00"), ("date_first_in", "<", "2026-02-01 00:00:00")]
        cases = [
            ([], ["stage_id"]),
            ([], ["stage_id", "user_id"]),
            ([], ["stage_id", "team_id"]),
            ([], ["stage_id", "date_first_in:month"]),
            ([], ["date_first_in:week", "stage_id"]),
            (january, ["stage_id"]),
            ([("source_id", "=", source.id)], ["stage_id", "company_id"]),
            (["|", ("team_id", "=", self.team_b.id), ("user_id", "=", self.manager.id)], ["stage_id"]),
            ([("deal_team_id", "=", self.team_a.id)], ["stage_id"]),
            ([], []),
        ]
        Daily = self.env["crm.deal.analytics.daily"]
        for isolation in (False, True):
            self.set_team_isolation(isolation)
            for when in ("2026-02-15 09:00:00", "2026-03-01 18:30:00"):
                with self.at(when):
                    for folded in (False, True):
                        if folded:
                            Daily._fold_pending()
                        for user in (self.manager, self.manager_b, self.admin_user):
                            for domain, groupby in cases:
                                with self.subTest(isolation=isolation, when=when, folded=folded, user=user.login):
                                    self.assertSameAsQuery(user, domain, groupby)
                    # a deal moving now: its new open stay and its finished one, pending until folded
                    self.d3.write({"stage_id": self.s_negotiation.id})
                    self.assertSameAsQuery(self.admin_user, [], ["stage_id"])
                    self.d3.write({"stage_id": self.s_proposal.id})

    def test_known_time_in_stage(self):
        self.set_team_isolation(True)
        # team B's deal is D3 alone: Qualified 01-10 to 01-20, again 02-01 to 02-05; Proposal since 02-05
        with self.at("2026-02-15 09:00:00"):
            rows = {
                row[0]: row[1:]
                for row in self.env["crm.deal.funnel.report"]
                .with_user(self.manager_b)
                .with_context(tz="UTC")
                ._read_group(
                    [("team_id", "=", self.team_b.id)],
                    ["stage_id"],
                    ["days_latest:avg", "days_cumulative:avg", "days_latest_open:avg", "days_cumulative_open:avg"],
                )
            }
        self.assertEqual(rows[self.s_qualified], (4.0, 14.0, 4.0, 14.0))
        self.assertEqual(rows[self.s_proposal], (False, False, 10.0, 10.0))
        # team A is not the manager's of team B
        self.assertFalse(
            self.env["crm.deal.funnel.report"]
            .with_user(self.manager_b)
            ._read_group([("team_id", "=", self.team_a.id)], ["stage_id"], ["deal_count:sum"])
        )

    def test_other_reads_run_the_query(self):
        Funnel = self.env["crm.deal.funnel.report"].with_user(self.admin_user).with_context(tz="UTC")
        for domain, groupby, aggregates in [
            ([], ["client_type"], ["deal_count:sum"]),
            ([], ["stage_id"], ["conversion_cumulative:avg"]),
            ([("lead_id", "in", self.deals.ids)], ["stage_id"], ["deal_count:sum"]),
            ([("is_current", "=", True)], ["stage_id"], ["deal_count:sum"]),
            ([("date_first_in", ">=", "2026-01-06 12:00:00")], ["stage_id"], ["deal_count:sum"]),
            ([], ["stage_id"], ["days_latest:max"]),
        ]:
            with self.subTest(domain=domain, groupby=groupby, aggregates=aggregates):
                self.assertIsNone(Funnel._read_group_daily(domain, groupby, aggregates))
        # days of the figures are UTC days: grouped by month in another time zone, the query answers
        self.assertIsNone(
            Funnel.with_context(tz="Europe/Madrid")._read_group_daily([], ["date_first_in:month"], ["deal_count:sum"])
        )
        # (both reads at the same instant: the open stays' age follows the clock)
        with self.at("2026-03-01 18:30:00"):
            self.assertSameRows(
                self.grouped(self.admin_user, [], ["stage_id", "date_first_in:month"], tz="Europe/Madrid"),
                self.grouped(self.admin_user, [], ["stage_id", "date_first_in:month"], daily=False, tz="Europe/Madrid"),
                "other time zone",
            )

    def test_contributors_are_refused(self):
        with self.assertRefusedByAccessRights("read", "crm.deal.funnel.report"):
            self.env["crm.deal.funnel.report"].with_user(self.contributor)._read_group(
                [], ["stage_id"], ["days_cumulative:avg"]
            )
