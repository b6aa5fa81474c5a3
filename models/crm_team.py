from odoo import fields, models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    crm_log_known_senders = fields.Boolean(
        string="Log Emails from Known Contacts",
        help="An email reaching the mail gateway that answers no thread and no alias is attached to the "
        "contact whose address sent it, when that contact belongs to this team.",
    )
