from . import crm_contact_report
