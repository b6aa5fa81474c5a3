from . import test_security
from . import test_ui
from . import test_deal_pipeline
from . import test_deal_pipeline_ui
