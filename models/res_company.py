from odoo import api, fields, models
from odoo.tools import SQL, split_every


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_team_isolation = fields.Boolean(
        string="Team Isolation",
        help="Hide each sales team's clients, contacts and deals from the "
        "Managers and Contributors of the other sales teams.",
    )
    crm_probability_source = fields.Selection(
        [
            ("stage", "Stage default"),
            ("predictive", "Predictive lead scoring"),
        ],
        string="Deal Probability",
        required=True,
        default="stage",
        help="Stage default: a deal takes the default probability of its stage (stages without one, "
        "and deals whose probability was set by hand, keep Odoo's). Predictive lead scoring: Odoo "
        "computes every deal's probability from the deals won and lost before, as in stock CRM.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "crm_team_isolation" in vals:
            # The record rules read this flag; their domains are cached.
            self.env.registry.clear_cache()
        if "crm_probability_source" in vals and not self.env.context.get("crm_keep_deal_probabilities"):
            self._crm_recompute_open_deal_probabilities()
        return res

    def _crm_recompute_open_deal_probabilities(self):
        """Apply a new probability source to the open deals of these companies (deals whose
        probability was set by hand keep it)."""
        Lead = self.env["crm.lead"].sudo()
        leads = Lead.search([("company_id", "in", self.ids), ("stage_id.is_won", "=", False)])
        for ids in split_every(1000, leads.ids):
            Lead.browse(ids)._compute_probabilities()

    @api.model
    def _crm_init_probability_source(self):
        """Install: keep Odoo's predictive lead scoring for the companies that already have deals.

        Stock CRM always scores deals predictively, so a company with deals has been living with
        those probabilities; switching them to stage defaults would change every open deal's
        probability, forecast and prorated revenue under its salespeople's feet. Only deals that
        people entered count: records of modules' data or demo data (those with an xml id of a
        module) say nothing about how the database is used. Deals without a company are scored
        for every company, so they keep predictive scoring everywhere. The other companies, and
        every new database, get the seed's stage probabilities (the field's default).
        """
        self.env["crm.lead"].flush_model(["company_id"])
        self.env["ir.model.data"].flush_model(["model", "res_id", "module"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT lead.company_id
                  FROM crm_lead lead
                 WHERE NOT EXISTS (
                           SELECT 1
                             FROM ir_model_data imd
                            WHERE imd.model = 'crm.lead'
                              AND imd.res_id = lead.id
                              AND imd.module NOT LIKE %(private)s
                       )
                """,
                private=r"\_\_%",
            )
        )
        company_ids = {company_id for (company_id,) in rows}
        companies = self.search([]) if None in company_ids else self.browse(company_ids - {None})
        # their deals already carry predictive probabilities: nothing to recompute
        companies.with_context(crm_keep_deal_probabilities=True).write({"crm_probability_source": "predictive"})
