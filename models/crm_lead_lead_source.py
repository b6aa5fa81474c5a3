from odoo import api, fields, models

UTM_FIELDS = ("partner_id", "source_id", "medium_id", "campaign_id")


class CrmLead(models.Model):
    _inherit = "crm.lead"

    crm_industry_id = fields.Many2one(
        "res.partner.industry",
        string="Industry",
        compute="_compute_crm_industry_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="The industry of the prospect: its client's, unless set here.",
    )

    @api.depends("partner_id.commercial_partner_id.industry_id")
    def _compute_crm_industry_id(self):
        for lead in self:
            industry = lead.partner_id.commercial_partner_id.industry_id
            if industry or not lead.crm_industry_id:
                lead.crm_industry_id = industry

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        self.env["res.partner"]._crm_apply_lead_sources(leads)
        return leads

    def write(self, vals):
        res = super().write(vals)
        if set(UTM_FIELDS) & vals.keys():
            self.env["res.partner"]._crm_apply_lead_sources(self)
        return res
