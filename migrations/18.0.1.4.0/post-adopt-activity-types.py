"""Odoo's Email, Call and Meeting activity types get the add-on's default
summary and delay (18.0.1.4.0), as at install; a type an admin already gave
a summary keeps it."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["mail.activity.type"]._crm_adopt_stock_types()
