"""Peak memory of `fine_tune_recipe` at 224 px on 500 and 2,000 images, activations in memory and on disk, side by side.

The default recipe (`unfreeze='last'`, `n_aug=2`) caches the activations at the input of the body's last stage: for a
ResNet-34 at 224 px, 256x14x14 floats (200 KB) per image and pass, so three passes over the training set and one over the
validation set. Over the memory budget (`mem_budget`, by default half the memory available) they go to `.npy` files in
the report folder and are read back by rows with plain file reads, so that the process's memory stays that of the model and
a batch. This measures both: `mem_budget=inf` (everything in memory, what the recipe did before) and `mem_budget=0`
(everything on disk), each in a fresh process: resnet34 (`pretrained=False`: memory does not depend on the weights,
and this machine is offline), 224 px, batch size 64, one frozen and one unfrozen epoch, JPEG photo patches (bench/recipe.py).
Prints each run's peak resident memory (ru_maxrss) and its growth over the process's memory before the recipe, and the
ratio 2,000 / 500 images of that growth. The target: on disk, the growth does not grow with the number of images.
Run: .venv/bin/python bench/recipe_memory.py   (about 15 minutes on 2 cores)
"""
import resource, subprocess, sys, tempfile, time
from pathlib import Path

def measure(n, budget):
    "Run the recipe on `n` images with `mem_budget=budget` in this process; print n, peak MB, growth MB, seconds"
    from tl_recipes.demo import make_patches
    from tl_recipes.all import regex_dls, transfer_learner, set_seed, defaults, ProgressCallback, RecipeReport
    defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]
    set_seed(42)
    dls = regex_dls(make_patches(n=n//8*8, size=256), size=224, flip=False, min_scale=1.0, bs=64, num_workers=0)
    learn = transfer_learner(dls, 'resnet34', pretrained=False)
    learn.validate(dl=dls.valid.new(n=64))  # warm up: one batch through the model, allocator pools, lazy imports
    before, t = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024, time.time()
    learn.fine_tune_recipe(1, freeze_epochs=1, cbs=RecipeReport(Path(tempfile.mkdtemp())/'report'), mem_budget=budget)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024
    print(f'{len(dls.train_ds)+len(dls.valid_ds)} {peak:.0f} {peak-before:.0f} {time.time()-t:.0f}')

if __name__ == '__main__':
    if len(sys.argv) > 1: measure(int(sys.argv[1]), float(sys.argv[2])); sys.exit()
    print('fine_tune_recipe(1, freeze_epochs=1), resnet34 at 224 px, n_aug=2, a fresh process each')
    print(f"{'activations':<14}{'images':>8}{'peak MB':>10}{'growth MB':>11}{'seconds':>9}")
    res = {}
    for name, budget in (('in memory', float('inf')), ('on disk', 0.0)):
        for n in (500, 2000):
            out = subprocess.run([sys.executable, __file__, str(n), str(budget)], capture_output=True, text=True)
            if out.returncode: sys.exit(out.stderr)
            k, peak, grew, secs = map(float, out.stdout.split('\n')[-2].split())
            res[name, n] = grew
            print(f'{name:<14}{k:>8,.0f}{peak:>10,.0f}{grew:>11,.0f}{secs:>9,.0f}', flush=True)
    for name in ('in memory', 'on disk'):
        print(f'{name}: growth at 2,000 images / at 500: {res[name, 2000]/res[name, 500]:.2f}')
