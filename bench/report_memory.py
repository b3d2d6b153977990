"""Peak memory of the interpretation report at two validation-set sizes, side by side in one run.

fastai#3141: interpretation that calls `get_preds(with_input=True)` keeps every decoded validation input in memory, so memory
grows with the validation set until it runs out. `interp_report` computes predictions and losses only, decodes the top k,
and returns the memory each batch frees to the system (`trim_memory`): without that, glibc keeps it, and even fastai's
plain `get_preds(with_loss=True)` grows by about 100 KB per validation image.
Each measurement runs in a fresh process (the digits at 128 px, EfficientNet-Lite0, an untrained head: memory does not depend
on the weights), and reports how much the process's peak resident memory grew during the call, the median of three runs
(a single run varies by tens of MB: the allocator and torch's thread pools):
- `interp_report(learn, out)`: the whole report (figures, CSVs, HTML);
- `learn.get_preds(with_loss=True)`: fastai's pass without the inputs, as `ClassificationInterpretation.from_learner` runs it;
- `learn.get_preds(with_input=True, with_loss=True)`: what interpretation did before fastai 2.5, for comparison.
Run: .venv/bin/python bench/report_memory.py
"""
import resource, statistics, subprocess, sys, tempfile

def measure(method, valid_pct):
    "Peak RSS growth in MB of `method` on a validation set of `valid_pct` of the digits (run in this process)"
    from tl_recipes.all import make_digits, regex_dls, transfer_learner, interp_report, defaults, ProgressCallback
    defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]
    dls = regex_dls(make_digits(), size=128, valid_pct=valid_pct, flip=False, min_scale=1.0, num_workers=0)
    learn = transfer_learner(dls)
    learn.get_preds(dl=dls.valid.new(n=64))  # warm up: allocator pools, lazy imports
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if method == 'interp_report': interp_report(learn, tempfile.mkdtemp())
    elif method == 'get_preds(with_loss=True)': learn.get_preds(with_loss=True)
    else: learn.get_preds(with_input=True, with_loss=True)
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)/1024
    print(f'{len(dls.valid_ds)} {grew:.0f}')

METHODS = ('interp_report', 'get_preds(with_loss=True)', 'get_preds(with_input=True)')

if __name__ == '__main__':
    if len(sys.argv) > 1: measure(sys.argv[1], float(sys.argv[2])); sys.exit()
    print('peak memory growth (MB) of one call, digits at 128 px, fresh process each, median of 3')
    print(f"{'method':<42}{'valid images':>14}{'MB':>8}")
    res = {}
    for method in METHODS:
        for pct in (0.2, 0.8):
            runs = [subprocess.run([sys.executable, __file__, method, str(pct)], capture_output=True, text=True, check=True).stdout
                    for _ in range(3)]
            n, mb = float(runs[0].split()[-2]), statistics.median(float(o.split()[-1]) for o in runs)
            res[method, pct] = (n, mb)
            print(f'{method:<42}{n:>14,.0f}{mb:>8,.0f}')
    for method in METHODS:
        (n1, m1), (n2, m2) = res[method, 0.2], res[method, 0.8]
        print(f'{method}: {(m2-m1)/(n2-n1)*1000:,.0f} KB more per extra validation image')
