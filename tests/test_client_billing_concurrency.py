import time
from datetime import date
from unittest.mock import patch

from psycopg2.extensions import TransactionRollbackError

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from odoo.addons.crm_client_suite.models.crm_time_invoicing import CrmTimeInvoicing
from odoo.addons.crm_client_suite.models.crm_time_summary import CrmTimeSummary

from .common import TwoCursorCase

CLIENTS = 12
LINES = 3
PERIOD_END = date(2026, 11, 22)


@tagged("post_install", "-at_install")
class TestClientBillingConcurrency(TwoCursorCase):
    """Two workers on two real database cursors invoice the same clients.

    The test transaction cannot see committed work of other cursors, so the
    data is created and removed through committed registry cursors (as in
    test_automation_concurrency.py).
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "crm_no_client_project": True})
            clients = env["res.partner"].create(
                [{"name": f"Concurrent Client {i}", "is_company": True} for i in range(CLIENTS)]
            )
            projects = clients._crm_ensure_client_project()
            employee = env["hr.employee"].create({"name": "Concurrent Employee"})
            lines = env["account.analytic.line"].create(
                [
                    {
                        "name": f"Work {n}",
                        "project_id": project.id,
                        "employee_id": employee.id,
                        "unit_amount": 1.0,
                        "date": date(2026, 11, 16 + n),
                    }
                    for project in projects
                    for n in range(LINES)
                ]
            )
            self.client_ids, self.project_ids = clients.ids, projects.ids
            self.line_ids, self.employee_id = lines.ids, employee.id
            self.account_ids = projects.account_id.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["account.move"].search([("partner_id", "in", self.client_ids)]).unlink()
            env["account.analytic.line"].browse(self.line_ids).unlink()
            env["project.project"].browse(self.project_ids).unlink()
            env["account.analytic.account"].browse(self.account_ids).exists().unlink()
            env["hr.employee"].browse(self.employee_id).unlink()
            env["res.partner"].browse(self.client_ids).unlink()

    def _billing(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            moves = env["account.move"].search([("partner_id", "in", self.client_ids)])
            lines = env["account.analytic.line"].browse(self.line_ids)
            per_client = {
                client.id: count
                for client, count in env["account.move"]._read_group(
                    [("id", "in", moves.ids)], ["partner_id"], ["__count"]
                )
            }
            return (
                len(moves),
                per_client,
                lines.mapped("crm_invoice_line_id.move_id").ids,
                all(lines.crm_invoice_line_id),
            )

    def _invoice(self, env):
        moves, failures = env["crm.time.invoicing"]._invoice_time(PERIOD_END, client_ids=self.client_ids, batch_size=2)
        return len(moves), len(failures)

    def test_two_workers_bill_each_line_exactly_once(self):
        origin = CrmTimeInvoicing._create_invoices

        def slow(model, prepared):
            time.sleep(0.05)  # widen the window in which both workers hold batches
            return origin(model, prepared)

        with patch.object(CrmTimeInvoicing, "_create_invoices", slow):
            done = self.run_workers(self._invoice)
        self.assertEqual(sum(moves for moves, _failures in done), CLIENTS)
        self.assertTrue(all(moves for moves, _failures in done), f"both workers took clients: {done}")
        count, per_client, billed_by, all_billed = self._billing()
        self.assertEqual(count, CLIENTS)
        self.assertEqual(set(per_client.values()), {1}, "one invoice per client")
        self.assertTrue(all_billed)
        self.assertEqual(len(billed_by), CLIENTS)
        # A rerun finds nothing left.
        self.assertEqual(self.run_workers(self._invoice, count=1), [(0, 0)])

    def test_time_billed_by_another_worker_after_the_snapshot_is_retried(self):
        """REPEATABLE READ refuses to lock time that another worker billed and
        committed after this snapshot; the run takes a fresh snapshot instead
        of failing, and bills nothing twice."""
        lock_clients_origin = CrmTimeInvoicing._lock_due_clients
        lock_lines_origin = CrmTimeInvoicing._lock_unbilled_lines
        calls, refused = [], []
        first_client = self.client_ids[0]

        def lock_clients_after_concurrent_billing(model, *args, **kwargs):
            calls.append(args)
            if len(calls) == 1:
                model.env.cr.execute("SELECT 1 FROM account_analytic_line LIMIT 1")  # the snapshot starts here
                with self.registry.cursor() as other:
                    other_env = api.Environment(other, SUPERUSER_ID, {})
                    other_env["crm.time.invoicing"]._invoice_time(PERIOD_END, client_ids=[first_client])
            return lock_clients_origin(model, *args, **kwargs)

        def lock_lines(model, clients, period_end):
            try:
                return lock_lines_origin(model, clients, period_end)
            except TransactionRollbackError as e:
                refused.append(e)
                raise

        with (
            patch.object(CrmTimeInvoicing, "_lock_due_clients", lock_clients_after_concurrent_billing),
            patch.object(CrmTimeInvoicing, "_lock_unbilled_lines", lock_lines),
            self.registry.cursor() as cr,
        ):
            env = api.Environment(cr, SUPERUSER_ID, {"crm_cron_commit": True})
            moves, _failures = env["crm.time.invoicing"]._invoice_time(
                PERIOD_END, client_ids=self.client_ids, batch_size=CLIENTS
            )
            moves_count = len(moves)
        self.assertEqual(len(refused), 1, "the database refused the first lock")
        self.assertEqual(moves_count, CLIENTS - 1, "the other worker's client is not billed again")
        count, per_client, _billed_by, all_billed = self._billing()
        self.assertEqual(count, CLIENTS)
        self.assertEqual(set(per_client.values()), {1})
        self.assertTrue(all_billed)


@tagged("post_install", "-at_install")
class TestTimeSummaryConcurrency(TwoCursorCase):
    """Two workers send the weekly time summaries of the same clients."""

    def setUp(self):
        super().setUp()
        with self.committed_env({"tracking_disable": True, "crm_no_client_project": True}) as env:
            company = env.company
            self.was_on = company.crm_time_summary_weekly
            company.crm_time_summary_weekly = True
            clients = env["res.partner"].create(
                [{"name": f"Summary Client {i}", "is_company": True} for i in range(CLIENTS)]
            )
            contacts = env["res.partner"].create(
                [
                    {
                        "name": f"Summary Contact {i}",
                        "parent_id": client.id,
                        "email": f"summary{i}@example.com",
                        "crm_time_summary_optin": True,
                    }
                    for i, client in enumerate(clients)
                ]
            )
            projects = clients._crm_ensure_client_project()
            employee = env["hr.employee"].create({"name": "Summary Employee"})
            lines = env["account.analytic.line"].create(
                [
                    {
                        "name": "Work",
                        "project_id": project.id,
                        "employee_id": employee.id,
                        "unit_amount": 2.0,
                        "date": date(2026, 11, 17),
                    }
                    for project in projects
                ]
            )
            self.company_id = company.id
            self.client_ids, self.contact_ids, self.project_ids = clients.ids, contacts.ids, projects.ids
            self.line_ids, self.employee_id = lines.ids, employee.id
            self.account_ids = projects.account_id.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "in", self.client_ids)]).unlink()
            env["account.analytic.line"].browse(self.line_ids).unlink()
            env["project.project"].browse(self.project_ids).unlink()
            env["account.analytic.account"].browse(self.account_ids).exists().unlink()
            env["hr.employee"].browse(self.employee_id).unlink()
            env["res.partner"].browse(self.contact_ids + self.client_ids).unlink()
            env["res.company"].browse(self.company_id).crm_time_summary_weekly = self.was_on

    def _send(self, env):
        sent = env["crm.time.summary"]._send_time_summaries(date(2026, 11, 16), PERIOD_END, batch_size=2)
        return len(sent & env["res.partner"].browse(self.client_ids))

    def test_two_workers_send_each_summary_exactly_once(self):
        origin = CrmTimeSummary._send_batch

        def slow(model, clients, start, end):
            time.sleep(0.05)  # both workers hold batches at once
            return origin(model, clients, start, end)

        with patch.object(CrmTimeSummary, "_send_batch", slow):
            done = self.run_workers(self._send)
        self.assertEqual(sum(done), CLIENTS)
        self.assertTrue(all(done), f"both workers took clients: {done}")
        with self.committed_env() as env:
            mails = env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "in", self.client_ids)])
            self.assertEqual(sorted(mails.mapped("res_id")), sorted(self.client_ids), "one email per client")
        self.assertEqual(self.run_workers(self._send, count=1), [0], "a rerun sends nothing")
