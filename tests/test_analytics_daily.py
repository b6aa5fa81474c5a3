from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from .test_analytics import TestAnalyticsCommon


def rounded(rows):
    """The rows with their sums rounded (numeric sums are exact; floats of days and cycles are not)."""
    return {key: [round(float(value), 6) for value in measures] for key, measures in rows.items()}


@tagged("post_install", "-at_install")
class TestDailyFigures(TestAnalyticsCommon):
    """The dashboard's daily sums (crm.deal.analytics.daily) after every kind of deal change equal a
    recompute from scratch, and the dashboard reads from them the figures the reports give."""

    def assertEqualsRecompute(self, msg=None):
        """The figures read (sums plus pending differences) equal a recompute, and so do the sums alone
        once the pending differences are folded."""
        Daily = self.env["crm.deal.analytics.daily"]
        expected = rounded(Daily._recompute())
        self.assertEqual(rounded(Daily._rows()), expected, msg)
        self.assertIsNotNone(Daily._fold_pending())
        self.assertFalse(self.env["crm.deal.analytics.pending"].search_count([]), msg)
        self.assertEqual(rounded(Daily._rows(folded_only=True)), expected, msg)

    def test_changes_only_append_until_folded(self):
        Daily = self.env["crm.deal.analytics.daily"]
        Daily._fold_pending()
        self.env.cr.execute("SELECT id, won_amount, deal_count FROM crm_deal_analytics_daily ORDER BY id")
        sums = self.env.cr.fetchall()
        self.d3.write({"stage_id": self.s_won.id})
        self.env["crm.lead"].with_user(self.manager).create({"name": "D8", "team_id": self.team_a.id})
        Daily._fold()
        self.env.cr.execute("SELECT id, won_amount, deal_count FROM crm_deal_analytics_daily ORDER BY id")
        self.assertEqual(self.env.cr.fetchall(), sums, "no row of the sums is written by a deal change")
        self.assertTrue(self.env["crm.deal.analytics.pending"].search_count([]))
        # the won deal's differences: one more won deal of its team, with its value more won revenue
        [(won, amount)] = self.env.execute_query(
            SQL(
                "SELECT sum(won_count), sum(won_amount) FROM crm_deal_analytics_pending "
                "WHERE kind = 'closed' AND team_id = %s",
                self.team_b.id,
            )
        )
        self.assertEqual((won, float(amount)), (1, self.d3.expected_revenue))
        self.assertEqualsRecompute()

    def test_history_equals_recompute(self):
        self.assertEqualsRecompute()
        Daily = self.env["crm.deal.analytics.daily"]
        rows = Daily._rows()
        ours = {key: measures for key, measures in rows.items() if key[0] == "stage"}
        self.assertTrue(ours, "the hand-made history has stage rows")
        # D1, D2, D3 entered Lead on 01-05; D4 on 01-06 and D5 on 01-07 on their own rows
        january = [m for k, m in rows.items() if k[0] == "stage" and k[1].strftime("%Y-%m") == "2026-01"]
        lead_rows = [m for k, m in rows.items() if k[0] == "stage" and k[2] == self.s_lead.id and m in january]
        self.assertEqual(sum(m[0] for m in lead_rows), 5)

    def test_each_kind_of_change_keeps_the_sums(self):
        Lead = self.env["crm.lead"].with_user(self.manager)
        changes = [
            ("create", lambda: self.d3.copy({"name": "D6"})),
            (
                "create in a won stage",
                lambda: Lead.create(
                    {
                        "name": "D7",
                        "type": "opportunity",
                        "team_id": self.team_a.id,
                        "stage_id": self.s_won.id,
                        "expected_revenue": 700,
                    }
                ),
            ),
            ("stage move", lambda: self.d3.write({"stage_id": self.s_negotiation.id})),
            ("won", lambda: self.d3.write({"stage_id": self.s_won.id})),
            ("lost", lambda: self.d3.action_set_lost(lost_reason_id=self.lost_reason.id)),
            ("reopen", lambda: self.d3.toggle_active()),
            ("owner change", lambda: self.d2.write({"user_id": self.manager.id})),
            ("team change", lambda: self.d2.write({"team_id": self.team_b.id})),
            ("amount change", lambda: self.d5.write({"expected_revenue": 4500})),
            ("probability change", lambda: self.d3.write({"probability": 35})),
            ("expected closing change", lambda: self.d3.write({"date_deadline": "2026-06-30"})),
            ("currency change", lambda: self.d2.write({"currency_id": self.env.company.currency_id.id})),
            ("source change", lambda: self.d1.write({"source_id": self.env["utm.source"].create({"name": "S"}).id})),
            ("back to lead", lambda: self.d4.write({"type": "lead"})),
            ("delete", lambda: self.d5.unlink()),
            ("batch move", lambda: (self.d1 | self.d3).write({"stage_id": self.s_proposal.id})),
        ]
        for name, change in changes:
            with self.subTest(change=name):
                change()
                self.assertEqualsRecompute(name)

    def test_moves_inside_a_savepoint_that_rolls_back(self):
        with self.assertRaisesRegex(ValueError, "undo"), self.env.cr.savepoint():
            self.d3.write({"stage_id": self.s_won.id})
            raise ValueError("undo")
        self.env.invalidate_all()
        self.assertEqualsRecompute()

    def test_the_cron_folds_every_pending_difference(self):
        Pending = self.env["crm.deal.analytics.pending"]
        self.d3.write({"stage_id": self.s_won.id})
        self.env["crm.deal.analytics.daily"]._fold()
        self.assertTrue(Pending.search_count([]))
        expected = rounded(self.env["crm.deal.analytics.daily"]._recompute())
        self.env.ref("crm_client_suite.ir_cron_crm_deal_analytics_fold").method_direct_trigger()
        self.assertFalse(Pending.search_count([]))
        self.assertEqual(rounded(self.env["crm.deal.analytics.daily"]._rows(folded_only=True)), expected)

    def test_rebuild_and_fill(self):
        Daily = self.env["crm.deal.analytics.daily"]
        Daily._fold_pending()  # the sums hold every deal
        expected = rounded(Daily._recompute())
        self.env.cr.execute("UPDATE crm_deal_analytics_daily SET won_amount = won_amount + 1")
        self.env.cr.execute("DELETE FROM crm_deal_analytics_daily WHERE kind = 'stage'")
        self.assertNotEqual(rounded(Daily._rows()), expected)
        self.env["crm.deal.stage.summary"]._rebuild()
        self.assertEqual(rounded(Daily._rows()), expected)
        # install and upgrade fill an empty table
        self.env.cr.execute("DELETE FROM crm_deal_analytics_daily")
        self.env["crm.deal.stage.summary"]._init_summary()
        self.assertEqual(rounded(Daily._rows()), expected)
        # a partial rebuild of the summary keeps the sums
        self.env["crm.deal.stage.summary"]._rebuild(self.d3.ids)
        self.assertEqual(rounded(Daily._rows()), expected)

    def test_settings_that_change_every_deal(self):
        self.env.company.crm_cycle_start = "conversion"
        self.assertEqualsRecompute("cycle start")
        self.s_negotiation.is_won = True
        self.assertEqualsRecompute("a stage becomes won")

    def test_access(self):
        Daily = self.env["crm.deal.analytics.figures"]
        for user in (self.contributor, self.guest):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Daily.with_user(user).search([])
        # the tables behind the figures are the Admins' alone
        for model in ("crm.deal.analytics.daily", "crm.deal.analytics.pending"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.manager).search([])
        self.set_team_isolation(True)
        teams = set(Daily.with_user(self.manager_b).search([("kind", "=", "stage")]).deal_team_id.ids)
        self.assertEqual(teams, {self.team_b.id})
        self.set_team_isolation(False)
        teams = set(Daily.with_user(self.manager_b).search([("kind", "=", "stage")]).deal_team_id.ids)
        self.assertGreaterEqual(teams, {self.team_a.id, self.team_b.id})


@tagged("post_install", "-at_install")
class TestDashboardFromDailyFigures(TestAnalyticsCommon):
    """The dashboard gives the figures the reports give for the same period and filters (the reports'
    own ``_read_group``, as the dashboard read them before it read the daily sums)."""

    def report_figures(self, user, date_from, date_to, team_id=False, user_id=False, source_id=False):
        Dashboard = self.env["crm.analytics.dashboard"].with_user(user)
        start, end, previous_start, previous_end = Dashboard._dashboard_period(date_from, date_to)
        # the reports' own queries, not their reads answered from the same daily sums
        Outcome = self.env["crm.deal.outcome.report"].with_user(user).with_context(crm_analytics_no_daily=True)
        Funnel = self.env["crm.deal.funnel.report"].with_user(user).with_context(crm_analytics_no_daily=True)
        Ranking = self.env["crm.salesperson.ranking.report"].with_user(user)
        scope = [("team_id", "=", team_id)] if team_id else []
        scope += [("user_id", "=", user_id)] if user_id else []
        source = [("source_id", "=", source_id)] if source_id else []

        def closed(period_start, period_end):
            low, high = Dashboard._bounds(period_start, period_end)
            [row] = Outcome._read_group(
                [*scope, *source, ("date_closed", ">=", low), ("date_closed", "<", high)],
                aggregates=[
                    "won_amount:sum",
                    "won_count:sum",
                    "win_rate:avg",
                    "deal_size:avg",
                    "cycle_days:avg",
                    "deal_size_median:avg",
                    "cycle_median:avg",
                    "cycle_p90:avg",
                ],
            )
            return [row[0] or 0.0, row[1] or 0, *row[2:]]

        low, high = Dashboard._bounds(start, end)
        previous_low, previous_high = Dashboard._bounds(previous_start, previous_end)
        [(pipeline, weighted)] = Outcome._read_group(
            [*scope, *source, ("outcome", "=", "open")], aggregates=["pipeline_value:sum", "weighted_value:sum"]
        )
        funnel = [
            (stage.id, count, stayed, conversion, strict, days)
            for stage, count, stayed, conversion, strict, days in Funnel._read_group(
                [*scope, *source, ("date_first_in", ">=", low), ("date_first_in", "<", high)],
                ["stage_id"],
                ["deal_count:sum", "stayed_count:sum", "conversion:avg", "conversion_strict:avg"]
                + ["days_cumulative:avg"],
                order="stage_id",
            )
        ]
        months = [
            (month.strftime("%Y-%m"), won or 0.0, rate)
            for month, won, rate in Outcome._read_group(
                [*scope, *source, ("date_closed", ">=", low), ("date_closed", "<", high)],
                ["date_closed:month"],
                ["won_amount:sum", "win_rate:avg"],
            )
        ]
        previous_won = dict(
            (u.id, won)
            for u, won in Ranking._read_group(
                [*scope, ("date", ">=", previous_low), ("date", "<", previous_high)], ["user_id"], ["won_amount:sum"]
            )
        )
        ranking = sorted(
            (
                (u.id, won or 0.0, previous_won.get(u.id, 0.0), rate, cycle, created, activities)
                for u, won, rate, cycle, created, activities in Ranking._read_group(
                    [*scope, ("date", ">=", low), ("date", "<", high), ("user_id", "!=", False)],
                    ["user_id"],
                    ["won_amount:sum", "win_rate:avg", "cycle_days:avg", "created_count:sum", "activity_count:sum"],
                )
            ),
            key=lambda row: (-row[1], row[0]),
        )[:10]
        return {
            "current": closed(start, end),
            "previous": closed(previous_start, previous_end),
            "open": [pipeline or 0.0, weighted or 0.0],
            "funnel": funnel,
            "months": months,
            "ranking": ranking,
        }

    def dashboard_figures(self, user, *args, **kwargs):
        data = self.env["crm.analytics.dashboard"].with_user(user).get_dashboard_data(*args, **kwargs)
        kpis = {kpi["key"]: kpi for kpi in data["kpis"]}

        def closed(which):
            figures = [kpis[key][which] for key in ("won_revenue", "won_count", "win_rate", "deal_size", "cycle")]
            if which == "previous":
                # the medians and percentile are shown for the current period only
                return [*figures, False, False, False]
            return [
                *figures,
                data["deal_size"]["deal_size_median"],
                data["cycle"]["cycle_median"],
                data["cycle"]["cycle_p90"],
            ]

        return {
            "current": closed("value"),
            "previous": closed("previous"),
            "open": [kpis["pipeline_value"]["value"], kpis["weighted_value"]["value"]],
            "funnel": [
                (
                    bar["stage_id"],
                    bar["count"],
                    bar["stayed"],
                    bar["conversion"],
                    bar["conversion_strict"],
                    bar["days_cumulative"],
                )
                for bar in data["funnel"]
            ],
            "months": [(month["month"], month["won_revenue"], month["win_rate"]) for month in data["won_by_month"]],
            "ranking": [
                (
                    row["user_id"],
                    row["won_revenue"],
                    row["previous_won_revenue"],
                    row["win_rate"],
                    row["cycle"],
                    row["created"],
                    row["activities"],
                )
                for row in data["ranking"]
            ],
        }

    def assertSameFigures(self, user, *args, **kwargs):
        def clean(value):
            if isinstance(value, dict):
                return {key: clean(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return [clean(item) for item in value]
            if isinstance(value, float):
                return round(value, 6)
            return value

        expected = self.report_figures(user, *args, **kwargs)
        expected["previous"][5:] = [False, False, False]
        # read from the sums plus the differences pending, then from the sums alone once folded
        self.assertEqual(clean(self.dashboard_figures(user, *args, **kwargs)), clean(expected), "pending")
        self.env["crm.deal.analytics.daily"]._fold_pending()
        self.assertEqual(clean(self.dashboard_figures(user, *args, **kwargs)), clean(expected), "folded")

    def test_same_figures_as_the_reports(self):
        self.env.company.crm_team_isolation = False
        with self.at("2026-02-20 12:00:00"):
            for args, kwargs in [
                (("2026-01-01", "2026-02-28"), {}),
                (("2026-01-10", "2026-01-25"), {}),
                (("2026-02-01", "2026-02-28"), {}),
                (("2026-01-01", "2026-02-28"), {"team_id": self.team_a.id}),
                (("2026-01-01", "2026-02-28"), {"user_id": self.contributor.id}),
                (("2026-01-01", "2026-02-28"), {"user_id": self.manager.id}),
            ]:
                with self.subTest(args=args, kwargs=kwargs):
                    self.assertSameFigures(self.admin_user, *args, **kwargs)

    def test_same_figures_with_a_source_and_team_isolation(self):
        source = self.env["utm.source"].create({"name": "Fair"})
        (self.d1 | self.d3).write({"source_id": source.id})
        self.set_team_isolation(True)
        with self.at("2026-02-20 12:00:00"):
            for user in (self.manager, self.manager_b, self.admin_user):
                with self.subTest(user=user.login):
                    self.assertSameFigures(user, "2026-01-01", "2026-02-28")
                    self.assertSameFigures(user, "2026-01-01", "2026-02-28", source_id=source.id)

    def test_medians_of_won_deals(self):
        self.env.company.crm_team_isolation = False
        Dashboard = self.env["crm.analytics.dashboard"].with_user(self.admin_user)
        data = Dashboard.get_dashboard_data("2026-01-01", "2026-02-28")
        # won: D5 4000 after 10 days, D2 1000 (500 at 0.5) after 20 days, D1 1000 after 37 days
        self.assertEqual(data["deal_size"], {"deal_size": 2000.0, "deal_size_median": 1000.0})
        self.assertAlmostEqual(data["cycle"]["cycle_median"], 20.0)
        self.assertAlmostEqual(data["cycle"]["cycle_p90"], 20.0 + 0.8 * 17.0)
        self.assertAlmostEqual(data["cycle"]["cycle"], 67.0 / 3)
        # a period without won deal has none
        data = Dashboard.get_dashboard_data("2026-03-01", "2026-03-31")
        self.assertEqual(data["deal_size"], {"deal_size": False, "deal_size_median": False})
        self.assertFalse(data["cycle"]["cycle_p90"])
