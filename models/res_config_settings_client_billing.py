from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_client_auto_project = fields.Boolean(related="company_id.crm_client_auto_project", readonly=False)
    crm_invoice_line_grouping = fields.Selection(related="company_id.crm_invoice_line_grouping", readonly=False)
    crm_time_product_id = fields.Many2one(related="company_id.crm_time_product_id", readonly=False)
    crm_invoice_send_on_post = fields.Boolean(related="company_id.crm_invoice_send_on_post", readonly=False)
    crm_time_summary_weekly = fields.Boolean(related="company_id.crm_time_summary_weekly", readonly=False)
