"""18.0.1.4.0: each inbound email keeps its reply (crm.outreach crm_reply_date and
crm_response_hours), which the client engagement report reads instead of looking it up.

The columns are new and empty: the reply of every inbound email is looked up once here, in one
statement; the upkeep keeps them current from now on.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.outreach"]._crm_init_replies()
