"""`label_issues` against the top losses a user has today, on labels changed at random, side by side in one process.

For each kind of data the package makes offline (the digits, 800 photo patches at 96 px, 2,000 glyphs) and each seed,
`flip_labels` changes 5% of the labels (training and validation images alike) with a fixed split, and at 64 px with
every default of the loaders:
- `fine_tune_recipe(0)` (the frozen stage, every default) on the noisy labels: its seconds, its accuracy on the *true*
  validation labels, and the baseline ranking: its losses on its own training images (through the training loader, which
  augments) and on the validation images, each split ranked on its own, largest first, as fastai's
  `ImageClassifierCleaner` shows them (the top 2m of a split holding m changed labels);
- `label_issues(learn)` on a new learner: its seconds (the cost, against the frozen stage's) and its ranking;
- for each ranking, the recall of the changed files among the top 2N rows (N changed) and the precision of the top N;
  `label_issues`'s one ranking of both splits, and also split by split as the baseline is scored;
- the `issue` flag's precision and recall, and cleanlab's `find_label_issues` on the same out-of-fold probabilities
  when cleanlab can be imported (it is not a dependency: `pip install cleanlab`);
- `fine_tune_recipe(0)` retrained on the data cleaned by `label_issues` in two ways, (a) its flagged training images
  removed, (b) every flagged image, training and validation, relabelled to its `suggested` label, as tutorial 17 does;
  and on the true labels; each judged on the true validation labels.
Prints each run, then min / median / max over the seeds per kind of data; writes bench/label_issues.json.
Run: .venv/bin/python bench/label_issues.py [--seeds 3] [--only digits]
"""
import argparse, json, statistics, tempfile, time
from tl_recipes.all import *

ap = argparse.ArgumentParser(); ap.add_argument('--seeds', type=int, default=3); ap.add_argument('--only')
ap.add_argument('--table', help='reprint the summary of a saved bench/label_issues.json'); args = ap.parse_args()
defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]

def learner(df, path, seed):
    set_seed(seed)
    learn = transfer_learner(df_dls(df, path, fn_col='file', label_col='label', valid_col='is_valid', size=64, seed=seed))
    learn.model_dir = Path(tempfile.mkdtemp()); learn.logger = noop
    return learn

def true_acc(learn, df):
    "Accuracy on the true labels of the validation images"
    true = df.set_index('file').true_label
    names = [str(Path(f).relative_to(learn.dls.path)) if learn.dls.path in Path(f).parents else str(f) for f in learn.dls.valid_ds.items]
    pred = learn.get_preds(dl=learn.dls.valid)[0].argmax(1)
    return float(np.mean([learn.dls.vocab[int(p)] == true[n] for p, n in zip(pred, names)]))

def hits(ranked, flipped):
    "Recall of `flipped` among the top 2N of `ranked`, precision of the top N"
    n = len(flipped)
    return len(flipped & set(ranked[:2*n]))/n, len(flipped & set(ranked[:n]))/n

def frozen(df, path, seed):
    learn = learner(df, path, seed)
    t = time.perf_counter(); learn.fine_tune_recipe(0); t = time.perf_counter() - t
    return learn, t, true_acc(learn, df)

def per_split(losses, items, split, flipped, rel):
    "Recall and precision of `flipped` when each split is ranked on its own by `losses`, largest first, as fastai's cleaner shows them"
    n, top2, top1 = len(flipped), set(), set()
    for s in ('train', 'valid'):
        idx = [i for i in range(len(items)) if split[i] == s]
        ranked = [rel(items[i]) for i in sorted(idx, key=lambda i: -losses[i])]
        m = len(flipped & set(map(rel, (items[i] for i in idx))))  # the changed labels in this split
        top2 |= set(ranked[:2*m]); top1 |= set(ranked[:m])
    return len(flipped & top2)/n, len(flipped & top1)/n

def run(name, path, seed):
    df = flip_labels(path, 0.05, seed)
    rel = lambda f: str(Path(f).relative_to(path))
    flipped = set(df.file[df.label != df.true_label])
    r = dict(data=name, seed=seed, n=len(df), flipped=len(flipped))
    learn, r['frozen_s'], r['acc_noisy'] = frozen(df, path, seed)
    items = [*learn.dls.train_ds.items, *learn.dls.valid_ds.items]
    split = ['train']*len(learn.dls.train_ds) + ['valid']*len(learn.dls.valid_ds)
    # fastai's ImageClassifierCleaner: each split's loader (the training one augments), its own model's losses
    losses = torch.cat([learn.get_preds(dl=learn.dls.train.new(shuffle=False, drop_last=False), with_loss=True)[2],
                        learn.get_preds(dl=learn.dls.valid, with_loss=True)[2]]).tolist()
    r['top_losses'] = per_split(losses, items, split, flipped, rel)
    learn = learner(df, path, seed)
    import tl_recipes.clean as tc
    fold, got = tc._fold_probs, {}
    def keep(*a, **k): got['p'], got['y'] = fold(*a, **k), a[2]; return got['p']
    tc._fold_probs = keep  # the out-of-fold probabilities label_issues computes, for cleanlab
    try: t = time.perf_counter(); iss = label_issues(learn); r['label_issues_s'] = time.perf_counter() - t
    finally: tc._fold_probs = fold
    r['label_issues'] = hits([rel(f) for f in iss.file], flipped)
    by_file = {f: q for f, q in zip(iss.file, iss.quality)}
    r['label_issues_per_split'] = per_split([1 - by_file[str(f)] for f in items], items, split, flipped, rel)
    flag = set(map(rel, iss.file[iss.issue]))
    r['issue'] = (len(flag & flipped)/max(len(flag), 1), len(flag & flipped)/len(flipped), len(flag))
    try:
        from cleanlab.filter import find_label_issues
        for fb in ('prune_by_noise_rate', 'confident_learning'):
            cl = set(rel(items[i]) for i in np.flatnonzero(find_label_issues(got['y'].numpy(), got['p'].numpy(), filter_by=fb)))
            r[f'cleanlab_{fb}'] = (len(cl & flipped)/max(len(cl), 1), len(cl & flipped)/len(flipped), len(cl))
    except ImportError: pass
    drop = set(map(rel, iss.file[iss.issue & (iss.split == 'train')]))
    _, _, r['acc_cleaned'] = frozen(df[~df.file.isin(drop)], path, seed)
    fix = iss[iss.issue].assign(file=lambda d: d.file.map(rel)).set_index('file').suggested
    _, _, r['acc_relabelled'] = frozen(df.assign(label=[fix.get(f, l) for f, l in zip(df.file, df.label)]), path, seed)
    r['relabel_fixed'] = int(sum(fix.get(f) == t for f, t in zip(df.file, df.true_label)))
    _, _, r['acc_clean'] = frozen(df.assign(label=df.true_label), path, seed)
    r['cost'] = r['label_issues_s'] / r['frozen_s']
    return r

def spread(xs, f='.3f'): return f'{min(xs):{f}} / {statistics.median(xs):{f}} / {max(xs):{f}}'

def summary(out):
    print('\n| data | runs | recall@2N label_issues | split by split | recall@2N top losses | precision@N label_issues | precision@N top losses '
          '| issue flag precision | issue flag recall | cost (x frozen stage) | accuracy noisy | flagged removed | flagged relabelled | clean |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for name in dict.fromkeys(r['data'] for r in out):
        rs = [r for r in out if r['data'] == name]
        g = lambda k, i=None: [r[k] if i is None else r[k][i] for r in rs]
        print(f"| {name} | {len(rs)} | {spread(g('label_issues', 0))} | {spread(g('label_issues_per_split', 0))} | {spread(g('top_losses', 0))} | "
              f"{spread(g('label_issues', 1))} | {spread(g('top_losses', 1))} | {spread(g('issue', 0), '.2f')} | "
              f"{spread(g('issue', 1), '.2f')} | {spread(g('cost'), '.2f')} | {spread(g('acc_noisy'))} | "
              f"{spread(g('acc_cleaned'))} | {spread(g('acc_relabelled')) if all('acc_relabelled' in r for r in rs) else 'not run'} | "
              f"{spread(g('acc_clean'))} |")
        if all('acc_relabelled' in r for r in rs):
            lost = [r['acc_clean'] - r['acc_noisy'] for r in rs]
            for k in ('acc_cleaned', 'acc_relabelled'):  # over the seeds: one run's accuracy moves by a few hundredths
                print(f"{name}, {k[4:]}: recovers {sum(r[k] - r['acc_noisy'] for r in rs)/max(sum(lost), 1e-9):.0%} of the "
                      f"{statistics.mean(lost):.3f} the noise cost, on average over {len(rs)} seeds")
    cl = [r for r in out if 'cleanlab_confident_learning' in r]
    if cl:
        print('\ncleanlab on the same probabilities, precision / recall of its flagged set (ours: the issue flag)')
        for name in dict.fromkeys(r['data'] for r in cl):
            rs = [r for r in cl if r['data'] == name]
            for k in ('issue', 'cleanlab_confident_learning', 'cleanlab_prune_by_noise_rate'):
                print(f"{name} {k}: precision {spread([r[k][0] for r in rs], '.2f')}, recall {spread([r[k][1] for r in rs], '.2f')}, "
                      f"flagged {spread([r[k][2] for r in rs], '.0f')}")

if __name__ == '__main__':
    if args.table: summary(json.loads(Path(args.table).read_text())); raise SystemExit
    data = [('digits', make_digits()), ('patches', make_patches()), ('glyphs', make_glyphs())]
    out, seeds = [], [42, 0, 1, 2, 3][:args.seeds]
    print(f'{torch.get_num_threads()} threads, seeds {seeds}')
    for s in seeds:
        for name, path in data:
            if args.only and args.only != name: continue
            out.append(run(name, path, s)); print(json.dumps(out[-1]), flush=True)
            Path('bench/label_issues.json').write_text(json.dumps(out, indent=1))
    summary(out)
