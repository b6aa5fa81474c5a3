from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CrmClientSuiteCommon


def set_rate(env, currency, rate):
    """``currency`` at ``rate`` on every date for the company, demo rates included."""
    Rate = env["res.currency.rate"]
    rates = Rate.search([("currency_id", "=", currency.id), ("company_id", "in", [env.company.id, False])])
    rates.write({"rate": rate})
    if not rates.filtered(lambda r: str(r.name) <= "2025-12-01"):
        Rate.create({"currency_id": currency.id, "name": "2025-12-01", "rate": rate, "company_id": env.company.id})


JAN = [("date_first_in", ">=", datetime(2026, 1, 1)), ("date_first_in", "<", datetime(2026, 2, 1))]


@tagged("post_install", "-at_install")
class TestAnalyticsCommon(CrmClientSuiteCommon):
    """A small hand-made history with known answers.

    Stages in pipeline order: Lead, Qualified, Proposal, Negotiation, Closed Won
    (Closed Lost apart). Team A unless said otherwise, company currency amounts.

    * D1: Lead 01-05, Qualified 01-10, Proposal 01-20, owner contributor -> manager
      on 01-25, Negotiation 02-01, won 02-11 (1000). Today owned by contributor_b.
    * D2: in a second currency (500 at rate 0.5 = 1000): Lead 01-05, Proposal 01-15
      (skips Qualified), won 01-25 (skips Negotiation).
    * D3 (team B, 3000): Lead 01-05, Qualified 01-10, lost 01-20, reopened 02-01
      (back to Qualified), Proposal 02-05; open.
    * D4 (6000): Lead 01-06, Qualified 01-16, lost 01-26 with a lost reason.
    * D5 (4000): Lead 01-07, won 01-17 (skips Qualified, Proposal, Negotiation).
    """

    @classmethod
    @contextmanager
    def at(cls, when):
        with freeze_time(when):
            # the ORM's create and write dates come from the cursor's clock
            cls.env.cr._now = datetime.now()
            yield
        cls.env.cr._now = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.s_lead = ref("crm.stage_lead1")
        cls.s_qualified = ref("crm.stage_lead2")
        cls.s_proposal = ref("crm.stage_lead3")
        cls.s_negotiation = ref("crm_client_suite.stage_negotiation")
        cls.s_won = ref("crm.stage_lead4")
        cls.s_lost = ref("crm_client_suite.stage_closed_lost")
        cls.lost_reason = cls.env["crm.lost.reason"].create({"name": "Too expensive"})
        company_currency = cls.env.company.currency_id
        cls.other_currency = ref("base.EUR") if company_currency != ref("base.EUR") else ref("base.USD")
        cls.other_currency.active = True
        set_rate(cls.env, cls.other_currency, 0.5)
        Lead = cls.env["crm.lead"]

        def deal(name, user, team, **vals):
            return Lead.create(
                {
                    "name": name,
                    "type": "opportunity",
                    "user_id": user.id,
                    "team_id": team.id,
                    "stage_id": cls.s_lead.id,
                    **vals,
                }
            )

        with cls.at("2026-01-05 09:00:00"):
            cls.d1 = deal("D1", cls.contributor, cls.team_a, amount_currency=1000)
            cls.d2 = deal("D2", cls.contributor, cls.team_a, amount_currency=500, currency_id=cls.other_currency.id)
            cls.d3 = deal("D3", cls.contributor_b, cls.team_b, amount_currency=3000)
        with cls.at("2026-01-06 09:00:00"):
            cls.d4 = deal("D4", cls.contributor, cls.team_a, amount_currency=6000)
        with cls.at("2026-01-07 09:00:00"):
            cls.d5 = deal("D5", cls.contributor, cls.team_a, amount_currency=4000)
        steps = [
            ("2026-01-10 09:00:00", cls.d1 | cls.d3, {"stage_id": cls.s_qualified.id}),
            ("2026-01-15 09:00:00", cls.d2, {"stage_id": cls.s_proposal.id}),
            ("2026-01-16 09:00:00", cls.d4, {"stage_id": cls.s_qualified.id}),
            ("2026-01-17 09:00:00", cls.d5, {"stage_id": cls.s_won.id}),
            ("2026-01-20 09:00:00", cls.d1, {"stage_id": cls.s_proposal.id}),
            ("2026-01-20 09:00:00", cls.d3, "lost"),
            ("2026-01-25 09:00:00", cls.d1, {"user_id": cls.manager.id}),
            ("2026-01-25 09:00:00", cls.d2, {"stage_id": cls.s_won.id}),
            ("2026-01-26 09:00:00", cls.d4, "lost"),
            ("2026-02-01 09:00:00", cls.d1, {"stage_id": cls.s_negotiation.id}),
            ("2026-02-01 09:00:00", cls.d3, "reopen"),
            ("2026-02-05 09:00:00", cls.d3, {"stage_id": cls.s_proposal.id}),
            ("2026-02-11 09:00:00", cls.d1, {"stage_id": cls.s_won.id}),
            ("2026-02-12 09:00:00", cls.d1, {"user_id": cls.contributor_b.id, "team_id": cls.team_a.id}),
        ]
        for when, leads, action in steps:
            with cls.at(when):
                if action == "lost":
                    leads.action_set_lost(lost_reason_id=cls.lost_reason.id)
                elif action == "reopen":
                    leads.toggle_active()
                else:
                    leads.write(action)
        cls.deals = cls.d1 | cls.d2 | cls.d3 | cls.d4 | cls.d5
        cls.env.flush_all()

    def summary(self, lead, stage):
        return self.env["crm.deal.stage.summary"].search([("lead_id", "=", lead.id), ("stage_id", "=", stage.id)])

    def funnel(self, domain, aggregates, groupby=("stage_id",), user=None):
        Funnel = self.env["crm.deal.funnel.report"]
        if user:
            Funnel = Funnel.with_user(user)
        keys = len(groupby)
        return {
            (row[0] if keys == 1 else row[:keys]): (row[keys] if len(row) == keys + 1 else row[keys:])
            for row in Funnel._read_group(
                [("lead_id", "in", self.deals.ids), *domain], groupby=list(groupby), aggregates=aggregates
            )
        }


class TestAnalyticsSummary(TestAnalyticsCommon):
    def test_summary_equals_recompute_from_history(self):
        Summary = self.env["crm.deal.stage.summary"]
        incremental = Summary._read_rows(self.deals.ids)
        scratch = Summary._recompute_from_history(self.deals.ids)

        def clean(rows):
            return {
                (lead_id, stage_id): {
                    key: round(value, 6) if isinstance(value, float) else value
                    for key, value in row.items()
                    if key not in ("dirty", "lead_id")
                }
                for lead_id, lead_rows in rows.items()
                for stage_id, row in lead_rows.items()
            }

        self.assertEqual(clean(incremental), clean(scratch))
        self.assertEqual(len(clean(scratch)), 22)

    def test_rebuild_restores_a_damaged_summary(self):
        Summary = self.env["crm.deal.stage.summary"]
        before = Summary.search_read(
            [("lead_id", "in", self.deals.ids)], ["lead_id", "stage_id", "days_total", "advanced"]
        )
        self.summary(self.d3, self.s_qualified).sudo().unlink()
        self.env.cr.execute("UPDATE crm_deal_stage_summary SET advanced = FALSE WHERE lead_id = %s", [self.d1.id])
        Summary._rebuild(self.deals.ids)
        after = Summary.search_read(
            [("lead_id", "in", self.deals.ids)], ["lead_id", "stage_id", "days_total", "advanced"]
        )

        def strip(rows):
            return sorted(
                (row["lead_id"][0], row["stage_id"][0], round(row["days_total"], 6), row["advanced"]) for row in rows
            )

        self.assertEqual(strip(after), strip(before))

    def test_install_folds_the_history_of_deals_without_summary(self):
        Summary = self.env["crm.deal.stage.summary"]
        expected = Summary._recompute_from_history(self.d3.ids)
        self.env.cr.execute("DELETE FROM crm_deal_stage_summary WHERE lead_id = %s", [self.d3.id])
        Summary.invalidate_model()
        Summary._init_summary()
        rows = Summary._read_rows(self.d3.ids)
        self.assertEqual(
            set(rows[self.d3.id]), {self.s_lead.id, self.s_qualified.id, self.s_lost.id, self.s_proposal.id}
        )
        self.assertEqual(rows[self.d3.id][self.s_qualified.id]["stay_count"], 2)
        self.assertEqual(
            {stage: row["days_total"] for stage, row in rows[self.d3.id].items()},
            {stage: row["days_total"] for stage, row in expected[self.d3.id].items()},
        )

    def test_derived_facts_of_the_moves(self):
        # skipped stages: a row without stay, passed
        skipped = self.summary(self.d2, self.s_qualified)
        self.assertEqual((skipped.stay_count, skipped.advanced, skipped.is_strict), (0, True, False))
        self.assertEqual(skipped.date_first_in, datetime(2026, 1, 15, 9))
        # after a skip, later stages are not strict
        self.assertFalse(self.summary(self.d2, self.s_proposal).is_strict)
        self.assertTrue(self.summary(self.d1, self.s_won).is_strict)
        # the reopened deal: two stays in Qualified, time summed, latest kept
        qualified = self.summary(self.d3, self.s_qualified)
        self.assertEqual(qualified.stay_count, 2)
        self.assertAlmostEqual(qualified.days_total, 14.0)
        self.assertAlmostEqual(qualified.days_latest, 4.0)
        self.assertEqual(qualified.date_first_in, datetime(2026, 1, 10, 9))
        self.assertTrue(qualified.advanced and qualified.advanced_strict)
        self.assertEqual(self.summary(self.d3, self.s_proposal).date_open_in, datetime(2026, 2, 5, 9))
        # lost deal: Qualified did not advance; lost from Qualified
        self.assertFalse(self.summary(self.d4, self.s_qualified).advanced)
        self.assertEqual(self.d4.crm_lost_from_stage_id, self.s_qualified)
        self.assertFalse(self.d3.crm_lost_from_stage_id, "reopening clears the stage lost from")
        # owner snapshot: the manager owned D1 when it reached Negotiation and Won
        self.assertEqual(self.summary(self.d1, self.s_proposal).user_id, self.contributor)
        self.assertEqual(self.summary(self.d1, self.s_won).user_id, self.manager)
        self.assertTrue(self.summary(self.d1, self.s_lead).is_entry)
        self.assertFalse(self.summary(self.d1, self.s_qualified).is_entry)


class TestAnalyticsReports(TestAnalyticsCommon):
    def test_funnel_and_next_step_conversion(self):
        rows = self.funnel(JAN, ["deal_count:sum", "stayed_count:sum", "conversion:avg", "conversion_strict:avg"])
        self.assertEqual(rows[self.s_lead], (5, 5, 100.0, 60.0))  # D2, D5 skipped Qualified
        count, stayed, conversion, strict = rows[self.s_qualified]
        self.assertEqual((count, stayed, conversion), (5, 3, 80.0))  # D4 lost
        self.assertAlmostEqual(strict, 200.0 / 3)  # D1, D3 of D1, D3, D4
        self.assertEqual(rows[self.s_proposal], (3, 2, 100.0, 100.0))  # D1, D2 stayed; D5 skipped
        self.assertEqual(rows[self.s_negotiation][:2], (2, 0))  # D2, D5 skipped in January
        self.assertEqual(rows[self.s_won][:2], (2, 2))

    def test_cumulative_conversion(self):
        rows = self.funnel([], ["conversion_cumulative:avg", "conversion_cumulative_strict:avg"])
        self.assertEqual(rows[self.s_lead], (100.0, 100.0))
        self.assertEqual(rows[self.s_qualified], (100.0, 60.0))
        self.assertEqual(rows[self.s_proposal], (80.0, 40.0))
        self.assertEqual(rows[self.s_negotiation], (60.0, 20.0))
        self.assertEqual(rows[self.s_won], (60.0, 20.0))
        # per team: the share is taken in the same team
        by_team = self.funnel([], ["conversion_cumulative:avg"], groupby=("deal_team_id", "stage_id"))
        self.assertEqual(by_team[(self.team_b, self.s_proposal)], 100.0)
        self.assertEqual(by_team[(self.team_a, self.s_proposal)], 75.0)

    def test_time_in_stage_open_stay_toggle(self):
        with self.at("2026-02-15 09:00:00"):
            rows = self.funnel(
                [("lead_id", "=", self.d3.id)],
                ["days_latest:avg", "days_cumulative:avg", "days_latest_open:avg", "days_cumulative_open:avg"],
            )
        self.assertEqual(rows[self.s_qualified], (4.0, 14.0, 4.0, 14.0))
        self.assertEqual(rows[self.s_proposal], (False, False, 10.0, 10.0))
        rows = self.funnel([], ["days_cumulative:avg"])
        self.assertAlmostEqual(rows[self.s_qualified], 34.0 / 3)  # D1 10, D3 14, D4 10; D2, D5 skipped

    def test_deal_outcomes(self):
        Outcome = self.env["crm.deal.outcome.report"]
        domain = [("lead_id", "in", self.deals.ids), ("date_closed", ">=", "2026-01-01")]
        [row] = Outcome._read_group(
            domain,
            aggregates=[
                "deal_count:sum",
                "win_rate:avg",
                "win_rate_value:avg",
                "won_amount:sum",
                "deal_size:avg",
                "deal_size_median:avg",
                "cycle_days:avg",
                "cycle_median:avg",
                "cycle_p90:avg",
            ],
        )
        count, win_rate, win_rate_value, won, size, median, cycle, cycle_median, cycle_p90 = row
        self.assertEqual(count, 4, "D3 was reopened: not closed")
        self.assertEqual(win_rate, 75.0)
        self.assertEqual(win_rate_value, 50.0)  # 6000 won of 12000 closed
        self.assertEqual(won, 6000.0)  # D2 in its currency: 500 at 0.5
        self.assertEqual((size, median), (2000.0, 1000.0))
        self.assertAlmostEqual(cycle, (37 + 20 + 10) / 3)
        self.assertEqual(cycle_median, 20.0)
        self.assertAlmostEqual(cycle_p90, 33.6)
        by_reason = dict(
            Outcome._read_group(
                [("lead_id", "in", self.deals.ids), ("outcome", "=", "lost")],
                groupby=["lost_from_stage_id"],
                aggregates=["deal_count:sum"],
            )
        )
        self.assertEqual(by_reason, {self.s_qualified: 1})
        [(pipeline, weighted, velocity)] = Outcome._read_group(
            [("lead_id", "in", self.deals.ids)],
            aggregates=["pipeline_value:sum", "weighted_value:sum", "velocity:avg"],
        )
        self.assertEqual(pipeline, 3000.0)
        self.assertAlmostEqual(weighted, 3000.0 * self.d3.probability / 100.0)
        self.assertAlmostEqual(velocity, 1 * 2000.0 * 0.75 / ((37 + 20 + 10) / 3))

    def test_cycle_from_conversion_setting(self):
        self.d5.sudo().write({"date_conversion": datetime(2026, 1, 12, 9)})
        self.env.company.crm_cycle_start = "conversion"
        [(cycle,)] = self.env["crm.deal.outcome.report"]._read_group(
            [("lead_id", "=", self.d5.id)], aggregates=["cycle_days:avg"]
        )
        self.assertEqual(cycle, 5.0)

    def test_ranking_credits_the_owner_of_the_stage(self):
        Ranking = self.env["crm.salesperson.ranking.report"]
        rows = {
            user: values
            for user, *values in Ranking._read_group(
                [("lead_id", "in", self.deals.ids), ("date", ">=", "2026-01-01")],
                groupby=["user_id"],
                aggregates=["won_amount:sum", "win_rate:avg", "created_count:sum"],
            )
        }
        # D1 was won by the manager, although contributor_b owns it today
        self.assertEqual(rows[self.manager], [1000.0, 100.0, 0])
        self.assertEqual(rows[self.contributor], [5000.0, 200.0 / 3, 4])
        self.assertEqual(rows[self.contributor_b], [0.0, False, 1])
        february = dict(
            Ranking._read_group(
                [("lead_id", "in", self.deals.ids), ("date", ">=", "2026-02-01")],
                groupby=["user_id"],
                aggregates=["won_amount:sum"],
            )
        )
        self.assertEqual(february, {self.manager: 1000.0})

    def test_ranking_counts_activities_done(self):
        activity = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                "res_id": self.d3.id,
                "user_id": self.contributor_b.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
            }
        )
        activity.with_user(self.contributor_b).action_done()
        [(count,)] = self.env["crm.salesperson.ranking.report"]._read_group(
            [("lead_id", "=", self.d3.id), ("user_id", "=", self.contributor_b.id)],
            aggregates=["activity_count:sum"],
        )
        self.assertEqual(count, 1)


class TestAnalyticsAccess(TestAnalyticsCommon):
    REPORTS = ("crm.deal.funnel.report", "crm.deal.outcome.report", "crm.salesperson.ranking.report")

    def visible_deals(self, user, model):
        Report = self.env[model].with_user(user)
        return set(Report.search([("lead_id", "in", self.deals.ids)]).lead_id.ids)

    def test_contributors_and_guests_are_refused(self):
        for user in (self.contributor, self.guest):
            for model in self.REPORTS:
                with self.subTest(user=user.login, model=model), self.assertRefusedByAccessRights("read", model):
                    self.env[model].with_user(user).web_read_group([], ["user_id"], ["user_id"])
            with self.assertRefusedByAccessRights("read", "crm.deal.outcome.report"):
                self.env["crm.analytics.dashboard"].with_user(user).get_dashboard_data("2026-01-01", "2026-02-28")

    def test_team_isolation_on_every_report(self):
        everything = set(self.deals.ids)
        team_a = set((self.d1 | self.d2 | self.d4 | self.d5).ids)
        for model in self.REPORTS:
            with self.subTest(model=model):
                self.set_team_isolation(False)
                self.assertEqual(self.visible_deals(self.manager, model), everything)
                self.assertEqual(self.visible_deals(self.manager_b, model), everything)
                self.set_team_isolation(True)
                self.assertEqual(self.visible_deals(self.manager, model), team_a)
                self.assertEqual(self.visible_deals(self.manager_b, model), {self.d3.id})
                self.assertEqual(self.visible_deals(self.admin_user, model), everything)

    def test_dashboard_figures_follow_team_isolation(self):
        self.set_team_isolation(True)
        data = (
            self.env["crm.analytics.dashboard"].with_user(self.manager_b).get_dashboard_data("2026-01-01", "2026-02-28")
        )
        kpis = {kpi["key"]: kpi for kpi in data["kpis"]}
        self.assertEqual(kpis["won_revenue"]["value"], 0.0)
        self.assertEqual(kpis["pipeline_value"]["value"], 3000.0 + self.deal_b.expected_revenue)
        self.assertEqual(
            [bar["stage_id"] for bar in data["funnel"]],
            [self.s_lead.id, self.s_qualified.id, self.s_proposal.id, self.s_lost.id],
        )


class TestAnalyticsDashboard(TestAnalyticsCommon):
    def test_dashboard_figures_and_domains(self):
        self.env.company.crm_team_isolation = False
        Dashboard = self.env["crm.analytics.dashboard"].with_user(self.admin_user)
        # only our deals close or enter stages in January-February 2026
        data = Dashboard.get_dashboard_data("2026-01-01", "2026-02-28")
        self.assertEqual(data["period"]["previous_from"], "2025-11-03")
        kpis = {kpi["key"]: kpi for kpi in data["kpis"]}
        self.assertEqual(kpis["won_revenue"]["value"], 6000.0)
        self.assertEqual(kpis["win_rate"]["value"], 75.0)
        self.assertEqual(kpis["deal_size"]["value"], 2000.0)
        self.assertIsNone(kpis["won_revenue"]["change"], "no previous figure")
        Lead = self.env["crm.lead"].with_user(self.admin_user)
        self.assertEqual(Lead.search(kpis["won_revenue"]["domain"]), self.d1 | self.d2 | self.d5)
        funnel = {bar["stage_id"]: bar for bar in data["funnel"]}
        self.assertEqual(funnel[self.s_proposal.id]["count"], 4)  # D1, D2, D5 (skipped) in Jan, D3 in Feb
        self.assertEqual(Lead.search(funnel[self.s_proposal.id]["domain"]), self.d1 | self.d2 | self.d3 | self.d5)
        months = {month["month"]: month["won_revenue"] for month in data["won_by_month"]}
        self.assertEqual(months, {"2026-01": 5000.0, "2026-02": 1000.0})
        ranking = {row["user_id"]: row for row in data["ranking"]}
        self.assertEqual(ranking[self.manager.id]["won_revenue"], 1000.0)
        self.assertEqual(Lead.search(ranking[self.manager.id]["domain"]), self.d1)
        # the next period: the previous figures and the change
        later = Dashboard.get_dashboard_data("2026-03-01", "2026-04-29")
        kpis = {kpi["key"]: kpi for kpi in later["kpis"]}
        self.assertEqual((kpis["won_revenue"]["value"], kpis["won_revenue"]["previous"]), (0.0, 6000.0))
        self.assertEqual(kpis["won_revenue"]["change"], -100.0)

    def test_dashboard_filters_and_bad_period(self):
        Dashboard = self.env["crm.analytics.dashboard"].with_user(self.admin_user)
        data = Dashboard.get_dashboard_data("2026-01-01", "2026-02-28", user_id=self.manager.id)
        kpis = {kpi["key"]: kpi for kpi in data["kpis"]}
        self.assertEqual(kpis["won_revenue"]["value"], 0.0, "D1 belongs to contributor_b today")
        data = Dashboard.get_dashboard_data("2026-01-01", "2026-02-28", team_id=self.team_b.id)
        self.assertEqual({kpi["key"]: kpi["value"] for kpi in data["kpis"]}["won_count"], 0)
        with self.assertRaisesRegex(UserError, "end is on or after its start"):
            Dashboard.get_dashboard_data("2026-02-01", "2026-01-01")


class TestAnalyticsCustomFields(TestAnalyticsCommon):
    """Custom fields become report groupings and measures, without code."""

    def test_custom_fields_group_and_measure_the_reports(self):
        Definition = self.env["crm.custom.field"].with_user(self.admin_user)
        segment = Definition.create(
            {
                "name": "Segment",
                "key": "ana_segment",
                "model": "res.partner",
                "applies_to": "clients",
                "field_type": "selection",
                "option_ids": [(0, 0, {"name": "Retail"}), (0, 0, {"name": "Wholesale"})],
            }
        )
        Definition.create({"name": "Seats", "key": "ana_seats", "model": "crm.lead", "field_type": "integer"})
        retail, wholesale = segment.option_ids
        self.client_a.x_ana_segment = retail
        self.client_b.x_ana_segment = wholesale
        (self.d1 | self.d2).partner_id = self.contact_a  # a contact of client A: grouped by its client
        self.d4.partner_id = self.client_b
        self.d1.x_ana_seats, self.d2.x_ana_seats, self.d4.x_ana_seats = 10, 5, 7
        self.env.flush_all()
        Funnel = self.env["crm.deal.funnel.report"].with_user(self.manager)
        label = Funnel.fields_get(["x_client_ana_segment"])["x_client_ana_segment"]["string"]
        self.assertEqual(label, "Segment (Client)")
        self.assertNotIn("x_contact_ana_segment", Funnel._fields, "the field applies to clients only")
        rows = self.funnel(JAN, ["deal_count:sum", "conversion:avg"], groupby=("x_client_ana_segment", "stage_id"))
        self.assertEqual(rows[(retail, self.s_qualified)], (2, 100.0))  # D1 stayed, D2 skipped
        self.assertEqual(rows[(wholesale, self.s_qualified)], (1, 0.0))  # D4 lost
        Outcome = self.env["crm.deal.outcome.report"].with_user(self.manager)
        by_segment = {
            segment: values
            for segment, *values in Outcome._read_group(
                [("lead_id", "in", self.deals.ids)],
                groupby=["x_client_ana_segment"],
                aggregates=["x_deal_ana_seats:sum", "win_rate:avg"],
            )
        }
        self.assertEqual(by_segment[retail], [15, 100.0])
        self.assertEqual(by_segment[wholesale], [7, 0.0])
        self.assertEqual(by_segment[self.env["crm.custom.field.option"]], [0, 100.0])  # D3 reopened, D5 won
        # a filter on a client's field alone, and the client type, read the deals' clients too
        [(count,)] = Outcome._read_group(
            [("lead_id", "in", self.deals.ids), ("x_client_ana_segment", "=", retail.id)], [], ["__count"]
        )
        self.assertEqual(count, 2)  # D1, D2
        self.client_a.crm_client_type, self.client_b.crm_client_type = "active", "partner"
        by_type = dict(Outcome._read_group([("lead_id", "in", self.deals.ids)], ["client_type"], ["__count"]))
        self.assertEqual((by_type["active"], by_type["partner"], by_type[False]), (2, 1, 2))
        self.assertEqual(Outcome.fields_get(["x_deal_ana_seats"])["x_deal_ana_seats"]["aggregator"], "sum")


class TestAnalyticsDashboardPdf(TestAnalyticsCommon):
    """The PDF export: the dashboard's figures of a period, rendered by the QWeb report."""

    REPORT = "crm_client_suite.report_analytics_dashboard"

    def render(self, user, **data):
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(user)
            ._render_qweb_html(self.REPORT, [], data={"date_from": "2026-01-01", "date_to": "2026-02-28", **data})
        )
        return etree.fromstring(html, etree.HTMLParser())

    @staticmethod
    def cells(tree, selector):
        [row] = tree.xpath(selector)
        return [" ".join(cell.itertext()).split() for cell in row.xpath("./td")]

    def test_pdf_shows_the_period_figures(self):
        self.env.company.crm_team_isolation = False
        tree = self.render(self.manager)
        won = self.cells(tree, "//tr[@data-kpi='won_revenue']")
        self.assertEqual(won[0], ["Won", "revenue"])
        self.assertIn("6,000.00", " ".join(won[1]))
        self.assertIn("0.00", " ".join(won[2]), "nothing won in the previous period")
        self.assertEqual(won[3], ["–"], "no change from nothing")
        self.assertEqual(self.cells(tree, "//tr[@data-kpi='win_rate']")[1], ["75.0"])
        proposal = self.cells(
            tree, "//table[contains(@class, 'o_crm_analytics_report_funnel')]//tr[@data-stage='Proposal']"
        )
        self.assertEqual(proposal[1], ["4"])  # D1, D2, D5 (skipped) in January, D3 in February
        period = tree.xpath("//span[hasclass('o_crm_analytics_report_period')]")[0].text
        self.assertEqual(period, "2026-01-01")
        # the print action carries the period and filters to the same report
        action = (
            self.env["crm.analytics.dashboard"]
            .with_user(self.manager)
            .action_print_dashboard("2026-01-01", "2026-02-28", team_id=self.team_b.id)
        )
        self.assertEqual((action["report_name"], action["data"]["team_id"]), (self.REPORT, self.team_b.id))
        filtered = self.render(self.manager, team_id=self.team_b.id)
        self.assertIn("0.00", " ".join(self.cells(filtered, "//tr[@data-kpi='won_revenue']")[1]))
        self.assertIn("Team DACH", " ".join(filtered.itertext()))

    def test_pdf_follows_team_isolation_and_roles(self):
        self.set_team_isolation(True)
        tree = self.render(self.manager_b)
        self.assertIn("0.00", " ".join(self.cells(tree, "//tr[@data-kpi='won_revenue']")[1]))
        proposal = self.cells(
            tree, "//table[contains(@class, 'o_crm_analytics_report_funnel')]//tr[@data-stage='Proposal']"
        )
        self.assertEqual(proposal[1], ["1"], "D3 only: team A's deals stay out")
        for user in (self.contributor, self.guest):
            with self.subTest(user=user.login), self.assertRefusedByAccessRights("read", "crm.deal.outcome.report"):
                self.render(user)
            with self.assertRefusedByAccessRights("read", "crm.deal.outcome.report"):
                self.env["crm.analytics.dashboard"].with_user(user).action_print_dashboard("2026-01-01", "2026-02-28")

    def test_pdf_refuses_a_bad_period(self):
        with self.assertRaisesRegex(UserError, "end is on or after its start"):
            self.env["crm.analytics.dashboard"].with_user(self.manager).action_print_dashboard(
                "2026-02-01", "2026-01-01"
            )
