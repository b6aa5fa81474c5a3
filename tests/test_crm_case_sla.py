from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_crm_case import OPENED, CrmCaseCommon


@tagged("post_install", "-at_install")
class TestCrmCaseSlaChange(CrmCaseCommon):
    """A changed SLA target moves the deadlines of the open cases, in one batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Sla = cls.env["crm.case.sla"]
        cls.sla_urgent = cls.Sla.search([("company_id", "=", cls.company.id), ("priority", "=", "3")])
        cls.sla_urgent.unlink()
        cls.sla_urgent = cls.Sla.create({"priority": "3", "response_hours": 1, "resolution_hours": 8})
        cls.waiting = cls.open_case(cls.client_a, cls.contact_a, name="Awaiting a reply")
        cls.answered = cls.open_case(cls.client_a, cls.contact_a, name="Answered, still open")
        with freeze_time(OPENED + timedelta(hours=3)):
            cls.answered.with_user(cls.contributor).message_post(
                body="On our way", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        cls.solved = cls.open_case(cls.client_a, cls.contact_a, name="Solved late")
        with freeze_time(OPENED + timedelta(hours=50)):
            cls.solved.stage = "done"
        cls.urgent = cls.open_case(cls.client_a, cls.contact_a, name="Urgent", priority="3")

    def test_open_cases_follow_the_new_target_and_solved_ones_keep_theirs(self):
        self.assertEqual(self.solved.sla_resolution_state, "missed", "50 hours against 40")
        self.sla_normal.with_user(self.admin_user).write({"response_hours": 2, "resolution_hours": 60})
        self.assertEqual(self.waiting.sla_response_deadline, OPENED + timedelta(hours=2))
        self.assertEqual(self.waiting.sla_resolution_deadline, OPENED + timedelta(hours=60))
        self.assertEqual(self.waiting.sla_resolution_state, "running")
        self.assertEqual(
            self.answered.sla_response_deadline, OPENED + timedelta(hours=8), "a reply already given keeps its target"
        )
        self.assertEqual(self.answered.sla_response_state, "met")
        self.assertEqual(self.answered.sla_resolution_deadline, OPENED + timedelta(hours=60))
        self.assertEqual(self.solved.sla_resolution_deadline, OPENED + timedelta(hours=40), "solved: unchanged")
        self.assertEqual(self.solved.sla_resolution_state, "missed")
        self.assertAlmostEqual(self.solved.resolution_hours, 50.0)
        self.assertEqual(self.urgent.sla_response_deadline, OPENED + timedelta(hours=1), "another priority")
        # What was written is what the database holds, not only the cache.
        self.env.invalidate_all()
        self.assertEqual(self.waiting.sla_response_deadline, OPENED + timedelta(hours=2))

    def test_a_late_reply_after_a_tighter_target_misses_it(self):
        self.sla_normal.response_hours = 2
        with freeze_time(OPENED + timedelta(hours=5)):
            self.waiting.with_user(self.contributor).message_post(
                body="Sorry", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(self.waiting.sla_response_state, "missed", "5 hours against the new 2")

    def test_a_removed_target_clears_open_deadlines_and_a_new_one_sets_them(self):
        self.sla_urgent.unlink()
        self.assertFalse(self.urgent.sla_response_deadline)
        self.assertFalse(self.urgent.sla_resolution_deadline)
        self.assertEqual(self.solved.sla_resolution_deadline, OPENED + timedelta(hours=40))
        self.Sla.create({"priority": "3", "response_hours": 2, "resolution_hours": 6})
        self.assertEqual(self.urgent.sla_response_deadline, OPENED + timedelta(hours=2))
        self.assertEqual(self.urgent.sla_resolution_deadline, OPENED + timedelta(hours=6))

    def test_moving_a_target_to_another_priority_updates_both(self):
        self.sla_urgent.unlink()
        self.sla_normal.priority = "3"
        self.assertEqual(self.urgent.sla_response_deadline, OPENED + timedelta(hours=8), "now the urgent target")
        self.assertFalse(self.waiting.sla_response_deadline, "normal cases have no target any more")

    def test_other_companies_cases_stay(self):
        other = self.env["res.company"].create({"name": "Suite GmbH"})
        sla_other = self.Sla.create({"company_id": other.id, "priority": "1", "response_hours": 3})
        with freeze_time(OPENED):
            case_other = self.Case.create({"name": "Kran", "company_id": other.id})
        self.assertEqual(case_other.sla_response_deadline, OPENED + timedelta(hours=3))
        self.sla_normal.response_hours = 5
        self.assertEqual(case_other.sla_response_deadline, OPENED + timedelta(hours=3))
        sla_other.response_hours = 4
        self.assertEqual(case_other.sla_response_deadline, OPENED + timedelta(hours=4))
        self.assertEqual(self.waiting.sla_response_deadline, OPENED + timedelta(hours=5))

    def test_only_admins_change_the_targets(self):
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("write", "crm.case.sla"):
            self.sla_normal.with_user(self.manager).response_hours = 1
        self.assertEqual(self.waiting.sla_response_deadline, OPENED + timedelta(hours=8))

    def change_target_queries(self, hours):
        sla = self.sla_normal.with_user(self.admin_user)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        sla.write({"response_hours": hours, "resolution_hours": hours * 5})
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_queries_do_not_grow_with_the_open_cases(self):
        self.change_target_queries(2)  # warms the caches (access rights, rules)
        small = self.change_target_queries(3)
        with freeze_time(OPENED):
            many = self.Case.create(
                [{"name": f"Caso {n}", "partner_id": self.client_a.id, "case_type": "request"} for n in range(60)]
            )
        many[:20].date_first_response = OPENED + timedelta(hours=1)
        big = self.change_target_queries(4)
        self.assertEqual(big, small, "one batch whatever the number of cases")
        self.assertEqual(many[20].sla_response_deadline, OPENED + timedelta(hours=4))
        self.assertEqual(many[0].sla_response_deadline, OPENED + timedelta(hours=3), "answered: kept")
        self.assertEqual(set(many.mapped("sla_resolution_deadline")), {OPENED + timedelta(hours=20)})
        with self.assertQueryCount(6):
            self.sla_normal.with_user(self.admin_user).write({"response_hours": 6, "resolution_hours": 30})
