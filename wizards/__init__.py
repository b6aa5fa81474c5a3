from . import crm_lead_convert_customer
from . import crm_lead_create_project

from . import crm_automation_enrol
from . import crm_automation_preview
from . import base_partner_merge
from . import res_company_team_isolation
from . import project_share_wizard
