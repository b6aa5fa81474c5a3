from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_import_max_mb = fields.Integer(
        string="Largest Import File (MB)",
        config_parameter="crm_client_suite.import_max_mb",
        default=100,
    )
    crm_import_max_ratio = fields.Integer(
        string="Largest Excel Compression Ratio",
        config_parameter="crm_client_suite.import_max_ratio",
        default=100,
        help="An Excel file that unpacks to more than this many times its size is refused (zip bomb).",
    )
    crm_import_max_columns = fields.Integer(
        string="Most Columns in an Import",
        config_parameter="crm_client_suite.import_max_columns",
        default=500,
    )
    crm_import_background_threshold = fields.Integer(
        string="Background Import Above (rows)",
        config_parameter="crm_client_suite.import_background_threshold",
        default=2000,
        help="Files with more rows are imported in the background, in committed chunks.",
    )
