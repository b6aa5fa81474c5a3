"""Phones compared in E.164 (18.0.1.1.0): create the new stored columns
before the registry loads, so that Odoo does not compute them for every
partner at once; post-migrate_phones.py fills them in batches."""

from odoo.tools import sql


def migrate(cr, version):
    for column in ("crm_phone_e164", "crm_mobile_e164"):
        if not sql.column_exists(cr, "res_partner", column):
            sql.create_column(cr, "res_partner", column, "varchar")
