"""18.0.1.2.0: outreach follows its contact (security/crm_outreach_rules.xml)
instead of its owner only, and the last contacted dates are kept per channel.

The old rule was loaded with noupdate: an update leaves it, and it would
narrow the new one (global rules add up), so it goes. The per-channel dates
and the contact frequency start from the outreach already logged.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    old_rule = env.ref("crm_client_suite.rule_crm_outreach_contributor_own", raise_if_not_found=False)
    if old_rule:
        old_rule.unlink()
    Outreach = env["crm.outreach"]
    ids = Outreach.search([], order="id").ids
    for start in range(0, len(ids), 10000):
        Outreach.browse(ids[start : start + 10000])._crm_register_touches()
        env.invalidate_all()
