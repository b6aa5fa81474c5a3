import time
from unittest.mock import patch

from psycopg2.extensions import TransactionRollbackError

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged

from odoo.addons.crm_client_suite.models.crm_automation_step import CrmAutomationStep

from .common import TwoCursorCase

RUNS = 30
STEPS = 2


@tagged("post_install", "-at_install")
class TestAutomationConcurrency(TwoCursorCase):
    """Two workers on two real database cursors process the same backlog.

    The test transaction cannot see committed work of other cursors, so the
    data is created and removed through committed registry cursors.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            partners = env["res.partner"].create(
                [{"name": f"Concurrency {i}", "email": f"c{i}@example.org"} for i in range(RUNS)]
            )
            automation = env["crm.automation"].create(
                {
                    "name": "Concurrency test",
                    "target_model": "res.partner",
                    "user_id": env.ref("base.user_admin").id,
                    "step_ids": [
                        Command.create({"name": f"Call {n}", "action": "outreach", "delay": 0}) for n in range(STEPS)
                    ],
                }
            )
            automation._enrol(partners, "manual")
            self.partner_ids, self.automation_id = partners.ids, automation.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.automation"].browse(self.automation_id).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()

    def test_two_workers_execute_each_step_exactly_once(self):
        origin = CrmAutomationStep._execute_outreach

        def slow(step, runs, records):
            time.sleep(0.02)  # widen the window in which both workers hold batches
            return origin(step, runs, records)

        with patch.object(CrmAutomationStep, "_execute_outreach", slow):
            done = self.run_workers(lambda env: env["crm.automation.run"]._cron_process_due_runs(batch_size=4))
        self.assertEqual(sum(done), RUNS * STEPS)
        self.assertTrue(all(done), f"both workers took batches: {done}")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            runs = env["crm.automation.run"].search([("automation_id", "=", self.automation_id)])
            self.assertEqual(set(runs.mapped("state")), {"done"})
            logs = env["crm.automation.run.step"]._read_group(
                [("run_id", "in", runs.ids)], ["run_id", "step_id"], ["__count"]
            )
            self.assertEqual(len(logs), RUNS * STEPS)
            self.assertEqual({count for _run, _step, count in logs}, {1}, "each step ran exactly once")
            outreach = env["crm.outreach"].search_count([("automation_run_id", "in", runs.ids)])
            self.assertEqual(outreach, RUNS * STEPS)

    def test_crash_mid_batch_loses_and_repeats_nothing(self):
        # A worker takes a batch, executes its steps, then dies before committing.
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            Run = env["crm.automation.run"]
            batch = Run._lock_due_runs(10, Run.env.cr.now().replace(tzinfo=None))
            batch._process()
            self.assertEqual(env["crm.outreach"].search_count([("automation_run_id", "in", batch.ids)]), 10)
            cr.rollback()
        # Nothing of the batch remains, and the next worker executes it once.
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"crm_cron_commit": True})
            runs = env["crm.automation.run"].search([("automation_id", "=", self.automation_id)])
            self.assertEqual(env["crm.outreach"].search_count([("automation_run_id", "in", runs.ids)]), 0)
            self.assertEqual(set(runs.mapped("step_id.name")), {"Call 0"})
            env["crm.automation.run"]._cron_process_due_runs()
            self.assertEqual(env["crm.outreach"].search_count([("automation_run_id", "in", runs.ids)]), RUNS * STEPS)
            self.assertEqual(env["crm.automation.run.step"].search_count([("run_id", "in", runs.ids)]), RUNS * STEPS)

    def test_run_committed_by_another_worker_after_the_snapshot_is_retried(self):
        """REPEATABLE READ refuses to lock a row committed by another worker
        after this transaction's snapshot; the cron takes a fresh snapshot
        instead of failing the whole call."""
        Run = type(self.env["crm.automation.run"])
        origin = Run._lock_due_runs
        calls, refused = [], []

        def lock_after_concurrent_commit(model, limit, now):
            calls.append(limit)
            if len(calls) == 1:
                model.env.cr.execute("SELECT 1 FROM crm_automation_run LIMIT 1")  # the snapshot starts here
                with self.registry.cursor() as other:
                    other.execute(
                        "UPDATE crm_automation_run SET write_date = now() WHERE id = ("
                        " SELECT id FROM crm_automation_run WHERE automation_id = %s ORDER BY next_due, id LIMIT 1)",
                        [self.automation_id],
                    )
            try:
                return origin(model, limit, now)
            except TransactionRollbackError as e:
                refused.append(e)
                raise

        with patch.object(Run, "_lock_due_runs", lock_after_concurrent_commit), self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"crm_cron_commit": True})
            done = env["crm.automation.run"]._cron_process_due_runs(batch_size=RUNS)
        self.assertEqual(len(refused), 1, "the database refused the first lock")
        self.assertEqual(done, RUNS * STEPS)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            runs = env["crm.automation.run"].search([("automation_id", "=", self.automation_id)])
            self.assertEqual(set(runs.mapped("state")), {"done"})
