import os, pytest

def pytest_collection_modifyitems(config, items):
    "Skip tests marked `slow` unless RUN_SLOW=1, as `tst_flags = slow` does for the notebooks; on the newest stack, those marked `own_code`"
    slow = os.environ.get('RUN_SLOW') != '1'
    latest = os.environ.get('TL_STACK') == 'latest'  # `make test-latest`
    for item in items:
        if slow and 'slow' in item.keywords: item.add_marker(pytest.mark.skip(reason='slow: set RUN_SLOW=1 to run'))
        if latest and 'own_code' in item.keywords:
            item.add_marker(pytest.mark.skip(reason="the package's own file handling: the same on every stack, tested on the lock"))

def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: long-running, skipped unless RUN_SLOW=1')
    config.addinivalue_line('markers', "own_code: only the package's own code and the standard library (files, locks, JSON), "
                            "not fastai or fastcore: run on the locked stack, skipped on the newest")
