from . import crm_contact_report
from . import crm_analytics_report_mixin
from . import crm_deal_funnel_report
from . import crm_deal_outcome_report
from . import crm_salesperson_ranking_report
from . import crm_cac_report
