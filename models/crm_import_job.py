"""Contact import jobs: a file parsed once into a staging table, validated,
deduplicated and executed in batches, logged row by row and revertible.

Phases of a job (``phase``), each done batch by batch over the staged rows:

1. ``validate``: every row is checked and turned into partner values, with
   its normalised matching keys (email, VAT, E.164 phone, name + company);
   then one SQL statement per key marks the duplicates inside the file.
2. ``clients``: the client rows, and one row per company named by contacts
   but not present as a row, are matched or created.
3. ``contacts``: the contact rows are matched and created or updated.

A test run plans every row (what it would do) and writes nothing. A file
above the background threshold runs from a cron in committed chunks; each
chunk commits its records with its rows' outcomes, so a crash loses nothing
and repeats nothing.
"""

import contextlib
import csv
import datetime
import functools
import io
import json
import logging
import time

import openpyxl
import polib

from odoo import Command, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import file_path

from . import (
    crm_import_file as reader,
    crm_import_format as formats,
)
from .crm_automation import cron_commit
from .crm_automation_run import claimed_batches
from .crm_import_mapping import FALSE_WORDS, TARGETS, TRUE_WORDS, normalize_header, suggest, template_key
from .res_partner import normalize_vat
from .res_partner_import import PHONE_CACHE_KEY, phone_key, phone_matches_sql

_logger = logging.getLogger(__name__)

BATCH_SIZE = 500
STAGE_BATCH = 2000
TIME_BUDGET = 50  # seconds per cron call: each chunk stays far below 60 s
RESOLVE_BATCH = 20000  # in-file duplicates given their first row's outcome per chunk (a few seconds)
PREVIEW_ROWS = 10
SETTINGS = {
    "import_max_mb": ("crm_client_suite.import_max_mb", 100),
    "import_max_ratio": ("crm_client_suite.import_max_ratio", 100),
    "import_max_columns": ("crm_client_suite.import_max_columns", 500),
    "import_background_threshold": ("crm_client_suite.import_background_threshold", 2000),
}
MODES = [
    ("create", "Create Only"),
    ("update", "Update Existing"),
    ("create_update", "Create and Update"),
    ("fill", "Fill Empty Fields Only"),
    ("skip", "Skip Duplicates"),
]
ROW_STATES = [
    ("new", "Not Checked"),
    ("valid", "Valid"),
    ("created", "Created"),
    ("updated", "Updated"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
    ("review", "To Review"),
    ("merged", "Merged"),
]
PLANS = [
    ("create", "Create"),
    ("update", "Update"),
    ("skip", "Skip"),
    ("fail", "Fail"),
    ("review", "Review"),
    ("merge", "Merge"),
]
# Fields of contacts an import batch writes apart, one write per distinct
# value for all the records given it (each write of tags runs its own INSERT).
SHARED_WRITE_FIELDS = ("category_id",)
# Matching keys, in order, and the staged column holding each.
MATCH_KEYS = ("external_id", "email", "vat", "phone", "name")


# Key of a row's values holding its numbers as parsed by the validation
# ({phone_cache_key(): E.164 or False}), which seed the phone cache of its create.
PARSED_PHONES = "_parsed_phones"


def phone_cache_key(number, country):
    """The key of ``res.partner._phone_format_number``'s batch cache under
    which ``_crm_phone_e164(number, country)`` keeps its result (the same
    cleaning of the number); only a key the cache holds is ever used."""
    number = (number or "").strip()
    if not country and number.startswith("00"):
        number = f"+{number[2:]}"
    return phone_key(number, country)


def setting(env, name):
    key, default = SETTINGS[name]
    try:
        return int(env["ir.config_parameter"].sudo().get_param(key, default))
    except ValueError:
        return default


# Languages whose country names the importer always reads (the seed's and English).
IMPORT_COUNTRY_LANGS = ("es", "de")


@functools.cache
def _country_names(lang):
    """{normalised country name: ISO code (lowercase)} from base's translation file of ``lang``."""
    try:
        path = file_path(f"base/i18n/{lang}.po")
    except FileNotFoundError:
        return {}
    names = {}
    for entry in polib.pofile(path):
        for occurrence, _line in entry.occurrences:
            if entry.msgstr and occurrence.startswith("model:res.country,name:base."):
                names.setdefault(normalize_header(entry.msgstr), occurrence.rsplit(".", 1)[1])
    return names


class CrmImportTemplate(models.Model):
    _name = "crm.import.template"
    _description = "Import Mapping Template"
    _order = "name"

    name = fields.Char(required=True)
    header_key = fields.Char(required=True, index=True, help="The file's headers, normalised, in order.")
    mapping = fields.Json(help="Target of each column, by position.")
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, string="Saved By")


class CrmImportJobColumn(models.Model):
    _name = "crm.import.job.column"
    _description = "Import Column"
    _order = "job_id, sequence"

    job_id = fields.Many2one("crm.import.job", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(help="Position of the column in the file, from 0.")
    header = fields.Char(readonly=True)
    sample = fields.Char(readonly=True, help="First values of the column.")
    target = fields.Selection(selection="_target_selection", string="Import As")
    value_kind = fields.Selection(
        [("number", "Number"), ("date", "Date")],
        string="Detected Type",
        readonly=True,
        help="What the column's values look like, read from the first rows of the file.",
    )
    decimal_separator = fields.Selection(
        formats.DECIMAL_SEPARATORS,
        help="How the column writes its numbers, detected from the file. Change it if the detection is wrong.",
    )
    date_format = fields.Selection(
        formats.DATE_FORMATS, help="How the column writes its dates, detected from the file. Change it if wrong."
    )
    date_ambiguous = fields.Boolean(
        string="Day or Month?",
        help="The column's dates read both as day/month and as month/day: choose the date format before importing,"
        " or untick to keep the one shown.",
    )
    decimal_ambiguous = fields.Boolean(
        string="Thousands or Decimals?",
        help="The column's numbers (such as 1,500) read both with a decimal point and with a decimal comma:"
        " choose the decimal separator before importing, or untick to keep the one shown.",
    )

    target_type = fields.Selection(
        [("number", "Number"), ("date", "Date")],
        compute="_compute_target_type",
        help="Whether the field the column is imported as holds numbers or dates.",
    )

    @api.depends("target")
    def _compute_target_type(self):
        for column in self:
            column.target_type = column.job_id._target_type(column.target)

    def _format_text(self):
        """The format the column is read with, as the preview shows it."""
        self.ensure_one()
        env = self.env
        kind = self.target_type or self.value_kind
        if kind == "date":
            text = env._("Date: %(format)s", format=self.date_format or "")
            if self.date_ambiguous:
                text += " " + env._("(day or month? choose the format)")
            return text
        if kind == "number":
            text = env._("Number: %(format)s", format=dict(formats.DECIMAL_SEPARATORS).get(self.decimal_separator))
            if self.decimal_ambiguous:
                text += " " + env._("(thousands or decimals? choose the separator)")
            return text
        return ""

    def write(self, vals):
        # The user chose the format: the column is no longer ambiguous.
        if "date_format" in vals and "date_ambiguous" not in vals:
            vals = {**vals, "date_ambiguous": False}
        if "decimal_separator" in vals and "decimal_ambiguous" not in vals:
            vals = {**vals, "decimal_ambiguous": False}
        return super().write(vals)

    def _ambiguous(self):
        """Whether the column's values read two ways in the format it is read with."""
        self.ensure_one()
        kind = self.target_type or self.value_kind
        return (kind == "date" and self.date_ambiguous) or (kind == "number" and self.decimal_ambiguous)

    @api.model
    def _target_selection(self):
        Partner = self.env["res.partner"]
        labels = {
            "external_id": self.env._("External ID"),
            "company": self.env._("Client (company name)"),
        }
        selection = []
        for key, (fname, _kind, _headers) in TARGETS.items():
            label = labels.get(key) or Partner._fields[fname].get_description(self.env)["string"]
            selection.append((key, label))
        for field in self.env["crm.custom.field"].sudo().search([("model", "=", "res.partner")]):
            if field.field_name in Partner._fields and field.field_type in IMPORTABLE_CUSTOM:
                selection.append((field.field_name, field.name))
        return selection


# Field types read with a column's number or date format.
VALUE_TYPES = {"integer": "number", "float": "number", "monetary": "number", "date": "date", "datetime": "date"}
# Cells naming a record, and the lookup table that resolves them.
LOOKUP_KINDS = {"country": "countries", "owner": "users", "team": "teams"}
IMPORTABLE_CUSTOM = ("char", "text", "integer", "float", "monetary", "date", "datetime", "boolean", "email")
IMPORTABLE_CUSTOM += ("phone", "url", "selection")


class CrmImportJob(models.Model):
    _name = "crm.import.job"
    _description = "Contact Import"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    user_id = fields.Many2one(
        "res.users", string="Imported By", default=lambda self: self.env.user, required=True, readonly=True, index=True
    )
    file = fields.Binary(attachment=True, help="Kept with the job: the log and the error file refer to it.")
    file_name = fields.Char()
    file_format = fields.Selection([("csv", "CSV"), ("xlsx", "Excel (.xlsx)"), ("xls", "Excel 97 (.xls)")])
    encoding = fields.Char(help="Encoding in which the file is read. Change it and reload if the preview is wrong.")
    encoding_detected = fields.Char(readonly=True)
    separator = fields.Selection(
        [(",", "Comma"), (";", "Semicolon"), ("\t", "Tab"), ("|", "Vertical Bar")],
        help="Column separator of a CSV file, detected when the file is loaded.",
    )
    sheet = fields.Char(help="Sheet of the workbook to import; the first one when empty.")
    sheet_names = fields.Char(readonly=True)
    has_header = fields.Boolean(default=True, string="First Row Holds Headers")
    mode = fields.Selection(MODES, default="create_update", required=True)
    duplicates = fields.Selection(
        [("merge", "Merge into One"), ("flag", "Flag for Review")],
        string="Duplicates in the File",
        default="merge",
        required=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("tested", "Tested"),
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
            ("reverting", "Reverting"),
            ("reverted", "Reverted"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    phase = fields.Selection(
        [("validate", "Validation"), ("clients", "Clients"), ("contacts", "Contacts"), ("done", "Finished")],
        readonly=True,
    )
    dedupe_step = fields.Integer(
        string="Duplicate Search Step", readonly=True, help="The matching key the next chunk compares across the file."
    )
    column_ids = fields.One2many("crm.import.job.column", "job_id", string="Columns")
    row_ids = fields.One2many("crm.import.job.row", "job_id", string="Rows", domain=[("synthetic", "=", False)])
    template_id = fields.Many2one("crm.import.template", string="Mapping Template")
    row_count = fields.Integer(readonly=True)
    preview = fields.Html(compute="_compute_preview", sanitize=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    reverted_at = fields.Datetime(readonly=True)
    reverted_by = fields.Many2one("res.users", readonly=True)
    count_created = fields.Integer(compute="_compute_counts", string="Created")
    count_updated = fields.Integer(compute="_compute_counts", string="Updated")
    count_skipped = fields.Integer(compute="_compute_counts", string="Skipped")
    count_failed = fields.Integer(compute="_compute_counts", string="Failed")
    count_review = fields.Integer(compute="_compute_counts", string="In Review")
    count_merged = fields.Integer(compute="_compute_counts", string="Merged")
    plan_create = fields.Integer(compute="_compute_counts", string="To Create")
    plan_update = fields.Integer(compute="_compute_counts", string="To Update")
    plan_skip = fields.Integer(compute="_compute_counts", string="To Skip")
    plan_fail = fields.Integer(compute="_compute_counts", string="To Fail")
    plan_review = fields.Integer(compute="_compute_counts", string="To Review")
    plan_merge = fields.Integer(compute="_compute_counts", string="To Merge")
    progress = fields.Float(compute="_compute_counts", string="Progress (%)")
    revert_log = fields.Text(readonly=True)

    @api.depends("file_name", "create_date")
    def _compute_name(self):
        for job in self:
            job.name = job.file_name or self.env._("Import")

    def _compute_counts(self):
        counts = {
            (job.id, state): count
            for job, state, count in self.env["crm.import.job.row"]._read_group(
                [("job_id", "in", self.ids), ("synthetic", "=", False)], ["job_id", "state"], ["__count"]
            )
        }
        plans = {
            (job.id, plan): count
            for job, plan, count in self.env["crm.import.job.row"]._read_group(
                [("job_id", "in", self.ids), ("synthetic", "=", False)], ["job_id", "plan"], ["__count"]
            )
        }
        for job in self:
            for state in ("created", "updated", "skipped", "failed", "review", "merged"):
                job[f"count_{state}"] = counts.get((job.id, state), 0)
            for plan in ("create", "update", "skip", "fail", "review", "merge"):
                job[f"plan_{plan}"] = plans.get((job.id, plan), 0)
            pending = counts.get((job.id, "new"), 0) + counts.get((job.id, "valid"), 0)
            job.progress = 100.0 * (job.row_count - pending) / job.row_count if job.row_count else 0.0

    @api.depends("column_ids.target", "column_ids.decimal_separator", "column_ids.date_format")
    def _compute_preview(self):
        for job in self:
            rows = job.row_ids[:PREVIEW_ROWS]
            headers = job.column_ids.mapped("header")
            if not rows:
                job.preview = False
                continue
            head = "".join(f"<th>{tools.html_escape(h)}</th>" for h in headers)
            kinds = [column._format_text() for column in job.column_ids]
            if any(kinds):
                head += "</tr><tr>" + "".join(
                    f'<th class="{"text-warning" if column._ambiguous() and kind else "text-muted"}">'
                    f"{tools.html_escape(kind)}</th>"
                    for column, kind in zip(job.column_ids, kinds, strict=True)
                )
            body = "".join(
                "<tr>" + "".join(f"<td>{tools.html_escape(v)}</td>" for v in row.data or []) + "</tr>" for row in rows
            )
            job.preview = f'<table class="table table-sm"><tr>{head}</tr>{body}</table>'

    # Access --------------------------------------------------------------------

    @api.model
    def _check_import_rights(self):
        if not self.env.su and not self.env.user.has_group("crm_client_suite.group_manager"):
            raise AccessError(self.env._("Only Managers and Admins may import contacts."))

    # Loading the file ------------------------------------------------------------

    def _attachment(self):
        self.ensure_one()
        return (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "=", self.id), ("res_field", "=", "file")], limit=1)
        )

    def _open(self):
        """The file as a binary stream, from the filestore when it is there."""
        attachment = self._attachment()
        if not attachment:
            raise reader.CrmImportFileError(self.env._("The file is empty."))
        max_bytes = setting(self.env, "import_max_mb") * 1024 * 1024
        if attachment.file_size > max_bytes:
            raise reader.CrmImportFileError(
                self.env._(
                    "The file is larger than %(size)s MB, the most an import accepts.",
                    size=setting(self.env, "import_max_mb"),
                )
            )
        if attachment.store_fname:
            return open(attachment._full_path(attachment.store_fname), "rb")
        return io.BytesIO(attachment.raw or b"")

    def _iter_file(self, stream):
        """Rows of the file as lists of strings, streamed."""
        self.ensure_one()
        if self.file_format == "xlsx":
            return reader.iter_xlsx(self.env, stream, self.sheet)
        if self.file_format == "xls":
            return reader.iter_xls(self.env, stream, self.sheet)
        text, _sample = reader.text_stream(self.env, stream, self.encoding)
        return reader.iter_csv(self.env, text, self.separator)

    def action_load(self):
        """Read the file once into the staging rows and suggest the mapping."""
        self._check_import_rights()
        for job in self:
            if job.state not in ("draft", "tested"):
                raise UserError(self.env._("Only a job that has not run yet can load its file again."))
            job._load()
        return True

    def _load(self):
        self.ensure_one()
        with self._open() as stream:
            head = stream.read(8)
            stream.seek(0)
            kind = reader.file_format(self.env, self.file_name, head)
            values = {"file_format": kind}
            if kind == "xlsx":
                max_bytes = setting(self.env, "import_max_mb") * 1024 * 1024
                reader.check_xlsx(self.env, stream, max_bytes, setting(self.env, "import_max_ratio"))
            if kind in ("xlsx", "xls"):
                names = reader.sheet_names(self.env, kind, stream)
                values["sheet_names"] = ", ".join(names)
                if self.sheet and self.sheet not in names:
                    raise UserError(self.env._("The workbook has no sheet %(sheet)s.", sheet=self.sheet))
            else:
                detected = reader.detect_encoding(self.env, stream, self.env.lang)
                values["encoding_detected"] = detected
                encoding = self.encoding or detected
                values["encoding"] = encoding
                _text, sample = reader.text_stream(self.env, stream, encoding)
                values["separator"] = self.separator or reader.detect_separator(sample)
            self.write(values)
            self._stage(self._iter_file(stream))

    def _stage(self, rows):
        """Insert the file's rows into the staging table, batch by batch."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute(SQL("DELETE FROM crm_import_job_row WHERE job_id = %s", self.id))
        self.env["crm.import.job.row"].invalidate_model()
        self.column_ids.unlink()
        max_columns = setting(self.env, "import_max_columns")
        headers, samples, batch, number = None, None, [], 0
        uid, now = self.env.uid, fields.Datetime.now()

        def flush(batch):
            cr.execute_values(
                "INSERT INTO crm_import_job_row (job_id, row_number, data, state, synthetic,"
                " create_uid, create_date, write_uid, write_date) VALUES %s",
                batch,
                template=f"({self.id}, %s, %s::jsonb, 'new', false, {uid}, %s, {uid}, %s)",
                page_size=STAGE_BATCH,
            )

        for row in rows:
            number += 1
            if len(row) > max_columns:
                raise reader.CrmImportFileError(
                    self.env._(
                        "The file has %(count)s columns; an import takes at most %(max)s.",
                        count=len(row),
                        max=max_columns,
                    )
                )
            row = [(value or "").strip() for value in row]
            if headers is None:
                if self.has_header:
                    headers = row
                    samples = [[] for _h in headers]
                    continue
                headers = [self.env._("Column %(number)s", number=i + 1) for i in range(len(row))]
                samples = [[] for _h in headers]
            if not any(row):
                continue
            for index, value in enumerate(row[: len(samples)]):
                # The first values of each column: three are shown, all infer its formats.
                if value and len(samples[index]) < formats.INFER_ROWS:
                    samples[index].append(value)
            batch.append((number, json.dumps(row), now, now))
            if len(batch) >= STAGE_BATCH:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
        if headers is None:
            raise reader.CrmImportFileError(self.env._("The file is empty."))
        count = self.env["crm.import.job.row"].search_count([("job_id", "=", self.id)])
        if not count:
            raise reader.CrmImportFileError(self.env._("The file holds only a header and no rows to import."))
        self.env["crm.import.job.row"].invalidate_model()
        self.row_count = count
        self._suggest_mapping(headers, samples)

    def _custom_labels(self):
        """{normalised label: custom field name} over the installed languages."""
        labels = {}
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        fields_ = self.env["crm.custom.field"].sudo().search([("model", "=", "res.partner")])
        for lang in langs:
            for field in fields_.with_context(lang=lang):
                if field.field_type in IMPORTABLE_CUSTOM:
                    labels.setdefault(normalize_header(field.name), field.field_name)
                    labels.setdefault(normalize_header(field.key), field.field_name)
        return labels

    def _suggest_mapping(self, headers, samples):
        key = template_key(headers)
        template = self.template_id if self.template_id.header_key == key else False
        template = template or self.env["crm.import.template"].search(self._template_domain(key), limit=1)
        labels = self._custom_labels()
        valid = dict(self.env["crm.import.job.column"]._target_selection())
        mapping = (template.mapping or {}) if template else {}
        lang = self.env["res.lang"]._get_data(code=self.env.lang or "en_US")
        # Excel stores numbers, not text: their decimal separator is always a point.
        decimal = "." if self.file_format in ("xlsx", "xls") or lang.decimal_point != "," else ","
        preferred_date = formats.lang_date_format(lang.date_format)
        used, commands = set(), []
        for index, header in enumerate(headers):
            target = mapping.get(str(index)) if template else suggest(header, labels)
            if target not in valid or target in used:
                target = False
            used.add(target)
            values = samples[index] if index < len(samples) else []
            kind, separator, date_format, ambiguous = formats.infer_column(values, decimal, preferred_date)
            # Excel's own numbers always use a point: only text cells could tell.
            decimal_ambiguous = ambiguous and kind == "number" and self.file_format not in ("xlsx", "xls")
            commands.append(
                Command.create(
                    {
                        "sequence": index,
                        "header": header,
                        "sample": ", ".join(values[:3])[:200],
                        "target": target,
                        "value_kind": kind,
                        "decimal_separator": separator or decimal,
                        "date_format": date_format or preferred_date or "yyyy-mm-dd",
                        "date_ambiguous": ambiguous and kind == "date",
                        "decimal_ambiguous": decimal_ambiguous,
                    }
                )
            )
        self.write({"column_ids": commands, "template_id": template.id if template else False})

    def _template_domain(self, key):
        """The templates that apply to a file whose headers give ``key``."""
        return [("header_key", "=", key)]

    def action_save_template(self):
        self.ensure_one()
        self._check_import_rights()
        headers = self.column_ids.mapped("header")
        mapping = {str(column.sequence): column.target for column in self.column_ids if column.target}
        values = {"header_key": template_key(headers), "mapping": mapping}
        if self.template_id and self.template_id.header_key == values["header_key"]:
            self.template_id.write(values)
        else:
            self.template_id = self.env["crm.import.template"].create({"name": self.name, **values})
        return True

    # Validation ------------------------------------------------------------------

    @api.model
    def _target_type(self, target):
        """'number' or 'date' when ``target`` is read with the column's formats."""
        if not target:
            return False
        if target.startswith("x_"):
            field = self.env["res.partner"]._fields.get(target)
            kind = field.type if field else False
        else:
            kind = TARGETS.get(target, (False, False))[1]
        return VALUE_TYPES.get(kind, False)

    def _check_formats(self):
        """Refuse to run while a mapped date or number column reads two ways."""
        checks = (
            (
                "date_ambiguous",
                "date",
                lambda column: self.env._(
                    "Choose the date format of the column %(column)s: its dates read both as day/month"
                    " and as month/day.",
                    column=column.header,
                ),
            ),
            (
                "decimal_ambiguous",
                "number",
                lambda column: self.env._(
                    "Choose the decimal separator of the column %(column)s: its numbers (%(sample)s) read"
                    " both as thousands and as decimals.",
                    column=column.header,
                    sample=column.sample,
                ),
            ),
        )
        for column in self.column_ids:
            for flag, target_type, message in checks:
                if column[flag] and column.target_type == target_type:
                    raise UserError(message(column))

    def _mapping(self):
        """[(column index, target key)] of the mapped columns."""
        return [(column.sequence, column.target) for column in self.column_ids if column.target]

    def _lookups(self):
        """Everything the rows refer to by name, read once per batch call."""
        env = self.env
        langs = [code for code, _name in env["res.lang"].get_installed()]
        countries = {}
        for lang in dict.fromkeys(["en_US", *langs]):
            for country in env["res.country"].with_context(lang=lang).search_fetch([], ["name", "code"]):
                countries.setdefault(normalize_header(country.name), country.id)
                countries.setdefault(country.code.lower(), country.id)
        # Country names in the seed's languages even where those are not installed: a German file
        # says "Deutschland" whatever the database's languages.
        by_code = {code.lower(): country_id for code, country_id in countries.items() if len(code) == 2}
        for lang in IMPORT_COUNTRY_LANGS:
            for name, code in _country_names(lang).items():
                if code in by_code:
                    countries.setdefault(name, by_code[code])
        users = {}
        for user in env["res.users"].search_fetch([("share", "=", False)], ["login", "name"]):
            users.setdefault(user.login.lower(), user.id)
            users.setdefault(normalize_header(user.name), user.id)
        teams = {normalize_header(team.name): team.id for team in env["crm.team"].search_fetch([], ["name"])}
        selections = {}
        Partner = env["res.partner"]
        for key, (fname, kind, _headers) in TARGETS.items():
            if kind == "selection":
                words = {}
                for lang in dict.fromkeys(["en_US", *langs]):
                    for value, label in Partner._fields[fname]._description_selection(env(context={"lang": lang})):
                        words.setdefault(normalize_header(label), value)
                        words.setdefault(normalize_header(value), value)
                selections[key] = words
        custom = {}
        for field in env["crm.custom.field"].sudo().search([("model", "=", "res.partner")]):
            custom[field.field_name] = field
        return {
            # The mapping and the headers, read once for the batch rather than once per row.
            "mapping": self._mapping(),
            "headers": {column.sequence: column.header for column in self.column_ids},
            "formats": {c.sequence: (c.decimal_separator, c.date_format) for c in self.column_ids},
            "excel": self.file_format in ("xlsx", "xls"),
            "countries": countries,
            "users": users,
            "teams": teams,
            "selections": selections,
            "custom": custom,
            "tags": {},
            "sources": {},
        }

    def _row_values(self, data, lookups):
        """(values, keys, errors) of one staged row, by the mapping."""
        env, Partner = self.env, self.env["res.partner"]
        values, errors, raw = {}, [], {}
        headers, mapping = lookups["headers"], lookups["mapping"]
        for index, target in mapping:
            text = data[index].strip() if index < len(data) else ""
            if text.startswith("'"):
                # Spreadsheets export phone numbers and codes with a leading quote.
                text = text[1:].strip()
            raw[target] = text
            if not text:
                continue
            header = headers.get(index, "")
            if target.startswith("x_"):
                column_format = (*lookups["formats"].get(index, (".", False)), lookups["excel"])
                error = self._custom_value(lookups["custom"].get(target), text, values, column_format)
                if error:
                    errors.append({"column": header, "message": error})
                continue
            fname, kind, _headers = TARGETS[target]
            try:
                value = self._cell_value(target, kind, text, lookups)
            except ValueError as e:
                errors.append({"column": header, "message": e.args[0]})
                continue
            field_kinds = ("char", "email", "phone", "boolean", "selection", *LOOKUP_KINDS)
            values[fname if kind in field_kinds else target] = value
        # Phones in E.164, read in the row's country, else the company's.
        country = env["res.country"].browse(values.get("country_id")) or env.company.country_id
        e164, parsed = set(), {}
        numbers = env.cr.cache.get(PHONE_CACHE_KEY, {})
        for fname in ("phone", "mobile"):
            if values.get(fname):
                number = Partner._crm_phone_e164(values[fname], country)
                # Kept with the row: its create reads it again in the same country without parsing.
                key = phone_cache_key(values[fname], country)
                if key in numbers:
                    parsed[json.dumps(key)] = numbers[key]
                if not number:
                    header = next((headers[i] for i, t in mapping if TARGETS.get(t, ("",))[0] == fname), "")
                    errors.append(
                        {
                            "column": header,
                            "message": env._("%(value)s is not a valid phone number.", value=values[fname]),
                        }
                    )
                else:
                    e164.add(number)
        if parsed:
            values[PARSED_PHONES] = parsed
        person = " ".join(p for p in (values.get("crm_first_name"), values.get("crm_last_name")) if p)
        if person and "name" not in values:
            values["name"] = person
        company = values.get("company")
        is_client = bool(company) and not values.get("name")
        if is_client:
            values["name"] = company
        keys = {
            "external_id": values.get("external_id") or False,
            "email": tools.email_normalize(values["email"]) if values.get("email") else False,
            "vat": normalize_vat(values.get("vat")),
            "phone": min(e164) if e164 else False,
            "company": normalize_header(company) if company else False,
        }
        name = (values.get("name") or "").strip().lower()
        # Name plus company: a contact without a client has no such key.
        keys["name"] = f"{keys['company']}|{name}" if name and keys["company"] else False
        return values, keys, errors, is_client

    def _cell_value(self, target, kind, text, lookups):
        """The value of one cell; ValueError with the translated reason."""
        env = self.env
        if kind == "email" and not tools.email_normalize(text, strict=True):
            raise ValueError(env._("%(value)s is not a valid email.", value=text))
        if kind in LOOKUP_KINDS:
            table = lookups[LOOKUP_KINDS[kind]]
            value = table.get(text.lower()) if kind != "team" else None
            value = value or table.get(normalize_header(text))
            if not value:
                messages = {
                    "country": env._("Unknown country: %(value)s.", value=text),
                    "owner": env._("Unknown user: %(value)s.", value=text),
                    "team": env._("Unknown sales team: %(value)s.", value=text),
                }
                raise ValueError(messages[kind])
            return value
        if kind == "selection":
            value = lookups["selections"][target].get(normalize_header(text))
            if not value:
                raise ValueError(env._("%(value)s is not an accepted value.", value=text))
            return value
        if kind == "boolean":
            if text.lower() not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError(env._("%(value)s is not yes or no.", value=text))
            return text.lower() in TRUE_WORDS
        if kind == "tags":
            return [tag.strip() for tag in text.split(",") if tag.strip()]
        return text

    def _formatted_value(self, field, text, column_format):
        """The value of a number or date cell read with its column's format
        (decimal separator, date format, Excel file); ValueError with the reason."""
        env = self.env
        decimal, date_format, excel = column_format
        if field.type in ("integer", "float", "monetary"):
            try:
                number = formats.parse_number(text, decimal or ".")
            except ValueError:
                example = dict(formats.DECIMAL_SEPARATORS).get(decimal or ".")
                raise ValueError(
                    env._("%(value)s is not a number written as %(example)s.", value=text, example=example)
                ) from None
            if field.type == "integer":
                if not number.is_integer():
                    raise ValueError(env._("%(value)s is not a whole number.", value=text))
                return int(number)
            return number
        try:
            moment = formats.parse_date(text, date_format, excel=excel)
        except ValueError:
            label = date_format or "yyyy-mm-dd"
            message = env._("%(value)s is not a date written as %(format)s.", value=text, format=label)
            raise ValueError(message) from None
        return fields.Date.to_string(moment) if field.type == "date" else fields.Datetime.to_string(moment)

    def _custom_value(self, definition, text, values, column_format=(".", False, False)):
        """Put the custom field value of ``text`` in ``values``; an error or False."""
        if not definition:
            return False
        field = self.env["res.partner"]._fields[definition.field_name]
        if field.type in VALUE_TYPES:
            try:
                values[definition.field_name] = self._formatted_value(field, text, column_format)
            except ValueError as e:
                return e.args[0]
            return False
        try:
            if definition.field_type == "selection":
                options = {normalize_header(option.name): option.id for option in definition.option_ids}
                if normalize_header(text) not in options:
                    raise ValueError(text)
                values[definition.field_name] = options[normalize_header(text)]
            elif definition.field_type == "boolean":
                if text.lower() not in TRUE_WORDS + FALSE_WORDS:
                    raise ValueError(text)
                values[definition.field_name] = text.lower() in TRUE_WORDS
            else:
                from .crm_custom_field import text_to_value

                values[definition.field_name] = text_to_value(self.env, field, text)
        except ValueError:
            return self.env._("%(value)s does not fit %(field)s.", value=text, field=definition.name)
        return False

    def _validate_rows(self, rows):
        """Check ``rows`` (staged, state new) and store their values and keys."""
        lookups = self._lookups()
        updates = []
        with self.env["res.partner"]._crm_import_phone_cache():
            parsed = [(row, *self._row_values(row.data or [], lookups)) for row in rows]
        for row, values, keys, errors, is_client in parsed:
            updates.append(
                (
                    row.id,
                    "failed" if errors else "valid",
                    "fail" if errors else None,
                    json.dumps(values),
                    json.dumps(errors) if errors else None,
                    "client" if is_client else "contact",
                    keys["external_id"],
                    keys["email"],
                    keys["vat"],
                    keys["phone"],
                    keys["name"],
                    keys["company"],
                )
            )
        self._update_rows(
            updates,
            ["state", "plan", "vals", "errors", "kind", "key_external_id", "key_email", "key_vat", "key_phone"]
            + ["key_name", "company_key"],
            ["varchar", "varchar", "jsonb", "jsonb", "varchar", "varchar", "varchar", "varchar", "varchar"]
            + ["varchar", "varchar"],
        )

    def _update_rows(self, updates, columns, types):
        """One UPDATE of many staged rows: [(id, value, ...)]."""
        if not updates:
            return
        # psycopg2 types VALUES by their first row: no Python False for NULL.
        updates = [tuple(None if value is False else value for value in update) for update in updates]
        assignments = ", ".join(f"{column} = v.{column}::{kind}" for column, kind in zip(columns, types, strict=True))
        self.env.cr.execute_values(
            f"UPDATE crm_import_job_row r SET {assignments}, write_date = now() at time zone 'UTC' "
            f"FROM (VALUES %s) AS v(id, {', '.join(columns)}) WHERE r.id = v.id",
            updates,
            page_size=1000,
        )
        self.env["crm.import.job.row"].invalidate_model()

    def _mark_file_duplicates(self, step=None):
        """Rows of the file that are the same person as an earlier row: one
        statement per matching key, then chains resolved to the first row.
        Each statement reads the whole file, so the background job runs one
        ``step`` per chunk (a key, then the chains, with ``len(MATCH_KEYS)``);
        without a step, all of them. Whether steps are left."""
        if step is None:
            for key_step in range(len(MATCH_KEYS)):
                self._mark_file_duplicates(key_step)
            return self._mark_file_duplicates(len(MATCH_KEYS))
        cr = self.env.cr
        if step == 0:
            # The staged rows are new: give the planner their statistics, of
            # the columns these statements filter and group on only (the JSON
            # columns' statistics took two thirds of the time, unused).
            cr.execute(
                SQL(
                    "ANALYZE crm_import_job_row (%s)",
                    SQL(", ").join(
                        SQL.identifier(column)
                        for column in ("job_id", "state", "kind", "duplicate_of", *(f"key_{k}" for k in MATCH_KEYS))
                    ),
                )
            )
        if step < len(MATCH_KEYS):
            column = SQL.identifier(f"key_{MATCH_KEYS[step]}")
            cr.execute(
                SQL(
                    """
                    UPDATE crm_import_job_row r SET duplicate_of = d.first
                      FROM (SELECT id, first_value(id) OVER (PARTITION BY kind, %(col)s ORDER BY id) AS first
                              FROM crm_import_job_row
                             WHERE job_id = %(job)s AND state = 'valid' AND %(col)s IS NOT NULL) d
                     WHERE r.id = d.id AND d.first <> r.id AND r.duplicate_of IS NULL
                    """,
                    col=column,
                    job=self.id,
                )
            )
            self.env["crm.import.job.row"].invalidate_model(["duplicate_of"])
            return True
        while True:
            cr.execute(
                SQL(
                    """
                    UPDATE crm_import_job_row r SET duplicate_of = p.duplicate_of
                      FROM crm_import_job_row p
                     WHERE r.job_id = %s AND p.id = r.duplicate_of AND p.duplicate_of IS NOT NULL
                    """,
                    self.id,
                )
            )
            if not cr.rowcount:
                break
        plan = "merge" if self.duplicates == "merge" else "review"
        cr.execute(
            SQL(
                "UPDATE crm_import_job_row SET plan = %s WHERE job_id = %s AND duplicate_of IS NOT NULL",
                plan,
                self.id,
            )
        )
        # Companies named by contacts but absent as rows: one synthetic client
        # row each, so that the clients phase treats every company alike.
        cr.execute(
            SQL(
                """
                INSERT INTO crm_import_job_row (job_id, row_number, state, kind, synthetic, company_key, key_name,
                                                vals, create_uid, create_date, write_uid, write_date)
                SELECT %(job)s, min(row_number), 'valid', 'client', true, company_key, company_key || '|' ||
                       lower(min(vals->>'company')), jsonb_build_object('name', min(vals->>'company'),
                       'company', min(vals->>'company')), %(uid)s, now() at time zone 'UTC', %(uid)s,
                       now() at time zone 'UTC'
                  FROM crm_import_job_row r
                 WHERE job_id = %(job)s AND kind = 'contact' AND state = 'valid' AND company_key IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM crm_import_job_row c WHERE c.job_id = %(job)s
                                   AND c.kind = 'client' AND c.company_key = r.company_key)
              GROUP BY company_key
                """,
                job=self.id,
                uid=self.env.uid,
            )
        )
        self.env["crm.import.job.row"].invalidate_model()
        return False

    # Matching ------------------------------------------------------------------

    def _find_matches(self, rows, parents):
        """{row: existing partners} for ``rows`` by the first key, in order,
        that matches anything: one query per key for the whole batch."""
        found = {}
        pending = rows.filtered(lambda r: not r.duplicate_of and (self.mode != "create" or r.synthetic))
        by_key = self._match_index(pending, parents)
        for row in pending:
            for key in MATCH_KEYS:
                value = row[f"key_{key}"]
                if not value or key not in by_key:
                    continue
                if key == "name":
                    owner = "client" if row.kind == "client" else parents.get(row.company_key, False)
                    if row.kind == "contact" and not owner:
                        continue  # a contact of a new client matches nobody by name
                    value = (owner, ((row.vals or {}).get("name") or "").strip().lower())
                ids = by_key[key].get(value)
                if ids:
                    found[row] = self.env["res.partner"].browse(sorted(ids))
                    break
        return found

    def _match_index(self, pending, parents):
        """{key: {value: partner ids}} of the existing partners matching the
        keys of ``pending`` rows: one query per key."""
        Partner = self.env["res.partner"].with_context(active_test=True)
        by_key = {}
        ext = {r.key_external_id for r in pending if r.key_external_id}
        if ext:
            data = (
                self.env["ir.model.data"]
                .sudo()
                .search_fetch(
                    [("model", "=", "res.partner"), ("module", "=", "__import__"), ("name", "in", list(ext))],
                    ["name", "res_id"],
                )
            )
            by_key["external_id"] = {}
            for item in data:
                by_key["external_id"].setdefault(item.name, set()).add(item.res_id)
        for key, fname in (("email", "email_normalized"), ("vat", "crm_vat_normalized")):
            values = {r[f"key_{key}"] for r in pending if r[f"key_{key}"]}
            if values:
                by_key[key] = {}
                for partner in Partner.search_fetch([(fname, "in", list(values))], [fname, "is_company"]):
                    by_key[key].setdefault(partner[fname], set()).add(partner.id)
        phones = {r.key_phone for r in pending if r.key_phone}
        if phones:
            by_key["phone"] = {}
            candidates = [pid for (pid,) in self.env.execute_query(phone_matches_sql(Partner, phones))]
            domain = [("id", "in", candidates)]
            for partner in Partner.search_fetch(domain, ["crm_phone_e164", "crm_mobile_e164"]):
                for number in {partner.crm_phone_e164, partner.crm_mobile_e164} - {False}:
                    by_key["phone"].setdefault(number, set()).add(partner.id)
        names = {((r.vals or {}).get("name") or "").strip().lower() for r in pending if r.key_name} - {""}
        if names:
            # Clients by name, contacts by name among the batch's clients: a
            # hashed comparison of lower(name), then the user's record rules.
            parents = [p for p in parents.values() if p] or [0]
            rows = self.env.execute_query(
                SQL(
                    """SELECT id FROM res_partner
                        WHERE active AND lower(trim(name)) = ANY(%s)
                          AND (is_company OR parent_id = ANY(%s))""",
                    list(names),
                    parents,
                )
            )
            by_key["name"] = {}
            domain = [("id", "in", [row[0] for row in rows])]
            for partner in Partner.search_fetch(domain, ["name", "is_company", "parent_id"]):
                owner = "client" if partner.is_company else partner.parent_id.id
                by_key["name"].setdefault((owner, partner.name.strip().lower()), set()).add(partner.id)
        return by_key

    def _parents(self):
        """{company key: client partner id} resolved by the clients phase."""
        rows = self.env["crm.import.job.row"].search_fetch(
            [("job_id", "=", self.id), ("kind", "=", "client"), ("company_key", "!=", False)],
            ["company_key", "record_id", "state"],
        )
        return {
            row.company_key: row.record_id.id if row.state in ("created", "updated", "skipped") else None
            for row in rows
        }

    def _plan(self, rows, parents):
        """What each of ``rows`` (valid, not a duplicate) will do, and whom it matches."""
        matches = self._find_matches(rows, parents)
        plans = {}
        for row in rows:
            if row.duplicate_of:
                continue
            match = matches.get(row)
            if row.kind == "contact" and row.company_key and parents.get(row.company_key) is None:
                if row.company_key in parents:
                    plans[row] = ("review", False, self.env._("Its client is to be reviewed."))
                    continue
            if match and len(match) > 1:
                plans[row] = ("review", match, self.env._("Matches several existing records."))
            elif match:
                if row.synthetic:
                    plans[row] = ("skip", match, False)  # an existing client, linked
                elif self.mode in ("update", "create_update", "fill"):
                    plans[row] = ("update", match, False)
                else:
                    plans[row] = ("skip", match, self.env._("Already exists."))
            elif self.mode == "update" and not row.synthetic:
                plans[row] = ("skip", False, self.env._("No existing record to update."))
            elif not (row.vals or {}).get("name"):
                plans[row] = ("fail", False, self.env._("The row has no name: map a name or a company column."))
            else:
                plans[row] = ("create", False, False)
        return plans

    # Test run ------------------------------------------------------------------

    def action_test(self):
        """Check the whole file and plan every row; write no contact."""
        self._check_import_rights()
        self._check_formats()
        for job in self:
            if job.state not in ("draft", "tested"):
                raise UserError(self.env._("This import has already run."))
            job._reset_rows()
            job._run_phase_validate(batch_size=None)
            parents = {}
            Row = self.env["crm.import.job.row"]
            for kind in ("client", "contact"):
                rows = Row.search([("job_id", "=", job.id), ("kind", "=", kind), ("state", "=", "valid")])
                for batch in tools.split_every(BATCH_SIZE, rows.ids, Row.browse):
                    plans = job._plan(batch, parents)
                    updates = []
                    for row, (plan, match, message) in plans.items():
                        if kind == "client" and row.company_key:
                            # An existing client is known by id; a new one matches nobody by name.
                            parents[row.company_key] = (
                                match.id if plan in ("update", "skip") and match else (None if plan == "review" else 0)
                            )
                        errors = json.dumps([{"column": "", "message": message}]) if message else None
                        updates.append((row.id, plan, errors))
                    job._update_rows(updates, ["plan", "errors"], ["varchar", "jsonb"])
            job.state = "tested"
        return True

    def _reset_rows(self):
        self.env.cr.execute(SQL("DELETE FROM crm_import_job_row WHERE job_id = %s AND synthetic", self.id))
        self.env.cr.execute(
            SQL(
                """UPDATE crm_import_job_row SET state = 'new', plan = NULL, errors = NULL, vals = NULL,
                          duplicate_of = NULL, record_id = NULL WHERE job_id = %s""",
                self.id,
            )
        )
        self.env["crm.import.job.row"].invalidate_model()

    # Execution -----------------------------------------------------------------

    def action_import(self):
        self._check_import_rights()
        for job in self:
            if job.state not in ("draft", "tested"):
                raise UserError(self.env._("This import has already run."))
            if not job._mapping():
                raise UserError(self.env._("Map at least one column before importing."))
            job._check_formats()
            job._reset_rows()
            job.write({"state": "queued", "phase": "validate", "dedupe_step": 0, "started_at": fields.Datetime.now()})
            if job.row_count <= setting(self.env, "import_background_threshold"):
                job._run(time_budget=None)
            else:
                self.env.ref("crm_client_suite.ir_cron_crm_import_jobs")._trigger()
        return True

    def action_cancel(self):
        self._check_import_rights()
        self.filtered(lambda job: job.state in ("queued", "running", "draft", "tested")).write(
            {"state": "cancelled", "finished_at": fields.Datetime.now()}
        )
        return True

    def _run(self, time_budget=TIME_BUDGET, batch_size=BATCH_SIZE, commit=False):
        """Advance the job chunk by chunk until done or out of time."""
        self.ensure_one()
        started = time.monotonic()
        while self.state in ("queued", "running"):
            self.state = "running"
            self._run_chunk(batch_size)
            if commit and cron_commit(self.env):
                self.env.invalidate_all()
            if time_budget and time.monotonic() - started > time_budget:
                break

    def _run_chunk(self, batch_size):
        """One bounded step of the current phase."""
        Row = self.env["crm.import.job.row"]
        ctx = {
            "tracking_disable": True,
            "mail_create_nolog": True,
            "mail_create_nosubscribe": True,
            # The audit log's origin.
            "crm_import_job_id": self.id,
        }
        job = self.with_context(**ctx)
        if self.phase == "validate":
            if not job._run_phase_validate(batch_size):  # every row checked
                if job._mark_file_duplicates(self.dedupe_step):
                    self.dedupe_step += 1
                else:
                    self.phase = "clients"
        elif self.phase in ("clients", "contacts"):
            kind = "client" if self.phase == "clients" else "contact"
            rows = Row.search(
                [("job_id", "=", self.id), ("kind", "=", kind), ("state", "=", "valid"), ("duplicate_of", "=", False)],
                order="id",
                limit=batch_size,
            )
            if rows:
                job._execute(rows)
            elif not job._resolve_duplicates(kind):  # else more duplicates, for the next chunk
                if self.phase == "clients":
                    self.phase = "contacts"
                else:
                    self._refresh_client_dates()
                    self.write({"phase": "done", "state": "done", "finished_at": fields.Datetime.now()})
                    self._notify_done()

    def _run_phase_validate(self, batch_size):
        """Validate the next ``batch_size`` new rows (all when None); whether any were left."""
        Row = self.env["crm.import.job.row"]
        rows = Row.search([("job_id", "=", self.id), ("state", "=", "new")], order="id", limit=batch_size)
        for batch in tools.split_every(BATCH_SIZE, rows.ids, Row.browse):
            self._validate_rows(batch)
        if batch_size is None:
            self._mark_file_duplicates()
        return bool(rows)

    def _merged_values(self, rows):
        """Values of ``rows``, completed with those of their in-file duplicates."""
        values = {row: dict(row.vals or {}) for row in rows}
        if self.duplicates == "merge":
            dups = self.env["crm.import.job.row"].search(
                [("duplicate_of", "in", rows.ids), ("state", "=", "valid")], order="id"
            )
            for dup in dups:
                target = values[dup.duplicate_of]
                for fname, value in (dup.vals or {}).items():
                    if isinstance(value, list) and isinstance(target.get(fname), list):
                        target[fname] = list(dict.fromkeys(target[fname] + value))
                    else:
                        target.setdefault(fname, value)
        return values

    def _partner_values(self, values, parents, is_client, tags, sources):
        vals = {k: v for k, v in values.items() if k not in ("company", "external_id", "tags", "source", PARSED_PHONES)}
        if is_client:
            vals["is_company"] = True
        elif values.get("company"):
            vals["parent_id"] = parents.get(normalize_header(values["company"]), False)
        if values.get("tags"):
            vals["category_id"] = [Command.set([tags[normalize_header(t)] for t in values["tags"]])]
        if values.get("source"):
            vals["source_id"] = sources[normalize_header(values["source"])]
        return vals

    def _prefetch_tags_sources(self, values_list):
        """Tags and lead sources named in the batch, created when missing and allowed."""
        names = {t for values in values_list for t in values.get("tags", [])}
        tags, sources = {}, {}
        Tag = self.env["res.partner.category"]
        if names:
            for tag in Tag.search_fetch([("name", "in", list(names))], ["name"]):
                tags[normalize_header(tag.name)] = tag.id
            missing = {normalize_header(n): n for n in names if normalize_header(n) not in tags}
            if missing:
                if not Tag.has_access("create"):
                    raise AccessError(
                        self.env._("You may not create contact tags: %(tags)s.", tags=", ".join(missing.values()))
                    )
                for tag in Tag.create([{"name": name} for name in missing.values()]):
                    tags[normalize_header(tag.name)] = tag.id
        source_names = {values["source"] for values in values_list if values.get("source")}
        if source_names:
            Source = self.env["utm.source"]
            for source in Source.search_fetch([("name", "in", list(source_names))], ["name"]):
                sources[normalize_header(source.name)] = source.id
            missing = {normalize_header(n): n for n in source_names if normalize_header(n) not in sources}
            for source in Source.create([{"name": name} for name in missing.values()]):
                sources[normalize_header(source.name)] = source.id
        return tags, sources

    def _execute(self, rows):
        """Create or update the records of ``rows`` (valid rows of one kind):
        one create(vals_list) for the batch, the updates written together,
        each failure isolated in a savepoint, every row's outcome stored.
        Each distinct phone number is parsed once for the batch, and the
        defaults of the new contacts read once."""
        Partner = self.env["res.partner"]
        with Partner._crm_import_phone_cache() as numbers, Partner._crm_import_defaults_cache():
            for row in rows:
                for key, number in ((row.vals or {}).get(PARSED_PHONES) or {}).items():
                    numbers.setdefault(tuple(json.loads(key)), number)
            return self._execute_batch(rows)

    def _execute_batch(self, rows):
        is_client = rows[:1].kind == "client"
        parents = {} if is_client else self._parents()
        plans = self._plan(rows, parents)
        values = self._merged_values(rows)
        outcomes = {}
        try:
            tags, sources = self._prefetch_tags_sources(list(values.values()))
        except AccessError as e:
            for row in rows:
                outcomes[row] = ("failed", False, str(e), None)
            return self._store_outcomes(outcomes)
        to_create, to_update = self._split_plans(
            plans, outcomes, lambda row: self._partner_values(values[row], parents, is_client, tags, sources)
        )
        outcomes.update(self._create_planned(to_create, self._create_partners))
        written = {row: vals for row, vals in to_create}
        outcomes.update(self._update_partners(to_update, written))
        self._store_outcomes(outcomes, written)
        self._store_external_ids(rows, outcomes)
        return True

    def _split_plans(self, plans, outcomes, values_of):
        """The rows of ``plans`` to create [(row, vals)] and to update [(row,
        record, vals)], with their values from ``values_of(row)``; the outcome
        of the others (skipped, in review, failed) goes into ``outcomes``."""
        to_create, to_update = [], []
        for row, (plan, match, message) in plans.items():
            if plan in ("skip", "review", "fail"):
                state = {"skip": "skipped", "review": "review", "fail": "failed"}[plan]
                outcomes[row] = (state, match.id if plan == "skip" and match else False, message, None)
            elif plan == "create":
                to_create.append((row, values_of(row)))
            else:
                to_update.append((row, match, values_of(row)))
        return to_create, to_update

    def _create_planned(self, to_create, create):
        """Create the rows of ``to_create`` [(row, vals)] with
        ``create(vals_list)`` in one batch; when the batch fails, row by row, so
        that a bad row fails alone with its reason. Returns {row: outcome}."""
        outcomes = {}
        if not to_create:
            return outcomes
        try:
            with self.env.cr.savepoint():
                records = create([vals for _row, vals in to_create])
                records.flush_recordset()
            for (row, _vals), record in zip(to_create, records, strict=True):
                outcomes[row] = ("created", record.id, False, None)
        except Exception as e:
            _logger.info("Import batch create failed, retrying row by row: %s", e)
            for row, vals in to_create:
                try:
                    with self.env.cr.savepoint():
                        record = create([vals])
                        record.flush_recordset()
                    outcomes[row] = ("created", record.id, False, None)
                except Exception as error:
                    outcomes[row] = ("failed", False, self._error_text(error), None)
        return outcomes

    def _create_partners(self, vals_list):
        """``res.partner.create(vals_list)`` without its per-record sync.

        Stock ``create`` syncs each new contact from its client one record
        at a time: a ``write`` of the commercial fields, one of the address,
        the language, and the client's address from its first contact (a
        dozen queries per contact, each through the audit log and the
        pipelines' hooks). The same values are put in ``vals_list`` from the
        clients read once, the way stock ``_load_records_create`` batches
        them for data files; the first-contact address is written per client.
        """
        Partner = self.env["res.partner"]
        commercial = Partner._commercial_fields()
        parents, synced, protected = self._parent_sync_values(vals.get("parent_id") for vals in vals_list)
        default_lang = self.env.context.get("default_lang") or self.env.lang
        for vals in vals_list:
            parent = vals.get("parent_id") and Partner.browse(vals["parent_id"])
            if not parent:
                continue
            if "lang" not in vals:
                vals["lang"] = parent.lang or default_lang
            if vals.get("type", "contact") == "contact":
                vals.update(synced[parent.id])
            else:
                vals.update({f: v for f, v in synced[parent.id].items() if f in commercial})
        self._pricelist_values(vals_list)
        # Defaults depend on the context, not on the values: read them once
        # for the batch, not once per record.
        defaults = Partner._add_missing_default_values({})
        vals_list = [{**defaults, **vals} for vals in vals_list]
        records = Partner.with_context(_partners_skip_fields_sync=True).create(vals_list).with_env(self.env)
        self._sync_protected(records.filtered("parent_id"), protected)
        # The first contact of a client without an address gives it its own.
        address = Partner._address_fields()
        bare = parents.filtered(lambda p: (p.is_company or not p.parent_id) and not any(p[f] for f in address))
        if bare:
            children = dict(Partner._read_group([("parent_id", "in", bare.ids)], ["parent_id"], ["__count"]))
            for record in records:
                if children.get(record.parent_id) == 1 and any(record[f] for f in address):
                    record.parent_id.update_address(record._update_fields_values(address))
        return records

    def _parent_sync_values(self, parent_ids):
        """What stock's ``_fields_sync`` copies from a new client onto its
        contact, for each of ``parent_ids``, read once: (parents, {parent id:
        commercial values of its commercial entity, and its address if it
        has one}, {parent id: the commercial values the user may not write,
        which ``_sync_protected`` writes as superuser})."""
        Partner = self.env["res.partner"]
        commercial, address = Partner._commercial_fields(), Partner._address_fields()
        # Stock syncs as superuser: some commercial fields (credit limit,
        # accounts) are not the user's to read or write. Those are written
        # after the create or write, as superuser, once per distinct set of values.
        restricted = [f for f in commercial if not Partner._fields[f].is_accessible(self.env)]
        parents = Partner.sudo().browse({parent_id for parent_id in parent_ids if parent_id})
        # All the clients' plain fields in one query: computing the new
        # contacts' stored fields (complete name, commercial company name...)
        # reads their client's, and the ORM would read each client alone.
        prefetched = [name for name, field in Partner._fields.items() if field.prefetch is True]
        parents.fetch(list({*prefetched, *commercial, *address, "lang", "is_company", "commercial_partner_id"}))
        synced, protected = {}, {}
        for parent in parents:
            values = parent.commercial_partner_id._update_fields_values(commercial)
            protected[parent.id] = {f: values.pop(f) for f in restricted}
            if any(parent[fname] for fname in address):
                values.update(parent._update_fields_values(address))
            synced[parent.id] = values
        return parents.with_env(self.env), synced, protected

    def _sync_protected(self, records, protected):
        """The rest of stock's commercial sync of ``records`` (contacts just
        given a client): the commercial values the user may not write
        (``protected``: {parent id: values}), as superuser, once per distinct
        set of values, and the company-dependent ones of the other companies,
        once per company and commercial entity."""
        Partner = self.env["res.partner"]
        groups = {}
        for record in records:
            values = protected[record.parent_id.id]
            if values:
                key = json.dumps(values, sort_keys=True, default=str)
                groups.setdefault(key, (values, []))[1].append(record.id)
        for values, ids in groups.values():
            Partner.sudo().browse(ids).write(values)
        dependent = Partner._company_dependent_commercial_fields()
        others = self.env["res.company"].sudo().search([("id", "!=", self.env.company.id)]) if dependent else []
        for company in others:
            children = records.sudo().with_company(company)
            for commercial_partner, group in children.grouped("commercial_partner_id").items():
                group.write(commercial_partner._update_fields_values(dependent))

    def _pricelist_values(self, vals_list, current=None):
        """The client's pricelist of a contact as stock sets it, for the
        whole batch: ``product`` writes it through an inverse that searches
        the country's default pricelist once per contact; here once per
        country, with the same rule (a pricelist that is the country's
        default is not stored on the contact). ``current``: for updates,
        (country id, specific pricelist id) of each record when stock's
        inverse would run, else the values' own country and no pricelist."""
        Partner = self.env["res.partner"]
        if "specific_property_product_pricelist" not in Partner._fields:
            return
        defaults = {}
        for index, vals in enumerate(vals_list):
            if "property_product_pricelist" not in vals:
                continue
            pricelist = vals.pop("property_product_pricelist")
            country_id, actual = current[index] if current else (vals.get("country_id"), False)
            if not pricelist and not actual:
                continue
            code = self.env["res.country"].browse(country_id).code or False
            if code not in defaults:
                defaults[code] = (
                    self.env["product.pricelist"]
                    .search([("country_group_ids.country_ids.code", "=", code)], limit=1)
                    .id
                )
            if pricelist or (defaults[code] and defaults[code] != actual):
                vals["specific_property_product_pricelist"] = False if pricelist == defaults[code] else pricelist

    def _presync_updates(self, planned):
        """Stock's sync of an updated contact from its new client, for the
        whole batch (``planned``: [(row, record, vals, old)]): {row: the
        values to write, with the client's commercial fields and address
        merged in as stock's ``_fields_sync`` writes them after the row's
        own}, and (records, protected values) for ``_sync_protected``.

        Only contacts given a new client that are not companies, have no
        contacts of their own (whose sync stock would cascade) and no
        snailmail letter in progress (stock gives those the row's address,
        not the client's) are presynced; the others keep stock's path. The
        job writes the presynced ones with ``crm_import_presynced``, which
        makes ``res.partner._fields_sync`` skip the sync it already did.
        """
        Partner = self.env["res.partner"]
        candidates = [
            (row, record, vals)
            for row, record, vals, _old in planned
            if vals.get("parent_id") and not record.is_company
        ]
        if not candidates:
            return {}, (Partner, {})
        records = Partner.browse([record.id for _row, record, _vals in candidates])
        records._crm_prefetch_dependents()
        lettered = set()
        if "snailmail.letter" in self.env:
            letters = (
                self.env["snailmail.letter"]
                .sudo()
                .search_fetch(
                    [("state", "not in", ["sent", "canceled"]), ("partner_id", "in", records.ids)], ["partner_id"]
                )
            )
            lettered = set(letters.partner_id.ids)
        candidates = [
            (row, record, vals)
            for row, record, vals in candidates
            if record.id not in lettered and not record.sudo().crm_dependent_child_ids
        ]
        commercial = set(Partner._commercial_fields())
        _parents, synced, protected = self._parent_sync_values(vals["parent_id"] for _row, _record, vals in candidates)
        merged, current = {}, []
        for row, record, vals in candidates:
            values = synced[vals["parent_id"]]
            if vals.get("type", record.type) != "contact":
                values = {f: v for f, v in values.items() if f in commercial}
            merged[row] = {**vals, **values}
            # Stock's pricelist inverse runs before the address sync: the row's country.
            country = vals["country_id"] if "country_id" in vals else record.country_id.id
            current.append((country, record.sudo().specific_property_product_pricelist.id or False))
        if "specific_property_product_pricelist" in Partner._fields:
            self._pricelist_values(list(merged.values()), current)
        else:
            for vals in merged.values():
                vals.pop("property_product_pricelist", None)
        presynced = Partner.browse([record.id for _row, record, _vals in candidates])
        return merged, (presynced, protected)

    def _update_partners(self, to_update, written):
        """Update the matched records of ``to_update`` [(row, record, vals)]:
        only the values that differ, all in one savepoint and one flush, a
        savepoint per row only when that fails. {row: outcome}; ``written``
        gets the values each row wrote."""
        if not to_update:
            return {}
        Partner = self.env["res.partner"]
        records = Partner.browse([match.id for _row, match, _vals in to_update])
        records.fetch(list({fname for _row, _match, vals in to_update for fname in vals} - {"is_company"}))
        planned = []
        for row, match, vals in to_update:
            record = match.with_prefetch(records._prefetch_ids)
            vals = {k: v for k, v in vals.items() if k != "is_company"}
            if self.mode == "fill":
                vals = {k: v for k, v in vals.items() if not record[k]}
            old = {fname: self._plain(record, fname) for fname in vals}
            vals = {k: v for k, v in vals.items() if self._json_value(record._fields[k], v) != old[k]}
            old = {fname: old[fname] for fname in vals}
            written[row] = vals
            planned.append((row, record, vals, old))
        merged, (presynced, protected) = self._presync_updates(planned)

        def write_batch():
            self._write_batch(
                [(record, merged.get(row, vals)) for row, record, vals, _old in planned],
                context={"crm_import_presynced": frozenset(presynced.ids)},
                then=lambda: self._sync_protected(presynced, protected),
            )

        # Row by row (after a failure), each record takes stock's own path.
        errors = self._write_each([(row, record, vals) for row, record, vals, _old in planned], write_batch)
        return {
            row: ("failed", record.id, errors[row], None) if errors[row] else ("updated", record.id, False, old)
            for row, record, _vals, old in planned
        }

    def _write_each(self, items, write_batch=None):
        """Write each of ``items`` [(key, record, vals)]: all in one savepoint
        and one flush (by ``write_batch()`` when given), a savepoint per item
        only when that fails, so that a bad record never takes the others
        down. {key: error text or False}."""
        try:
            with self.env.cr.savepoint():
                if write_batch:
                    write_batch()
                else:
                    self._write_batch([(record, vals) for _key, record, vals in items])
            return dict.fromkeys((key for key, _record, _vals in items), False)
        except Exception as e:
            # The savepoint's rollback cleared the cache: one by one.
            _logger.info("Import batch write failed, retrying record by record: %s", e)
        errors = {}
        for key, record, vals in items:
            try:
                with self.env.cr.savepoint():
                    if vals:
                        record.write(vals)
                errors[key] = False
            except Exception as e:
                errors[key] = self._error_text(e)
        return errors

    def _write_batch(self, items, context=None, then=None):
        """Write each of ``items`` [(record, vals)] in order, as one batch for
        the audit log and the pipelines (see ``_crm_audit_batch`` and
        ``_crm_automation_batch``): their old and new values read once, their
        exit conditions checked once; records given the same values share
        one ``write``. ``context``: the context of the writes; ``then()``
        runs last inside the batch."""
        items = [(record, vals) for record, vals in items if vals]
        if not items:
            return
        # Contacts, or the deals of a deal import.
        Model = items[0][0].browse().with_context(**(context or {}))
        records = Model.browse(dict.fromkeys(record.id for record, _vals in items))
        fnames = {fname for _record, vals in items for fname in vals}
        acquisition = parent_check = contextlib.nullcontext()
        shared_fields = ()
        if Model._name == "res.partner":
            records._crm_prefetch_dependents()
            acquisition = self.env["crm.client.acquisition"].sudo()._batch()
            # The hierarchy checked once for the batch, not once per write (each flushed alone).
            parent_check = Model._crm_import_parent_check()
            # Tags: one write per distinct set of tags (each write of tags is its own INSERT).
            shared_fields = SHARED_WRITE_FIELDS
        with records._crm_audit_batch(fnames), records._crm_automation_batch(), acquisition, parent_check:
            groups, seen = {}, set()

            def write_groups():
                for values, ids in groups.values():
                    Model.browse(ids).with_prefetch(records._prefetch_ids).write(values)
                groups.clear()
                seen.clear()

            for record, vals in items:
                if record.id in seen:
                    # A record written twice: the first values go first.
                    write_groups()
                seen.add(record.id)
                # Records given the same values share one write; so do the
                # shared fields given the same value, written on their own.
                parts = [{f: v for f, v in vals.items() if f not in shared_fields}]
                parts += [{f: vals[f]} for f in shared_fields if f in vals]
                for part in parts:
                    if part:
                        key = json.dumps(part, sort_keys=True, default=str)
                        groups.setdefault(key, (part, []))[1].append(record.id)
            write_groups()
            if then:
                then()

    @api.model
    def _json_value(self, field, value):
        """A value to write, as ``_plain`` reads it back."""
        if field.type in ("many2many", "one2many"):
            ids = set()
            for command in value or []:
                if command[0] == Command.SET:
                    ids = set(command[2])
                elif command[0] == Command.LINK:
                    ids.add(command[1])
            return sorted(ids)
        return value if value is not None else False

    def _error_text(self, error):
        if isinstance(error, UserError | AccessError):
            return error.args[0]
        _logger.info("Import row failed: %s", error)
        return self.env._("The record could not be saved: %(error)s", error=str(error))

    def _store_outcomes(self, outcomes, written=None):
        """Store each row's outcome, its record's write date and the values
        written (``written``: {row: vals}), which revert compares."""
        written = written or {}
        ids = [record_id for _state, record_id, _message, _old in outcomes.values() if record_id]
        dates = (
            dict(self.env.execute_query(SQL("SELECT id, write_date FROM res_partner WHERE id IN %s", tuple(ids))))
            if ids
            else {}
        )
        updates = []
        for row, (state, record_id, message, old) in outcomes.items():
            errors = json.dumps([{"column": "", "message": message}]) if message else None
            done = state in ("created", "updated")
            record = self.env["res.partner"].browse(record_id)
            # The values as stored (the ORM may clean them), which revert compares.
            new = {f: self._plain(record, f) for f in written.get(row, {}) if f != "is_company"} if done else None
            updates.append(
                (
                    row.id,
                    state,
                    record_id or None,
                    errors,
                    json.dumps(old) if old is not None else None,
                    json.dumps(new) if new is not None else None,
                    dates.get(record_id) if done else None,
                )
            )
        self._update_rows(
            updates,
            ["state", "record_id", "errors", "old_values", "new_values", "record_write_date"],
            ["varchar", "int4", "jsonb", "jsonb", "jsonb", "timestamp"],
        )

    @api.model
    def _plain(self, record, fname):
        """The value of ``record.fname`` as JSON: ids for links, text for dates."""
        field, value = record._fields[fname], record[fname]
        if field.type in ("many2many", "one2many"):
            return sorted(value.ids)
        if field.type == "many2one":
            return value.id
        if isinstance(value, datetime.date):
            return str(value)
        return value

    def _store_external_ids(self, rows, outcomes):
        data = []
        for row in rows:
            state, record_id, _message, _old = outcomes.get(row, (None, None, None, None))
            if state == "created" and row.key_external_id:
                data.append(
                    {
                        "xml_id": f"__import__.{row.key_external_id}",
                        "record": self.env["res.partner"].browse(record_id),
                        "noupdate": True,
                    }
                )
        if data:
            self.env["ir.model.data"].sudo()._update_xmlids(data)

    def _resolve_duplicates(self, kind):
        """The next ``RESOLVE_BATCH`` in-file duplicates of ``kind`` take
        their first row's outcome: a file of mostly duplicates would
        otherwise hold one transaction for all of them. Whether a full batch
        was done (more may be left for the next chunk)."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_import_job_row r
                   SET state = CASE WHEN %(merge)s AND m.state IN ('created', 'updated')
                                    THEN 'merged' ELSE 'review' END,
                       record_id = m.record_id,
                       errors = jsonb_build_array(jsonb_build_object('column', '', 'message',
                                    replace(%(message)s, %(placeholder)s, m.row_number::text)))
                  FROM crm_import_job_row m
                 WHERE r.id IN (SELECT id FROM crm_import_job_row
                                 WHERE job_id = %(job)s AND kind = %(kind)s AND state = 'valid'
                                   AND duplicate_of IS NOT NULL
                                 ORDER BY id LIMIT %(limit)s)
                   AND m.id = r.duplicate_of
                """,
                merge=self.duplicates == "merge",
                message=self.env._("Same person as row %(row)s", row="%(row)s"),
                placeholder="%(row)s",
                job=self.id,
                kind=kind,
                limit=RESOLVE_BATCH,
            )
        )
        full = self.env.cr.rowcount == RESOLVE_BATCH
        self.env["crm.import.job.row"].invalidate_model()
        return full

    def _refresh_client_dates(self):
        """Creating a contact may copy its address to its new client: that
        change is the import's own, not one a revert must respect."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE crm_import_job_row r SET record_write_date = p.write_date
                     FROM res_partner p
                    WHERE r.job_id = %s AND r.kind = 'client' AND r.state IN ('created', 'updated')
                      AND p.id = r.record_id""",
                self.id,
            )
        )
        self.env["crm.import.job.row"].invalidate_model(["record_write_date"])

    def _notify_done(self):
        self.ensure_one()
        self.user_id.partner_id._bus_send(
            "simple_notification",
            {
                "type": "success",
                "title": self.env._("Import finished"),
                "message": self.env._(
                    "%(file)s: %(created)s created, %(updated)s updated, %(failed)s failed.",
                    file=self.name,
                    created=self.count_created,
                    updated=self.count_updated,
                    failed=self.count_failed,
                ),
            },
        )

    # Background ----------------------------------------------------------------

    @api.model
    def _lock_job(self):
        self.flush_model(["state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM crm_import_job
                 WHERE state IN ('queued', 'running', 'reverting')
                 ORDER BY id LIMIT 1
                   FOR UPDATE SKIP LOCKED
                """
            ),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else self.browse()

    @api.model
    def _cron_run_jobs(self, batch_size=BATCH_SIZE, time_budget=TIME_BUDGET):
        """Advance the queued imports chunk by chunk, each chunk committed.

        The job is locked with ``FOR UPDATE SKIP LOCKED`` for each chunk: a
        second worker takes another job or waits for the next chunk. A chunk
        commits its records with its rows' outcomes, so after a crash the job
        resumes at the first row without an outcome.
        """
        chunks = 0
        for job in claimed_batches(self.env, self.sudo()._lock_job, time_budget):
            # The job runs with the rights of its author.
            if job.state == "reverting":
                # A revert runs with the rights of whoever asked for it.
                user = job.reverted_by or job.user_id
                job.with_user(user).with_context(
                    lang=user.lang, tracking_disable=True, crm_import_job_id=job.id
                )._revert_chunk(batch_size)
                chunks += 1
                continue
            job = job.with_user(job.user_id).with_context(lang=job.user_id.lang)
            job.state = "running"
            job._run_chunk(batch_size)
            chunks += 1
        return chunks

    # Error file ----------------------------------------------------------------

    def action_download_errors(self):
        self.ensure_one()
        rows = self.env["crm.import.job.row"].search(
            [("job_id", "=", self.id), ("state", "=", "failed"), ("synthetic", "=", False)], order="row_number"
        )
        if not rows:
            raise UserError(self.env._("No row failed: there is no error file."))
        headers = [*self.column_ids.mapped("header"), self.env._("Row"), self.env._("Reason")]
        lines = [headers] if self.has_header else []
        width = len(self.column_ids)
        for row in rows:
            data = list(row.data or []) + [""] * (width - len(row.data or []))
            lines.append([*data[:width], str(row.row_number), row.error_text or ""])
        base = (self.file_name or "import").rsplit(".", 1)[0]
        if self.file_format == "csv":
            buffer = io.StringIO(newline="")
            csv.writer(buffer, delimiter=self.separator or ",").writerows(lines)
            content = buffer.getvalue().encode(self.encoding or "utf-8", errors="replace")
            name = f"{base}-errors.{self.file_name.rsplit('.', 1)[-1]}"
        else:
            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet(self.sheet or "Errors")
            for line in lines:
                sheet.append(line)
            buffer = io.BytesIO()
            book.save(buffer)
            content = buffer.getvalue()
            name = f"{base}-errors.xlsx"
        attachment = self.env["ir.attachment"].create(
            {"name": name, "raw": content, "res_model": self._name, "res_id": self.id}
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    # Revert --------------------------------------------------------------------

    def action_revert(self):
        """Delete the records the job created and restore those it updated,
        unless changed or referenced since: each conflict stays listed. A
        job above the background threshold is reverted by the cron, in
        committed chunks, resumable like the import."""
        self._check_import_rights()
        for job in self:
            if job.state != "done":
                raise UserError(self.env._("Only a finished import can be reverted, and only once."))
            job.write({"state": "reverting", "reverted_by": self.env.uid})
            if job.row_count <= setting(self.env, "import_background_threshold"):
                job._revert()
            else:
                self.env.ref("crm_client_suite.ir_cron_crm_import_jobs")._trigger()
        return True

    def _revert(self):
        """Revert the whole job now, chunk after chunk."""
        job = self.with_context(tracking_disable=True, crm_import_job_id=self.id)
        while job._revert_chunk(BATCH_SIZE):
            pass

    def _changed(self, rows, link="record_id"):
        """Ids of the rows whose record (the contact, or the deal with
        ``link="deal_id"``) changed since the import: saved again later (its
        write date moved), or an imported value differs now, which catches a
        change in the import's own transaction. One query for the chunk
        reads today's values as JSON, the way ``_plain`` stored them, beside
        the stored ones (read in SQL too: the ORM copies a JSON value on
        every read)."""
        if not rows:
            return set()
        records = self.env[rows._fields[link].comodel_name]
        rows.flush_recordset(["new_values", "record_write_date", link])
        ids = tuple(rows.ids)
        fnames = [
            fname
            for (fname,) in self.env.execute_query(
                SQL(
                    """SELECT DISTINCT jsonb_object_keys(new_values) FROM crm_import_job_row
                        WHERE id IN %s AND new_values IS NOT NULL""",
                    ids,
                )
            )
            # A field gone since the import (a deleted custom field) is not compared.
            if fname in records._fields
        ]
        fnames.sort()
        records.flush_model([*fnames, "write_date"])
        values = [self._sql_json(records, fname) for fname in fnames]
        changed = set()
        for row_id, imported, moved, today in self.env.execute_query(
            SQL(
                """SELECT r.id, r.new_values, rec.write_date IS DISTINCT FROM r.record_write_date, %(values)s
                     FROM crm_import_job_row r JOIN %(table)s rec ON rec.id = r.%(link)s
                    WHERE r.id IN %(ids)s""",
                # One JSON array of today's values a row, decoded once.
                values=SQL("to_jsonb(ARRAY[%s]::jsonb[])", SQL(", ").join(values)) if values else SQL("'[]'::jsonb"),
                table=SQL.identifier(records._table),
                link=SQL.identifier(link),
                ids=ids,
            )
        ):
            now = dict(zip(fnames, today, strict=True))
            if moved or any(
                (now[fname] or False) != (value or False) for fname, value in (imported or {}).items() if fname in now
            ):
                changed.add(row_id)
        return changed

    @api.model
    def _sql_json(self, records, fname):
        """SQL of field ``fname`` of the record ``rec`` (of the model of
        ``records``) as JSON, the way ``_plain`` reads it: the value in the
        user's company and language for company-dependent and translated
        fields, sorted ids of the active linked records for a many2many,
        text for dates."""
        field = records._fields[fname]
        if field.type == "many2many":
            comodel = self.env[field.comodel_name]
            active = (
                SQL(
                    "AND EXISTS (SELECT 1 FROM %s c WHERE c.id = l.%s AND c.%s)",
                    SQL.identifier(comodel._table),
                    SQL.identifier(field.column2),
                    SQL.identifier(comodel._active_name),
                )
                if comodel._active_name
                else SQL()
            )
            return SQL(
                """(SELECT jsonb_agg(l.%(col2)s ORDER BY l.%(col2)s) FROM %(rel)s l
                     WHERE l.%(col1)s = rec.id %(active)s)""",
                col1=SQL.identifier(field.column1),
                col2=SQL.identifier(field.column2),
                rel=SQL.identifier(field.relation),
                active=active,
            )
        # As superuser: a comparison, not a read shown to the user (some
        # commercial fields are not the user's to read).
        column = records.sudo()._field_to_sql("rec", fname, flush=False)
        if field.type in ("date", "datetime"):
            return SQL("to_jsonb(%s::text)", column)
        return SQL("to_jsonb(%s)", column)

    def _revert_chunk(self, batch_size):
        """Revert the next ``batch_size`` rows: the created contacts, then the
        created clients (no longer referenced by their imported contacts),
        then the updated records. Each row is marked done with its chunk, so
        a crashed chunk is redone and a committed one never. Whether rows
        were left; the last call finishes the job and logs the revert."""
        Row = self.env["crm.import.job.row"]
        for state, kind in (("created", "contact"), ("created", "client"), ("updated", None)):
            domain = [("job_id", "=", self.id), ("state", "=", state), ("revert_done", "=", False)]
            rows = Row.search(domain + ([("kind", "=", kind)] if kind else []), order="id desc", limit=batch_size)
            if rows:
                break
        else:
            self._finish_revert()
            return False
        existing = self._existing(rows)
        if state == "created":
            reverted, conflicts = self._revert_created(existing)
        else:
            reverted, conflicts = self._revert_updated(existing)
        self._mark_reverted(rows, reverted, conflicts)
        return True

    def _mark_reverted(self, rows, reverted, conflicts):
        """Mark ``rows`` done for the revert: the ``reverted`` rows undone,
        ``conflicts`` [(row, message)] kept with their reason, the others
        (records gone since) left as they are."""
        updates = {row.id: (row.id, False, None) for row in rows}
        for row in reverted:
            updates[row.id] = (row.id, True, None)
        for row, message in conflicts:
            updates[row.id] = (row.id, False, json.dumps([{"column": "", "message": message}]))
        self._update_rows(
            [(*update, True) for update in updates.values()],
            ["reverted", "revert_conflict", "revert_done"],
            ["bool", "jsonb", "bool"],
        )

    def _revert_created(self, rows):
        """Delete the records of ``rows`` that nothing changed or refers to since."""
        Partner = self.env["res.partner"]
        changed = self._changed(rows)
        referenced = self._referenced(rows.record_id)
        conflicts, deletable = [], []
        for row in rows:
            if row.id in changed:
                conflicts.append((row, self.env._("Changed since the import.")))
            elif row.record_id.id in referenced:
                conflicts.append((row, referenced[row.record_id.id]))
            else:
                deletable.append(row)
        try:
            with self.env.cr.savepoint():
                self._unlink_created(Partner.browse([row.record_id.id for row in deletable]))
            return deletable, conflicts
        except Exception as e:
            # The savepoint's rollback cleared the cache: one by one.
            _logger.info("Revert batch delete failed, retrying record by record: %s", e)
        reverted = []
        for row in deletable:
            try:
                with self.env.cr.savepoint():
                    self._unlink_created(row.record_id)
                reverted.append(row)
            except Exception as e:
                conflicts.append((row, self._error_text(e)))
        return reverted, conflicts

    def _unlink_created(self, records):
        """Delete ``records``, created by this job. Its rows let go of them
        first, in one UPDATE: PostgreSQL would otherwise update each row on
        its own while deleting each record (``ondelete="set null"``)."""
        if not records:
            return
        self.env["crm.import.job.row"].flush_model(["record_id"])
        self.env.cr.execute(
            SQL(
                "UPDATE crm_import_job_row SET record_id = NULL WHERE job_id = %s AND record_id IN %s",
                self.id,
                tuple(records.ids),
            )
        )
        self.env["crm.import.job.row"].invalidate_model(["record_id"])
        # What depends on the contacts (their contacts, deals, attendees...):
        # one query per link for the batch, not a search per link while
        # the ORM marks their computed fields.
        records._crm_prefetch_dependents()
        records.unlink()

    def _revert_updated(self, rows):
        """Restore the values that ``rows`` overwrote, unless changed again since."""
        Partner = self.env["res.partner"]
        changed = self._changed(rows)
        conflicts, items = [], []
        for row in rows:
            if row.id in changed:
                conflicts.append((row, self.env._("Changed again since the import.")))
                continue
            vals = {}
            for fname, value in (row.old_values or {}).items():
                field = Partner._fields.get(fname)
                if field:  # not a custom field deleted since
                    vals[fname] = [Command.set(value)] if field.type == "many2many" else value
            items.append((row, row.record_id, vals))
        reverted = []
        for row, error in self._write_each(items).items():
            if error:
                conflicts.append((row, error))
            else:
                reverted.append(row)
        return reverted, conflicts

    def _finish_revert(self):
        [(reverted, conflicts)] = self.env.execute_query(
            SQL(
                """SELECT count(*) FILTER (WHERE reverted), count(*) FILTER (WHERE revert_conflict IS NOT NULL)
                     FROM crm_import_job_row WHERE job_id = %s AND revert_done""",
                self.id,
            )
        )
        log = self.env._("%(count)s records reverted, %(conflicts)s conflicts.", count=reverted, conflicts=conflicts)
        self.write({"state": "reverted", "reverted_at": fields.Datetime.now(), "revert_log": log})

    def _existing(self, rows):
        """The part of ``rows`` whose record still exists, in one query."""
        existing = set(rows.record_id.exists().ids)
        return rows.filtered(lambda row: row.record_id.id in existing)

    def _referenced(self, records):
        """{partner id: reason} for ``records`` that other records refer to."""
        reasons = {}
        ids = records.ids
        if not ids:
            return reasons
        env = self.env
        checks = [
            ("crm.lead", "partner_id", env._("Used by a deal.")),
            ("sale.order", "partner_id", env._("Used by a quotation or sales order.")),
            ("account.move", "partner_id", env._("Used by an invoice.")),
            ("project.project", "partner_id", env._("Used by a project.")),
            ("res.partner", "parent_id", env._("Still the client of other contacts.")),
        ]
        for model, fname, reason in checks:
            if model not in env:
                continue
            domain = [(fname, "in", ids)]
            Model = env[model].sudo().with_context(active_test=False)
            for partner, _count in Model._read_group(domain, [fname], ["__count"]):
                reasons.setdefault(partner.id, reason)
        for res_id, _count in (
            env["mail.message"]
            .sudo()
            ._read_group(
                [("model", "=", "res.partner"), ("res_id", "in", ids), ("message_type", "in", ("comment", "email"))],
                ["res_id"],
                ["__count"],
            )
        ):
            reasons.setdefault(res_id, env._("Has messages."))
        return reasons


class CrmImportJobRow(models.Model):
    _name = "crm.import.job.row"
    _description = "Contact Import Row"
    _order = "job_id, row_number, id"
    _rec_name = "row_number"

    job_id = fields.Many2one("crm.import.job", required=True, ondelete="cascade", index=True, readonly=True)
    row_number = fields.Integer(string="Row", readonly=True)
    data = fields.Json(readonly=True, help="The row's values as read from the file.")
    vals = fields.Json(readonly=True)
    errors = fields.Json(readonly=True)
    error_text = fields.Char(compute="_compute_error_text", string="Messages")
    kind = fields.Selection([("client", "Client"), ("contact", "Contact")], readonly=True)
    synthetic = fields.Boolean(readonly=True, help="A client named by contacts, not a row of the file.")
    state = fields.Selection(ROW_STATES, default="new", required=True, readonly=True, index=True)
    plan = fields.Selection(PLANS, string="Test Run", readonly=True)
    record_id = fields.Many2one("res.partner", readonly=True, ondelete="set null", index="btree_not_null")
    record_write_date = fields.Datetime(readonly=True)
    old_values = fields.Json(readonly=True, help="Values an update overwrote, restored by a revert.")
    new_values = fields.Json(readonly=True, help="Values the import wrote, compared by a revert.")
    revert_conflict = fields.Json(readonly=True)
    revert_done = fields.Boolean(readonly=True, help="The revert has dealt with this row.")
    reverted = fields.Boolean(readonly=True, help="The revert deleted or restored this row's record.")
    duplicate_of = fields.Many2one("crm.import.job.row", readonly=True, index="btree_not_null", ondelete="set null")
    company_key = fields.Char(readonly=True)
    key_external_id = fields.Char(readonly=True)
    key_email = fields.Char(readonly=True)
    key_vat = fields.Char(readonly=True)
    key_phone = fields.Char(readonly=True)
    key_name = fields.Char(readonly=True)

    def init(self):
        cr = self.env.cr
        for key in ("company_key", *(f"key_{k}" for k in MATCH_KEYS)):
            tools.create_index(
                cr, f"crm_import_job_row_{key}_index", self._table, ["job_id", key], where=f"{key} IS NOT NULL"
            )
        # What each chunk of a background job looks up among the job's rows,
        # in the order of the rows. Without these, PostgreSQL walked the rows
        # in id order from the job's first one, reading every row already
        # checked or written (data included) again, so a job's time grew with
        # the square of its size.
        # The next rows to check (the validate phase).
        tools.create_index(
            cr, "crm_import_job_row_to_check_index", self._table, ["job_id", "id"], where="state = 'new'"
        )
        # The next rows to write (the clients phase, then the contacts phase).
        tools.create_index(
            cr,
            "crm_import_job_row_to_write_index",
            self._table,
            ["job_id", "kind", "id"],
            where="state = 'valid' AND duplicate_of IS NULL",
        )
        # The rows of the file still to check or to write: the progress count of each chunk.
        tools.create_index(
            cr,
            "crm_import_job_row_to_do_index",
            self._table,
            ["job_id", "state"],
            where="state IN ('new', 'valid') AND NOT synthetic",
        )
        # The clients already resolved, read by each chunk of contacts.
        tools.create_index(
            cr, "crm_import_job_row_client_index", self._table, ["job_id", "company_key"], where="kind = 'client'"
        )

    @api.depends("errors", "revert_conflict")
    def _compute_error_text(self):
        for row in self:
            messages = []
            for item in (row.errors or []) + (row.revert_conflict or []):
                prefix = f"{item['column']}: " if item.get("column") else ""
                messages.append(prefix + item["message"])
            row.error_text = "; ".join(messages)
