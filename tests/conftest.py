import os, pytest
from helpers import run, to_folders, opt

def pytest_collection_modifyitems(config, items):
    "Skip tests marked `slow` unless RUN_SLOW=1, as `tst_flags = slow` does for the notebooks; on the newest stack, those marked `own_code`"
    slow = os.environ.get('RUN_SLOW') != '1'
    latest = os.environ.get('TL_STACK') == 'latest'  # `make test-latest`
    for item in items:
        if slow and 'slow' in item.keywords: item.add_marker(pytest.mark.skip(reason='slow: set RUN_SLOW=1 to run'))
        if latest and 'own_code' in item.keywords:
            item.add_marker(pytest.mark.skip(reason="the package's own file handling: the same on every stack, tested on the lock"))
        if latest and 'torch_only' in item.keywords:
            item.add_marker(pytest.mark.skip(reason="torch's own behaviour, the same build on both stacks: tested on the lock"))

def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: long-running, skipped unless RUN_SLOW=1')
    config.addinivalue_line('markers', "own_code: only the package's own code and the standard library (files, locks, JSON), "
                            "not fastai or fastcore: run on the locked stack, skipped on the newest")
    config.addinivalue_line('markers', "torch_only: what torch alone decides (one torch build on both stacks), fastai's part "
                            "tested on the newest stack by another test: run on the locked stack, skipped on the newest")

@pytest.fixture(scope='session')
def trained(tmp_path_factory):
    "400 digits in class folders, and a model trained on them by `tl_train` in a fresh process: once, for every test"
    tmp = tmp_path_factory.mktemp('trained')
    from tl_recipes.demo import make_digits
    os.environ['TL_RECIPES_HOME'] = str(tmp/'home')
    src = to_folders(make_digits(n=400), tmp/'digits')
    p = run('tl_train', src, '--out', tmp/'run', '--size', 64, '--bs', 32, opt('freeze_epochs'), 6, opt('epochs'), 0,
            '--unfreeze', 9,  # more groups than the body has, but with no unfrozen epochs nothing is cut: accepted, as by the recipe
            '--flip', 'False', '--device', 'cpu', home=tmp/'home')
    return tmp, src, p
