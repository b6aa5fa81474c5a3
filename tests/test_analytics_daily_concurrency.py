import uuid

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TwoCursorCase

# the key's deal_team_id (crm.deal.analytics.daily DAILY_KEYS)
DEAL_TEAM = 7


@tagged("post_install", "-at_install")
class TestDailyFiguresConcurrency(TwoCursorCase):
    """Two transactions changing deals of the same day and keys at once, on two real cursors under
    Odoo's REPEATABLE READ: neither waits for the other (a lock wait fails at once, ``lock_timeout``),
    both commit, and the dashboard's figures equal a recompute from scratch, before and after a fold."""

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.committed_env() as env:
            user = env["res.users"].create({"name": f"Daily seller {tag}", "login": f"ccs_daily_{tag}"})
            team = env["crm.team"].create(
                {"name": f"Team daily {tag}", "crm_team_member_ids": [Command.create({"user_id": user.id})]}
            )
            stages = env["crm.stage"].search([("is_won", "=", False), ("is_lost", "=", False)], order="sequence, id")
            deals = env["crm.lead"].create(
                [
                    {
                        "name": f"Daily {n}",
                        "type": "opportunity",
                        "team_id": team.id,
                        "user_id": user.id,
                        "stage_id": stages[0].id,
                        "expected_revenue": 100 * (n + 1),
                    }
                    for n in range(2)
                ]
            )
            self.user_id, self.team_id, self.deal_ids = user.id, team.id, deals.ids
            self.stage_ids = stages[:2].ids
            self.won_stage_id = env["crm.stage"].search([("is_won", "=", True)], limit=1).id
        self.addCleanup(self.remove_team, self.team_id, [self.user_id])

    def no_wait(self, env):
        # a wait on a lock fails at once instead of blocking (or hanging, both cursors on one thread)
        env.cr.execute("SET LOCAL lock_timeout = '1s'")
        return env

    def ours(self, rows):
        return {key: [round(float(value), 6) for value in measures] for key, measures in rows.items()}

    def assertFiguresEqualRecompute(self):
        """On a fresh committed snapshot: the figures read (sums plus pending), then the sums alone after a
        fold, equal a recompute from scratch, for this test's team."""
        with self.committed_env() as env:
            Daily = env["crm.deal.analytics.daily"]
            expected = {k: m for k, m in self.ours(Daily._recompute()).items() if k[DEAL_TEAM] == self.team_id}
            self.assertTrue(expected)
            read = {k: m for k, m in self.ours(Daily._rows()).items() if k[DEAL_TEAM] == self.team_id}
            self.assertEqual(read, expected, "sums plus pending")
            self.assertIsNotNone(Daily._fold_pending())
            folded = {k: m for k, m in self.ours(Daily._rows(folded_only=True)).items() if k[DEAL_TEAM] == self.team_id}
            self.assertEqual(folded, expected, "the sums after the fold")
            self.assertFalse(env["crm.deal.analytics.pending"].search_count([]), "all folded")

    def test_two_transactions_create_deals_of_the_same_day_and_keys(self):
        with self.committed_env() as env1, self.committed_env() as env2:
            self.no_wait(env1)
            self.no_wait(env2)
            values = {
                "type": "opportunity",
                "team_id": self.team_id,
                "user_id": self.user_id,
                "stage_id": self.stage_ids[0],
                "expected_revenue": 50,
            }
            env1["crm.lead"].create({**values, "name": "Uno"})
            env2["crm.lead"].create({**values, "name": "Dos"})
            # both commit on leaving, the second without a serialization failure
        self.assertFiguresEqualRecompute()

    def test_two_transactions_move_deals_of_the_same_day_and_keys(self):
        with self.committed_env() as env1, self.committed_env() as env2:
            self.no_wait(env1)
            self.no_wait(env2)
            first, second = self.deal_ids
            env1["crm.lead"].browse(first).write({"stage_id": self.stage_ids[1]})
            env2["crm.lead"].browse(second).write({"stage_id": self.stage_ids[1]})
            env1["crm.lead"].browse(first).write({"stage_id": self.won_stage_id})
            env2["crm.lead"].browse(second).write({"stage_id": self.won_stage_id})
            env1.cr.precommit.run()
            env2.cr.precommit.run()
        self.assertFiguresEqualRecompute()

    @mute_logger("odoo.sql_db")  # the late fold's serialization failure
    def test_a_fold_waits_for_no_writer_and_two_folds_count_once(self):
        with self.committed_env() as env:
            env["crm.deal.analytics.daily"]._fold_pending()
        with self.committed_env() as writer:
            self.no_wait(writer)
            writer["crm.lead"].browse(self.deal_ids[0]).write({"stage_id": self.won_stage_id})
            writer.cr.precommit.run()  # its differences are appended, not committed yet
            with self.committed_env() as folder:
                self.no_wait(folder)
                # the writer's uncommitted differences are neither the folder's to fold nor to wait for
                self.assertEqual(folder["crm.deal.analytics.daily"]._fold_pending(), 0)
        with self.committed_env() as late:
            self.no_wait(late)
            late.cr.execute("SELECT 1")  # its snapshot: before the fold below commits
            with self.committed_env() as folder:
                self.no_wait(folder)
                self.assertGreater(folder["crm.deal.analytics.daily"]._fold_pending(), 0)
                # a second folder meanwhile: the first holds the fold's lock
                self.assertIsNone(late["crm.deal.analytics.daily"]._fold_pending())
            # the first fold committed after the late one's snapshot (REPEATABLE READ): it folds nothing
            # again, and fails nothing
            self.assertIsNone(late["crm.deal.analytics.daily"]._fold_pending())
        self.assertFiguresEqualRecompute()
