import threading
import time
import uuid
from datetime import timedelta
from unittest.mock import MagicMock, patch

from psycopg2.extensions import TransactionRollbackError

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.crm.models.crm_team_member import TeamMember

from .common import TwoCursorCase
from .test_team_assignment import AssignmentCommon

ASSIGNMENT_MODULE = "odoo.addons.crm_client_suite.models.crm_team_assignment"


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


@tagged("post_install", "-at_install")
class TestRuleLineCapacity(AssignmentCommon):
    """A member matched by a rule line (country, source, language...) takes
    the lead only within capacity, like a round-robin turn; so does the
    "Assign by Team Rule" action on clients and contacts."""

    def setUp(self):
        super().setUp()
        self.spain = self.env.ref("base.es")
        self.team.write(
            {
                "crm_assignment_rule": "country",
                "crm_assignment_capacity": "unassigned",
                "crm_assignment_line_ids": [Command.create({"country_id": self.spain.id, "user_id": self.carla.id})],
            }
        )
        self.members = {member.user_id: member for member in self.team.crm_team_member_ids}

    def spanish_leads(self, count):
        return self.new_leads(count, country_id=self.spain.id)

    def test_the_line_member_takes_leads_up_to_capacity_then_the_round_robin_does(self):
        self.members[self.carla].assignment_max = 2
        leads = self.spanish_leads(4)
        self.assertEqual([lead.user_id for lead in leads], [self.carla, self.carla, self.ana, self.bruno])

    def test_earlier_leads_of_the_line_member_count(self):
        self.members[self.carla].assignment_max = 1
        self.Lead.create({"name": "Earlier", "team_id": self.team.id, "user_id": self.carla.id})
        self.assertEqual(self.spanish_leads(1).user_id, self.ana)

    def test_without_fallback_a_full_line_member_leaves_the_lead_unassigned(self):
        self.team.crm_assignment_fallback = "none"
        self.members[self.carla].assignment_max = 1
        leads = self.spanish_leads(2)
        self.assertEqual([lead.user_id for lead in leads], [self.carla, self.env["res.users"]])

    def test_when_all_are_full_the_line_member_keeps_the_lead_if_the_team_says_so(self):
        self.team.crm_assignment_capacity = "round_robin"
        for member in self.members.values():
            member.assignment_max = 0
        self.assertEqual(self.spanish_leads(2).user_id, self.carla, "the line's answer, capacity set aside")
        self.team.crm_assignment_fallback = "none"
        self.assertEqual(self.spanish_leads(1).user_id, self.carla)

    def test_capacity_ignored_the_line_member_takes_everything(self):
        self.team.crm_assignment_capacity = "ignore"
        self.members[self.carla].assignment_max = 0
        self.assertEqual(self.spanish_leads(3).user_id, self.carla)

    def test_one_grouped_count_per_batch(self):
        origin = TeamMember._get_lead_from_date
        calls = []

        def counted(members, date_from, active_test=False):
            calls.append(members.user_id)
            return origin(members, date_from, active_test=active_test)

        with patch.object(TeamMember, "_get_lead_from_date", counted):
            self.spanish_leads(3)
            self.new_leads(5)
        self.assertEqual(len(calls), 2, "one count for each batch, whatever its size")
        self.assertEqual(calls[0], self.ana | self.bruno | self.carla, "line and round-robin members in one count")

    def test_managers_assign_clients_within_capacity(self):
        self.members[self.carla].assignment_max = 1
        self.Lead.create({"name": "Earlier", "team_id": self.team.id, "user_id": self.carla.id})
        self.team.crm_assignment_fallback = "none"
        client = self.env["res.partner"].create(
            {"name": "Obras Sevilla S.L.", "is_company": True, "country_id": self.spain.id, "team_id": self.team.id}
        )
        client.user_id = False
        result = client.with_user(self.manager).action_crm_assign_by_team_rule()
        self.assertFalse(client.user_id, "Carla is full")
        self.assertIn("0 of 1 clients and contacts", result["params"]["message"])
        self.assertEqual(result["params"]["type"], "warning")
        self.members[self.carla].assignment_max = 2
        client.with_user(self.manager).action_crm_assign_by_team_rule()
        self.assertEqual(client.user_id, self.carla)

    def test_clients_assigned_in_one_action_use_up_capacity(self):
        self.team.crm_assignment_rule = "round_robin"
        for member in self.members.values():
            member.assignment_max = 1
        clients = self.env["res.partner"].create(
            [{"name": f"Cliente {n} S.L.", "is_company": True, "team_id": self.team.id} for n in range(4)]
        )
        clients.user_id = False
        clients.with_user(self.manager).action_crm_assign_by_team_rule()
        self.assertEqual(
            sorted(clients.user_id.ids), sorted((self.ana | self.bruno | self.carla).ids), "one each, then full"
        )
        self.assertEqual(len(clients.filtered("user_id")), 3)

    def test_contributors_cannot_assign_by_team_rule(self):
        client = self.env["res.partner"].create(
            {"name": "Propia S.L.", "is_company": True, "country_id": self.spain.id, "team_id": self.team.id}
        )
        client.user_id = self.contributor
        with self.assertRaisesRegex(AccessError, "Only Managers can assign clients and contacts by their team's rule"):
            client.with_user(self.contributor).action_crm_assign_by_team_rule()
        self.assertEqual(client.user_id, self.contributor, "nothing changed")


@tagged("post_install", "-at_install")
class TestCapacityConcurrency(TwoCursorCase):
    """Two batches of a team at the same instant, on two real cursors: the
    second waits for the first, fails to serialize, and its retry sees the
    member's last place taken."""

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.committed_env() as env:
            user = env["res.users"].create({"name": f"Seller {tag}", "login": f"ccs_cap_{tag}"})
            team = env["crm.team"].create(
                {
                    "name": f"Team Capacity {tag}",
                    "crm_assignment_rule": "round_robin",
                    "crm_assignment_capacity": "unassigned",
                    "crm_team_member_ids": [Command.create({"user_id": user.id, "assignment_max": 1})],
                }
            )
            self.user_id, self.team_id = user.id, team.id
        self.addCleanup(self.remove_team, self.team_id, [self.user_id])

    def two_batches_at_once(self):
        """Create a lead in the team on two cursors at once, the second
        starting while the first holds its batch open; the second retries
        on a new transaction when it fails to serialize, as Odoo does for a
        request. Return (first's user id, second's, conflicts)."""
        first_assigned, outcome, errors = threading.Event(), {"conflicts": 0}, []
        # Queue the assignment emails: sending them after commit would try a real SMTP server.
        quiet = {"mail_notify_force_send": False, "mail_auto_subscribe_no_notify": True}

        def first():
            try:
                with self.committed_env(quiet) as env:
                    outcome["first"] = env["crm.lead"].create({"name": "Uno", "team_id": self.team_id}).user_id.id
                    first_assigned.set()
                    time.sleep(0.5)  # the second batch is now waiting for the member's row
            except Exception as e:  # reported by the main thread
                errors.append(e)
                first_assigned.set()

        def second():
            try:
                first_assigned.wait(timeout=30)
                for _attempt in range(3):
                    try:
                        with self.committed_env(quiet) as env:
                            outcome["second"] = (
                                env["crm.lead"].create({"name": "Dos", "team_id": self.team_id}).user_id.id
                            )
                        return
                    except TransactionRollbackError:
                        outcome["conflicts"] += 1
            except Exception as e:  # reported by the main thread
                errors.append(e)

        workers = [threading.Thread(target=first), threading.Thread(target=second)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        self.assertFalse(errors)
        with self.committed_env() as env:
            self.assertEqual(env["crm.lead"].search_count([("team_id", "=", self.team_id)]), 2, "no lead lost")
        return outcome["first"], outcome["second"], outcome["conflicts"]

    def test_two_requests_at_once_never_share_the_last_place(self):
        with patch(f"{ASSIGNMENT_MODULE}.request", MagicMock()):
            first, second, conflicts = self.two_batches_at_once()
        self.assertEqual(first, self.user_id)
        self.assertEqual(conflicts, 1, "the second request was refused once, then retried")
        self.assertFalse(second, "the retry saw the last place taken")

    def test_outside_a_request_a_conflict_does_not_fail_the_batch(self):
        # The mail gateway or a cron: nothing would retry the batch (stock's
        # gateway marks a failed email as read), so it goes on without the lock.
        first, second, conflicts = self.two_batches_at_once()
        self.assertEqual((first, conflicts), (self.user_id, 0))
        self.assertEqual(second, self.user_id, "the documented cost: one lead over capacity")
