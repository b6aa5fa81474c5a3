from . import res_company
from . import res_config_settings
from . import res_partner
from . import crm_stage
from . import crm_competitor
from . import crm_deal_stakeholder
from . import crm_deal_stage_history
from . import crm_lead
