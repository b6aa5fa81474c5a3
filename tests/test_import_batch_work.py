import collections
from unittest.mock import patch

from odoo import sql_db
from odoo.models import BaseModel

from odoo.addons.phone_validation.tools import phone_validation

from .test_import import TestImportCommon, csv_bytes


class TestImportBatchWork(TestImportCommon):
    """Work an import batch does once for all its rows instead of once per
    row: phone numbers parsed once per (number, country), tags written once
    per distinct set, the client hierarchy checked once. The outcome of each
    row stays its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.Partner.create({"name": "Lote Común S.L.", "is_company": True})
        cls.people = cls.Partner.create([{"name": f"Común {n}", "email": f"comun{n}@lote.es"} for n in range(3)])
        cls.vip = cls.env["res.partner.category"].create({"name": "Común VIP"})

    def parsed(self, content):
        """(job, [(number, country code)] of every phone parse of its import)."""
        origin = phone_validation.phone_format
        calls = []

        def phone_format(number, country_code, *args, **kwargs):
            calls.append((number, country_code))
            return origin(number, country_code, *args, **kwargs)

        job = self.job(content)
        with patch.object(phone_validation, "phone_format", phone_format):
            job.action_import()
            self.env.flush_all()
        return job, calls

    def test_the_same_number_in_two_countries_reads_in_each_country_once_per_batch(self):
        header = ["Name", "Email", "Phone", "Country"]
        rows = [
            ["Nuria Paz", "nuria@paz.es", "911 234 567", "ES"],
            ["Nora Paz", "nora@paz.de", "911 234 567", "DE"],
        ]
        job, calls = self.parsed(csv_bytes([header, *rows]))
        self.assertEqual(job.count_created, 2)
        nuria, nora = (self.Partner.search([("email", "=", email)]) for email in ("nuria@paz.es", "nora@paz.de"))
        # The cache is keyed by country: the same text gives each row its own country's number.
        self.assertEqual(nuria.crm_phone_e164, "+34911234567")
        self.assertEqual(nora.crm_phone_e164, "+49911234567")
        self.assertEqual(nuria.phone_sanitized, "+34911234567")
        self.assertEqual(nora.phone_sanitized, "+49911234567")
        # Once per country, when validated: the create (the E.164 column and
        # stock's sanitized number) reads what the validation parsed.
        self.assertEqual(calls.count(("911 234 567", "ES")), 1, calls)
        self.assertEqual(calls.count(("911 234 567", "DE")), 1, calls)
        # Outside an import batch nothing is cached: a later write parses again.
        later = []
        with patch.object(
            phone_validation,
            "phone_format",
            lambda number, code, *args, **kwargs: later.append(number) or "+34911234568",
        ):
            nuria.phone = "911 234 568"
            self.env.flush_all()
        self.assertIn("911 234 568", later)
        self.assertEqual(nuria.crm_phone_e164, "+34911234568")

    def test_a_shared_tag_is_one_write_and_each_row_keeps_its_own_log(self):
        header = ["Name", "Email", "City", "Company", "Tags"]
        rows = [
            [person.name, person.email, f"Toledo {n}", self.client.name, self.vip.name]
            for n, person in enumerate(self.people)
        ]
        origin = type(self.Partner).write
        tag_writes = []

        def write(records, vals):
            if "category_id" in vals:
                tag_writes.append((records.ids, set(vals)))
            return origin(records, vals)

        job = self.job(csv_bytes([header, *rows]))
        with patch.object(type(self.Partner), "write", write):
            job.action_import()
        self.env.flush_all()
        self.assertEqual(job.count_updated, 3)
        self.assertEqual(tag_writes, [(self.people.ids, {"category_id"})], "one write of the tag for the three rows")
        log = self.env["crm.audit.log"].sudo()
        for n, person in enumerate(self.people):
            with self.subTest(person=person.name):
                self.assertEqual(person.category_id, self.vip)
                self.assertEqual((person.city, person.parent_id), (f"Toledo {n}", self.client))
                entries = log.search(
                    [("res_model", "=", "res.partner"), ("res_id", "=", person.id), ("operation", "=", "write")]
                )
                changes = {entry.field_name: entry.new_value for entry in entries}
                self.assertEqual(changes["city"], f"Toledo {n}")
                self.assertEqual(changes["category_id"], self.vip.name)
                self.assertEqual(set(entries.mapped("origin")), {"import"})
                self.assertEqual(len(entries.filtered(lambda e: e.field_name == "category_id")), 1)

    def test_the_hierarchy_is_checked_once_and_a_cycle_fails_its_row_alone(self):
        head = self.people[0]
        # A client whose parent is the contact that a row moves under it: a cycle.
        loop = self.Partner.create({"name": "Bucle S.L.", "is_company": True, "parent_id": head.id})
        header = ["Name", "Email", "Company"]
        rows = [[person.name, person.email, loop.name] for person in self.people]
        origin = type(self.Partner)._has_cycle
        checks = []

        def has_cycle(records, *args, **kwargs):
            checks.append(records.ids)
            return origin(records, *args, **kwargs)

        job = self.job(csv_bytes([header, *rows]))
        with patch.object(type(self.Partner), "_has_cycle", has_cycle):
            job.action_import()
        rows = self.rows(job)
        self.assertEqual(job.count_updated, 2)
        self.assertEqual(rows[2].state, "failed")
        self.assertIn("recursive", rows[2].error_text)
        self.assertFalse(head.parent_id)
        self.assertEqual(self.people[1:].parent_id, loop)
        self.assertEqual(rows[3].state, "updated")
        # The batch checked its three contacts in one query, then (after the
        # cycle failed it) each row was written and checked alone.
        self.assertEqual(checks[0], sorted(self.people.ids))
        self.assertEqual(sorted(checks[1:]), sorted([person.id] for person in self.people))

    def test_the_defaults_are_read_once_per_batch_and_every_contact_gets_them(self):
        self.env["ir.default"].set("res.partner", "function", "Comprador")
        origin = BaseModel.default_get
        asked = collections.Counter()

        def default_get(records, fields_list):
            if records._name == "res.partner":
                asked[tuple(sorted(fields_list))] += 1
            return origin(records, fields_list)

        header = ["Name", "Email"]
        rows = [[f"Defecto {n}", f"defecto{n}@lote.es"] for n in range(4)]
        job = self.job(csv_bytes([header, *rows]))
        with patch.object(BaseModel, "default_get", default_get):
            job.action_import()
        self.assertEqual(job.count_created, 4)
        created = self.Partner.search([("email", "=like", "defecto%@lote.es")])
        self.assertEqual(len(created), 4)
        self.assertEqual(set(created.mapped("function")), {"Comprador"})
        self.assertEqual(set(created.mapped("active")), {True})
        self.assertEqual(set(created.mapped("lang")), {"en_US"})
        # Stock's create asks the defaults of each new record (the fields its
        # values leave out, the same for all four): asked once in the batch.
        self.assertTrue(asked)
        self.assertEqual(set(asked.values()), {1}, asked)
        # Outside an import batch, stock's create asks them for each record.
        asked.clear()
        with patch.object(BaseModel, "default_get", default_get):
            others = self.Partner.create([{"name": "Fuera 1"}, {"name": "Fuera 2"}])
        self.assertEqual(max(asked.values()), 2, asked)
        self.assertEqual(set(others.mapped("function")), {"Comprador"})

    def test_a_number_matches_the_phone_or_the_mobile_of_an_active_contact(self):
        by_phone = self.Partner.create({"name": "Teléfono Fijo", "phone": "+34 915 550 101"})
        by_mobile = self.Partner.create({"name": "Teléfono Móvil", "mobile": "+34 612 550 102"})
        archived = self.Partner.create({"name": "Archivado", "phone": "+34 915 550 103", "active": False})
        header = ["Name", "Phone", "City", "Country"]
        rows = [
            ["Fijo Nuevo Nombre", "915 550 101", "Ávila", "ES"],
            ["Móvil Nuevo Nombre", "612 550 102", "Soria", "ES"],
            ["Archivado Otra Vez", "915 550 103", "Teruel", "ES"],
        ]
        job = self.job(csv_bytes([header, *rows]))
        job.action_import()
        rows = self.rows(job)
        self.assertEqual((rows[2].state, rows[2].record_id), ("updated", by_phone))
        self.assertEqual((rows[3].state, rows[3].record_id), ("updated", by_mobile))
        self.assertEqual((by_phone.city, by_mobile.city), ("Ávila", "Soria"))
        # An archived contact is no match: the row creates a contact of its own.
        self.assertEqual(rows[4].state, "created")
        self.assertNotEqual(rows[4].record_id, archived)
        self.assertFalse(archived.city)


class TestImportChunkReads(TestImportCommon):
    """Each chunk of a background job finds the rows it works on, and the
    clients its contacts belong to, through an index that holds only those
    rows: the rows already checked or written are not read again, so a
    chunk costs the same at the end of a 100k-row job as at its start."""

    maxDiff = None

    def chunk_reads(self, job, batch_size):
        """{query: (rows of crm_import_job_row it read and threw away, rows
        it read)} for the lookups of one chunk among the job's rows and for
        its progress count (not the reads of rows by id)."""
        queries = []
        origin = sql_db.Cursor.execute

        def execute(cr, query, params=None, log_exceptions=True):
            text = cr.mogrify(query, params).decode()
            flat = " ".join(text.replace('"', "").split())
            if flat.startswith("SELECT") and (
                "crm_import_job_row.job_id = " in flat or "FROM crm_import_job_row WHERE job_id = " in flat
            ):
                queries.append(text)
            return origin(cr, query, params, log_exceptions)

        with patch.object(sql_db.Cursor, "execute", execute):
            job._run_chunk(batch_size)
        self.assertTrue(queries)
        # the planner's statistics of the rows as they are now, as autovacuum keeps them on a live table
        self.env.flush_all()
        self.env.cr.execute("ANALYZE crm_import_job_row")
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        reads = {}
        for text in queries:
            self.env.cr.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {text}")
            [[plan]] = self.env.cr.fetchone()
            nodes, waste, read = [plan["Plan"]], 0, 0
            while nodes:
                node = nodes.pop()
                nodes.extend(node.get("Plans", []))
                if node.get("Relation Name") == "crm_import_job_row":
                    removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
                    waste += removed
                    read += removed + node["Actual Rows"] * node["Actual Loops"]
            reads[" ".join(text.split())] = (waste, read)
        self.env.cr.execute("SET LOCAL enable_seqscan = on")
        return reads

    def test_late_chunks_read_only_the_rows_they_work_on(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        header = ["Name", "Email", "Company"]
        rows = [[f"Fila {n}", f"fila{n}@indice.es", f"Índice {n % 3} S.L."] for n in range(24)]
        job = self.job(csv_bytes([header, *rows]))
        job.action_import()
        phases, to_do = {}, {}
        while job.state != "done":
            phase = job.phase
            # Three chunks into each phase, the rows already done lie on the way.
            for _ in range(3):
                if job.phase == phase and job.state != "done":
                    job._run_chunk(4)
            if job.phase == phase and job.state != "done":
                phases[phase] = self.chunk_reads(job, 4)
                to_do[phase] = self.env["crm.import.job.row"].search_count(
                    [("job_id", "=", job.id), ("state", "in", ("new", "valid")), ("synthetic", "=", False)]
                )
            while job.phase == phase and job.state != "done":
                job._run_chunk(4)
        self.assertEqual(job.count_created, 24, job.row_ids.mapped("error_text"))
        self.assertEqual(len(job.row_ids.record_id.parent_id), 3)
        self.assertEqual(set(phases), {"validate", "contacts"})
        for phase, reads in phases.items():
            self.assertEqual({query: waste for query, (waste, _read) in reads.items() if waste}, {}, phase)
            # the progress count reads the rows still to check or write, not every row of the job
            [progress] = [read for query, (_waste, read) in reads.items() if "count(*)" in query]
            self.assertEqual(progress, to_do[phase], phase)
        # (while contacts are written, the rows checked and written are behind)
        self.assertLess(to_do["contacts"], 24)
