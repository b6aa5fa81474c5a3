from datetime import timedelta

from odoo import fields
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_rule")
REPORT = "crm.salesperson.activity.report"


@tagged("post_install", "-at_install")
class TestActivityReport(CrmClientSuiteCommon):
    """Planned, overdue, done and delegated activities per salesperson."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["res.users"])
        cls.yesterday, cls.next_week = today - timedelta(days=1), today + timedelta(days=7)
        cls.call = cls.env.ref("mail.mail_activity_data_call")
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.chat = cls.env.ref("crm_client_suite.mail_activity_type_chat")
        deal = cls.deal_contributor
        # the manager delegates an overdue call and a chat to the contributor
        deal.with_user(cls.manager).activity_schedule(
            act_type_xmlid="mail.mail_activity_data_call", date_deadline=cls.yesterday, user_id=cls.contributor.id
        )
        chat = deal.with_user(cls.manager).activity_schedule(
            act_type_xmlid="crm_client_suite.mail_activity_type_chat",
            date_deadline=cls.next_week,
            user_id=cls.contributor.id,
            summary="Chat con compras",
        )
        # the contributor plans a to-do for themself, and does the chat
        deal.with_user(cls.contributor).activity_schedule(
            act_type_xmlid="mail.mail_activity_data_todo", date_deadline=cls.next_week, user_id=cls.contributor.id
        )
        chat.with_user(cls.contributor).action_feedback(feedback="Hecho")
        # the manager's own call, done by the manager on the contributor's behalf
        own = deal.with_user(cls.manager).activity_schedule(
            act_type_xmlid="mail.mail_activity_data_call", date_deadline=cls.next_week, user_id=cls.contributor.id
        )
        own.with_user(cls.manager).action_done()
        # team B: its contributor's own planned call
        cls.deal_b.with_user(cls.contributor_b).activity_schedule(
            act_type_xmlid="mail.mail_activity_data_call", date_deadline=cls.next_week, user_id=cls.contributor_b.id
        )
        # activities of the fixture's own users only
        cls.ours = [("user_id", "in", (cls.manager | cls.contributor | cls.contributor_b).ids)]

    def figures(self, groupby=("user_id", "state")):
        """{(group values): (count, delegated)} as the current user reads them."""
        groups = self.env[REPORT]._read_group(self.ours, list(groupby), ["__count", "count_delegated:sum"])
        return {
            tuple(value.id if hasattr(value, "id") else value for value in group[:-2]): tuple(group[-2:])
            for group in groups
        }

    @users("ccs_admin")
    def test_counts_per_salesperson_state_and_type(self):
        c, cb = self.contributor.id, self.contributor_b.id
        self.assertEqual(
            self.figures(),
            {
                (c, "overdue"): (1, 1),
                (c, "planned"): (1, 0),
                # both done activities count for their assignee, whoever marked them done
                (c, "done"): (2, 2),
                (cb, "planned"): (1, 0),
            },
        )
        self.assertEqual(
            self.figures(("user_id", "activity_type_id", "state")),
            {
                (c, self.call.id, "overdue"): (1, 1),
                (c, self.call.id, "done"): (1, 1),
                (c, self.chat.id, "done"): (1, 1),
                (c, self.todo.id, "planned"): (1, 0),
                (cb, self.call.id, "planned"): (1, 0),
            },
        )

    @users("ccs_admin")
    def test_delegated_activities_name_their_assigner(self):
        delegated = self.env[REPORT].search(self.ours + [("is_delegated", "=", True)])
        self.assertEqual(set(delegated.mapped("assigned_by_id")), {self.manager})
        self.assertEqual(set(delegated.mapped("user_id")), {self.contributor})
        self.assertEqual(sorted(delegated.mapped("state")), ["done", "done", "overdue"])

    @users("ccs_admin")
    def test_weeks_split_the_open_activities(self):
        weeks = self.figures(("user_id", "date:week"))
        self.assertEqual(sum(count for count, _delegated in weeks.values()), 5)
        # overdue (yesterday) and planned (in a week) are never the same week
        contributor_weeks = [key for key in weeks if key[0] == self.contributor.id]
        self.assertGreaterEqual(len(contributor_weeks), 2)

    @users("ccs_contributor")
    def test_contributor_sees_own_activities_only(self):
        self.assertEqual(set(self.env[REPORT].search(self.ours).mapped("user_id")), {self.contributor})
        self.assertEqual(sum(count for count, _d in self.figures().values()), 4)

    @users("ccs_manager")
    def test_manager_sees_all_without_team_isolation(self):
        self.assertEqual(
            set(self.env[REPORT].search(self.ours).mapped("user_id")), {self.contributor, self.contributor_b}
        )

    @users("ccs_manager_b")
    def test_manager_sees_own_team_with_team_isolation(self):
        self.set_team_isolation(True)
        self.assertEqual(set(self.env[REPORT].search(self.ours).mapped("user_id")), {self.contributor_b})

    @users("ccs_admin")
    def test_admin_sees_all_with_team_isolation(self):
        self.set_team_isolation(True)
        self.assertEqual(
            set(self.env[REPORT].search(self.ours).mapped("user_id")), {self.contributor, self.contributor_b}
        )

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_has_no_report(self):
        with self.assertRefusedByAccessRights("read", REPORT):
            self.env[REPORT].search([])

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_open_document_respects_access(self):
        line = self.env[REPORT].search(self.ours + [("state", "=", "overdue")])
        action = line.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("crm.lead", self.deal_contributor.id))
