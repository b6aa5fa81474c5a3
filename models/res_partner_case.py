from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_case_ids = fields.One2many("crm.case", "partner_id", string="After-Sales Cases")
    crm_open_case_count = fields.Integer(string="Open Cases", compute="_compute_crm_open_case_count")

    def _compute_crm_open_case_count(self):
        self.crm_open_case_count = 0
        Case = self.env["crm.case"]
        if not Case.has_access("read") or not self.ids:
            return
        counts = dict(
            Case._read_group(
                [("partner_id", "in", self.ids), ("stage", "not in", ("done", "cancel"))], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.crm_open_case_count = counts.get(partner._origin, 0)

    def action_crm_view_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_case")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id, "search_default_open": 1}
        return action

    def _crm_portal_open_cases(self):
        """Open cases of the client's hierarchy, for its portal home (called
        with sudo, bound to the client like the other sections)."""
        self.ensure_one()
        return self.env["crm.case"].search(
            self._crm_portal_hierarchy_domain() + [("stage", "not in", ("done", "cancel"))],
            order="date_open desc, id desc",
        )
