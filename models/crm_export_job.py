"""Export jobs: clients, contacts and deals to CSV or XLSX, as the user.

An export reads the records with the rights of the user who asked for it
(access rights, record rules, field groups), in chunks of ``CHUNK_SIZE``
records. A small export is written at once and downloaded. A large one (above
``crm_client_suite.export_background_threshold`` records) is queued: a cron
takes the job with ``FOR UPDATE SKIP LOCKED``, writes one chunk per committed
transaction into an attachment of the job, and assembles the file once every
chunk is done. See crm_export_file.py for the CSV-injection rules.
"""

import io
import logging

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, html2plaintext

from . import crm_export_file as writer
from .crm_automation_run import claimed_batches
from .crm_import_mapping import TARGETS

_logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
TIME_BUDGET = 50  # seconds per cron call
BACKGROUND_THRESHOLD = ("crm_client_suite.export_background_threshold", 5000)
EXPORT_MODELS = [("res.partner", "Clients and Contacts"), ("crm.lead", "Deals")]
EXPORTABLE_TYPES = (
    "char",
    "text",
    "html",
    "selection",
    "integer",
    "float",
    "monetary",
    "date",
    "datetime",
    "boolean",
    "many2one",
    "many2many",
)
# Fields holding phone numbers: exempt from the formula quote when they are digits only.
PHONE_FIELDS = ("phone", "mobile", "crm_phone2")
# Columns of the import preset that only a contact fills.
PERSON_KEYS = ("name", "first_name", "last_name")
DEFAULT_FIELDS = {
    "res.partner": ("name", "parent_id", "email", "phone", "mobile", "city", "country_id", "user_id", "category_id"),
    "crm.lead": ("name", "partner_id", "stage_id", "expected_revenue", "user_id", "date_deadline", "email_from"),
}


class CrmExportJobColumn(models.Model):
    _name = "crm.export.job.column"
    _description = "Export Column"
    _order = "job_id, sequence, id"

    job_id = fields.Many2one("crm.export.job", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    # One list of fields per kind of record: the field's name and its label, read from the model
    # (no access to the technical field list is needed).
    partner_field = fields.Selection(selection="_partner_fields", string="Field")
    lead_field = fields.Selection(selection="_lead_fields", string="Deal Field")
    field_name = fields.Char(compute="_compute_field_name", store=True)
    header = fields.Char(compute="_compute_header", store=True, readonly=False)

    @api.model
    def _exportable(self, model_name):
        Model = self.env[model_name]
        choices = [
            (name, field._description_string(self.env))
            for name, field in Model._fields.items()
            if field.type in EXPORTABLE_TYPES and not name.startswith("_") and name != "id"
        ]
        return sorted(choices, key=lambda choice: choice[1].lower())

    @api.model
    def _partner_fields(self):
        return self._exportable("res.partner")

    @api.model
    def _lead_fields(self):
        return self._exportable("crm.lead")

    @api.depends("partner_field", "lead_field", "job_id.res_model")
    def _compute_field_name(self):
        for column in self:
            column.field_name = column.lead_field if column.job_id.res_model == "crm.lead" else column.partner_field

    @api.depends("field_name")
    def _compute_header(self):
        for column in self:
            model = column.job_id.res_model or "res.partner"
            field = self.env[model]._fields.get(column.field_name or "")
            column.header = field._description_string(self.env) if field else False


class CrmExportJob(models.Model):
    _name = "crm.export.job"
    _description = "Export"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    user_id = fields.Many2one(
        "res.users", string="Exported By", default=lambda self: self.env.user, required=True, readonly=True, index=True
    )
    res_model = fields.Selection(EXPORT_MODELS, string="Records", required=True, default="res.partner")
    scope = fields.Selection(
        [("selected", "Selected Records"), ("domain", "All Matching Records")],
        string="Export",
        default="selected",
        required=True,
    )
    record_ids = fields.Json(string="Selected Records (ids)", default=list)
    domain = fields.Json(string="Filter", default=list, help="The list's filter, for all matching records.")
    selected_count = fields.Integer(compute="_compute_selected_count", string="Selected")
    preset = fields.Selection(
        [("fields", "Chosen Fields"), ("import", "Columns the Import Reads Back")],
        string="Columns",
        default="fields",
        required=True,
        help="Columns the Import Reads Back: the contact import recognises every column of the file, "
        "custom fields included, so the file can be imported again as it is.",
    )
    column_ids = fields.One2many("crm.export.job.column", "job_id", string="Fields", copy=True)
    file_format = fields.Selection([("csv", "CSV"), ("xlsx", "Excel (.xlsx)")], default="xlsx", required=True)
    excel_csv = fields.Boolean(
        string="CSV for Excel",
        help="UTF-8 with a byte order mark and semicolons, which Excel opens directly. Otherwise UTF-8 with commas.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    row_count = fields.Integer(string="Records to Export", readonly=True)
    rows_done = fields.Integer(string="Records Exported", readonly=True)
    last_id = fields.Integer(readonly=True, help="Id of the last record exported: the next chunk starts after it.")
    chunk_count = fields.Integer(readonly=True)
    progress = fields.Float(compute="_compute_progress", string="Progress (%)")
    attachment_id = fields.Many2one("ir.attachment", string="File", readonly=True, ondelete="set null")
    file_name = fields.Char(related="attachment_id.name", string="File Name")
    sheet_count = fields.Integer(string="Sheets", readonly=True)
    error = fields.Text(readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)

    @api.depends("res_model", "create_date")
    def _compute_name(self):
        labels = dict(self._fields["res_model"]._description_selection(self.env))
        for job in self:
            job.name = self.env._(
                "%(records)s, %(date)s",
                records=labels.get(job.res_model, ""),
                date=fields.Date.to_string(job.create_date or fields.Date.today()),
            )

    @api.depends("record_ids")
    def _compute_selected_count(self):
        for job in self:
            job.selected_count = len(job.record_ids or [])

    @api.depends("row_count", "rows_done")
    def _compute_progress(self):
        for job in self:
            job.progress = 100.0 * job.rows_done / job.row_count if job.row_count else 0.0

    # Rights ------------------------------------------------------------------

    @api.model
    def _check_export_rights(self):
        """Managers and Admins export; Contributors too when they hold stock's
        "Access to export feature" right. Record rules limit each to what they see."""
        user = self.env.user
        if self.env.su or user.has_group("crm_client_suite.group_manager"):
            return
        if user.has_group("crm_client_suite.group_contributor") and user.has_group("base.group_allow_export"):
            return
        raise AccessError(
            self.env._("Only Managers and Admins may export records, and Contributors who have the right to export.")
        )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        ctx = self.env.context
        model = ctx.get("active_model")
        if model in dict(EXPORT_MODELS):
            values["res_model"] = model
            if "record_ids" in fields_list:
                values["record_ids"] = list(ctx.get("active_ids") or [])
            if "domain" in fields_list:
                values["domain"] = list(ctx.get("active_domain") or [])
        if "column_ids" in fields_list and values.get("res_model"):
            values["column_ids"] = self._default_columns(values["res_model"])
        return values

    @api.model
    def _default_columns(self, res_model):
        key = "partner_field" if res_model == "res.partner" else "lead_field"
        return [
            Command.create({"sequence": sequence, key: fname})
            for sequence, fname in enumerate(DEFAULT_FIELDS[res_model])
            if fname in self.env[res_model]._fields
        ]

    @api.model_create_multi
    def create(self, vals_list):
        self._check_export_rights()
        return super().create(vals_list)

    # Columns -----------------------------------------------------------------

    def _columns(self):
        """[(header, field name, special)] of the file, in order. ``special``
        marks the columns of the import preset that depend on the kind of
        partner: "person" (empty for a client), "commercial" (empty for a
        contact of a client) and "company" (a client's own name, a contact's
        client), else False."""
        self.ensure_one()
        Model = self.env[self.res_model]
        if self.preset == "import":
            if self.res_model != "res.partner":
                raise UserError(self.env._("Only clients and contacts can be exported with the columns of the import."))
            columns = []
            for key, header in writer.IMPORT_PRESET:
                fname = TARGETS[key][0]
                # The importer reads a row with a company and no person's name as a client.
                special = "company" if key == "company" else "person" if key in PERSON_KEYS else False
                # A contact's tax ID is its client's (a commercial field): given on the client row
                # only, else the importer would match the contact to its client by it.
                special = "commercial" if key == "vat" else special
                columns.append((header, "name" if special == "company" else fname, special))
            from .crm_import_job import IMPORTABLE_CUSTOM

            for definition in self.env["crm.custom.field"]._for_model("res.partner"):
                if definition.field_type in IMPORTABLE_CUSTOM and definition.field_name in Model._fields:
                    header = writer.custom_header(definition.name, definition.key, definition.field_name)
                    columns.append((header, definition.field_name, False))
            return columns
        columns = []
        for column in self.column_ids:
            field = Model._fields.get(column.field_name or "")
            if not field or field.type not in EXPORTABLE_TYPES:
                raise UserError(
                    self.env._(
                        "Column %(column)s names no field of these records that can be exported.",
                        column=column.header or column.sequence,
                    )
                )
            columns.append((column.header or field._description_string(self.env), field.name, False))
        if not columns:
            raise UserError(self.env._("Choose at least one field to export."))
        return columns

    def _phone_columns(self, columns):
        phones = set(PHONE_FIELDS)
        for definition in self.env["crm.custom.field"]._for_model(self.res_model):
            if definition.field_type == "phone":
                phones.add(definition.field_name)
        return {index for index, (_header, fname, special) in enumerate(columns) if fname in phones and not special}

    # Records -----------------------------------------------------------------

    def _domain(self):
        """The records to export, as the user sees them."""
        self.ensure_one()
        if self.scope == "selected":
            ids = [int(i) for i in self.record_ids or []]
            if not ids:
                raise UserError(self.env._("Select the records to export, or export all matching records."))
            # A selected record the user may not read is refused, not skipped.
            self.env[self.res_model].browse(ids).check_access("read")
            return [("id", "in", ids)]
        return list(self.domain or [])

    def _chunk(self, domain, after_id, limit=CHUNK_SIZE):
        return self.env[self.res_model].search([*domain, ("id", ">", after_id)], order="id", limit=limit)

    def _rows(self, records, columns):
        """The file rows of ``records``: one list of values per record, read
        with the user's rights in one ``read`` per chunk."""
        Model = self.env[self.res_model]
        fnames = list(dict.fromkeys(fname for _header, fname, _special in columns))
        specials = {special for _header, _fname, special in columns if special}
        if specials:
            fnames += [f for f in ("is_company", "parent_id") if f not in fnames]
        # Links as ids (load=None): their names are read once per distinct record below,
        # instead of once per cell.
        data = records.read(fnames, load=None)
        fields_ = {fname: Model._fields[fname] for fname in fnames}
        labels = {
            fname: dict(field._description_selection(self.env))
            for fname, field in fields_.items()
            if field.type == "selection"
        }
        names = {}
        for fname, field in fields_.items():
            if field.type in ("many2one", "many2many"):
                # As the web client shows them: the names of linked records, whatever their rules.
                ids = {i for values in data for i in (values[fname] or ())} if field.type == "many2many" else None
                ids = ids if ids is not None else {values[fname] for values in data if values[fname]}
                names[fname] = {r.id: r.display_name for r in self.env[field.comodel_name].sudo().browse(ids)}
        yes, no = self.env._("Yes"), self.env._("No")
        rows = []
        for values in data:
            row = []
            for _header, fname, special in columns:
                value = values[fname]
                if (special == "person" and values["is_company"]) or (special == "commercial" and values["parent_id"]):
                    row.append("")
                    continue
                if special == "company":
                    parent = values["parent_id"]
                    row.append(values["name"] if values["is_company"] else names["parent_id"].get(parent, ""))
                    continue
                field = fields_[fname]
                if field.type == "boolean":
                    row.append(yes if value else no)
                elif value is False or value is None:
                    row.append(0 if field.type in ("integer", "float", "monetary") else "")
                elif field.type == "selection":
                    row.append(labels[fname].get(value, value))
                elif field.type == "many2one":
                    row.append(names[fname].get(value, ""))
                elif field.type == "many2many":
                    row.append(", ".join(names[fname][i] for i in value if i in names[fname]))
                elif field.type == "html":
                    row.append(html2plaintext(value))
                elif field.type == "date":
                    row.append(fields.Date.to_string(value))
                elif field.type == "datetime":
                    row.append(fields.Datetime.to_string(value))
                else:
                    row.append(value)
            rows.append(row)
        return rows

    def _new_writer(self, columns):
        header = [header for header, _fname, _special in columns]
        if self.file_format == "csv":
            file_writer = writer.CsvWriter(excel=self.excel_csv)
            file_writer.add_row(header)
            return file_writer
        title = dict(self._fields["res_model"]._description_selection(self.env))[self.res_model]
        return writer.XlsxWriter(header, title)

    def _store_file(self, file_writer):
        content = file_writer.close()
        base = "contacts" if self.res_model == "res.partner" else "deals"
        extension = self.file_format
        stamp = fields.Datetime.context_timestamp(self, fields.Datetime.now()).strftime("%Y%m%d-%H%M%S")
        mimetype = (
            "text/csv" if extension == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{base}-{stamp}.{extension}",
                "raw": content,
                "mimetype": mimetype,
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self.write(
            {
                "attachment_id": attachment.id,
                "sheet_count": file_writer.sheets if self.file_format == "xlsx" else 0,
                "state": "done",
                "finished_at": fields.Datetime.now(),
            }
        )

    # Actions -----------------------------------------------------------------

    def action_export(self):
        """Export now and download, or queue a large export for the cron."""
        self._check_export_rights()
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("This export has already run: start a new one."))
        columns = self._columns()
        domain = self._domain()
        count = self.env[self.res_model].search_count(domain)
        if not count:
            raise UserError(self.env._("No record to export."))
        self.write({"row_count": count, "rows_done": 0, "last_id": 0, "started_at": fields.Datetime.now()})
        threshold = int(self.env["ir.config_parameter"].sudo().get_param(*BACKGROUND_THRESHOLD))
        if count > threshold:
            self.state = "queued"
            self.env.ref("crm_client_suite.ir_cron_crm_export_jobs")._trigger()
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._(
                        "%(count)s records are exported in the background: you are notified when the file is ready.",
                        count=count,
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        file_writer = self._new_writer(columns)
        phones = self._phone_columns(columns)
        last_id = 0
        while records := self._chunk(domain, last_id):
            for row in self._rows(records, columns):
                file_writer.add_row(row, phones)
            last_id = records[-1].id
            self.env.invalidate_all()
        self.rows_done = count
        self._store_file(file_writer)
        return self.action_download()

    def action_download(self):
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(self.env._("The file is not ready yet."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    def action_cancel(self):
        self._check_export_rights()
        jobs = self.filtered(lambda job: job.state in ("draft", "queued", "running"))
        jobs.write({"state": "cancelled", "finished_at": fields.Datetime.now()})
        jobs._chunk_attachments().unlink()
        return True

    # Background ----------------------------------------------------------------

    def _chunk_attachments(self):
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", self._name), ("res_id", "in", self.ids), ("description", "=", "export chunk")],
                order="res_id, name",
            )
        )

    def _run_chunk(self, chunk_size=CHUNK_SIZE):
        """One committed step: the next chunk of records into an attachment of
        the job, or, when every record is written, the file assembled."""
        self.ensure_one()
        self._check_export_rights()
        columns = self._columns()
        domain = self._domain()
        records = self._chunk(domain, self.last_id, chunk_size)
        if records:
            rows = self._rows(records, columns)
            self.env["ir.attachment"].sudo().create(
                {
                    "name": f"chunk-{self.chunk_count + 1:06d}.jsonl",
                    "description": "export chunk",
                    "raw": writer.dump_rows(rows),
                    "mimetype": "application/octet-stream",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
            self.write(
                {
                    "state": "running",
                    "last_id": records[-1].id,
                    "rows_done": self.rows_done + len(records),
                    "chunk_count": self.chunk_count + 1,
                }
            )
            return
        file_writer = self._new_writer(columns)
        phones = self._phone_columns(columns)
        chunks = self._chunk_attachments()
        for chunk in chunks:
            with self._open_chunk(chunk) as stream:
                for row in writer.load_rows(stream):
                    file_writer.add_row(row, phones)
        self._store_file(file_writer)
        chunks.unlink()
        self._notify_done()

    def _open_chunk(self, attachment):
        if attachment.store_fname:
            return open(attachment._full_path(attachment.store_fname), "rb")
        return io.BytesIO(attachment.raw or b"")

    def _notify_done(self):
        self.user_id.partner_id._bus_send(
            "simple_notification",
            {
                "type": "success",
                "title": self.env._("Export finished"),
                "message": self.env._(
                    "%(file)s is ready: %(count)s records. Open Exports to download it.",
                    file=self.file_name,
                    count=self.rows_done,
                ),
            },
        )

    @api.model
    def _lock_job(self):
        self.flush_model(["state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM crm_export_job
                 WHERE state IN ('queued', 'running')
                 ORDER BY id LIMIT 1
                   FOR UPDATE SKIP LOCKED
                """
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else self.browse()

    @api.model
    def _cron_run_jobs(self, chunk_size=CHUNK_SIZE, time_budget=TIME_BUDGET):
        """Advance the queued exports one committed chunk at a time, each job
        with the rights of its author. A job that fails keeps its reason."""
        chunks = 0
        for job in claimed_batches(self.env, self.sudo()._lock_job, time_budget):
            job = job.with_user(job.user_id).with_context(lang=job.user_id.lang)
            try:
                with self.env.cr.savepoint():
                    job._run_chunk(chunk_size)
            except (AccessError, UserError) as error:
                job.sudo().write({"state": "failed", "error": str(error), "finished_at": fields.Datetime.now()})
                job.sudo()._chunk_attachments().unlink()
            chunks += 1
        return chunks
