from odoo import fields, models

from .crm_audit_log import RETENTION_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_audit_retention_days = fields.Integer(
        string="Audit Log Retention (days)",
        config_parameter=RETENTION_PARAM,
        help="Audit log entries older than this are purged every night. 0 keeps them forever.",
    )
