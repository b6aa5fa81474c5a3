from . import crm_lead_convert_customer
from . import crm_lead_create_project
