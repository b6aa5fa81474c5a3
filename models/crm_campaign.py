from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmCampaignCost(models.Model):
    """What a campaign spent on one channel (medium) in one month: the spend
    that the sales analytics turn into a cost of acquisition."""

    _name = "crm.campaign.cost"
    _description = "Campaign Cost"
    _order = "date desc, id desc"

    campaign_id = fields.Many2one("utm.campaign", required=True, index=True, ondelete="cascade")
    medium_id = fields.Many2one("utm.medium", string="Channel", index=True, ondelete="restrict")
    date = fields.Date(
        string="Month", required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)

    _sql_constraints = [  # noqa: RUF012
        ("amount_positive", "CHECK(amount >= 0)", "A campaign cost cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("date"):
                vals["date"] = fields.Date.to_date(vals["date"]).replace(day=1)
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("date"):
            vals = dict(vals, date=fields.Date.to_date(vals["date"]).replace(day=1))
        return super().write(vals)


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    crm_date_start = fields.Date(string="Start Date")
    crm_date_end = fields.Date(string="End Date")
    # sale gives campaigns a company and its currency: budget and figures are in it.
    crm_budget = fields.Monetary(string="Budget", currency_field="currency_id")
    crm_cost_ids = fields.One2many("crm.campaign.cost", "campaign_id", string="Costs")
    crm_cost_total = fields.Monetary(string="Spent", compute="_compute_crm_figures", currency_field="currency_id")
    crm_lead_count = fields.Integer(string="Leads", compute="_compute_crm_figures")
    crm_deal_count = fields.Integer(string="Deals", compute="_compute_crm_figures")
    crm_won_revenue = fields.Monetary(
        string="Won Revenue", compute="_compute_crm_figures", currency_field="currency_id"
    )
    crm_contact_count = fields.Integer(string="Contacts Brought", compute="_compute_crm_figures")

    @api.constrains("crm_date_start", "crm_date_end")
    def _check_crm_period(self):
        for campaign in self:
            if campaign.crm_date_start and campaign.crm_date_end and campaign.crm_date_end < campaign.crm_date_start:
                raise ValidationError(
                    self.env._("Campaign %(campaign)s ends before it starts.", campaign=campaign.display_name)
                )

    def _compute_crm_figures(self):
        """A few grouped queries for all the campaigns in self. Amounts in
        other currencies than the campaign's are converted at today's rate."""
        ids = self.ids
        costs, leads, deals, won, contacts = {}, {}, {}, {}, {}
        if ids:
            for campaign, currency, amount in self.env["crm.campaign.cost"]._read_group(
                [("campaign_id", "in", ids)], ["campaign_id", "currency_id"], ["amount:sum"]
            ):
                costs.setdefault(campaign.id, []).append((currency, amount))
            Lead = self.env["crm.lead"].with_context(active_test=False)
            for campaign, lead_type, stage, count, revenue in Lead._read_group(
                [("campaign_id", "in", ids)], ["campaign_id", "type", "stage_id"], ["__count", "expected_revenue:sum"]
            ):
                target = leads if lead_type == "lead" else deals
                target[campaign.id] = target.get(campaign.id, 0) + count
                if stage.is_won:
                    won[campaign.id] = won.get(campaign.id, 0.0) + revenue
            contacts = {
                campaign.id: count
                for campaign, count in self.env["res.partner"]._read_group(
                    [("crm_first_campaign_id", "in", ids)], ["crm_first_campaign_id"], ["__count"]
                )
            }
        today = fields.Date.context_today(self)
        for campaign in self:
            currency = campaign.currency_id or self.env.company.currency_id
            company = campaign.company_id or self.env.company
            campaign.crm_cost_total = sum(
                cost_currency._convert(amount, currency, company, today)
                for cost_currency, amount in costs.get(campaign.id, [])
            )
            # expected_revenue is in the deals' company currency.
            campaign.crm_won_revenue = self.env.company.currency_id._convert(
                won.get(campaign.id, 0.0), currency, company, today
            )
            campaign.crm_lead_count = leads.get(campaign.id, 0)
            campaign.crm_deal_count = deals.get(campaign.id, 0)
            campaign.crm_contact_count = contacts.get(campaign.id, 0)

    def _crm_action(self, model, domain, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
        }

    def action_crm_view_leads(self):
        return self._crm_action("crm.lead", [("campaign_id", "=", self.id), ("type", "=", "lead")], self.env._("Leads"))

    def action_crm_view_deals(self):
        return self._crm_action(
            "crm.lead", [("campaign_id", "=", self.id), ("type", "=", "opportunity")], self.env._("Deals")
        )

    def action_crm_view_contacts(self):
        return self._crm_action(
            "res.partner", [("crm_first_campaign_id", "=", self.id)], self.env._("Contacts Brought")
        )
