from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .test_team_assignment import AssignmentCommon


@tagged("post_install", "-at_install")
class TestRoundRobinCapacity(AssignmentCommon):
    """Round robin within each member's capacity: stock crm's "Average Leads
    Capacity (on 30 days)" of the team member against the leads the member
    got in this team in the last 30 days."""

    def setUp(self):
        super().setUp()
        self.team.crm_assignment_capacity = "unassigned"
        self.members = {member.user_id: member for member in self.team.crm_team_member_ids}

    def capacity(self, **by_user):
        for user, value in by_user.items():
            self.members[getattr(self, user)].assignment_max = value

    def past_leads(self, user, count, days_ago=0, team=None):
        leads = self.Lead.create(
            [{"name": f"Earlier {n}", "team_id": (team or self.team).id, "user_id": user.id} for n in range(count)]
        )
        leads.date_open = fields.Datetime.now() - timedelta(days=days_ago)
        return leads

    def test_a_member_at_capacity_is_skipped(self):
        self.capacity(ana=2)
        self.past_leads(self.ana, 2)
        self.assertEqual(self.members[self.ana].lead_month_count, 2, "stock's own count says she is full")
        self.assertEqual([lead.user_id for lead in self.new_leads(3)], [self.bruno, self.bruno, self.carla])

    def test_leads_older_than_30_days_or_of_another_team_do_not_count(self):
        self.capacity(ana=2)
        self.past_leads(self.ana, 2, days_ago=31)
        other = self.env["crm.team"].create({"name": "Team Phone"})
        self.past_leads(self.ana, 2, team=other)
        self.assertEqual(self.new_leads(1).user_id, self.ana)

    def test_capacity_is_used_up_within_a_batch_then_left_unassigned(self):
        self.capacity(ana=1, bruno=1, carla=1)
        leads = self.new_leads(4)
        self.assertEqual([lead.user_id for lead in leads[:3]], [self.ana, self.bruno, self.carla])
        self.assertFalse(leads[3].user_id, "all at capacity: the lead waits in the team, unassigned")
        event = self.env["crm.acquisition.event"].search([("lead_id", "=", leads[3].id)])
        self.assertFalse(event.user_id)

    def test_all_at_capacity_falls_back_to_plain_round_robin_when_chosen(self):
        self.team.crm_assignment_capacity = "round_robin"
        self.capacity(ana=0, bruno=0, carla=0)
        self.assertEqual([lead.user_id for lead in self.new_leads(4)], [self.ana, self.bruno, self.carla, self.ana])

    def test_a_capacity_of_zero_takes_no_leads(self):
        self.capacity(bruno=0)
        self.assertEqual([lead.user_id for lead in self.new_leads(3)], [self.ana, self.carla, self.carla])

    def test_capacity_ignored_by_default(self):
        team = self.env["crm.team"].create(
            {
                "name": "Team Default",
                "crm_assignment_rule": "round_robin",
                "crm_team_member_ids": [Command.create({"user_id": self.ana.id, "assignment_max": 0})],
            }
        )
        self.assertEqual(team.crm_assignment_capacity, "ignore")
        lead = self.Lead.create({"name": "Default", "team_id": team.id})
        self.assertEqual(lead.user_id, self.ana)

    def test_unmatched_rule_lines_fall_back_within_capacity(self):
        spain = self.env.ref("base.es")
        self.team.write(
            {
                "crm_assignment_rule": "country",
                "crm_assignment_line_ids": [Command.create({"country_id": spain.id, "user_id": self.carla.id})],
            }
        )
        self.capacity(ana=0)
        leads = self.new_leads(3)
        self.assertEqual(
            [lead.user_id for lead in leads], [self.bruno, self.bruno, self.carla], "Ana takes no turn of the fallback"
        )
