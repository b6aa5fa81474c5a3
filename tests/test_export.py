import base64
import csv
import datetime
import io
import zipfile
from unittest.mock import patch

import openpyxl

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_client_suite.models import crm_export_file
from odoo.addons.crm_client_suite.models.crm_export_file import IMPORT_PRESET, neutralize
from odoo.addons.crm_client_suite.models.crm_export_job import CrmExportJob
from odoo.addons.crm_client_suite.models.crm_import_mapping import TARGETS, suggest

from .common import CrmClientSuiteCommon, TwoCursorCase

CONTACTS_DOMAIN = [("is_company", "=", False), ("partner_share", "=", True)]
INJECTIONS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "\rcmd",
    "\ncmd",
]


def csv_rows(content, delimiter=","):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter))


@tagged("post_install", "-at_install")
class TestExportCommon(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Job = cls.env["crm.export.job"]
        cls.allow_export = cls.env.ref("base.group_allow_export")

    def export(self, user, res_model="res.partner", fnames=("name",), **values):
        Job = self.Job.with_user(user).with_context(active_model=res_model)
        values.setdefault("column_ids", [Command.clear()])
        if values.get("preset", "fields") == "fields":
            key = "partner_field" if res_model == "res.partner" else "lead_field"
            values["column_ids"] = [Command.clear()] + [
                Command.create({"sequence": i, key: f}) for i, f in enumerate(fnames)
            ]
        job = Job.create({"res_model": res_model, **values})
        action = job.action_export()
        return job, action

    def file(self, job):
        self.assertEqual(job.state, "done")
        return job.attachment_id.raw

    def xlsx_values(self, content):
        book = openpyxl.load_workbook(io.BytesIO(content))
        return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


class TestExportRights(TestExportCommon):
    def test_guest_cannot_export(self):
        with self.assertRaisesRegex(AccessError, "Only Managers and Admins may export records"):
            self.Job.with_user(self.guest).create({"res_model": "res.partner", "scope": "domain"})
        with self.assertRefusedByAccessRights("read", "crm.export.job"):
            self.Job.with_user(self.guest).search([])
        self.guest.groups_id = [Command.link(self.allow_export.id)]
        with self.assertRaisesRegex(AccessError, "Only Managers and Admins may export records"):
            self.Job.with_user(self.guest).create({"res_model": "res.partner", "scope": "domain"})

    def test_contributor_without_export_right_is_refused(self):
        with self.assertRaisesRegex(AccessError, "Only Managers and Admins may export records"):
            self.Job.with_user(self.contributor).create({"res_model": "res.partner", "scope": "domain"})

    def test_contributor_with_export_right_exports_only_own_records(self):
        self.contributor.groups_id = [Command.link(self.allow_export.id)]
        job, action = self.export(
            self.contributor, fnames=("name", "email"), scope="domain", domain=CONTACTS_DOMAIN, file_format="csv"
        )
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"/web/content/{job.attachment_id.id}", action["url"])
        rows = csv_rows(self.file(job))
        visible = self.env["res.partner"].with_user(self.contributor).search(CONTACTS_DOMAIN, order="id")
        self.assertEqual(rows, [["Name", "Email"]] + [[p.name, p.email or ""] for p in visible])
        names = [row[0] for row in rows]
        self.assertIn("Lucía Fernández", names)
        self.assertNotIn(self.contact_a_other.name, names, "a contact of the same client owned by a Manager")
        self.assertNotIn(self.contact_b.name, names, "another team's contact")
        self.assertEqual(job.row_count, len(visible))

    def test_contributor_selecting_a_foreign_record_is_refused(self):
        self.contributor.groups_id = [Command.link(self.allow_export.id)]
        with self.assertRefusedByRecordRules("read", "res.partner"):
            self.export(self.contributor, record_ids=[self.contact_a.id, self.contact_b.id])

    def test_contributor_exports_only_own_deals(self):
        self.contributor.groups_id = [Command.link(self.allow_export.id)]
        job, _action = self.export(
            self.contributor,
            res_model="crm.lead",
            fnames=("name", "expected_revenue"),
            scope="domain",
            domain=[("type", "=", "opportunity")],
            file_format="csv",
        )
        rows = csv_rows(self.file(job))
        self.assertEqual(rows[1:], [["Obra nueva Madrid", "12000.0"]])

    def test_a_job_and_its_file_are_visible_to_author_and_admins_only(self):
        job, _action = self.export(self.manager, record_ids=[self.contact_a.id])
        with self.assertRefusedByRecordRules("read", "crm.export.job"):
            job.with_user(self.manager_b).read(["name"])
        with self.assertRaises(AccessError):
            job.attachment_id.with_user(self.manager_b).read(["raw"])
        self.assertEqual(job.with_user(self.admin_user).attachment_id.raw, job.attachment_id.raw)

    @mute_logger("odoo.models")
    def test_field_outside_the_users_groups_is_refused(self):
        # credit_limit belongs to the accounting groups, which a Manager does not hold.
        with self.assertRaisesRegex(AccessError, 'You do not have enough rights to access the fields "credit_limit"'):
            self.export(self.manager, fnames=("name", "credit_limit"), record_ids=[self.contact_a.id])


class TestExportWizard(TestExportCommon):
    def test_list_actions_open_the_wizard_for_contributors_and_up(self):
        for xmlid, model in (("action_crm_export_partner", "res.partner"), ("action_crm_export_lead", "crm.lead")):
            action = self.env.ref(f"crm_client_suite.{xmlid}")
            self.assertEqual((action.binding_model_id.model, action.binding_view_types), (model, "list"))
            self.assertEqual(action.groups_id, self.env.ref("crm_client_suite.group_contributor"))
            self.assertEqual(action.view_id, self.env.ref("crm_client_suite.crm_export_job_view_form_wizard"))

    def test_wizard_takes_the_selection_and_the_filter_of_the_list(self):
        self.contributor.groups_id = [Command.link(self.allow_export.id)]
        context = {
            "active_model": "crm.lead",
            "active_ids": [self.deal_contributor.id],
            "active_domain": [("type", "=", "opportunity")],
        }
        form = Form(
            self.Job.with_user(self.contributor).with_context(**context),
            view="crm_client_suite.crm_export_job_view_form_wizard",
        )
        self.assertEqual((form.res_model, form.scope, form.selected_count), ("crm.lead", "selected", 1))
        form.scope = "domain"
        form.file_format = "csv"
        job = form.save()
        self.assertEqual(
            job.column_ids.mapped("lead_field"),
            ["name", "partner_id", "stage_id", "expected_revenue", "user_id", "date_deadline", "email_from"],
        )
        self.assertEqual(job.domain, [["type", "=", "opportunity"]])
        job.action_export()
        rows = csv_rows(self.file(job))
        self.assertEqual(rows[0][:2], ["Opportunity", "Customer"])
        self.assertEqual([row[0] for row in rows[1:]], ["Obra nueva Madrid"], "the contributor's deals only")


class TestExportValues(TestExportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Field = cls.env["crm.custom.field"].with_user(cls.admin_user)
        cls.segment = Field.create({"name": "Segment", "key": "segment", "model": "res.partner", "field_type": "char"})
        cls.size = Field.create(
            {"name": "Headcount", "key": "employees", "model": "res.partner", "field_type": "integer"}
        )
        cls.contact_a.write({"x_segment": "Retail", "x_employees": 40, "phone": "+34 612 345 678"})

    def test_chosen_fields_with_custom_fields_in_order_and_types(self):
        job, _action = self.export(
            self.manager,
            fnames=("name", "parent_id", "x_segment", "x_employees", "user_id", "crm_no_email"),
            record_ids=[self.contact_a.id],
            file_format="xlsx",
        )
        sheets = self.xlsx_values(self.file(job))
        self.assertEqual(list(sheets), ["Clients and Contacts"])
        self.assertEqual(
            sheets["Clients and Contacts"],
            [
                ["Name", "Related Company", "Segment", "Headcount", "Salesperson", "Do Not Email"],
                ["Lucía Fernández", "Construcciones Ibéricas S.L.", "Retail", 40, "Ccs Contributor", "No"],
            ],
        )

    def test_formula_starts_are_neutralised_in_csv_but_phones_are_not(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Eve {i}", "function": text} for i, text in enumerate(INJECTIONS)]
        )
        partners[0].phone = "+34 612 345 678"
        partners[1].phone = "=1+1"
        partners[2].function = "Plain - text"
        job, _action = self.export(
            self.manager, fnames=("function", "phone"), record_ids=partners.ids, file_format="csv"
        )
        rows = csv_rows(self.file(job))[1:]
        self.assertEqual(
            [row[0] for row in rows],
            ["'" + t for t in INJECTIONS[:2]] + ["Plain - text"] + ["'" + t for t in INJECTIONS[3:]],
        )
        self.assertEqual([row[1] for row in rows[:2]], ["+34 612 345 678", "'=1+1"])

    def test_xlsx_writes_every_text_as_a_string_never_a_formula_or_link(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Eve {i}", "function": text} for i, text in enumerate(INJECTIONS)]
        )
        partners[0].website = "http://evil.example"
        partners[1].function = "#N/A"
        partners[2].phone = "+49 30 1234567"
        job, _action = self.export(
            self.manager, fnames=("function", "website", "phone"), record_ids=partners.ids, file_format="xlsx"
        )
        content = self.file(job)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
            self.assertNotIn("<f>", sheet_xml)
            self.assertNotIn("hyperlink", sheet_xml)
            for name in archive.namelist():
                self.assertNotIn("externalLink", name)
                if name.endswith(".rels"):
                    self.assertNotIn(b"hyperlink", archive.read(name))
        book = openpyxl.load_workbook(io.BytesIO(content))
        cells = [cell for row in book.active.iter_rows(min_row=2) for cell in row if cell.value is not None]
        self.assertEqual({cell.data_type for cell in cells}, {"s"})
        values = [[cell.value for cell in row] for row in book.active.iter_rows(min_row=2)]
        self.assertEqual(values[0], ["'" + INJECTIONS[0], "http://evil.example", None])
        self.assertEqual(values[1][0], "#N/A")
        self.assertEqual(values[2], ["'" + INJECTIONS[2], None, "+49 30 1234567"])

    def test_excel_csv_has_bom_semicolons_and_accents(self):
        job, _action = self.export(
            self.manager, fnames=("name", "phone"), record_ids=[self.contact_a.id], file_format="csv", excel_csv=True
        )
        content = self.file(job)
        self.assertTrue(content.startswith(b"\xef\xbb\xbfName;Phone\r\n"))
        self.assertEqual(content.decode("utf-8-sig").splitlines()[1], "Lucía Fernández;+34 612 345 678")
        plain, _action = self.export(self.manager, fnames=("name",), record_ids=[self.contact_a.id], file_format="csv")
        self.assertTrue(self.file(plain).startswith(b"Name\r\n"))

    def test_deals_export_amounts_stages_and_dates(self):
        self.deal_contributor.date_deadline = datetime.date(2027, 3, 31)
        job, _action = self.export(
            self.manager,
            res_model="crm.lead",
            fnames=("name", "partner_id", "stage_id", "expected_revenue", "date_deadline"),
            record_ids=[self.deal_contributor.id],
            file_format="xlsx",
        )
        rows = self.xlsx_values(self.file(job))["Deals"]
        self.assertEqual(
            rows[1],
            [
                "Obra nueva Madrid",
                "Construcciones Ibéricas S.L.",
                self.deal_contributor.stage_id.name,
                12000,
                "2027-03-31",
            ],
        )

    def test_neutralise_keeps_safe_values(self):
        self.assertEqual(neutralize("Müller"), "Müller")
        self.assertEqual(neutralize("a=b"), "a=b")
        self.assertEqual(neutralize("+34 612 345 678", phone=True), "+34 612 345 678")
        self.assertEqual(neutralize("+34 612 345 678"), "'+34 612 345 678")
        self.assertEqual(neutralize("+34=cmd|' /C calc'!A0", phone=True), "'+34=cmd|' /C calc'!A0")

    def test_no_records_and_no_fields_are_refused(self):
        with self.assertRaisesRegex(UserError, "No record to export"):
            self.export(self.manager, scope="domain", domain=[("id", "=", 0)])
        with self.assertRaisesRegex(UserError, "Choose at least one field to export"):
            self.export(self.manager, fnames=(), record_ids=[self.contact_a.id])
        with self.assertRaisesRegex(UserError, "Only clients and contacts can be exported with the columns"):
            self.export(self.manager, res_model="crm.lead", preset="import", record_ids=[self.deal_manager.id])


class TestExportRoundTrip(TestExportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.es")
        Field = cls.env["crm.custom.field"].with_user(cls.admin_user)
        Field.create({"name": "Segment", "key": "segment", "model": "res.partner", "field_type": "char"})
        # A label that names a standard column: the preset falls back to the key.
        Field.create({"name": "Firma", "key": "partner_status", "model": "res.partner", "field_type": "char"})

    def test_every_preset_header_maps_back_to_its_column(self):
        for key, header in IMPORT_PRESET:
            self.assertIn(key, TARGETS)
            self.assertEqual(suggest(header, {}), key, header)

    def _originals(self):
        tag = self.env["res.partner.category"].create({"name": "VIP Export"})
        client = self.env["res.partner"].create(
            {
                "name": "Bäckerei Groß Export GmbH",
                "is_company": True,
                "vat": "ESA12345674",
                "city": "Sevilla",
                "country_id": self.env.ref("base.es").id,
                "user_id": self.manager.id,
                "crm_client_type": self.env["res.partner"]._fields["crm_client_type"].selection[0][0],
            }
        )
        contact = self.env["res.partner"].create(
            {
                "name": "=Jürgen Müller",
                "parent_id": client.id,
                "email": "juergen.export@example.de",
                "phone": "+34 612 345 678",
                "function": "-Einkauf",
                "country_id": self.env.ref("base.es").id,
                "category_id": [Command.set(tag.ids)],
                "user_id": self.manager.id,
                "crm_no_call": True,
                "x_segment": "@Retail",
                "x_partner_status": "Gold",
            }
        )
        return client, contact

    FIELDS = (
        "name",
        "email",
        "phone",
        "function",
        "vat",
        "city",
        "country_id",
        "category_id",
        "user_id",
        "crm_no_call",
        "crm_client_type",
        "x_segment",
        "x_partner_status",
    )

    def snapshot(self, partner):
        values = partner.read(list(self.FIELDS))[0]
        values.pop("id")
        values["category_id"] = partner.category_id.mapped("name")
        values["parent"] = partner.parent_id.name
        return values

    def test_round_trip_through_the_import(self):
        for file_format, excel in (("csv", True), ("xlsx", False)):
            with self.subTest(file_format=file_format):
                client, contact = self._originals()
                expected = [self.snapshot(client), self.snapshot(contact)]
                job, _action = self.export(
                    self.manager,
                    preset="import",
                    record_ids=[client.id, contact.id],
                    file_format=file_format,
                    excel_csv=excel,
                )
                content = self.file(job)
                (contact | client).unlink()
                imported = (
                    self.env["crm.import.job"]
                    .with_user(self.manager)
                    .create({"file": base64.b64encode(content), "file_name": f"export.{file_format}"})
                )
                imported.action_load()
                unmapped = [c.header for c in imported.column_ids if not c.target]
                self.assertFalse(unmapped, "every exported column is recognised by the import")
                self.assertEqual(
                    imported.column_ids.filtered(lambda c: c.header == "partner_status").target, "x_partner_status"
                )
                imported.action_import()
                self.assertEqual(
                    (imported.state, imported.count_failed, imported.count_created),
                    ("done", 0, 2),
                    imported.row_ids.mapped("error_text"),
                )
                new_client = self.env["res.partner"].search([("name", "=", "Bäckerei Groß Export GmbH")])
                new_contact = self.env["res.partner"].search([("email", "=", "juergen.export@example.de")])
                self.assertEqual([self.snapshot(new_client), self.snapshot(new_contact)], expected)
                self.assertEqual(new_contact.name, "=Jürgen Müller", "the neutralising quote is read back off")
                self.assertEqual(new_contact.phone, "+34 612 345 678")
                (new_contact | new_client).unlink()


class TestExportBackground(TestExportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("crm_client_suite.export_background_threshold", 3)
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Bulk {i:02d}", "phone": f"+34 600 000 0{i:02d}"} for i in range(7)]
        )

    def queue(self, **values):
        job, action = self.export(self.manager, fnames=("name", "phone"), record_ids=self.partners.ids, **values)
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(job.state, "queued")
        return job

    def test_large_export_runs_from_the_cron_in_chunks(self):
        cron = self.env.ref("crm_client_suite.ir_cron_crm_export_jobs")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        job = self.queue(file_format="csv")
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)
        self.assertFalse(job.attachment_id)
        # One chunk only: the job stays running with its first chunk kept.
        with patch.object(type(self.Job), "_lock_job", side_effect=[job.sudo(), self.Job.browse()]):
            self.Job._cron_run_jobs(chunk_size=3)
        self.assertEqual((job.state, job.rows_done, job.chunk_count), ("running", 3, 1))
        self.assertEqual(len(job._chunk_attachments()), 1)
        self.assertEqual(self.Job._cron_run_jobs(chunk_size=3), 3, "two chunks and the assembly")
        self.assertEqual((job.state, job.rows_done, job.progress), ("done", 7, 100.0))
        self.assertFalse(job._chunk_attachments(), "the chunks are removed once assembled")
        rows = csv_rows(job.attachment_id.raw)
        self.assertEqual(rows, [["Name", "Phone"]] + [[p.name, p.phone] for p in self.partners])

    def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(self):
        job = self.queue(file_format="xlsx")
        with patch.object(crm_export_file, "XLSX_MAX_ROWS", 4):
            self.Job._cron_run_jobs(chunk_size=2)
        self.assertEqual((job.state, job.sheet_count), ("done", 3))
        sheets = self.xlsx_values(job.attachment_id.raw)
        self.assertEqual(list(sheets), ["Clients and Contacts", "Clients and Contacts (2)", "Clients and Contacts (3)"])
        header = ["Name", "Phone"]
        self.assertEqual([rows[0] for rows in sheets.values()], [header] * 3)
        self.assertEqual([len(rows) for rows in sheets.values()], [4, 4, 2])
        exported = [row for rows in sheets.values() for row in rows[1:]]
        self.assertEqual(exported, [[p.name, p.phone] for p in self.partners])

    def test_a_job_whose_author_lost_the_right_fails_with_its_reason(self):
        job = self.queue(file_format="csv")
        self.manager.groups_id = [Command.unlink(self.env.ref("crm_client_suite.group_manager").id)]
        self.Job._cron_run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertIn("Only Managers and Admins may export records", job.error)
        self.assertFalse(job._chunk_attachments())

    def test_cancelled_job_is_not_run(self):
        job = self.queue(file_format="csv")
        job.with_user(self.manager).action_cancel()
        self.assertEqual(self.Job._cron_run_jobs(), 0)
        self.assertEqual(job.state, "cancelled")
        with self.assertRaisesRegex(UserError, "This export has already run"):
            job.with_user(self.manager).action_export()


@tagged("post_install", "-at_install")
class TestImportRetention(CrmClientSuiteCommon):
    def finished_import(self, days_ago, rows=3):
        content = "\r\n".join(
            ["Name,Email", *(f"Old {days_ago} {i},old{days_ago}.{i}@example.com" for i in range(rows))]
        )
        job = (
            self.env["crm.import.job"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(content.encode()), "file_name": "old.csv"})
        )
        job.action_load()
        job.action_import()
        self.assertEqual((job.state, job.count_created), ("done", rows))
        job.sudo().finished_at = fields.Datetime.now() - datetime.timedelta(days=days_ago)
        return job

    def test_old_row_logs_are_purged_and_counts_kept(self):
        old, recent = self.finished_import(40), self.finished_import(10)
        Row = self.env["crm.import.job.row"]
        self.assertEqual(self.env["crm.import.job"]._cron_purge_row_logs(), 0, "the default keeps every log")
        self.assertEqual(Row.search_count([("job_id", "=", old.id)]), 3)
        self.env["ir.config_parameter"].sudo().set_param("crm_client_suite.import_log_retention_days", 30)
        self.assertEqual(self.env["crm.import.job"]._cron_purge_row_logs(), 1)
        self.assertEqual(Row.search_count([("job_id", "=", old.id)]), 0)
        self.assertEqual(Row.search_count([("job_id", "=", recent.id)]), 3)
        old.invalidate_recordset()
        self.assertTrue(old.rows_purged_at)
        self.assertEqual((old.count_created, old.count_failed, old.row_count, old.progress), (3, 0, 3, 100.0))
        self.assertFalse(recent.rows_purged_at)
        with self.assertRaisesRegex(UserError, "was purged on .* it can no longer be reverted"):
            old.with_user(self.manager).action_revert()
        self.assertEqual(self.env["crm.import.job"]._cron_purge_row_logs(), 0, "a purged job is not purged twice")
        self.assertEqual(
            self.env.ref("crm_client_suite.ir_cron_crm_import_purge_rows").code, "model._cron_purge_row_logs()"
        )

    def test_unfinished_job_is_kept(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_client_suite.import_log_retention_days", 1)
        job = (
            self.env["crm.import.job"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(b"Name\r\nDraft Person\r\n"), "file_name": "draft.csv"})
        )
        job.action_load()
        self.env.cr.execute("UPDATE crm_import_job SET write_date = now() - interval '5 days' WHERE id = %s", [job.id])
        self.assertEqual(self.env["crm.import.job"]._cron_purge_row_logs(), 0)
        self.assertEqual(len(job.row_ids), 1)


@tagged("post_install", "-at_install")
class TestExportConcurrency(TwoCursorCase):
    """The export cron on real cursors: two workers share a job chunk by
    chunk, and a worker killed in a chunk loses only that chunk."""

    COUNT = 9

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            partners = env["res.partner"].create([{"name": f"Concurrent Export {i}"} for i in range(self.COUNT)])
            job = (
                env["crm.export.job"]
                .with_user(env.ref("base.user_admin"))
                .create(
                    {
                        "res_model": "res.partner",
                        "record_ids": partners.ids,
                        "file_format": "csv",
                        "column_ids": [Command.create({"partner_field": "name"})],
                    }
                )
            )
            job.write({"state": "queued", "row_count": self.COUNT})
            self.job_id, self.partner_ids = job.id, partners.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["crm.export.job"].browse(self.job_id).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()

    def _result(self):
        with self.committed_env() as env:
            job = env["crm.export.job"].browse(self.job_id)
            rows = csv_rows(job.attachment_id.raw) if job.attachment_id else []
            return job.state, job.rows_done, [row[0] for row in rows[1:]]

    def test_two_workers_export_each_record_once(self):
        results = self.run_workers(lambda env: env["crm.export.job"]._cron_run_jobs(chunk_size=2))
        state, done, names = self._result()
        self.assertEqual((state, done), ("done", self.COUNT))
        self.assertEqual(names, [f"Concurrent Export {i}" for i in range(self.COUNT)])
        self.assertEqual(sum(results), 6, "five chunks of two and the assembly, none done twice")

    @mute_logger("odoo.sql_db")
    def test_a_killed_worker_loses_its_chunk_only_and_the_job_resumes(self):
        origin = CrmExportJob._rows
        calls = []

        def crash_on_second_chunk(job, records, columns):
            calls.append(len(records))
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return origin(job, records, columns)

        with patch.object(CrmExportJob, "_rows", crash_on_second_chunk), self.assertRaises(RuntimeError):
            with self.committed_env({"crm_cron_commit": True}) as env:
                env["crm.export.job"]._cron_run_jobs(chunk_size=4)
        with self.committed_env() as env:
            job = env["crm.export.job"].browse(self.job_id)
            self.assertEqual((job.state, job.rows_done, job.chunk_count), ("running", 4, 1))
        self.run_workers(lambda env: env["crm.export.job"]._cron_run_jobs(chunk_size=4), count=1)
        state, done, names = self._result()
        self.assertEqual((state, done), ("done", self.COUNT))
        self.assertEqual(names, [f"Concurrent Export {i}" for i in range(self.COUNT)])
