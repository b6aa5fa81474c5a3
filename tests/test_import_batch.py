from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError

from .test_import import TestImportCommon, csv_bytes


class TestImportBatchedWrites(TestImportCommon):
    """Updates of existing contacts are written as one batch: the audit log,
    the pipelines' exit checks and the ORM's search for dependent records run
    once per batch, not once per row, with the same outcome."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.Partner.create({"name": "Lote Industrial S.L.", "is_company": True})
        cls.people = cls.Partner.create([{"name": f"Lote {n}", "email": f"lote{n}@lote.es"} for n in range(12)])
        cls.AuditLog = cls.env["crm.audit.log"]

    def import_updates(self, partners, no_email=False):
        """Queries an import updating ``partners`` takes, and its job."""
        header = ["Name", "Email", "City", "Phone", "Company", "Do Not Email"]
        rows = [
            [
                partner.name,
                partner.email,
                f"City {n}",
                f"+34 612 {345000 + partner.id % 1000}",
                self.client.name,
                str(int(no_email)),
            ]
            for n, partner in enumerate(partners)
        ]
        job = self.job(csv_bytes([header, *rows]))
        self.env.flush_all()
        start = self.env.cr.sql_log_count
        job.action_import()
        self.env.flush_all()
        return self.env.cr.sql_log_count - start, job

    def log_of(self, partners):
        return self.AuditLog.sudo().search([("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)])

    def test_updating_ten_rows_costs_far_less_than_ten_single_row_imports(self):
        one, job_one = self.import_updates(self.people[:1])
        ten, job_ten = self.import_updates(self.people[1:11])
        self.assertEqual((job_one.count_updated, job_ten.count_updated), (1, 10))
        # Before batching, each updated row cost about 34 queries (11 of the
        # audit log, 15 of dependency searches, 5 of exit checks).
        self.assertLessEqual((ten - one) / 9, 12, f"one row: {one} queries, ten rows: {ten}")

    def test_the_batch_logs_each_change_once_in_one_insert(self):
        people = self.people[:3]
        origin = type(self.AuditLog)._insert
        calls = []

        def insert(log, records, operation, rows):
            calls.append((records._name, operation, len(rows)))
            return origin(log, records, operation, rows)

        with patch.object(type(self.AuditLog), "_insert", insert):
            _count, job = self.import_updates(people)
        self.assertEqual(job.count_updated, 3)
        partner_writes = [call for call in calls if call[:2] == ("res.partner", "write")]
        self.assertEqual(len(partner_writes), 1, "one INSERT for the batch's writes")
        for n, person in enumerate(people):
            entries = {entry.field_name: entry for entry in self.log_of(person) if entry.operation == "write"}
            with self.subTest(person=person.name):
                self.assertEqual((entries["city"].old_value, entries["city"].new_value), (False, f"City {n}"))
                self.assertEqual(entries["parent_id"].new_value, self.client.name)
                self.assertEqual(entries["city"].user_id, self.manager)
                self.assertEqual(entries["city"].record_name, person.name)
                self.assertEqual(entries["city"].origin, "import")

    def test_an_opt_out_exits_the_runs_of_all_rows_in_one_check(self):
        automation = (
            self.env["crm.automation"]
            .with_user(self.admin_user)
            .create(
                {
                    "name": "Lote",
                    "target_model": "res.partner",
                    "user_id": self.admin_user.id,
                    "step_ids": [Command.create({"name": "Call", "action": "outreach", "delay": 1})],
                }
            )
        )
        people = self.people[:4]
        runs = automation._enrol(people, "manual")
        self.assertEqual(set(runs.mapped("state")), {"running"})
        Run = type(self.env["crm.automation.run"])
        origin = Run._on_records_changed
        checked = []

        def on_changed(run_model, records):
            checked.append(records)
            return origin(run_model, records)

        with patch.object(Run, "_on_records_changed", on_changed):
            _count, job = self.import_updates(people, no_email=True)
        self.assertEqual(job.count_updated, 4)
        partner_checks = [records for records in checked if records._name == "res.partner"]
        self.assertEqual(len(partner_checks), 1, "the exit conditions are checked once for the batch")
        self.assertEqual(partner_checks[0], people)
        self.assertEqual({(run.state, run.exit_reason) for run in runs}, {("exited", "optout")})

    def test_records_depending_on_the_updated_contacts_are_recomputed(self):
        person = self.people[0]
        colleague = self.Partner.create({"name": "Colega", "parent_id": self.client.id})
        deal = self.env["crm.lead"].create({"name": "Deal", "partner_id": person.id})
        self.assertEqual(deal.email_from, person.email)
        job = self.Job.create({"file_name": "none.csv"})
        job._write_batch([(person, {"email": "nuevo@lote.es"}), (self.client, {"name": "Lote Renombrado S.L."})])
        self.assertEqual(deal.email_from, "nuevo@lote.es")
        self.assertEqual(colleague.commercial_company_name, "Lote Renombrado S.L.")
        self.assertEqual(colleague.display_name, "Lote Renombrado S.L., Colega")

    def test_a_failing_row_keeps_the_batch_and_its_log_for_the_others(self):
        good, bad = self.people[:2]
        origin = type(self.Partner).write

        def refuse_bad(records, vals):
            if bad in records and vals.get("city"):
                raise UserError(records.env._("Locked record"))
            return origin(records, vals)

        with patch.object(type(self.Partner), "write", refuse_bad):
            _count, job = self.import_updates(good | bad)
        rows = self.rows(job)
        self.assertEqual((rows[2].state, good.city), ("updated", "City 0"))
        self.assertEqual((rows[3].state, rows[3].error_text, bad.city), ("failed", "Locked record", False))
        self.assertIn("city", self.log_of(good).mapped("field_name"))
        self.assertNotIn("city", self.log_of(bad).mapped("field_name"), "a rolled back write is not logged")

    def test_the_revert_of_updates_is_one_batch_too(self):
        people = self.people[:3]
        _count, job = self.import_updates(people)
        origin = type(self.AuditLog)._insert
        calls = []

        def insert(log, records, operation, rows):
            calls.append((records._name, operation))
            return origin(log, records, operation, rows)

        with patch.object(type(self.AuditLog), "_insert", insert):
            job.action_revert()
        self.assertEqual(job.state, "reverted")
        self.assertEqual(people.mapped("city"), [False] * 3)
        self.assertFalse(people.parent_id)
        self.assertEqual(calls.count(("res.partner", "write")), 1)
        reverted = [
            entry
            for person in people
            for entry in self.log_of(person)
            if entry.operation == "write" and entry.field_name == "city" and entry.old_value
        ]
        self.assertEqual(len(reverted), 3)
        self.assertEqual({entry.origin for entry in reverted}, {"import"})


class TestAuditBatch(TestImportCommon):
    """The audit mixin's batch: the same log as one write per record."""

    def test_a_batch_logs_the_net_change_and_lets_other_records_log_alone(self):
        first, second, outside = self.Partner.create([{"name": "Uno"}, {"name": "Dos"}, {"name": "Fuera"}])
        batch = first | second
        with batch._crm_audit_batch(["city"]):
            first.write({"city": "Ávila"})
            first.write({"city": "Burgos"})
            second.write({"street": "Calle Real 2"})
            outside.write({"city": "Soria"})
        log = (
            self.env["crm.audit.log"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("operation", "=", "write"),
                    ("res_id", "in", (batch | outside).ids),
                ]
            )
        )
        changes = {(entry.res_id, entry.field_name, entry.old_value, entry.new_value) for entry in log}
        self.assertEqual(
            changes,
            {
                (first.id, "city", False, "Burgos"),
                (second.id, "street", False, "Calle Real 2"),
                (outside.id, "city", False, "Soria"),
            },
        )

    def test_a_batch_that_raises_logs_nothing(self):
        record = self.Partner.create({"name": "Tres"})
        with self.assertRaisesRegex(UserError, "stop"), self.env.cr.savepoint():
            with record._crm_audit_batch(["city"]):
                record.write({"city": "León"})
                raise UserError(self.env._("stop"))
        log = self.env["crm.audit.log"].sudo().search([("res_id", "=", record.id), ("operation", "=", "write")])
        self.assertFalse(log)
