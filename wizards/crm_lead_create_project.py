from odoo import fields, models


class CrmLeadCreateProject(models.TransientModel):
    """Create the client's project from a won deal."""

    _name = "crm.lead.create.project"
    _description = "Create a Project from a Won Deal"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True)
    partner_id = fields.Many2one(related="lead_id.partner_id", string="Client")
    add_followers = fields.Boolean(
        string="Add Client Contacts as Followers",
        default=True,
        help="The client and its contacts follow the project and can see it from their portal.",
    )

    def action_create(self):
        self.ensure_one()
        self.lead_id._create_client_project(add_followers=self.add_followers)
        return self.lead_id.action_view_project()
