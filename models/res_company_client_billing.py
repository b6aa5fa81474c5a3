from odoo import api, fields, models

INVOICE_LINE_GROUPINGS = [
    ("project_employee", "Per Project and Employee"),
    ("project", "Per Project"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_client_auto_project = fields.Boolean(
        string="Create a project for each new client",
        help="Creating a client company also creates its project, shared with its portal contacts, "
        "with the add-on's board stages and the client's owner and sales team.",
    )
    crm_invoice_line_grouping = fields.Selection(
        INVOICE_LINE_GROUPINGS,
        string="Invoice Lines",
        required=True,
        default="project_employee",
        help="How the weekly invoices from time group the hours: one line per project and employee, "
        "or one line per project (and hourly price).",
    )
    crm_time_product_id = fields.Many2one(
        "product.product",
        string="Time Product",
        domain="[('type', '=', 'service'), ('sale_ok', '=', True)]",
        default=lambda self: self.env.ref("crm_client_suite.product_client_time", raise_if_not_found=False),
        help="Product of the invoice lines made from time. Its sales price is the hourly price of "
        "clients without a billing rate; its income account and taxes apply.",
    )

    crm_invoice_send_on_post = fields.Boolean(
        string="Email invoices from time when posted",
        help="Posting an invoice of the weekly run emails it, with its PDF, to the client's invoicing "
        "contact, through Odoo's own invoice sending.",
    )
    crm_time_summary_weekly = fields.Boolean(
        string="Weekly time summary to clients",
        help="Every Monday, each client with time logged the week before gets one email with its hours "
        "by project and team member, sent to its contacts who opted in.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # A new company's own partner is no client: it gets no client project.
        return super(ResCompany, self.with_context(crm_no_client_project=True)).create(vals_list)

    @api.model
    def _crm_time_product(self):
        """The product of the invoice lines from time: the company's, else the add-on's."""
        return self.crm_time_product_id or self.env.ref("crm_client_suite.product_client_time")
