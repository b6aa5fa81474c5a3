"""Phones compared in E.164 (18.0.1.1.0): fill crm_phone_e164 and
crm_mobile_e164 from the numbers as typed, which stay as they are, in
batches; then drop the trigram indexes of the raw numbers, which the phone
search no longer reads (Odoo drops the removed last-nine-digits columns)."""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, split_every

BATCH = 5000


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    Partner = env["res.partner"]
    cr.execute("SELECT id FROM res_partner WHERE phone IS NOT NULL OR mobile IS NOT NULL ORDER BY id")
    ids = [row[0] for row in cr.fetchall()]
    fnames = ["crm_phone_e164", "crm_mobile_e164"]
    for batch in split_every(BATCH, ids):
        partners = Partner.browse(batch)
        env.add_to_compute(Partner._fields["crm_phone_e164"], partners)
        env.add_to_compute(Partner._fields["crm_mobile_e164"], partners)
        partners._recompute_recordset(fnames)
        partners.flush_recordset(fnames)
        env.invalidate_all()
    for index in ("res_partner_crm_phone_trgm_index", "res_partner_crm_mobile_trgm_index"):
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
