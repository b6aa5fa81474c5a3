from . import test_security
from . import test_ui
from . import test_deal_pipeline
from . import test_deal_pipeline_ui
from . import test_automation
from . import test_automation_concurrency
from . import test_automation_ui
