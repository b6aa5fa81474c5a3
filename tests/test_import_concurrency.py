import base64
import threading
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_client_suite.models.crm_import_job import CrmImportJob

from .test_import import csv_bytes

CONTACTS = 12


@tagged("post_install", "-at_install")
class TestImportBackground(TransactionCase):
    """A large import runs from the cron in committed chunks, on real cursors.

    The test transaction cannot see committed work of other cursors, so the
    job and its contacts are created and removed through committed cursors.
    """

    def setUp(self):
        super().setUp()
        rows = [["Name", "Email", "Company"]]
        rows += [[f"Resume {i}", f"resume{i}@example.org", f"Resume Client {i % 2}"] for i in range(CONTACTS)]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = env["crm.import.job"].create({"file": base64.b64encode(csv_bytes(rows)), "file_name": "resume.csv"})
            job._load()
            job.write({"state": "queued", "phase": "validate"})
            self.job_id = job.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].search([("name", "=like", "Resume %")]).unlink()
            env["crm.import.job"].browse(self.job_id).unlink()

    def _cron(self, barrier=None, results=None, errors=None):
        try:
            with self.registry.cursor() as cr:
                # The test runner holds the registry lock: hand the registry over.
                cr.transaction = api.Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {"crm_cron_commit": True})
                if barrier:
                    barrier.wait(timeout=30)
                chunks = env["crm.import.job"]._cron_run_jobs(batch_size=4)
                if results is not None:
                    results.append(chunks)
        except Exception as e:  # reported by the main thread
            if errors is None:
                raise
            errors.append(e)

    def _state(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = env["crm.import.job"].browse(self.job_id)
            rows = job.row_ids
            partners = env["res.partner"].search([("email", "=like", "resume%@example.org")])
            clients = env["res.partner"].search([("name", "=like", "Resume Client %")])
            return job.state, sorted(rows.mapped("state")), len(partners), len(set(rows.record_id.ids)), len(clients)

    def _run_in_thread(self, *args):
        thread = threading.Thread(target=self._cron, args=args)
        thread.start()
        thread.join(timeout=120)

    @mute_logger("odoo.sql_db")
    def test_a_crashed_chunk_is_rolled_back_and_the_job_resumes_without_duplicates(self):
        origin = CrmImportJob._store_outcomes
        calls = []

        def crash_on_third_batch(job, outcomes, written=None):
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("worker killed")
            return origin(job, outcomes, written)

        errors = []
        with patch.object(CrmImportJob, "_store_outcomes", crash_on_third_batch):
            self._run_in_thread(None, None, errors)
        self.assertEqual([str(e) for e in errors], ["worker killed"])
        state, row_states, partners, _records, clients = self._state()
        self.assertEqual(state, "running", "the job stays to be resumed")
        # Clients (one chunk) and the first four contacts were committed; the
        # crashed chunk's four contacts were rolled back with their outcomes.
        self.assertEqual(clients, 2)
        self.assertEqual(partners, 4)
        self.assertEqual(row_states.count("created"), 4)
        self._run_in_thread()
        state, row_states, partners, records, clients = self._state()
        self.assertEqual(state, "done")
        self.assertEqual(row_states, ["created"] * CONTACTS)
        self.assertEqual((partners, records, clients), (CONTACTS, CONTACTS, 2), "no row imported twice or lost")

    def test_two_cron_workers_share_the_job_safely(self):
        barrier, results, errors = threading.Barrier(2), [], []
        workers = [threading.Thread(target=self._cron, args=(barrier, results, errors)) for _i in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        self.assertFalse(errors)
        state, row_states, partners, records, clients = self._state()
        self.assertEqual(state, "done")
        self.assertEqual(row_states, ["created"] * CONTACTS)
        self.assertEqual((partners, records, clients), (CONTACTS, CONTACTS, 2))

    def test_a_cancelled_job_is_not_run(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.import.job"].browse(self.job_id).action_cancel()
        self._run_in_thread()
        state, _rows, partners, _records, _clients = self._state()
        self.assertEqual((state, partners), ("cancelled", 0))

    @mute_logger("odoo.sql_db")
    def test_a_crashed_revert_chunk_is_redone_and_the_revert_finishes_once(self):
        self._run_in_thread()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "4")
            env["crm.import.job"].browse(self.job_id).action_revert()
        self.addCleanup(self._reset_threshold)
        origin = CrmImportJob._revert_created
        calls = []

        def crash_on_second_chunk(job, rows):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return origin(job, rows)

        errors = []
        with patch.object(CrmImportJob, "_revert_created", crash_on_second_chunk):
            self._run_in_thread(None, None, errors)
        self.assertEqual([str(e) for e in errors], ["worker killed"])
        state, _rows, partners, _records, clients = self._state()
        self.assertEqual((state, partners, clients), ("reverting", CONTACTS - 4, 2), "the first chunk is committed")
        self._run_in_thread()
        state, _rows, partners, _records, clients = self._state()
        self.assertEqual((state, partners, clients), ("reverted", 0, 0))
        with self.registry.cursor() as cr:
            job = api.Environment(cr, SUPERUSER_ID, {})["crm.import.job"].browse(self.job_id)
            self.assertEqual(job.revert_log, f"{CONTACTS + 2} records reverted, 0 conflicts.")

    def _reset_threshold(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2000")
