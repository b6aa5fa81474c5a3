from odoo import Command, api, models


class ProjectShareWizard(models.TransientModel):
    _inherit = "project.share.wizard"

    @api.model
    def default_get(self, fields):
        """Opened with ``crm_invite_client_contacts``: the contacts of the
        project's client come prefilled as members (project sharing in edit
        mode), their invitation ticked; Odoo's sharing flow does the rest."""
        result = super().default_get(fields)
        if not (
            self.env.context.get("crm_invite_client_contacts")
            and result.get("res_model") == "project.project"
            and result.get("res_id")
        ):
            return result
        project = self.env["project.project"].browse(result["res_id"])
        client = project.partner_id.commercial_partner_id
        listed = {command[2]["partner_id"] for command in result.get("collaborator_ids", []) if len(command) > 2}
        contacts = client.child_ids.filtered(
            lambda p: p.type == "contact" and p.email and not p.is_company and p.id not in listed
        )
        result.setdefault("collaborator_ids", []).extend(
            Command.create({"partner_id": contact.id, "access_mode": "edit", "send_invitation": True})
            for contact in contacts
        )
        return result
