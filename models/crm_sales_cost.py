from odoo import api, fields, models


class CrmSalesCost(models.Model):
    """Sales spend entered per month and team: salaries, tools, events ...

    One of the sources of the spend of the CAC report (crm.cac.report).
    """

    _name = "crm.sales.cost"
    _description = "Sales Cost"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Description")
    date = fields.Date(
        string="Month",
        required=True,
        index=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1),
        help="The month of the spend, stored as its first day.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True, check_company=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    source_id = fields.Many2one("utm.source", help="The source the spend brings clients from.")
    campaign_id = fields.Many2one("utm.campaign")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._first_of_month(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._first_of_month(vals)
        return super().write(vals)

    @api.model
    def _first_of_month(self, vals):
        if vals.get("date"):
            vals["date"] = fields.Date.to_date(vals["date"]).replace(day=1)
