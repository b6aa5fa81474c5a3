from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..sql_tuning import planner_settings
from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")


def set_dates(env, record, create, write=None):
    """Date a record as if it had been created (and last changed) then."""
    env.flush_all()
    env.cr.execute(
        SQL(
            "UPDATE %s SET create_date = %s, write_date = %s WHERE id = ANY(%s)",
            SQL.identifier(record._table),
            create,
            write or create,
            record.ids,
        )
    )
    env.invalidate_all()


@tagged("post_install", "-at_install")
class TestClientEngagement(CrmClientSuiteCommon):
    """Touches, response times and inactive clients of two clients with a known history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Outreach = cls.env["crm.outreach"]

        def touch(date, direction, channel="email", outcome="done"):
            return {
                "date": date,
                "direction": direction,
                "channel": channel,
                "outcome": outcome,
                "summary": f"{direction} {channel} {date}",
                "partner_id": cls.contact_a.id,
                "user_id": cls.contributor.id,
            }

        Outreach.create(
            [
                touch("2026-02-20 08:00:00", "outbound"),
                touch("2026-03-02 09:00:00", "inbound"),
                touch("2026-03-02 13:00:00", "outbound"),  # answers the inbound email in 4 hours
                touch("2026-03-10 10:00:00", "inbound"),  # answered by a call only: unanswered
                touch("2026-03-11 10:00:00", "outbound", channel="call"),
                touch("2026-03-20 10:00:00", "outbound", outcome="planned"),  # not a touch yet
            ]
        )
        cls.client_b.sudo().write({"crm_inactive": True})
        cls.env.flush_all()

    def figures(self, groupby, aggregates, user=None, domain=()):
        Report = self.env["crm.client.engagement.report"].with_user(user or self.manager)
        return Report._read_group(
            [("client_id", "in", (self.client_a | self.client_b).ids), *domain], groupby, aggregates
        )

    def test_touches_per_client_channel_and_month(self):
        rows = self.figures(["client_id", "channel", "date:month"], ["touch_count:sum", "inbound_count:sum"])
        self.assertEqual(
            [
                (client, channel, month.strftime("%Y-%m"), touches, inbound)
                for client, channel, month, touches, inbound in rows
                if month
            ],
            [
                (self.client_a, "call", "2026-03", 1, 0),
                (self.client_a, "email", "2026-02", 1, 0),
                (self.client_a, "email", "2026-03", 3, 2),
            ],
        )

    def test_response_time_to_inbound_emails(self):
        [(inbound, unanswered, hours, median)] = self.figures(
            [],
            ["inbound_email_count:sum", "unanswered_count:sum", "response_hours:avg", "response_hours_median:avg"],
        )
        self.assertEqual((inbound, unanswered), (2, 1))
        self.assertAlmostEqual(hours, 4.0)
        self.assertAlmostEqual(median, 4.0)

    @freeze_time("2026-03-31 12:00:00")
    def test_days_since_last_contact_and_inactive_clients(self):
        rows = {
            client: values
            for client, *values in self.figures(
                ["client_id"],
                ["client_count:sum", "days_since_contact:avg", "never_contacted_count:sum", "inactive_count:sum"],
                domain=[("row_kind", "=", "client")],
            )
        }
        clients, days, never, inactive = rows[self.client_a]
        self.assertEqual((clients, never, inactive), (1, 0, 0))
        self.assertAlmostEqual(days, 20 + 2 / 24)  # last touched by the call of 03-11 10:00
        self.assertEqual(rows[self.client_b], [1, False, 1, 1])  # never contacted: no days

    @freeze_time("2026-03-31 12:00:00")
    def test_a_read_of_one_kind_of_rows_matches_the_read_of_both(self):
        # an outreach without company counts in its client's company
        self.client_a.sudo().company_id = self.company
        self.env["crm.outreach"].create(
            {
                "date": "2026-03-25 10:00:00",
                "direction": "outbound",
                "channel": "call",
                "outcome": "done",
                "summary": "Llamada sin compañía",
                "partner_id": self.contact_a.id,
                "user_id": self.contributor.id,
                "company_id": False,
            }
        )
        Report = self.env["crm.client.engagement.report"].with_user(self.manager)
        clients = [("client_id", "in", (self.client_a | self.client_b).ids)]
        reads = [
            (
                [("row_kind", "=", "touch")],
                ["company_id", "channel"],
                ["touch_count:sum", "inbound_count:sum"],
                {"touch"},
            ),
            ([("inbound_email_count", "=", 1)], ["user_id"], ["response_hours:avg", "unanswered_count:sum"], {"touch"}),
            ([("date", ">=", "2026-03-01")], ["date:month"], ["touch_count:sum"], {"touch"}),
            (
                [("row_kind", "=", "client")],
                ["client_id"],
                ["days_since_contact:avg", "inactive_count:sum"],
                {"client"},
            ),
            ([("inactive_count", "=", 1)], ["client_type"], ["client_count:sum"], {"client"}),
            ([("touch_count", "=", 0)], ["client_id"], ["client_count:sum"], {"touch", "client"}),
            ([("date", "=", False)], ["client_id"], ["client_count:sum"], {"touch", "client"}),
        ]
        for domain, groupby, aggregates, kinds in reads:
            with self.subTest(domain=domain):
                self.assertEqual(Report._engagement_row_kinds(domain), kinds)
                # a disjunction reads both kinds of rows (row_kind is never empty: the same rows)
                both = ["|", ("row_kind", "=", False), *domain]
                self.assertEqual(Report._engagement_row_kinds(both), {"touch", "client"})
                figures = Report._read_group([*clients, *domain], groupby, aggregates)
                self.assertTrue(figures)
                self.assertEqual(figures, Report._read_group([*clients, *both], groupby, aggregates))
        [(company, touches)] = Report._read_group(
            [("row_kind", "=", "touch"), ("client_id", "=", self.client_a.id)], ["company_id"], ["touch_count:sum"]
        )
        self.assertEqual((company, touches), (self.company, 6))

    def test_team_isolation(self):
        self.set_team_isolation(True)
        self.assertEqual(self.figures([], ["client_count:sum", "touch_count:sum"], user=self.manager), [(1, 5)])
        self.assertEqual(self.figures([], ["client_count:sum", "touch_count:sum"], user=self.manager_b), [(1, 0)])
        self.assertEqual(self.figures([], ["client_count:sum", "touch_count:sum"], user=self.admin_user), [(2, 5)])

    @mute_logger(*MUTE)
    def test_contributors_and_guests_are_refused(self):
        for user in (self.contributor, self.guest):
            with (
                self.subTest(user=user.login),
                self.assertRefusedByAccessRights("read", "crm.client.engagement.report"),
            ):
                self.env["crm.client.engagement.report"].with_user(user).web_read_group([], ["channel"], ["channel"])


@tagged("post_install", "-at_install")
class TestCrmUsage(CrmClientSuiteCommon):
    """Two weeks of work by a contributor and a manager, dated by hand."""

    WEEK1, WEEK2 = "2026-03-03 10:00:00", "2026-03-10 09:00:00"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Partner = env["res.partner"].with_user(cls.contributor)
        cls.complete = Partner.create(
            {
                "name": "Nuria Vidal",
                "parent_id": cls.client_a.id,
                "email": "nuria@example.com",
                "phone": "+34 600111222",
            }
        )
        cls.bare = Partner.create({"name": "Iker Sanz", "parent_id": cls.client_a.id})
        Lead = env["crm.lead"].with_user(cls.contributor)
        cls.planned = Lead.create({"name": "Ampliación Bilbao", "type": "opportunity", "team_id": cls.team_a.id})
        cls.unplanned = Lead.create({"name": "Mantenimiento Vigo", "type": "opportunity", "team_id": cls.team_a.id})
        cls.activity = cls.planned.activity_schedule("mail.mail_activity_data_call", user_id=cls.contributor.id)
        cls.outreach = (
            env["crm.outreach"]
            .with_user(cls.manager)
            .create(
                {
                    "summary": "Llamada de seguimiento",
                    "channel": "call",
                    "outcome": "done",
                    "partner_id": cls.contact_a.id,
                }
            )
        )
        cls.complete.with_user(cls.manager).write({"phone": "+34 600111333"})
        Log = env["res.users.log"]
        logins = Log.with_user(cls.contributor).sudo().create({}) | Log.with_user(cls.manager).sudo().create({})
        later_login = Log.with_user(cls.manager).sudo().create({})
        for records in (cls.complete | cls.bare, cls.planned | cls.unplanned, cls.activity, logins):
            set_dates(env, records, cls.WEEK1)
        set_dates(env, cls.complete, cls.WEEK1, cls.WEEK2)  # changed by the manager in week 2
        set_dates(env, cls.outreach, cls.WEEK2)
        set_dates(env, later_login, cls.WEEK2)
        env["res.users.log"].flush_model()

    def figures(self, groupby, aggregates, user=None, domain=()):
        Report = self.env["crm.usage.report"].with_user(user or self.manager)
        return Report._read_group(
            [
                ("user_id", "in", (self.contributor | self.manager).ids),
                ("date", ">=", "2026-03-02"),
                ("date", "<", "2026-03-16"),
                *domain,
            ],
            groupby,
            aggregates,
        )

    def test_active_users_per_week(self):
        weeks = self.figures(["date:week"], ["active_users:sum", "login_count:sum"])
        # weeks start on the user's locale's first day: Sunday in English (US)
        self.assertEqual(
            [(week.strftime("%Y-%m-%d"), users, logins) for week, users, logins in weeks],
            [("2026-03-01", 2, 2), ("2026-03-08", 1, 1)],
        )

    def test_the_read_sets_its_planner_settings_for_itself_only(self):
        cr = self.env.cr
        cr.execute("SET LOCAL parallel_tuple_cost = 0.2")
        cr.execute("SET LOCAL jit = on")
        with planner_settings(cr, jit="off", parallel_tuple_cost="0.01"):
            cr.execute("SELECT current_setting('jit'), current_setting('parallel_tuple_cost')")
            self.assertEqual(cr.fetchone(), ("off", "0.01"))
        cr.execute("SELECT current_setting('jit'), current_setting('parallel_tuple_cost')")
        self.assertEqual(cr.fetchone(), ("on", "0.2"))
        self.assertTrue(self.figures(["date:week"], ["active_users:sum"]))
        cr.execute("SELECT current_setting('jit'), current_setting('parallel_tuple_cost')")
        self.assertEqual(cr.fetchone(), ("on", "0.2"), "the report's read leaves the settings as they were")

    def test_created_and_updated_per_user_and_area(self):
        rows = self.figures(["user_id", "area", "action"], ["record_count:sum"], domain=[("action", "!=", "login")])
        self.assertEqual(
            sorted((user.login, area, action, count) for user, area, action, count in rows),
            [
                ("ccs_contributor", "activities", "create", 1),
                ("ccs_contributor", "contacts", "create", 2),
                ("ccs_contributor", "deals", "create", 2),
                ("ccs_manager", "contacts", "update", 1),
                ("ccs_manager", "outreach", "create", 1),
            ],
        )

    def test_records_count_in_their_company_else_their_users(self):
        other = self.env["res.company"].create({"name": "Otra Empresa S.L."})
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE crm_lead SET company_id = %s WHERE id = %s", other.id, self.unplanned.id))
        self.env.invalidate_all()
        # read without the record rules: every company
        everything = [
            (company.name, area, count)
            for company, area, count in self.env["crm.usage.report"]._read_group(
                [
                    ("user_id", "in", (self.contributor | self.manager).ids),
                    ("date", ">=", "2026-03-02"),
                    ("date", "<", "2026-03-16"),
                    ("action", "!=", "login"),
                ],
                ["company_id", "area"],
                ["record_count:sum"],
            )
        ]
        # the contacts and the activity have no company: their user's; the deals and the outreach their own
        mine = self.company.name
        self.assertEqual(
            sorted(everything),
            sorted(
                [
                    (mine, "activities", 1),
                    (mine, "contacts", 3),
                    (mine, "deals", 1),
                    (mine, "outreach", 1),
                    (other.name, "deals", 1),
                ]
            ),
        )
        # a Manager of the first company does not see the deal of the other
        seen = self.figures(["company_id", "area"], ["record_count:sum"], domain=[("action", "!=", "login")])
        self.assertEqual(
            sorted((company.name, area, count) for company, area, count in seen),
            sorted(row for row in everything if row[0] == mine),
        )

    def test_next_activity_share_and_data_quality_trend(self):
        [(open_deals, share)] = self.figures(
            [], ["open_deal_count:sum", "next_activity_rate:avg"], domain=[("area", "=", "deals")]
        )
        self.assertEqual((open_deals, share), (2, 50.0))
        self.planned.action_set_lost()
        self.env.flush_all()
        [(open_deals, share)] = self.figures(
            [], ["open_deal_count:sum", "next_activity_rate:avg"], domain=[("area", "=", "deals")]
        )
        self.assertEqual((open_deals, share), (1, 0.0))
        trend = self.figures(
            ["date:month"], ["incomplete_rate:avg"], domain=[("area", "=", "contacts"), ("action", "=", "create")]
        )
        self.assertEqual([(month.strftime("%Y-%m"), rate) for month, rate in trend], [("2026-03", 50.0)])

    def test_team_isolation(self):
        self.set_team_isolation(True)
        everything = self.figures([], ["record_count:sum"], user=self.admin_user)
        self.assertEqual(everything, [(10,)])  # 6 created, 1 updated, 3 sign-ins
        self.assertEqual(self.figures([], ["record_count:sum"], user=self.manager), everything)
        self.assertEqual(self.figures([], ["record_count:sum"], user=self.manager_b), [(0,)])

    @mute_logger(*MUTE)
    def test_contributors_and_guests_are_refused(self):
        for user in (self.contributor, self.guest):
            with self.subTest(user=user.login), self.assertRefusedByAccessRights("read", "crm.usage.report"):
                self.env["crm.usage.report"].with_user(user).web_read_group([], ["area"], ["area"])


@tagged("post_install", "-at_install")
class TestWinLossByCompetitor(CrmClientSuiteCommon):
    """Rival X met on a won and a lost deal, rival Y on the same lost deal and an open one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Competitor = cls.env["crm.competitor"]
        cls.rival_x, cls.rival_y = Competitor.create([{"name": "Rival Obras S.A."}, {"name": "Konkurrenz AG"}])
        cls.price = cls.env["crm.lost.reason"].create({"name": "Precio"})
        cls.proposal = cls.env.ref("crm.stage_lead3")
        cls.deal_contributor.competitor_ids = cls.rival_x
        cls.deal_manager.competitor_ids = cls.rival_x | cls.rival_y
        cls.deal_b.competitor_ids = cls.rival_y
        cls.deal_contributor.stage_id = cls.env.ref("crm.stage_lead4")  # won
        cls.deal_manager.stage_id = cls.proposal
        cls.deal_manager.action_set_lost(lost_reason_id=cls.price.id)
        cls.env.flush_all()

    def figures(self, groupby, aggregates, user=None):
        Report = self.env["crm.deal.competitor.report"].with_user(user or self.manager)
        return Report._read_group([("competitor_id", "in", (self.rival_x | self.rival_y).ids)], groupby, aggregates)

    def test_win_rate_and_revenue_by_competitor(self):
        rows = {
            rival: values
            for rival, *values in self.figures(
                ["competitor_id"], ["deal_count:sum", "win_rate:avg", "won_amount:sum", "lost_amount:sum"]
            )
        }
        self.assertEqual(rows[self.rival_x], [2, 50.0, 12000.0, 8000.0])
        self.assertEqual(rows[self.rival_y], [2, 0.0, 0.0, 8000.0])  # the open deal is not in the win rate

    def test_lost_deals_by_reason_stage_and_owner(self):
        lost = self.figures(["competitor_id", "lost_reason_id", "lost_from_stage_id", "user_id"], ["lost_count:sum"])
        self.assertEqual(
            {(rival, reason, stage, owner): count for rival, reason, stage, owner, count in lost if count},
            {
                (self.rival_x, self.price, self.proposal, self.manager): 1,
                (self.rival_y, self.price, self.proposal, self.manager): 1,
            },
        )

    def test_team_isolation_and_roles(self):
        self.set_team_isolation(True)
        self.assertEqual(self.figures([], ["deal_count:sum"], user=self.manager_b), [(1,)])  # the open deal of team B
        self.assertEqual(self.figures([], ["deal_count:sum"], user=self.admin_user), [(4,)])
        for user in (self.contributor, self.guest):
            with (
                self.subTest(user=user.login),
                mute_logger(*MUTE),
                self.assertRefusedByAccessRights("read", "crm.deal.competitor.report"),
            ):
                self.env["crm.deal.competitor.report"].with_user(user).web_read_group(
                    [], ["competitor_id"], ["competitor_id"]
                )

    def test_outcome_counts(self):
        # won: the deal in the won stage; lost: the deal marked lost (archived), once per rival met on it
        rows = self.figures(["outcome"], ["deal_count:sum", "won_count:sum", "lost_count:sum", "win_rate:avg"])
        self.assertEqual(
            {outcome: values for outcome, *values in rows},
            {"won": [1, 1, 0, 100.0], "lost": [2, 0, 2, 0.0], "open": [1, 0, 0, False]},
        )
