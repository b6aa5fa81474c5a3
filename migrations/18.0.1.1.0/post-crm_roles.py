"""Users with stock Sales rights and no role get the matching role (readme/CONFIGURE.md), as at
install: in 18.0.1.0.0 the lead form failed for them."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.users"]._crm_assign_roles_from_sales()
