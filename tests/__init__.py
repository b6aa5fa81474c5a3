from . import test_security
from . import test_ui
from . import test_partner
from . import test_custom_field
from . import test_contact_report
