import os, pytest

def pytest_collection_modifyitems(config, items):
    "Skip tests marked `slow` unless RUN_SLOW=1, as `tst_flags = slow` does for the notebooks"
    if os.environ.get('RUN_SLOW') == '1': return
    skip = pytest.mark.skip(reason='slow: set RUN_SLOW=1 to run')
    for item in items:
        if 'slow' in item.keywords: item.add_marker(skip)

def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: long-running, skipped unless RUN_SLOW=1')
