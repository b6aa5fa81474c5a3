from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    # hr (pulled in by hr_timesheet) gives users a "Department" of their
    # employee: the contact's department, inherited from the partner, gets a
    # label of its own on users so that the two stay apart.
    crm_department = fields.Char(
        related="partner_id.crm_department", inherited=True, readonly=False, string="Contact Department"
    )
