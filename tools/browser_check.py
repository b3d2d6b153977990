"""Open HTML pages in headless Chromium, as a reader would, and report what went wrong: images that do not decode,
errors on the console (a script's, a resource that failed to load). Optionally save a screenshot of each page.

Each page is copied with a probe added (a listener for errors and `console.error` at the top of `<head>`, a check of
every `<img>` once the page has loaded) and opened with `chromium --headless --dump-dom`; the probe writes its findings
into the DOM, which is read back. Pages must be self-contained (images as data URIs, as nbconvert and `interp_report`
write them): the copy lives in a temporary folder.

Run: python tools/browser_check.py PAGE.html ... [--shots DIR]    (exit status 1 when a page has a problem)
"""
import argparse, html, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

HEAD = ("<script>window.__errs=[];window.addEventListener('error',e=>__errs.push(String(e.message||"
        "(e.target&&(e.target.src||e.target.href)))),true);const __ce=console.error;"
        "console.error=(...a)=>{__errs.push(a.map(String).join(' '));__ce(...a)};</script>")
TAIL = ("<script>window.addEventListener('load',()=>{const b=[...document.images].filter(i=>!(i.complete&&"
        "i.naturalWidth>0)).map(i=>(i.src||'').slice(0,60));document.body.setAttribute('data-check',"
        "JSON.stringify({images:document.images.length,broken:b,errors:__errs}))})</script>")

def browser()->str|None:
    "The Chromium executable on this machine, or None"
    return next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)

def _probed(page:Path, dest:Path)->Path:
    "A copy of `page` in `dest` with the probe added"
    s = page.read_text(encoding='utf-8')
    s = re.sub(r'(<head[^>]*>)', lambda m: m.group(1) + HEAD, s, count=1) if '<head' in s else HEAD + s
    s = s.replace('</body>', TAIL + '</body>') if '</body>' in s else s + TAIL
    (dest/page.name).write_text(s, encoding='utf-8')
    return dest/page.name

def check(page:Path|str, shot:Path|str|None=None, timeout:int=60)->dict:
    "What `page` shows in headless Chromium: how many images, the broken ones, the errors; a screenshot to `shot`"
    exe, page = browser(), Path(page).resolve()
    if exe is None: raise FileNotFoundError('no chromium on this machine: apt-get install chromium')
    flags = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000']
    with tempfile.TemporaryDirectory() as d:
        p = _probed(page, Path(d))
        out = subprocess.run(flags + ['--dump-dom', p.as_uri()], capture_output=True, text=True, timeout=timeout).stdout
        if shot: subprocess.run(flags + ['--window-size=1200,1600', f'--screenshot={Path(shot).resolve()}', p.as_uri()],
                                capture_output=True, timeout=timeout)
    m = re.search(r'data-check="([^"]*)"', out)
    return json.loads(html.unescape(m.group(1))) if m else dict(images=0, broken=[], errors=['the page did not load'])

def main(pages:list, shots:str|None=None)->int:
    bad = 0
    if shots: Path(shots).mkdir(parents=True, exist_ok=True)
    for p in map(Path, pages):
        r = check(p, shots and Path(shots)/f'{p.stem}.png')
        ok = not r['broken'] and not r['errors']
        bad += not ok
        print(f"{p.name:<28} {r['images']:>3} images{'' if ok else ': ' + json.dumps(r)}")
    return 1 if bad else 0

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('pages', nargs='+', help='HTML files')
    ap.add_argument('--shots', help='folder for a screenshot of each page')
    a = ap.parse_args()
    sys.exit(main(a.pages, a.shots))
