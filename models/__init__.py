from . import crm_custom_field_mixin
from . import res_company
from . import res_config_settings
from . import res_partner
from . import crm_custom_field_group
from . import crm_custom_field_option
from . import crm_custom_field
from . import crm_lead
