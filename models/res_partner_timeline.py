from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_document_count = fields.Integer(
        string="Documents",
        compute="_compute_crm_document_count",
        help="Attachments of the emails and notes on this client, its contacts and its deals.",
    )

    def _crm_documents(self):
        """The attachments of the emails and notes on this contact or client,
        its contacts and its deals, that the current user may read."""
        self.ensure_one()
        ids = self.env["crm.timeline"]._document_ids(self)
        return self.env["ir.attachment"].search([("id", "in", ids)]) if ids else self.env["ir.attachment"]

    def _compute_crm_document_count(self):
        Attachment = self.env["ir.attachment"]
        for partner in self:
            ids = self.env["crm.timeline"]._document_ids(partner) if partner.id else []
            partner.crm_document_count = Attachment.search_count([("id", "in", ids)]) if ids else 0

    def action_crm_documents(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Documents of %(name)s", name=self.display_name),
            "res_model": "ir.attachment",
            "views": [
                (self.env.ref("crm_client_suite.ir_attachment_view_list_crm_documents").id, "list"),
                (False, "form"),
            ],
            "domain": [("id", "in", self._crm_documents().ids)],
            "context": {"create": False},
        }

    def action_crm_timeline_export(self):
        """The dialog asking the period of the timeline's PDF export."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Export the Timeline"),
            "res_model": "crm.timeline.export",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_partner_id": self.id},
        }
