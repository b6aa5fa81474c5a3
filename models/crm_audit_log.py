import io
import json
from datetime import timedelta

import psycopg2.extensions

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.http import request
from odoo.tools import SQL, sql

from .crm_automation import cron_commit

# The setting holding the retention period of the audit log, in days; empty
# or 0 keeps the log forever.
RETENTION_PARAM = "crm_client_suite.audit_retention_days"
# Rows the retention cron deletes per committed batch.
PURGE_BATCH = 50000

OPERATIONS = [("create", "Created"), ("write", "Changed"), ("unlink", "Deleted")]
ORIGINS = [
    ("ui", "User Interface"),
    ("rpc", "External API"),
    ("import", "Import"),
    ("automation", "Automation"),
    ("system", "System"),
]
RPC_PATHS = ("/xmlrpc", "/jsonrpc", "/json/")
# The foreign keys the log's links had before; see ``Many2oneUnchecked``.
OLD_FOREIGN_KEYS = ("crm_audit_log_user_id_fkey", "crm_audit_log_field_id_fkey")


class Many2oneUnchecked(fields.Many2one):
    """A many2one whose column has no foreign key.

    The user and the field of an audit row are set once, by the
    application's COPY, from the current user and the field's reflection. A
    foreign key would check each row again with one trigger call per link,
    more than half of the time PostgreSQL takes to load the rows of a write
    (``bench/audit_overhead.py``). Deleting a user or a field still clears
    them on the log's rows, as the foreign key's ``ON DELETE SET NULL`` did:
    see ``crm.audit.log._forget_deleted``.
    """

    def update_db_foreign_key(self, model, column):
        return


class CrmAuditLog(models.Model):
    """One change of one field of one audited record, or the creation or
    deletion of the record: who, when, which record and field, the old and
    the new value.

    Append-only. Rows are written in one COPY per audited create, write or
    unlink (see ``crm.audit.mixin``), never through the ORM, and nobody
    changes or deletes them through the ORM or RPC; only the retention cron
    (:meth:`_cron_purge`) deletes old rows, in SQL.
    """

    _name = "crm.audit.log"
    _description = "Audit Log Entry"
    # Rows are appended in date order: the id orders them as well, and the
    # date needs only a BRIN index, which costs next to nothing per INSERT.
    _order = "id desc"
    _log_access = False
    _rec_name = "record_name"

    date = fields.Datetime(readonly=True, required=True)
    user_id = Many2oneUnchecked("res.users", readonly=True, ondelete="set null")
    res_model = fields.Char(string="Model", readonly=True, required=True)
    res_model_name = fields.Char(string="Document Type", compute="_compute_res_model_name")
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", readonly=True, required=True)
    record_name = fields.Char(string="Record", readonly=True)
    operation = fields.Selection(OPERATIONS, readonly=True, required=True)
    field_name = fields.Char(string="Technical Field Name", readonly=True)
    field_id = Many2oneUnchecked("ir.model.fields", readonly=True, ondelete="set null")
    old_value = fields.Text(readonly=True)
    new_value = fields.Text(readonly=True)
    origin = fields.Selection(ORIGINS, readonly=True)

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE INDEX IF NOT EXISTS crm_audit_log_res_model_res_id_index ON %(table)s (res_model, res_id);
                CREATE INDEX IF NOT EXISTS crm_audit_log_date_brin_index ON %(table)s USING brin (date);
                ALTER TABLE %(table)s DROP CONSTRAINT IF EXISTS %(user_fkey)s, DROP CONSTRAINT IF EXISTS %(field_fkey)s;
                DELETE FROM ir_model_constraint WHERE type = 'f' AND name IN %(fkeys)s;
                """,
                table=SQL.identifier(self._table),
                user_fkey=SQL.identifier(OLD_FOREIGN_KEYS[0]),
                field_fkey=SQL.identifier(OLD_FOREIGN_KEYS[1]),
                fkeys=OLD_FOREIGN_KEYS,
            )
        )

    @api.depends("res_model")
    def _compute_res_model_name(self):
        for entry in self:
            entry.res_model_name = self.env["ir.model"]._get(entry.res_model).name if entry.res_model else False

    # Append-only -----------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if vals_list:
            raise AccessError(
                self.env._("The audit log is written by the application only; nobody can add entries to it.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            raise AccessError(self.env._("The audit log cannot be changed, not even by an administrator."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(
            self.env._(
                "The audit log cannot be deleted; old entries are purged by the retention period set in the settings."
            )
        )

    # Access: the entries of the records one may read -------------------------

    @api.model
    def _audited_models(self):
        return [name for name, model in self.env.items() if isinstance(model, self.env.registry["crm.audit.mixin"])]

    def _access_domain(self):
        """What the current user may see: Admins everything; others the
        entries of the audited records they may read, and Contributors only
        those of records they own (see ``_crm_audit_owner_domain``)."""
        user = self.env.user
        if self.env.su or user.has_group("crm_client_suite.group_admin"):
            return []
        contributor_only = not user.has_group("crm_client_suite.group_manager")
        domain = []
        for model_name in self._audited_models():
            Model = self.env[model_name]
            if not Model.has_access("read"):
                continue
            owner_domain = Model._crm_audit_owner_domain() if contributor_only else []
            clause = ["&", ("res_model", "=", model_name), ("res_id", "in", Model._search(owner_domain))]
            domain = ["|", *domain, *clause] if domain else clause
        return domain or [("id", "=", 0)]

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        access = self._access_domain()
        if access:
            domain = ["&", *access, *(domain or [("id", "!=", 0)])]
        return super()._search(domain, offset, limit, order)

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if operation != "read" or not self or self.env.su:
            return result
        allowed = self._access_domain()
        if not allowed:
            return result
        records = self - result[0] if result else self
        visible = self.browse(super()._search([("id", "in", records.ids), *allowed]))
        forbidden = records - visible
        if not forbidden:
            return result
        if result:
            forbidden |= result[0]
        message = self.env._("You may only see the audit log of records you can read.")
        return forbidden, lambda: AccessError(message)

    # Writing the log -------------------------------------------------------

    @api.model
    def _audit_origin(self):
        context = self.env.context
        if context.get("import_file") or context.get("crm_import_job_id"):
            # Odoo's importer, or the add-on's import jobs and their reverts.
            return "import"
        if context.get("crm_automation_processing_ids") is not None:
            return "automation"
        try:
            path = request and request.httprequest.path
        except RuntimeError:
            path = None
        if not path:
            return "system"
        return "rpc" if path.startswith(RPC_PATHS) else "ui"

    @api.model
    def _insert(self, records, operation, rows):
        """Append ``rows`` (res_id, record_name, field_name, old, new) for
        ``records`` in one statement, whatever their number: a ``COPY``,
        which PostgreSQL loads faster than an INSERT of the same rows, be it
        one row or ten thousand (``bench/audit_overhead.py``)."""
        if not rows:
            return
        field_ids = self.env["ir.model.fields"]._get_ids(records._name)
        head = "\t".join(
            map(_copy_text, (self.env.cr.now(), self.env.uid, records._name, operation, self._audit_origin()))
        )
        data = "".join(
            f"{head}\t{res_id}\t{_copy_text(name)}\t{_copy_text(fname)}\t{_copy_text(fname and field_ids.get(fname))}"
            f"\t{_copy_text(old)}\t{_copy_text(new)}\n"
            for res_id, name, fname, old, new in rows
        )
        # As the ORM's own COPY (``_ensure_xml_id``): an asynchronous wait
        # callback (gevent) does not support COPY.
        callback = psycopg2.extensions.get_wait_callback()
        psycopg2.extensions.set_wait_callback(None)
        try:
            self.env.cr.copy_expert(
                "COPY crm_audit_log (date, user_id, res_model, operation, origin,"
                " res_id, record_name, field_name, field_id, old_value, new_value) FROM STDIN",
                io.StringIO(data),
            )
        finally:
            psycopg2.extensions.set_wait_callback(callback)

    @api.model
    def _forget_deleted(self, fname, ids):
        """Clear ``fname`` (``user_id`` or ``field_id``) on the rows naming
        the deleted records ``ids``, as ``ON DELETE SET NULL`` would: the
        rows stay, with the field's technical name and the record's name."""
        if ids and sql.table_exists(self.env.cr, self._table):
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = NULL WHERE %s IN %s",
                    SQL.identifier(self._table),
                    SQL.identifier(fname),
                    SQL.identifier(fname),
                    tuple(ids),
                )
            )
            self.invalidate_model([fname])

    # Retention ---------------------------------------------------------------

    @api.model
    def _cron_purge(self):
        """Delete the entries older than the retention period, if one is set,
        in committed batches."""
        days = int(self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM) or 0)
        if days <= 0:
            return
        limit = self.env.cr.now() - timedelta(days=days)
        while True:
            self.env.cr.execute(
                SQL(
                    """
                    DELETE FROM crm_audit_log WHERE id IN (
                        SELECT id FROM crm_audit_log WHERE date < %s LIMIT %s FOR UPDATE SKIP LOCKED)
                    """,
                    limit,
                    PURGE_BATCH,
                )
            )
            deleted = self.env.cr.rowcount
            self.invalidate_model()
            if deleted < PURGE_BATCH or not cron_commit(self.env):
                break

    # Actions -----------------------------------------------------------------

    @api.model
    def _action_for(self, records):
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_audit_log")
        action["domain"] = [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        action["context"] = {"search_default_group_by_date": 0}
        return action


def dump_values(values):
    """The last values of a deleted record, as one JSON text."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


# COPY's text format: a tab separates columns, a newline ends the row, \N is
# NULL, and a backslash escapes these in a value (the backslash first).
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_text(value):
    """``value`` as a column of a row of COPY's text format. A ``replace`` per
    character present, not ``str.translate`` with a mapping, which looks up
    every character of the text in Python (about 0.3 ms for a deleted
    contact's last values, 500 times slower)."""
    if value is None or value is False:
        return "\\N"
    text = str(value)
    for char, escaped in _COPY_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text
