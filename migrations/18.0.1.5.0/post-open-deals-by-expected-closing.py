"""18.0.1.5.0: the daily figures of the open deals are kept by expected closing day, so that the deal
outcome report's pipeline and forecast by Expected Closing are read from them. Their rows, kept
without a day until now, are filled again from the deals, in one statement."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.deal.analytics.daily"]._fill(kinds=["open"])
