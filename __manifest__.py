# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "CRM Client Suite",
    "summary": "Clients, contacts, custom fields, deal pipeline, automation "
    "pipelines, outreach, portal and sales analytics on top of Odoo CRM",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/crm-client-suite/crm_client_suite",
    "author": "CRM Client Suite",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": [
        "crm",
        "contacts",
        "portal",
    ],
    "data": [
        "security/crm_client_suite_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_client_suite_rules.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/crm_lead_views.xml",
        "views/crm_custom_field_views.xml",
        "security/crm_contact_report_rules.xml",
        "report/crm_contact_report_views.xml",
        "views/crm_client_suite_menus.xml",
    ],
    "demo": [
        "demo/crm_client_suite_demo.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "assets": {
        "web.assets_tests": [
            "crm_client_suite/static/tests/tours/*.js",
        ],
    },
}
