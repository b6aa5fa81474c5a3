from . import test_security
from . import test_ui
from . import test_automation
from . import test_automation_concurrency
from . import test_automation_ui
