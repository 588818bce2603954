#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the sources of this repository into a git patch series, and check it.

Layout (see README, "How the series is made"):
  <kernel paths>         new files (net/quic/*, net/ipv4/udp_ulp.c, ...) in
                         their final form: the one place their lines live
  series/series          the patch directories, in order
  series/<patch>/message commit message (subject, blank line, body)
  series/<patch>/files   new files the patch introduces, one path per line
  series/<patch>/*.diff  fragments: the patch's edits to files that existed
                         before it (kernel files, or our own files that an
                         earlier patch introduced), as unified diffs
  series/cover-letter    subject and body of patch 0000

Patch k's tree is derived backwards from the final one: start from the base
tree with every kernel-file fragment applied and every new file copied in,
then for k = n..1 remove what patch k introduced and reverse its fragments.
The walk must end exactly at the base tree, which proves the fragments and
the final files agree.

Commands:
  build    create the series as commits on top of tag "base" in $SRC
  patches  build, then write patches/ with git format-patch
  check [F] fail if patches/ is stale, if it does not `git am` onto the base,
           if checkpatch.pl --strict reports anything, or kernel-doc, or
           the documentation is not valid reStructuredText; with F, write
           "pass|fail NAME" lines there. One checkpatch report is checked
           rather than taken at its word: FILE_PATH_CHANGES ("does
           MAINTAINERS need updating?") on a patch that adds files without
           touching MAINTAINERS counts only if an added file has no F:
           entry in MAINTAINERS as the series leaves it at that patch
  names    print the names of the patches this base carries, in order
  state P F   print file F as the series leaves it just before patch P
           (to write a fragment: edit a copy, then diff -u against it)
  import R write the series back from git commits base..R of $SRC, one per
           patch, in series/series order: new files (final form) to their
           paths, edits to existing files as fragments, commit messages
           without their Signed-off-by. The way to restructure the series:
           `build`, edit branch "series" in $SRC with git (rebase -i,
           fixups, split commits), then `import series`.
"""

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
SERIES = os.path.join(TOP, "series")
# The primary base (series/base) or a backport (SERIES_BACKPORT=6.12: its
# base, fragments and cover letter in series/6.12, its series in
# patches/6.12, its tree in $BUILD/linux-6.12).
BACKPORT = os.environ.get("SERIES_BACKPORT", "")
if BACKPORT:
    SRC = os.path.join(BUILD, "linux-" + BACKPORT)
    PATCHES = os.path.join(TOP, "patches", BACKPORT)
    OVERRIDES = os.path.join(SERIES, BACKPORT)
    if not os.path.isdir(OVERRIDES):
        print("error: no backport %s in series/" % BACKPORT, file=sys.stderr)
        sys.exit(1)
else:
    SRC = os.path.join(BUILD, "linux")
    PATCHES = os.path.join(TOP, "patches")
    OVERRIDES = None
SRC = os.environ.get("SERIES_SRC", SRC)

# Fixed identity and dates: the same sources always give the same patches.
AUTHOR_FILE = os.path.join(SERIES, "author")
DATE = "2026-11-23T12:00:00+00:00"


def die(msg):
    print("error: " + msg, file=sys.stderr)
    sys.exit(1)


def run(args, cwd=None, input=None, env=None, check=True):
    p = subprocess.run(args, cwd=cwd, input=input, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        die("%s failed:\n%s%s" % (" ".join(args), p.stdout.decode(errors="replace"),
                                  p.stderr.decode(errors="replace")))
    return p


def git(*args, input=None, env=None, check=True):
    return run(["git", "-C", SRC] + list(args), input=input, env=env,
               check=check).stdout


def author():
    with open(AUTHOR_FILE) as f:
        name, email = f.read().strip().rsplit(" ", 1)
    return name, email.strip("<>")


class Patch:
    def __init__(self, name):
        self.name = name
        d = os.path.join(SERIES, name)
        if not os.path.isdir(d):
            die("series/series names %s, which does not exist" % name)
        with open(os.path.join(d, "message")) as f:
            self.message = f.read().rstrip("\n") + "\n"
        self.files = []
        fl = os.path.join(d, "files")
        if os.path.exists(fl):
            with open(fl) as f:
                self.files = [l.strip() for l in f
                              if l.strip() and not l.startswith("#")]
        self.diffs = sorted(os.path.join(d, x) for x in os.listdir(d)
                            if x.endswith(".diff"))
        # A backport replaces a fragment by one of the same name in
        # series/<backport>/<patch>/, and adds the others there after the
        # patch's own: compat.diff, the edits to files the series adds
        # that the older kernel API forces.
        self.compat = []
        od = os.path.join(OVERRIDES, name) if OVERRIDES else None
        if od and os.path.isdir(od):
            for x in sorted(os.listdir(od)):
                if not x.endswith(".diff"):
                    continue
                mine = os.path.join(d, x)
                if mine in self.diffs:
                    self.diffs[self.diffs.index(mine)] = os.path.join(od, x)
                else:
                    self.compat.append(os.path.join(od, x))
            self.diffs += self.compat


def read_list(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def load_series(dropped=None):
    """The patches, in order. A backport may carry a prefix of the series
    only (series/<backport>/series): the patches it leaves out are
    appended to @dropped when given."""
    names = read_list(os.path.join(SERIES, "series"))
    listing = os.path.join(OVERRIDES, "series") if OVERRIDES else None
    if listing and os.path.exists(listing):
        mine = read_list(listing)
        if mine != names[:len(mine)]:
            die("%s is not a prefix of series/series" %
                os.path.relpath(listing, TOP))
        if dropped is not None:
            dropped.extend(Patch(n) for n in names[len(mine):])
        names = mine
    return [Patch(n) for n in names]


def diff_paths(diff):
    """Paths a unified diff touches (from its +++ lines)."""
    paths = []
    with open(diff) as f:
        for line in f:
            if line.startswith("+++ "):
                p = line[4:].split("\t")[0].strip()
                if p.startswith("b/"):
                    p = p[2:]
                paths.append(p)
    return paths


def base_blob(path):
    p = run(["git", "-C", SRC, "show", "base:" + path], check=False)
    return p.stdout if p.returncode == 0 else None


def apply_diff(work, diff, reverse=False):
    args = ["patch", "-d", work, "-p1", "-s", "-f", "--no-backup-if-mismatch",
            "-r", "-", "-i", diff]
    if reverse:
        args.insert(1, "-R")
    p = run(args, check=False)
    if p.returncode != 0:
        die("%s does not %sapply:\n%s" % (os.path.relpath(diff, TOP),
                                         "reverse-" if reverse else "",
                                         p.stdout.decode(errors="replace")))


def read_tree_dir(work, paths):
    out = {}
    for p in paths:
        fp = os.path.join(work, p)
        out[p] = open(fp, "rb").read() if os.path.exists(fp) else None
    return out


def derive_trees(patches, dropped=()):
    """Return [state_1, ..., state_n]: {path: bytes or None} per patch.
    @dropped: the patches after them a backport leaves out, whose edits
    to our own files are undone first (their kernel fragments are not
    the backport's)."""
    own = []
    for p in list(patches) + list(dropped):
        for f in p.files:
            if f in own:
                die("%s is introduced twice" % f)
            own.append(f)
    touched = set(own)
    for p in patches:
        for d in p.diffs:
            touched.update(diff_paths(d))
    for p in dropped:
        touched.update(p.files)
        for d in p.diffs:
            if all(x in own for x in diff_paths(d)):
                touched.update(diff_paths(d))

    work = tempfile.mkdtemp(prefix="series-")
    try:
        # The final tree: base files with all their fragments, own files as
        # they are in this repository.
        for path in touched:
            fp = os.path.join(work, path)
            os.makedirs(os.path.dirname(fp), exist_ok=True)
            if path in own:
                src = os.path.join(TOP, path)
                if not os.path.exists(src):
                    die("%s is listed in a files list but missing" % path)
                shutil.copyfile(src, fp)
                shutil.copymode(src, fp)
            else:
                blob = base_blob(path)
                if blob is not None:
                    with open(fp, "wb") as f:
                        f.write(blob)
        introduced = set()
        for p in patches:
            for d in p.diffs:
                for path in diff_paths(d):
                    # (a compat fragment edits the patch's own new files)
                    if path in own and path not in introduced and \
                            not (d in p.compat and path in p.files):
                        die("%s edits %s before a patch introduces it" %
                            (os.path.relpath(d, TOP), path))
            for d in p.diffs:
                base_only = all(x not in own for x in diff_paths(d))
                if base_only:
                    apply_diff(work, d)
                elif any(x not in own for x in diff_paths(d)):
                    die("%s mixes kernel files and our own files" %
                        os.path.relpath(d, TOP))
            introduced.update(p.files)
        # What a backport leaves out, undone from our files' final form
        for p in reversed(list(dropped)):
            for d in reversed(p.diffs):
                if all(x in own for x in diff_paths(d)):
                    apply_diff(work, d, reverse=True)
            for f in p.files:
                os.unlink(os.path.join(work, f))
        # A backport's compat fragments edit our files' final form
        for p in patches:
            for d in p.compat:
                if any(x not in own for x in diff_paths(d)):
                    die("%s edits kernel files; only our own files belong "
                        "in a compat fragment" % os.path.relpath(d, TOP))
                apply_diff(work, d)

        states = [None] * len(patches)
        for k in range(len(patches) - 1, -1, -1):
            states[k] = read_tree_dir(work, sorted(touched))
            p = patches[k]
            for d in reversed(p.diffs):
                apply_diff(work, d, reverse=True)
            for f in p.files:
                os.unlink(os.path.join(work, f))
        base_state = read_tree_dir(work, sorted(touched))
        for path, content in base_state.items():
            if content != base_blob(path):
                die("walking the series back does not reach the base at %s "
                    "(a fragment and a final file disagree)" % path)
        return states
    finally:
        shutil.rmtree(work)


def build():
    name, email = author()
    env = dict(os.environ,
               GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_AUTHOR_DATE=DATE, GIT_COMMITTER_DATE=DATE,
               GIT_INDEX_FILE=os.path.join(BUILD, "series%s.index" %
                                           ("-" + BACKPORT if BACKPORT else "")))
    dropped = []
    patches = load_series(dropped)
    states = derive_trees(patches, dropped)
    parent = git("rev-parse", "base").decode().strip()
    git("read-tree", parent, env=env)
    for p, state in zip(patches, states):
        for path, content in state.items():
            if content is None:
                git("update-index", "--force-remove", "--", path, env=env)
                continue
            mode = "100755" if os.access(os.path.join(TOP, path), os.X_OK) \
                and path in p.files else "100644"
            sha = git("hash-object", "-w", "--stdin", input=content).decode().strip()
            git("update-index", "--add", "--cacheinfo",
                "%s,%s,%s" % (mode, sha, path), env=env)
        tree = git("write-tree", env=env).decode().strip()
        msg = p.message + "\nSigned-off-by: %s <%s>\n" % (name, email)
        parent = git("commit-tree", tree, "-p", parent, input=msg.encode(),
                     env=env).decode().strip()
    git("update-ref", "refs/heads/series", parent)
    return parent, len(patches)


def format_patches(outdir):
    tip, n = build()
    name, email = author()
    with open(os.path.join(OVERRIDES or SERIES, "cover-letter")) as f:
        subject, _, body = f.read().partition("\n")
    os.makedirs(outdir, exist_ok=True)
    for old in os.listdir(outdir):
        if old.endswith(".patch"):
            os.unlink(os.path.join(outdir, old))
    git("-c", "user.name=" + name, "-c", "user.email=" + email,
        "-c", "format.signature=", "-c", "diff.noprefix=false",
        "-c", "diff.renames=false",
        "format-patch", "-q", "--cover-letter", "--base=base",
        "--subject-prefix=" + ("PATCH %s backport" % BACKPORT if BACKPORT
                               else "PATCH net-next"), "-n",
        "-o", outdir, "base.." + tip)
    cover = os.path.join(outdir, "0000-cover-letter.patch")
    with open(cover) as f:
        text = f.read()
    text = text.replace("*** SUBJECT HERE ***", subject.strip())
    text = text.replace("*** BLURB HERE ***", body.strip("\n"))
    # format-patch dates the cover letter "now"; pin it like the patches.
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Date: "):
            lines[i] = "Date: Mon, 23 Nov 2026 12:00:00 +0000"
            break
    with open(cover, "w") as f:
        f.write("\n".join(lines))
    return n


def recorded_base():
    """The base-commit patches/ names (its cover letter), or None."""
    try:
        with open(os.path.join(PATCHES, "0000-cover-letter.patch")) as f:
            for line in f:
                if line.startswith("base-commit: "):
                    return line.split()[1]
    except OSError:
        pass
    return None


def base_independent(patch):
    """A patch without what depends on the base rather than the sources:
    the commit ids, the blob ids, base-commit and the hunks' line numbers."""
    out = []
    for line in patch.split(b"\n"):
        if re.match(rb"From [0-9a-f]{40} |index [0-9a-f]+\.\.[0-9a-f]+|base-commit: ",
                    line):
            continue
        out.append(re.sub(rb"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", b"@@", line))
    return b"\n".join(out)


def pristine_worktree(wt):
    """Make wt a work tree of the base tree at "base" with nothing else in
    it. It is kept between runs: adding one writes the whole tree (some
    80,000 files, a third of the check's time), resetting one rewrites
    only what the last check's git am changed. One that cannot be reset
    (gone, or left from another base tree) is made anew."""
    if os.path.exists(os.path.join(wt, ".git")):
        run(["git", "-C", wt, "am", "--abort"], check=False)
        if run(["git", "-C", wt, "checkout", "-q", "-f", "--detach", "base"],
               check=False).returncode == 0 and \
           run(["git", "-C", wt, "clean", "-q", "-f", "-d", "-x"],
               check=False).returncode == 0:
            return
    run(["git", "-C", SRC, "worktree", "remove", "--force", wt], check=False)
    shutil.rmtree(wt, ignore_errors=True)
    git("worktree", "prune")
    git("worktree", "add", "-q", "--detach", wt, "base")


def series_checks():
    """Yield (name, problem or None) for each check of the series."""
    if not os.path.isdir(PATCHES):
        yield "fresh", "patches/ missing"
        return
    tmp = tempfile.mkdtemp(prefix="patches-")
    try:
        format_patches(tmp)
        fresh = sorted(os.listdir(tmp))
        have = sorted(x for x in os.listdir(PATCHES) if x.endswith(".patch"))
        problem = None
        if fresh != have:
            problem = "patches/ lists %s, the sources give %s" % (have, fresh)
        else:
            # On another base than patches/ was made against (the pinned
            # version gone from the mirror, or KERNEL_TREE), compare what
            # the sources decide, not the lines that name the base.
            here = git("rev-parse", "base").decode().strip()
            made = recorded_base()
            same = base_independent if made != here else (lambda b: b)
            if made != here:
                print("series.py: patches/ was made on base %s, this base "
                      "is %s: comparing without base-commit, commit ids, "
                      "blob ids and hunk line numbers" % (made, here),
                      file=sys.stderr)
            stale = [x for x in fresh
                     if same(open(os.path.join(tmp, x), "rb").read()) !=
                     same(open(os.path.join(PATCHES, x), "rb").read())]
            if stale:
                problem = "stale: %s; run scripts/series.py patches" % " ".join(stale)
        yield "fresh", problem
    finally:
        shutil.rmtree(tmp)

    # git am onto a pristine base
    wt = SRC + "-check"
    pristine_worktree(wt)
    series = sorted(os.path.join(PATCHES, x) for x in os.listdir(PATCHES)
                    if x.endswith(".patch") and not x.startswith("0000-"))
    p = run(["git", "-C", wt, "-c", "user.name=check", "-c", "user.email=check@localhost",
             "am", "-q"] + series, check=False)
    yield "git-am", None if p.returncode == 0 else \
        "does not git am onto the base: " + \
        (p.stdout + p.stderr).decode(errors="replace").strip().splitlines()[0]

    cp = os.path.join(SRC, "scripts", "checkpatch.pl")
    commits = git("rev-list", "--reverse", "base..series").decode().split()
    for patch, commit in zip(series, commits):
        p = run(["perl", cp, "--strict", "--terse", "--show-types", patch],
                cwd=SRC, check=False)
        out = p.stdout.decode(errors="replace")
        issues = [l for l in out.splitlines()
                  if ": ERROR:" in l or ": WARNING:" in l or ": CHECK:" in l]
        # A file added under a directory MAINTAINERS already lists needs
        # no MAINTAINERS change: checkpatch cannot know, we can.
        added = [l.split("\t", 1)[1] for l in git(
            "diff", "--name-status", "--no-renames", commit + "^",
            commit).decode().splitlines() if l.startswith("A")]
        if maintained(commit, added):
            issues = [l for l in issues if ":FILE_PATH_CHANGES:" not in l]
        issues = [l for l in issues if not writable_copy(patch, l)]
        issues = [l for l in issues if not trace_event_layout(patch, l)]
        yield "checkpatch:" + os.path.basename(patch)[:4], \
            "; ".join(issues) if issues else None

    # kernel-doc on the uAPI and every file of ours that has any, as the
    # series leaves them (a backport's differ from this repository's)
    root = tempfile.mkdtemp(prefix="series-files-")
    try:
        for f in own_kernel_files():
            os.makedirs(os.path.join(root, os.path.dirname(f)), exist_ok=True)
            with open(os.path.join(root, f), "wb") as out:
                out.write(git("show", "series:" + f))
        yield from doc_checks(root)
    finally:
        shutil.rmtree(root)


RST_CHECK = """
from docutils.core import publish_cmdline
from docutils.parsers.rst import Directive, directives


class KernelDoc(Directive):
    required_arguments = 1
    option_spec = {"identifiers": directives.unchanged,
                   "internal": directives.flag,
                   "export": directives.unchanged,
                   "functions": directives.unchanged,
                   "doc": directives.unchanged}

    def run(self):
        return []


directives.register_directive("kernel-doc", KernelDoc)
publish_cmdline(writer_name="null")
"""


def doc_checks(root):
    """kernel-doc, and the reStructuredText of our documentation."""
    kd = os.path.join(SRC, "scripts", "kernel-doc")
    files = [f for f in own_kernel_files() if f.endswith((".c", ".h"))]
    # Perl until 6.15, Python since: run it by its own #! line
    with open(kd, "rb") as f:
        interp = "python3" if b"python" in f.readline() else "perl"
    p = run([interp, kd, "-none", "-Wall"] + files, cwd=root, check=False)
    out = (p.stdout + p.stderr).decode(errors="replace").strip()
    yield "kernel-doc", out.splitlines()[0] + " ..." if out else None

    # The documentation is valid reStructuredText. The kernel's Sphinx
    # adds the kernel-doc directive, whose sources the check above reads:
    # here it only has to be well formed.
    rst = [f for f in own_kernel_files() if f.endswith(".rst")]
    bad = []
    for f in rst:
        p = run(["/usr/bin/python3", "-c", RST_CHECK, "--halt=warning",
                 "--report=warning", os.path.join(root, f), "/dev/null"],
                check=False)
        if p.returncode:
            bad.append("%s: %s" % (f, p.stderr.decode(errors="replace").strip()))
    yield "rst", "; ".join(bad) if bad else None


# TRACE_EVENT() is written as every header under include/trace/events/
# writes it, one TP_*() part per paragraph: checkpatch --strict reads that
# layout as a call whose arguments do not line up (every such header in
# the tree gets these two CHECKs). Nothing else is excused there.
TRACE_LAYOUT = (":PARENTHESIS_ALIGNMENT:", ":OPEN_ENDED_LINE:")


def trace_event_layout(patch, issue):
    if not any(t in issue for t in TRACE_LAYOUT):
        return False
    # "<patch>:<line>: ...": the file is the last "+++ b/" before the line
    try:
        n = int(issue.split(":")[1])
    except (IndexError, ValueError):
        return False
    path = None
    with open(patch, errors="replace") as f:
        for i, l in enumerate(f, 1):
            if i > n:
                break
            if l.startswith("+++ b/"):
                path = l[6:].strip()
    return bool(path) and path.startswith("include/trace/events/")


def writable_copy(patch, issue):
    """Is issue a CONST_STRUCT report on a pointer to a writable copy,
    "struct ctl_table *t;" then "t = kmemdup(...)" (a per-netns copy of a
    const template, which the sysctl core wants writable)? checkpatch
    cannot tell; the next few lines of the patch can."""
    if ":CONST_STRUCT:" not in issue:
        return False
    m = re.match(r".*?:(\d+): ", issue)
    if not m:
        return False
    with open(patch, errors="replace") as f:
        lines = f.read().split("\n")
    n = int(m.group(1)) - 1
    d = re.match(r"\+\s*struct ctl_table \*(\w+);$", lines[n]) \
        if n < len(lines) else None
    return bool(d) and any(
        re.match(r"\+\s*%s = kmemdup\(" % d.group(1), l)
        for l in lines[n + 1:n + 8])


def maintained(rev, paths):
    """Does an F: entry of MAINTAINERS at rev cover each of paths?"""
    text = git("show", rev + ":MAINTAINERS").decode(errors="replace")
    pats = [l[2:].strip() for l in text.splitlines() if l.startswith("F:")]

    def covered(path):
        for pat in pats:
            if pat.endswith("/"):
                if path.startswith(pat):
                    return True
            elif fnmatch.fnmatchcase(path, pat) and \
                    path.count("/") == pat.count("/"):
                return True
        return False
    return all(covered(p) for p in paths)


def own_kernel_files():
    files = []
    for p in load_series():
        files.extend(p.files)
    return files


def cmd_check(results=None):
    lines, bad = [], 0
    for name, problem in series_checks():
        if problem:
            bad += 1
            print("FAIL series:%s: %s" % (name, problem), file=sys.stderr)
            lines.append("fail series:%s" % name)
        else:
            lines.append("pass series:%s" % name)
    if results:
        with open(results, "w") as f:
            f.write("\n".join(lines) + "\n")
    if bad:
        sys.exit(1)
    print("series check: %d checks passed (fresh, git am, checkpatch --strict "
          "per patch, kernel-doc, rst)" % len(lines))


def cmd_import(rev):
    patches = load_series()
    commits = git("rev-list", "--reverse", "base.." + rev).decode().split()
    if len(commits) != len(patches):
        die("%s has %d commits on base, series/series lists %d patches; "
            "edit series/series first" % (rev, len(commits), len(patches)))
    own = set()
    for patch, commit in zip(patches, commits):
        d = os.path.join(SERIES, patch.name)
        for old in os.listdir(d):
            if old.endswith(".diff") or old == "files":
                os.unlink(os.path.join(d, old))
        status = git("diff", "--name-status", "--no-renames",
                     commit + "^", commit).decode().splitlines()
        added = [l.split("\t", 1)[1] for l in status if l.startswith("A")]
        changed = [l.split("\t", 1)[1] for l in status if l.startswith("M")]
        if any(l.startswith("D") for l in status):
            die("%s deletes a file; the series only adds and edits" % commit)
        if added:
            with open(os.path.join(d, "files"), "w") as f:
                f.write("".join(x + "\n" for x in added))
        own.update(added)
        for kind, paths in (("kernel", [x for x in changed if x not in own]),
                            ("own", [x for x in changed if x in own])):
            if paths:
                diff = git("diff", "--no-renames", "--no-prefix" if False else
                           "--src-prefix=a/", "--dst-prefix=b/",
                           commit + "^", commit, "--", *paths)
                with open(os.path.join(d, kind + ".diff"), "wb") as f:
                    f.write(diff)
        msg = git("log", "-1", "--format=%B", commit).decode()
        msg = "\n".join(l for l in msg.rstrip("\n").split("\n")
                        if not l.startswith("Signed-off-by:")).rstrip("\n")
        with open(os.path.join(d, "message"), "w") as f:
            f.write(msg + "\n")
    for path in sorted(own):
        blob = git("show", "%s:%s" % (commits[-1], path))
        dst = os.path.join(TOP, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(blob)
    # The round trip must be exact: what we wrote builds the same tree.
    tip, _ = build()
    if git("rev-parse", tip + "^{tree}") != git("rev-parse", rev + "^{tree}"):
        die("imported series does not rebuild %s's tree" % rev)
    print("imported %d patches from %s" % (len(patches), rev))


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd = sys.argv[1]
    if cmd == "names":
        for p in load_series():
            print(p.name)
        return
    if not os.path.exists(os.path.join(SRC, ".git")):
        die("no base tree at %s; run scripts/prepare-tree.sh" % SRC)
    if cmd == "build":
        tip, n = build()
        print("%s (%d patches on base)" % (tip, n))
    elif cmd == "patches":
        n = format_patches(PATCHES)
        print("patches/: cover letter and %d patches" % n)
    elif cmd == "check":
        cmd_check(sys.argv[2] if len(sys.argv) > 2 else None)
    elif cmd == "import" and len(sys.argv) == 3 and not BACKPORT:
        cmd_import(sys.argv[2])
    elif cmd == "state" and len(sys.argv) == 4:
        tip, n = build()
        names = [p.name for p in load_series()]
        if sys.argv[2] not in names:
            die("no patch %s in series/series" % sys.argv[2])
        commits = git("rev-list", "--reverse", "base.." + tip).decode().split()
        k = names.index(sys.argv[2])
        rev = commits[k - 1] if k else "base"
        sys.stdout.buffer.write(git("show", "%s:%s" % (rev, sys.argv[3])))
    else:
        die("unknown command %s\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    main()
