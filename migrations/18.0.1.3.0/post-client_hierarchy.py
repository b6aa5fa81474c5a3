"""18.0.1.3.0: the client portal shows the client's whole hierarchy, its
sub-companies included, in every section (res.partner._crm_portal_hierarchy_domain).

The portal case rule was loaded with noupdate, so an update would keep its
old domain (the client's own cases only); it gets the new one here, the same
as in security/crm_case_rules.xml.
"""

from odoo import SUPERUSER_ID, api

DOMAIN = (
    "[('partner_id', 'child_of', [user.partner_id.commercial_partner_id.id]), ('partner_id.is_company', '=', True)]"
)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("crm_client_suite.rule_crm_case_portal", raise_if_not_found=False)
    if rule:
        rule.domain_force = DOMAIN
