"""The unfrozen stage on the cache, two ways side by side: its schedule (`--schedule`), its convolutions (`--convs`), or its memory format.

`--convs`: the last stage's 1 x 1 and depthwise convolutions by 04_cache's `_fast_convs` on their small activations
(`fast`, the recipe) against torch's own (`torch`), both in the probe's format, on `fine_tune_recipe(2, patience=None)`:
both unfrozen epochs (the plain views, then every view) always run and are timed. Prints each epoch's seconds, the
unfrozen stage's share of the recipe, and the share it has when it stops after its first epoch, as `patience=1` does
where the first epoch gains nothing (the second epoch's seconds taken out of both). Results: bench/unfrozen.md.

`--schedule`: the recipe now (`now`: each unfrozen epoch a one-cycle of its own, judged annealed, 05_train's
`_fit_cycles`; the first over the plain view of each training image, `_PlainFirst`, the next over every cached view)
against the recipe before (`before`: one cycle over all the unfrozen epochs, fastai's `fit_one_cycle`, every epoch over
every view), where `patience=1` judged the first epoch at the cycle's peak. Otherwise the memory format: the one `_fastest_format` picks (the recipe), or always contiguous.

`--formats`: a training step of a body's last stage and a head (`_step_time`: forward and backward, once warm, median of
5) in each memory format on a batch of 64, for the bundled EfficientNet-Lite0 and for ResNet-34 (random weights: the
speed does not depend on them), at the last stage's input for 64 px and 224 px images, and which one the probe picks
(also in bench/unfrozen_formats.json).

Otherwise: `fine_tune_recipe()` with every default (10 frozen epochs, then up to 3 on the body's last stage,
`patience=1`), 64 px, run twice per kind of data and seed, side by side in one process: the frozen stages are the same
run (same seed, same cache), and only the unfrozen stage's memory format differs.
- probe: the recipe (04_cache's `last_stage`: the faster format, measured on a batch of the cache; its pick and its
  seconds are printed, and counted in the unfrozen stage's);
- contiguous: the format fixed to torch's default, as before `_fastest_format`.
With `--schedule` the two ways are `now` and `before`, both in the probe's format.
Data the package makes: the digits (1,797), 800 photo patches, 2,000 glyphs, and 4,000 glyphs (`--big`). Prints a row
per run: the frozen stage's accuracy, the final one, the unfrozen stage's epochs and seconds and its share of the
recipe's time; then per way how often unfreezing gained and its share when it did not. Results: bench/unfrozen.md.
Run: .venv/bin/python bench/unfrozen.py [--formats | --schedule | --convs] [--seeds 42 0 1 2 3] [--big] [--only digits 'glyphs 4000']
"""
import argparse, json, statistics, time
from contextlib import nullcontext
from pathlib import Path
import torchvision
from tl_recipes.all import *
import tl_recipes.cache as C, tl_recipes.train as T
from tl_recipes.demo import make_digits, make_patches, make_glyphs

ap = argparse.ArgumentParser(); ap.add_argument('--seeds', nargs='+', type=int, default=[42, 0, 1, 2, 3])
ap.add_argument('--big', action='store_true', help='also 4,000 glyphs')
ap.add_argument('--formats', action='store_true', help='only the step times of each memory format')
ap.add_argument('--schedule', action='store_true', help='one cycle per unfrozen epoch (the recipe) against one cycle in all')
ap.add_argument('--convs', action='store_true', help="the last stage's convolutions: 04_cache's `_fast_convs` against torch's own")
ap.add_argument('--only', nargs='+', help='only these kinds of data, e.g. glyphs'); args = ap.parse_args()
defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # plain lines, no bars
probe, PICKS = C._fastest_format, []
def timed_probe(*a):
    "The recipe's probe, its pick and its seconds kept"
    t = time.perf_counter(); f = probe(*a); PICKS.append((str(f).split('.')[-1], time.perf_counter() - t)); return f
WAYS = {'probe': timed_probe, 'contiguous': lambda *a: torch.contiguous_format}
cycles = T._fit_cycles
plain_first, one_cycle = T._PlainFirst, lambda l, *a, **k: Learner.fit_one_cycle(l, *a, **k)
fast_convs, torch_convs = C._fast_convs, lambda m: nullcontext(m)
class EpochTimes(Callback):
    "The seconds of each epoch of the last fit of two epochs, the unfrozen stage's (`validate` is a fit of one, here too)"
    order = 99
    def before_fit(self): self.cur = []
    def before_epoch(self): self.t = time.perf_counter()
    def after_epoch(self): self.cur.append(time.perf_counter() - self.t)
    def after_fit(self):
        if len(self.cur) == 2: self.ts = self.cur
if args.schedule: WAYS = {'now': (timed_probe, cycles, plain_first), 'before': (timed_probe, one_cycle, lambda n: None)}
else: WAYS = {k: (f, cycles, plain_first) for k, f in WAYS.items()}

def formats():
    print(f'{torch.get_num_threads()} threads\n')
    print('| body | images | last stage input | contiguous ms | channels-last ms | ratio | the probe picks |')
    print('|---|---|---|---|---|---|---|')
    eff = transfer_learner(regex_dls(make_digits(n=300), size=64, num_workers=0)).model
    r34 = torchvision.models.resnet34()
    bodies = [('EfficientNet-Lite0', nn.Sequential(C.split_last(eff[0])[1], eff[1]), 192, 32),
              ('ResNet-34', nn.Sequential(r34.layer4, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)), 256, 16)]
    lf, rows = CrossEntropyLossFlat(), []
    for name, m, ch, stride in bodies:
        for px in (64, 224):
            s = px // stride; xb, yb = torch.randn(64, ch, s, s), torch.randint(0, 10, (64,))
            for p in m.parameters(): p.requires_grad_(True)
            t = {f: statistics.median([C._step_time(m.train(), xb, yb, lf, f) for _ in range(6)][1:])  # the first warms up
                 for f in (torch.contiguous_format, torch.channels_last)}
            m.to(memory_format=torch.contiguous_format)
            a, b = t[torch.contiguous_format]*1e3, t[torch.channels_last]*1e3
            pick = 'channels-last' if probe(m, xb, yb, lf) == torch.channels_last else 'contiguous'
            print(f'| {name} | {px} px | {ch}×{s}×{s} | {a:.1f} | {b:.1f} | {b/a:.2f} | {pick} |', flush=True)
            rows.append(dict(body=name, px=px, contiguous_ms=a, channels_last_ms=b, pick=pick))
    Path('bench/unfrozen_formats.json').write_text(json.dumps(rows, indent=1))

def run(path, seed, way):
    C._fastest_format, T._fit_cycles, T._PlainFirst = WAYS[way]; PICKS.clear()
    try:
        set_seed(seed); learn = transfer_learner(regex_dls(path, size=64, seed=seed)); learn.logger = noop
        t = time.perf_counter(); r = learn.fine_tune_recipe(); t = time.perf_counter() - t
    finally: C._fastest_format, T._fit_cycles, T._PlainFirst = probe, cycles, plain_first
    m = r['metrics']
    return dict(way=way, seed=seed, total=t, unfrozen=r['times']['unfrozen'], epochs=r['epochs'],
                pick=PICKS[0][0] if PICKS else 'contiguous_format', probe_s=PICKS[0][1] if PICKS else 0.,
                frozen_acc=m['frozen']['accuracy'], acc=m['unfrozen']['accuracy'])

def kinds(big:bool=False):
    "The kinds of data as `--only` asks, with 4,000 glyphs if `big`, and the threads torch uses printed"
    data = [('digits', make_digits()), ('patches', make_patches()), ('glyphs', make_glyphs())]
    if big: data.append(('glyphs 4000', make_glyphs(n=4000)))
    print(f'{torch.get_num_threads()} threads\n')
    return [d for d in data if not args.only or d[0] in args.only]

def convs():
    data, rows = kinds(), []
    print('| data | seed | convolutions | frozen accuracy | final accuracy | epoch 1 s | epoch 2 s | unfrozen s | share of the recipe | '
          'share, stopped after epoch 1 |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for name, path in data:
        for seed in args.seeds:
            for way in ('fast', 'torch'):
                C._fast_convs = fast_convs if way == 'fast' else torch_convs; e = EpochTimes()
                try:
                    set_seed(seed); learn = transfer_learner(regex_dls(path, size=64, seed=seed)); learn.logger = noop
                    t = time.perf_counter(); r = learn.fine_tune_recipe(2, patience=None, cbs=e); t = time.perf_counter() - t
                finally: C._fast_convs = fast_convs
                u, (e1, e2) = r['times']['unfrozen'], e.ts
                row = dict(data=name, seed=seed, way=way, total=t, unfrozen=u, epochs=e.ts, frozen_acc=r['metrics']['frozen']['accuracy'],
                           acc=r['metrics']['unfrozen']['accuracy'], share=u/t, share_one=(u-e2)/(t-e2)); rows.append(row)
                print(f"| {name} | {seed} | {way} | {row['frozen_acc']:.4f} | {row['acc']:.4f} | {e1:.1f} | {e2:.1f} | {u:.1f} | "
                      f"{row['share']:.1%} | {row['share_one']:.1%} |", flush=True)
    print('\n| data | epoch 1, fast / torch: min–max | epoch 2, fast / torch: min–max | share stopped after epoch 1, fast | torch |')
    print('|---|---|---|---|---|')
    for name, _ in data:
        f = [r for r in rows if r['data'] == name and r['way'] == 'fast']; g = [r for r in rows if r['data'] == name and r['way'] == 'torch']
        rat = lambda i: [a['epochs'][i]/b['epochs'][i] for a, b in zip(f, g)]
        sh = lambda rs: f"{min(r['share_one'] for r in rs):.1%}–{max(r['share_one'] for r in rs):.1%}"
        print(f"| {name} | {min(rat(0)):.2f}–{max(rat(0)):.2f} | {min(rat(1)):.2f}–{max(rat(1)):.2f} | {sh(f)} | {sh(g)} |")
    Path('bench/unfrozen_convs.json').write_text(json.dumps(rows, indent=1))

def recipes():
    data, rows = kinds(args.big), []
    print('| data | seed | way | format | probe s | frozen accuracy | final accuracy | gain | epochs unfrozen | unfrozen s | '
          'share of the recipe |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for name, path in data:
        for seed in args.seeds:
            for way in WAYS:
                r = dict(data=name, **run(path, seed, way)); rows.append(r)
                print(f"| {name} | {seed} | {way} | {r['pick'].replace('_format', '')} | {r['probe_s']:.2f} | {r['frozen_acc']:.4f} | {r['acc']:.4f} | {r['acc']-r['frozen_acc']:+.4f} | "
                      f"{r['epochs']} | {r['unfrozen']:.1f} | {r['unfrozen']/r['total']:.1%} |", flush=True)
    print('\n| way | runs that gained | gain when it gained | share when it gained nothing | unfrozen s, one epoch: min–max |')
    print('|---|---|---|---|---|')
    for way in WAYS:
        rs = [r for r in rows if r['way'] == way]; up = [r for r in rs if r['acc'] > r['frozen_acc']]
        flat = [r['unfrozen']/r['total'] for r in rs if r not in up]; one = [r['unfrozen'] for r in rs if r['epochs'] == 1]
        gain = f"{min(r['acc']-r['frozen_acc'] for r in up):+.4f} to {max(r['acc']-r['frozen_acc'] for r in up):+.4f}" if up else '-'
        fl = f'{min(flat):.1%}–{max(flat):.1%}' if flat else '-'
        print(f"| {way} | {len(up)} of {len(rs)} | {gain} | {fl} | {min(one):.1f}–{max(one):.1f} |" if one else
              f"| {way} | {len(up)} of {len(rs)} | {gain} | {fl} | - |")
    Path('bench/unfrozen_schedule.json' if args.schedule else 'bench/unfrozen.json').write_text(json.dumps(rows, indent=1))

if __name__ == '__main__': formats() if args.formats else convs() if args.convs else recipes()
