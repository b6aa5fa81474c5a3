import base64
import csv
import io
import zipfile
from unittest.mock import patch

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.crm_client_suite.models import crm_import_job
from odoo.addons.crm_client_suite.models.crm_import_file import CrmImportFileError, detect_separator

from .common import CrmClientSuiteCommon

GERMAN_HEADERS = ["Vorname", "Nachname", "E-Mail", "Firma", "Telefon", "Land", "Schlagworte"]


def csv_bytes(rows, separator=",", encoding="utf-8"):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=separator).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestImportCommon(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spain = cls.env.ref("base.es")
        cls.germany = cls.env.ref("base.de")
        cls.env.company.country_id = cls.spain
        cls.Job = cls.env["crm.import.job"].with_user(cls.manager)
        cls.Partner = cls.env["res.partner"]

    def job(self, content, name="contacts.csv", user=None, **values):
        Job = self.Job.with_user(user) if user else self.Job
        job = Job.create({"file": base64.b64encode(content), "file_name": name, **values})
        job.action_load()
        return job

    def targets(self, job):
        return {column.header: column.target for column in job.column_ids}

    def rows(self, job):
        return {row.row_number: row for row in job.row_ids}


class TestImportFile(TestImportCommon):
    def test_cp1252_semicolon_german_headers_are_detected_and_mapped(self):
        content = csv_bytes(
            [
                GERMAN_HEADERS,
                ["Jürgen", "Müller", "j.mueller@example.de", "Bäckerei Groß GmbH", "030 1234567", "Deutschland", "VIP"],
            ],
            separator=";",
            encoding="cp1252",
        )
        job = self.job(content)
        self.assertEqual(job.encoding, "cp1252")
        self.assertEqual(job.encoding_detected, "cp1252")
        self.assertEqual(job.separator, ";")
        self.assertEqual(
            self.targets(job),
            {
                "Vorname": "first_name",
                "Nachname": "last_name",
                "E-Mail": "email",
                "Firma": "company",
                "Telefon": "phone",
                "Land": "country",
                "Schlagworte": "tags",
            },
        )
        self.assertIn("Müller", job.preview)
        self.assertEqual(job.row_count, 1)

    def test_spanish_headers_and_utf8_bom(self):
        content = b"\xef\xbb\xbf" + csv_bytes(
            [
                ["Nombre", "Apellido", "Correo electrónico", "Empresa", "Teléfono", "País"],
                ["Ana", "Núñez", "", "", "", ""],
            ]
        )
        job = self.job(content)
        self.assertEqual(job.encoding, "utf-8-sig")
        self.assertEqual(
            list(self.targets(job).values()), ["first_name", "last_name", "email", "company", "phone", "country"]
        )
        self.assertEqual(job.row_ids.data[:2], ["Ana", "Núñez"])

    def test_user_overrides_the_encoding_and_the_job_records_it(self):
        content = csv_bytes([["Name", "City"], ["Zoë", "Köln"]], encoding="utf-8")
        job = self.job(content)
        self.assertEqual(job.encoding, "utf-8")
        job.encoding = "latin-1"
        job.action_load()
        self.assertEqual(job.encoding, "latin-1")
        self.assertEqual(job.encoding_detected, "utf-8")
        self.assertEqual(job.row_ids.data, ["ZoÃ«", "KÃ¶ln"])

    def test_separator_detection_tolerates_ragged_rows(self):
        sample = "name;email;city\nA;a@x.es;Madrid\nB, Jr.;b@x.es\nC;c@x.es;Bilbao;extra\nD;d@x.es;Sevilla\n"
        self.assertEqual(detect_separator(sample), ";")
        self.assertEqual(detect_separator("a\tb\tc\n1\t2\t3\n4\t5\n"), "\t")
        self.assertEqual(detect_separator("a|b\n1|2\n"), "|")

    def test_xlsx_read_only_with_sheet_choice(self):
        content = xlsx_bytes(
            {"Notes": [["nothing"]], "Contacts": [["Name", "Email"], ["Lena Vogel", "lena@example.de"]]}
        )
        job = self.Job.create({"file": base64.b64encode(content), "file_name": "book.xlsx", "sheet": "Contacts"})
        job.action_load()
        self.assertEqual(job.file_format, "xlsx")
        self.assertEqual(job.sheet_names, "Notes, Contacts")
        self.assertEqual(job.row_ids.data, ["Lena Vogel", "lena@example.de"])
        job.sheet = "Missing"
        with self.assertRaisesRegex(UserError, "The workbook has no sheet Missing"):
            job.action_load()

    def test_template_is_reused_when_headers_match(self):
        content = csv_bytes([["Kontakt", "Mail"], ["Lena Vogel", "lena@example.de"]])
        job = self.job(content)
        self.assertEqual(self.targets(job), {"Kontakt": False, "Mail": "email"})
        job.column_ids.filtered(lambda c: c.header == "Kontakt").target = "name"
        job.action_save_template()
        other = self.job(csv_bytes([["kontakt", "mail"], ["Max Paul", "max@example.de"]]))
        self.assertEqual(other.template_id, job.template_id)
        self.assertEqual(self.targets(other), {"kontakt": "name", "mail": "email"})

    def test_custom_field_suggested_by_its_label_in_each_language(self):
        field = (
            self.env["crm.custom.field"]
            .with_user(self.admin_user)
            .create({"name": "Segment", "key": "segment", "model": "res.partner", "field_type": "char"})
        )
        self.env["res.lang"]._activate_lang("es_ES")
        field.with_context(lang="es_ES").name = "Segmento"
        job = self.job(csv_bytes([["Name", "Segmento", "segment"], ["Lena", "Retail", "Retail"]]))
        self.assertEqual(self.targets(job)["Segmento"], "x_segment")
        self.assertFalse(self.targets(job)["segment"], "one column per target")
        job.action_import()
        self.assertEqual(job.row_ids.record_id.x_segment, "Retail")


class TestImportBadFiles(TestImportCommon):
    def assertRefused(self, content, name, message):
        count = self.Partner.search_count([])
        with self.assertRaisesRegex(CrmImportFileError, message):
            self.job(content, name)
        self.assertEqual(self.Partner.search_count([]), count)

    @mute_logger("odoo.tools.mimetypes", "py.warnings")
    def test_each_bad_file_is_refused_with_its_reason(self):
        header = csv_bytes([["Name", "Email"]])
        cases = [
            (b"", "a.csv", "The file is empty"),
            (header, "a.csv", "only a header"),
            (b"name\nx\n", "a.pdf", r"Only \.csv, \.txt, \.xlsx and \.xls"),
            (header + b"A,a@x.es\n", "a.xlsx", r"does not match its extension \.xlsx"),
            (b"PK\x03\x04garbage" * 10, "a.xlsx", "damaged"),
            (xlsx_bytes({"S": [["a"]]}), "a.xlsm", "Macro-enabled"),
            (bytes(range(1, 32)) * 200, "a.csv", "binary data"),
            (b"Name,Email\nA\x00,b\n", "a.csv", "NUL bytes"),
            (b'Name,Email\n"A,b@x.es\n', "a.csv", "quote that is never closed"),
            ("Name\nJosé\n".encode() + "Müller\n".encode("cp1252"), "a.csv", "mixes several text encodings"),
            (csv_bytes([[f"c{i}" for i in range(10000)], ["x"] * 10000]), "a.csv", "10000 columns"),
        ]
        for content, name, message in cases:
            with self.subTest(message=message):
                self.assertRefused(content, name, message)

    @mute_logger("odoo.tools.mimetypes", "py.warnings")
    def test_xlsx_zip_bomb_dtd_and_macros_are_refused(self):
        def archive(members):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in members.items():
                    zf.writestr(name, data)
            return buffer.getvalue()

        types = '<?xml version="1.0"?><Types/>'
        bomb = archive({"[Content_Types].xml": types, "xl/sheet.xml": b"0" * (20 * 1024 * 1024)})
        self.assertRefused(bomb, "bomb.xlsx", "unpacks to far more data")
        dtd = archive(
            {
                "[Content_Types].xml": types,
                "xl/workbook.xml": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            }
        )
        self.assertRefused(dtd, "dtd.xlsx", "DTD or external entities")
        macro = archive({"[Content_Types].xml": types, "xl/vbaProject.bin": b"\x00" * 10})
        self.assertRefused(macro, "macro.xlsx", "Macro-enabled")

    def test_size_cap_is_a_setting(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_max_mb", "1")
        content = csv_bytes([["Name"]] + [["x" * 100]] * 12000)
        self.assertRefused(content, "big.csv", "larger than 1 MB")


class TestImportRun(TestImportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.existing = cls.Partner.create(
            {"name": "Sofía Ortega", "email": "Sofia.Ortega@Example.es", "parent_id": cls.client_a.id}
        )

    def contacts_file(self):
        return csv_bytes(
            [
                ["Vorname", "Nachname", "E-Mail", "Firma", "Telefon", "Land", "Schlagworte"],
                ["Jürgen", "Müller", "j.mueller@example.de", "Bäckerei Groß GmbH", "'030 1234567", "DE", "VIP"],
                ["Anna", "Schmidt", "anna.example.de", "Bäckerei Groß GmbH", "", "Deutschland", ""],
                ["Sofía", "Ortega", "sofia.ortega@example.es", "", "600 111 222", "España", ""],
                ["Pedro", "Ruiz", "pedro@example.es", "Construcciones Ibéricas S.L.", "", "Atlantis", ""],
                ["JÜRGEN", "MÜLLER", "J.Mueller@Example.de", "Bäckerei Groß GmbH", "", "", "Kunde"],
            ],
            separator=";",
            encoding="cp1252",
        )

    def test_test_run_reports_everything_and_writes_nothing(self):
        job = self.job(self.contacts_file())
        count = self.Partner.search_count([])
        job.action_test()
        self.assertEqual(self.Partner.search_count([]), count, "a test run writes no contact")
        self.assertEqual(job.state, "tested")
        rows = self.rows(job)
        self.assertEqual(rows[2].plan, "create")
        self.assertEqual(rows[3].plan, "fail")
        self.assertEqual(rows[3].error_text, "E-Mail: anna.example.de is not a valid email.")
        self.assertEqual(rows[4].plan, "update", "matches by normalised email")
        self.assertEqual(rows[5].plan, "fail")
        self.assertEqual(rows[5].error_text, "Land: Unknown country: Atlantis.")
        self.assertEqual(rows[6].plan, "merge", "same email as row 2, other case")
        self.assertEqual(
            (job.plan_create, job.plan_update, job.plan_fail, job.plan_merge, job.plan_skip, job.plan_review),
            (1, 1, 2, 1, 0, 0),
        )

    def test_import_creates_clients_once_links_contacts_and_logs_each_row(self):
        job = self.job(self.contacts_file())
        job.action_import()
        self.assertEqual(job.state, "done")
        rows = self.rows(job)
        juergen = rows[2].record_id
        self.assertEqual(juergen.name, "Jürgen Müller")
        self.assertEqual(juergen.phone, "030 1234567", "the leading quote is stripped, the raw value kept")
        self.assertEqual(juergen.crm_phone_e164, "+49301234567", "read in the row's country")
        self.assertEqual(juergen.country_id, self.germany)
        client = juergen.parent_id
        self.assertEqual(client.name, "Bäckerei Groß GmbH")
        self.assertTrue(client.is_company)
        self.assertEqual(self.Partner.search_count([("name", "=", "Bäckerei Groß GmbH")]), 1)
        self.assertEqual(sorted(juergen.category_id.mapped("name")), ["Kunde", "VIP"], "merged from the duplicate row")
        self.assertEqual(rows[6].state, "merged")
        self.assertEqual(rows[6].record_id, juergen)
        self.assertEqual(rows[4].state, "updated")
        self.assertEqual(rows[4].record_id, self.existing)
        self.assertEqual(self.existing.phone, "600 111 222")
        self.assertEqual(rows[3].state, "failed")
        self.assertEqual((job.count_created, job.count_updated, job.count_failed, job.count_merged), (1, 1, 2, 1))

    def test_flagged_duplicates_go_to_review(self):
        job = self.job(self.contacts_file(), duplicates="flag")
        job.action_import()
        row = self.rows(job)[6]
        self.assertEqual(row.state, "review")
        self.assertEqual(row.error_text, "Same person as row 2")
        self.assertEqual(self.rows(job)[2].record_id.category_id.mapped("name"), ["VIP"])

    def test_modes(self):
        content = csv_bytes(
            [["Name", "Email", "City"], ["Sofía Ortega", "sofia.ortega@example.es", "Toledo"], ["Nuevo", "n@x.es", ""]]
        )
        self.existing.city = "Madrid"
        expectations = {
            "create": ("created", "created", "Madrid"),
            "skip": ("skipped", "created", "Madrid"),
            "update": ("updated", "skipped", "Toledo"),
            "fill": ("updated", "created", "Madrid"),
            "create_update": ("updated", "created", "Toledo"),
        }
        for mode, (first, second, city) in expectations.items():
            with self.subTest(mode=mode):
                self.existing.city = "Madrid"
                self.Partner.search([("email", "=", "n@x.es")]).unlink()
                job = self.job(content, mode=mode)
                job.action_import()
                rows = self.rows(job)
                self.assertEqual((rows[2].state, rows[3].state), (first, second))
                self.assertEqual(self.existing.city, city)
                job.row_ids.filtered(lambda r: r.state == "created").record_id.unlink()

    def test_several_matches_go_to_review(self):
        self.Partner.create({"name": "Twin", "email": "twin@example.es"})
        self.Partner.create({"name": "Twin 2", "email": "twin@example.es"})
        job = self.job(csv_bytes([["Name", "Email"], ["Twin", "twin@example.es"]]))
        job.action_import()
        self.assertEqual(job.row_ids.state, "review")
        self.assertEqual(job.row_ids.error_text, "Matches several existing records.")
        self.assertFalse(job.row_ids.record_id)

    @mute_logger("odoo.addons.crm_client_suite.models.crm_import_job")
    def test_a_bad_row_never_aborts_the_others(self):
        content = csv_bytes(
            [["Name", "Email", "Country", "VAT"], ["Good", "g@x.es", "ES", ""], ["Bad VAT", "b@x.es", "ES", "ES123"]]
        )
        job = self.job(content)
        job.action_import()
        rows = self.rows(job)
        self.assertEqual(rows[2].state, "created")
        self.assertEqual(rows[3].state, "failed")
        self.assertIn("VAT", rows[3].error_text)

    def test_imported_contacts_are_enrolled_by_the_automation_observer(self):
        automation = self.env["crm.automation"].create(
            {
                "name": "Welcome",
                "target_model": "res.partner",
                "trigger_create": True,
                "step_ids": [Command.create({"name": "Call", "action": "outreach", "delay": 0})],
            }
        )
        job = self.job(csv_bytes([["Name", "Email"], ["Lena", "lena@x.de"], ["Max", "max@x.de"]]))
        job.action_import()
        runs = self.env["crm.automation.run"].search([("automation_id", "=", automation.id)])
        self.assertEqual(runs.partner_id, job.row_ids.record_id)

    def test_error_file_keeps_the_dialect_with_row_and_reason(self):
        job = self.job(self.contacts_file())
        job.action_import()
        action = job.action_download_errors()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        self.assertEqual(attachment.name, "contacts-errors.csv")
        lines = list(csv.reader(io.StringIO(attachment.raw.decode("cp1252")), delimiter=";"))
        self.assertEqual(lines[0], [*GERMAN_HEADERS, "Row", "Reason"])
        self.assertEqual(lines[1][-2:], ["3", "E-Mail: anna.example.de is not a valid email."])
        self.assertEqual(lines[2][-2:], ["5", "Land: Unknown country: Atlantis."])
        self.assertEqual(lines[2][3], "Construcciones Ibéricas S.L.")

    def test_revert_deletes_restores_and_lists_conflicts_once(self):
        content = csv_bytes(
            [
                ["Name", "Email", "Company", "City"],
                ["Sofía Ortega", "sofia.ortega@example.es", "", "Toledo"],
                ["Kept By Deal", "deal@x.es", "Nueva S.A.", ""],
                ["Changed Later", "changed@x.es", "Nueva S.A.", ""],
                ["Gone", "gone@x.es", "Otra S.L.", ""],
            ]
        )
        self.existing.city = "Madrid"
        job = self.job(content)
        job.action_import()
        rows = self.rows(job)
        self.env["crm.lead"].create({"name": "Deal", "partner_id": rows[3].record_id.id})
        rows[4].record_id.email = "changed.again@x.es"
        gone, other = rows[5].record_id, rows[5].record_id.parent_id
        nueva = rows[3].record_id.parent_id
        job.action_revert()
        self.assertEqual(job.state, "reverted")
        self.assertEqual(self.existing.city, "Madrid", "the overwritten value is restored")
        self.assertFalse(gone.exists())
        self.assertFalse(other.exists(), "a client created by the job, with no other contact, goes too")
        self.assertTrue(nueva.exists(), "still the client of kept contacts")
        self.assertEqual(rows[3].error_text, "Used by a deal.")
        self.assertEqual(rows[4].error_text, "Changed since the import.")
        self.assertIn("conflicts", job.revert_log)
        with self.assertRaisesRegex(UserError, "only once"):
            job.action_revert()

    def test_revert_keeps_an_update_changed_again(self):
        job = self.job(csv_bytes([["Email", "City"], ["sofia.ortega@example.es", "Toledo"]]))
        job.action_import()
        self.existing.city = "Cuenca"
        job.action_revert()
        self.assertEqual(self.existing.city, "Cuenca")
        self.assertEqual(job.row_ids.error_text, "Changed again since the import.")

    def test_revert_goes_past_a_custom_field_deleted_since(self):
        field = (
            self.env["crm.custom.field"]
            .with_user(self.admin_user)
            .create({"name": "Segment", "key": "segment", "model": "res.partner", "field_type": "char"})
        )
        self.existing.city = "Madrid"
        content = csv_bytes(
            [
                ["Name", "Email", "Segment", "City"],
                ["Lena", "lena@x.de", "Retail", ""],
                ["", self.existing.email, "B2B", "Toledo"],
            ]
        )
        job = self.job(content)
        job.action_import()
        lena = self.rows(job)[2].record_id
        self.assertEqual((lena.x_segment, self.existing.x_segment, self.existing.city), ("Retail", "B2B", "Toledo"))
        # A custom field is deleted once it holds no value (else archived).
        (lena | self.existing).x_segment = False
        field.with_user(self.admin_user).unlink()
        self.assertNotIn("x_segment", self.env["res.partner"]._fields)
        job.action_revert()
        self.assertEqual(job.revert_log, "2 records reverted, 0 conflicts.")
        self.assertFalse(lena.exists())
        self.assertEqual(self.existing.city, "Madrid", "the other overwritten values are restored")

    def test_revert_compares_every_kind_of_imported_value(self):
        """In the import's own transaction the write date stays the same:
        the revert compares the values it wrote (links, tags, choices,
        flags, text, and the client's company-dependent terms a contact
        takes) with today's, and an empty one with an empty one."""
        header = ["Name", "Email", "Firma", "Schlagworte", "Role", "Land", "Do Not Email", "City"]
        content = csv_bytes(
            [header]
            + [
                [name, f"{n}@x.es", "Nueva S.A.", "VIP", "technical", "ES", "no", "Toledo"]
                for n, name in enumerate("ABCDEFGH")
            ]
        )
        job = self.job(content)
        job.action_import()
        rows = {number: row for number, row in self.rows(job).items() if row.kind == "contact"}
        contacts = [row.record_id for _number, row in sorted(rows.items())]
        self.assertTrue(all(contacts) and len(contacts) == 8)
        contacts[0].category_id |= self.env["res.partner.category"].create({"name": "Plus"})
        contacts[1].crm_role_category = "administrative"
        contacts[2].country_id = self.germany
        contacts[3].crm_no_email = True
        contacts[4].city = "Ávila"
        contacts[5].country_id = False
        contacts[6].property_payment_term_id = self.env.ref("account.account_payment_term_30days")
        # Written again with the values it holds: unchanged.
        contacts[7].write({"city": "Toledo", "crm_role_category": "technical", "crm_no_email": False})
        job.action_revert()
        self.assertEqual(
            [row.error_text for _number, row in sorted(rows.items())],
            ["Changed since the import."] * 7 + [""],
        )
        self.assertEqual([bool(contact.exists()) for contact in contacts], [True] * 7 + [False])


class TestImportRights(TestImportCommon):
    def test_contributors_and_guests_cannot_reach_the_import(self):
        content = base64.b64encode(csv_bytes([["Name"], ["X"]]))
        for user in (self.contributor, self.guest):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["crm.import.job"].with_user(user).create({"file": content, "file_name": "a.csv"})
                with self.assertRaises(AccessError):
                    self.env["crm.import.job"].with_user(user).search([])
                with self.assertRaises(AccessError):
                    self.env["crm.import.job.row"].with_user(user).search([])

    def test_a_job_is_visible_to_its_author_and_admins_only(self):
        job = self.job(csv_bytes([["Name"], ["X"]]))
        self.assertEqual(self.env["crm.import.job"].with_user(self.manager_b).search([]), self.env["crm.import.job"])
        self.assertFalse(self.env["crm.import.job.row"].with_user(self.manager_b).search([("job_id", "=", job.id)]))
        with self.assertRaises(AccessError):
            job.with_user(self.manager_b).action_import()
        self.assertEqual(self.env["crm.import.job"].with_user(self.admin_user).search([]), job)
        self.assertEqual(len(job.with_user(self.admin_user).row_ids), 1)

    def test_a_manager_imports_contacts_of_a_client_and_reverts(self):
        job = self.job(csv_bytes([["Name", "Company"], ["Lena Vogel", "Vogel GmbH"], ["Max Paul", "Vogel GmbH"]]))
        job.action_import()
        self.assertEqual(job.count_created, 2, job.row_ids.mapped("error_text"))
        self.assertEqual(job.row_ids.record_id.parent_id.name, "Vogel GmbH")
        job.action_revert()
        self.assertFalse(job.row_ids.record_id.exists())


class TestImportQueue(TestImportCommon):
    def test_a_file_above_the_threshold_runs_in_the_background(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        job = self.job(csv_bytes([["Name"], ["A"], ["B"], ["C"]]))
        job.action_import()
        self.assertEqual(job.state, "queued")
        self.assertFalse(job.row_ids.record_id)
        self.env["crm.import.job"]._cron_run_jobs(batch_size=2)
        self.assertEqual(job.state, "done")
        self.assertEqual(job.row_ids.record_id.mapped("name"), ["A", "B", "C"])
        self.assertEqual(job.progress, 100.0)

    def test_in_file_duplicates_take_their_outcome_in_bounded_chunks(self):
        """A file of mostly duplicates must not hold one transaction for all
        of them: each chunk resolves at most ``RESOLVE_BATCH``."""
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        job = self.job(csv_bytes([["Name", "Email"], ["Lena Vogel", "lena@x.de"]] + [["LENA VOGEL", "LENA@X.DE"]] * 5))
        job.action_import()
        merged = []
        with patch.object(crm_import_job, "RESOLVE_BATCH", 2):
            while job.state != "done" and len(merged) < 20:
                job._run_chunk(500)
                count = len(job.row_ids.filtered(lambda row: row.state == "merged"))
                if not merged or merged[-1] != count:
                    merged.append(count)
        self.assertEqual(merged, [0, 2, 4, 5])
        self.assertEqual(job.count_merged, 5)
        self.assertEqual(len(job.row_ids.record_id), 1, "all the same contact")

    def test_in_file_dedupe_compares_one_key_per_chunk(self):
        """Each key's statement reads the whole file: one per chunk, each
        committed, so no transaction holds them all."""
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        content = csv_bytes(
            [
                ["Name", "Email", "Telefon"],
                ["Lena Vogel", "lena@x.es", "600 111 222"],
                ["Lena V.", "LENA@X.ES", ""],
                ["Max Ruiz", "max@x.es", "600111222"],
            ]
        )
        job = self.job(content)
        job.action_import()
        rows = self.rows(job)
        seen = []
        while job.phase == "validate" and len(seen) < 20:
            job._run_chunk(500)
            seen.append((job.dedupe_step, rows[3].duplicate_of == rows[2], rows[4].duplicate_of == rows[2]))
        # checked; then external ID, email (row 3), VAT, phone (row 4), name; then the chains
        self.assertEqual(
            seen,
            [(0, False, False), (1, False, False), (2, True, False), (3, True, False), (4, True, True)]
            + [(5, True, True), (5, True, True)],
        )
        self.assertEqual(job.phase, "clients")

    def test_a_queued_job_can_be_cancelled(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        job = self.job(csv_bytes([["Name"], ["A"], ["B"], ["C"]]))
        job.action_import()
        job.action_cancel()
        self.env["crm.import.job"]._cron_run_jobs(batch_size=2)
        self.assertEqual(job.state, "cancelled")
        self.assertFalse(job.row_ids.record_id)


class TestImportBatchSync(TestImportCommon):
    """Contacts are created in one batch without stock's per-record sync:
    they must end up as stock's ``create`` leaves them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.existing = cls.Partner.create({"name": "Sofía Ortega", "email": "sofia.ortega@example.es"})

    def test_an_imported_contact_gets_what_stock_create_gives_it(self):
        client = self.Partner.create(
            {
                "name": "Sincro Industrial S.L.",
                "is_company": True,
                "vat": "ESA12345674",
                "street": "Calle Mayor 1",
                "city": "Toledo",
                "country_id": self.spain.id,
                "lang": "en_US",
            }
        )
        reference = self.Partner.create({"name": "Stock Contact", "parent_id": client.id})
        job = self.job(csv_bytes([["Name", "Company", "City"], ["Imported Contact", client.name, "Cuenca"]]))
        job.action_import()
        contact = self.rows(job)[2].record_id
        self.assertEqual(contact.parent_id, client)
        compared = ["vat", "street", "city", "country_id", "lang", "property_product_pricelist"]
        compared += ["specific_property_product_pricelist", "commercial_partner_id", "type"]
        for fname in compared:
            with self.subTest(field=fname):
                self.assertEqual(contact[fname], reference[fname])
        self.assertEqual(contact.city, "Toledo", "a client's address replaces the row's, as stock does")

    def test_the_first_contact_gives_a_client_without_address_its_own(self):
        job = self.job(csv_bytes([["Name", "Company", "City"], ["Lena Vogel", "Adresslos GmbH", "Bonn"]]))
        job.action_import()
        contact = self.rows(job)[2].record_id
        self.assertEqual(contact.parent_id.name, "Adresslos GmbH")
        self.assertEqual(contact.parent_id.city, "Bonn")
        self.assertEqual(contact.city, "Bonn")

    def test_a_failing_update_keeps_the_other_updates(self):
        other = self.Partner.create({"name": "Other Update", "email": "other.update@example.es"})
        job = self.job(
            csv_bytes(
                [
                    ["Email", "City", "Company"],
                    ["sofia.ortega@example.es", "Toledo", ""],
                    ["other.update@example.es", "Cuenca", ""],
                ]
            )
        )
        origin = type(self.Partner).write

        def refuse_other(records, vals):
            if other in records and vals.get("city"):
                raise UserError(records.env._("No change for this one"))
            return origin(records, vals)

        with patch.object(type(self.Partner), "write", refuse_other):
            job.action_import()
        rows = self.rows(job)
        self.assertEqual((rows[2].state, self.existing.city), ("updated", "Toledo"))
        self.assertEqual((rows[3].state, rows[3].error_text, other.city), ("failed", "No change for this one", False))

    def test_an_update_writes_only_what_differs(self):
        self.existing.city = "Toledo"
        job = self.job(csv_bytes([["Email", "City", "Zip"], ["sofia.ortega@example.es", "Toledo", "45001"]]))
        job.action_import()
        row = self.rows(job)[2]
        self.assertEqual(row.state, "updated")
        self.assertEqual(row.old_values, {"zip": False})
        self.assertEqual(self.existing.zip, "45001")


class TestImportRevertBackground(TestImportCommon):
    def test_a_large_job_is_reverted_by_the_cron_in_chunks_once(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        job = self.job(csv_bytes([["Name", "Email"], ["A", "a@rv.es"], ["B", "b@rv.es"], ["C", "c@rv.es"]]))
        job.action_import()
        self.env["crm.import.job"]._cron_run_jobs()
        records = job.row_ids.record_id
        self.assertEqual((job.state, len(records)), ("done", 3))
        job.action_revert()
        self.assertEqual((job.state, job.reverted_by), ("reverting", self.manager))
        self.assertEqual(len(records.exists()), 3, "nothing is reverted before the cron runs")
        with self.assertRaisesRegex(UserError, "only once"):
            job.action_revert()
        # One chunk, then the job waits for the next cron call: resumable.
        self.assertTrue(job._revert_chunk(2))
        self.assertEqual(len(records.exists()), 1)
        self.assertEqual(job.state, "reverting")
        self.env["crm.import.job"]._cron_run_jobs(batch_size=2)
        self.assertFalse(records.exists())
        self.assertEqual(job.state, "reverted")
        self.assertEqual(job.revert_log, "3 records reverted, 0 conflicts.")
        self.assertTrue(job.reverted_at)
        with self.assertRaisesRegex(UserError, "only once"):
            job.action_revert()

    def test_a_small_job_is_reverted_at_once(self):
        job = self.job(csv_bytes([["Name"], ["A"]]))
        job.action_import()
        job.action_revert()
        self.assertEqual(job.state, "reverted")
        self.assertEqual(job.revert_log, "1 records reverted, 0 conflicts.")
