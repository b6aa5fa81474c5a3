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
    "depends": [
        "crm",
        "contacts",
        "portal",
        "sale_crm",
        "project",
    ],
    "data": [
        "security/crm_client_suite_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_client_suite_rules.xml",
        "security/crm_client_suite_deal_rules.xml",
        "data/crm_stage_data.xml",
        "data/project_task_type_data.xml",
        "data/ir_cron_data.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/crm_lead_views.xml",
        "views/crm_stage_views.xml",
        "views/crm_competitor_views.xml",
        "views/crm_deal_stage_history_views.xml",
        "wizards/crm_lead_convert_customer_views.xml",
        "wizards/crm_lead_create_project_views.xml",
        "security/crm_automation_rules.xml",
        "data/crm_automation_data.xml",
        "views/crm_outreach_views.xml",
        "views/crm_automation_views.xml",
        "views/crm_automation_run_views.xml",
        "views/crm_automation_record_views.xml",
        "views/crm_client_suite_menus.xml",
    ],
    "demo": [
        "demo/crm_client_suite_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_client_suite/static/src/views/**/*",
        ],
        "web.assets_tests": [
            "crm_client_suite/static/tests/tours/*.js",
        ],
    },
}
