#!/usr/bin/env python3
"""How many of the cases squawk's own rule tests flag does lockstep flag at warning or above?

Usage: python3 scripts/squawk_coverage.py SQUAWK_GIT_DIR [--lockstep BIN] [--cases] [--misses]

SQUAWK_GIT_DIR is a clone (bare or not) of https://github.com/sbdchd/squawk. The script reads
the tests at the bottom of `crates/squawk_linter/src/rules/*.rs` at run time (nothing of
squawk's is stored in this repository), keeps every SQL text a safety rule's test expects a
finding for (`lint_errors`, `lint_errors_with`, `fix_sql`, `fix_sql_with`, directly or through
the test module's own wrappers), runs `lockstep check --dialect postgres` on each as one file
(with the PostgreSQL version and the "assume in transaction" setting the test gives squawk),
and prints, per squawk rule, how many of those cases lockstep reports at warning or above.

The second count leaves out findings of missing-lock-timeout and statement-after-access-
exclusive (reminders that come with any strong lock), except for squawk's timeout rules.
--cases prints every case with lockstep's findings; --misses only the cases it does not flag.
--leave-out RULE,RULE counts as if those lockstep rules did not exist (the figure before they
were added).
"""

import json
import os
import re
import subprocess
import sys
import tempfile

RULES_DIR = "crates/squawk_linter/src/rules"

# squawk's rules, by what they protect. Only the first four groups are counted.
SAFETY = {
    "locking": [
        "adding-field-with-default",
        "adding-foreign-key-constraint",
        "adding-not-nullable-field",
        "adding-serial-primary-key-field",
        "ban-alter-domain-with-add-constraint",
        "ban-create-domain-with-constraint",
        "changing-column-type",
        "constraint-missing-not-valid",
        "disallowed-unique-constraint",
        "prefer-repack",
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
        "require-concurrent-partition-detach",
        "require-concurrent-reindex",
        "require-lock-timeout",
        "require-statement-timeout",
        "require-timeout-settings",
    ],
    "compatibility": [
        "adding-required-field",
        "ban-drop-not-null",
        "renaming-column",
        "renaming-table",
        "require-enum-value-ordering",
    ],
    "data loss": [
        "ban-drop-column",
        "ban-drop-database",
        "ban-drop-table",
        "ban-truncate-cascade",
    ],
    "transactions": [
        "ban-concurrent-index-creation-in-transaction",
        "ban-uncommitted-transaction",
        "transaction-nesting",
    ],
}
NOT_COUNTED = {
    "ban-char-field": "style (column type choice)",
    "ban-duplicate-column-assignments": "correctness: PostgreSQL itself refuses the statement",
    "identifier-too-long": "style (PostgreSQL truncates the name)",
    "prefer-bigint-over-int": "style (column type choice)",
    "prefer-bigint-over-smallint": "style (column type choice)",
    "prefer-identity": "style (column type choice)",
    "prefer-robust-stmts": "style (IF [NOT] EXISTS for re-runnable files)",
    "prefer-text-field": "style (column type choice)",
    "prefer-timestamptz": "style (column type choice)",
    "require-table-schema": "style (schema-qualified names)",
}
SAFE_RULES = {rule: group for group, rules in SAFETY.items() for rule in rules}

# Reminders that accompany any strong lock; the second column leaves them out, except for
# squawk's own timeout rules.
GENERIC = {"missing-lock-timeout", "missing-statement-timeout", "statement-after-access-exclusive"}

ERR_HELPERS = {"lint_errors", "lint_errors_with", "fix_sql", "fix_sql_with"}
OK_HELPERS = {"lint_ok", "lint_ok_with"}


def git(gitdir, *args):
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], check=True, capture_output=True, text=True
    ).stdout


def kebab(camel):
    return re.sub(r"(?<!^)([A-Z])", r"-\1", camel).lower()


def mask_strings(src):
    """Replaces every string literal by @<n>@ and returns (masked text, literal values)."""
    out, values, i = [], [], 0
    while i < len(src):
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = len(src) if j < 0 else j
            out.append(src[i:j])
            i = j
            continue
        m = re.match(r'r(#*)"', src[i:])
        if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            hashes = m.group(1)
            start = i + len(m.group(0))
            end = src.index('"' + hashes, start)
            values.append(src[start:end])
            out.append("@%d@" % (len(values) - 1))
            i = end + 1 + len(hashes)
            continue
        if c == '"':
            j, buf = i + 1, []
            while src[j] != '"':
                if src[j] == "\\":
                    nxt = src[j + 1]
                    if nxt == "\n":
                        j += 2
                        while src[j] in " \t\n":
                            j += 1
                        continue
                    buf.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(nxt, nxt))
                    j += 2
                    continue
                buf.append(src[j])
                j += 1
            values.append("".join(buf))
            out.append("@%d@" % (len(values) - 1))
            i = j + 1
            continue
        if c == "'" and re.match(r"'(\\.|[^\\'])'", src[i:]):
            m = re.match(r"'(\\.|[^\\'])'", src[i:])
            out.append("' '")
            i += len(m.group(0))
            continue
        out.append(c)
        i += 1
    return "".join(out), values


def block_end(text, open_at):
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    raise ValueError("unbalanced braces")


def split_args(text, open_paren):
    """The top-level arguments of the call whose '(' is at open_paren."""
    depth, args, cur = 0, [], []
    for k in range(open_paren, len(text)):
        c = text[k]
        if c in "([{":
            depth += 1
            if depth == 1:
                continue
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return [a for a in args if a]
        if depth == 1 and c == ",":
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    raise ValueError("unbalanced call")


def functions(masked):
    """(name, params, body, is_test) for every fn in the test module."""
    for m in re.finditer(r"\bfn\s+(\w+)\s*\(([^)]*)\)[^{;]*\{", masked):
        body_end = block_end(masked, m.end() - 1)
        before = masked[max(0, m.start() - 200) : m.start()]
        is_test = bool(re.search(r"#\[test\]\s*(///[^\n]*\n\s*|#\[[^\]]*\]\s*)*$", before))
        yield m.group(1), m.group(2), masked[m.end() : body_end], is_test


def settings_of(expr, lets, values):
    """pg_version and assume_in_transaction from a LinterSettings expression."""
    expr = lets.get(expr.strip(), expr)
    version = None
    m = re.search(r"pg_version\s*:\s*@(\d+)@", expr)
    if m:
        version = values[int(m.group(1))]
    m = re.search(r'pg_version\s*:\s*Version::new\(\s*(\d+)', expr)
    if m:
        version = m.group(1)
    return version, bool(re.search(r"assume_in_transaction\s*:\s*true", expr))


def extract(gitdir):
    """Every (squawk rule, test name, sql, pg_version, assume_in_transaction) a test flags."""
    files = [
        f
        for f in git(gitdir, "ls-tree", "--name-only", "HEAD", RULES_DIR + "/").split()
        if f.endswith(".rs") and not f.endswith("/mod.rs")
    ]
    cases = []
    for path in files:
        src = git(gitdir, "show", "HEAD:" + path)
        at = src.find("#[cfg(test)]")
        if at < 0:
            continue
        masked, values = mask_strings(src[at:])
        helpers = {}  # wrapper name -> (kind, rule, settings expression or None)
        fns = list(functions(masked))
        for name, params, body, is_test in fns:
            if is_test:
                continue
            for call in re.finditer(r"(?:crate::test_utils::)?\b(\w+)\s*\(", body):
                if call.group(1) in ERR_HELPERS | OK_HELPERS:
                    args = split_args(body, call.end() - 1)
                    rule = next((a for a in args if a.startswith("Rule::")), None)
                    setting = args[1] if call.group(1).endswith("_with") else None
                    kind = "err" if call.group(1) in ERR_HELPERS else "ok"
                    helpers[name] = (kind, rule, setting, params)
        for name, params, body, is_test in fns:
            if not is_test:
                continue
            lets = {}
            for let in re.finditer(r"\blet\s+(\w+)\s*=\s*", body):
                rest = body[let.end() :]
                depth, k = 0, 0
                while k < len(rest) and not (rest[k] == ";" and depth == 0):
                    depth += rest[k] in "([{"
                    depth -= rest[k] in ")]}"
                    k += 1
                lets[let.group(1)] = rest[:k].strip()
            for call in re.finditer(r"(?<![\w:])(\w+)\s*\(", body):
                fn = call.group(1)
                if fn in helpers:
                    kind, rule, setting_param, hparams = helpers[fn]
                    args = split_args(body, call.end() - 1)
                    # the wrapper's own settings parameter is its second argument
                    setting = args[1] if setting_param and len(args) > 1 else None
                elif fn in ERR_HELPERS | OK_HELPERS:
                    kind = "err" if fn in ERR_HELPERS else "ok"
                    args = split_args(body, call.end() - 1)
                    rule = next((a for a in args if a.startswith("Rule::")), None)
                    setting = args[1] if fn.endswith("_with") else None
                else:
                    continue
                if kind != "err" or not args:
                    continue
                sql_expr = args[0].lstrip("&")
                sql_expr = lets.get(sql_expr, sql_expr)
                m = re.fullmatch(r"@(\d+)@", sql_expr.strip())
                version, in_tx = settings_of(setting, lets, values) if setting else (None, False)
                rule_id = kebab(rule.split("::")[1]) if rule else None
                test = path.rsplit("/", 1)[1][:-3] + "::" + name
                if not m and rule_id in SAFE_RULES:
                    raise ValueError(f"{test}: cannot read the SQL of {args[0]!r}")
                if m:
                    cases.append((rule_id, test, values[int(m.group(1))], version, in_tx))
    return cases


def alias(rule_id):
    return {
        "adding-not-nullable-field": "adding-not-nullable-field",
        "adding-serial-primary-key-field": "adding-serial-primary-key-field",
        "prefer-timestamp-tz": "prefer-timestamptz",
        "disallowed-unique-constraint": "disallowed-unique-constraint",
    }.get(rule_id, rule_id)


# squawk's timeout rules are opt-in; they are measured against lockstep's opt-in rule.
OPT_IN = {
    "require-lock-timeout": [],
    "require-statement-timeout": ["missing-statement-timeout"],
    "require-timeout-settings": ["missing-statement-timeout"],
}


def run_lockstep(binary, sql, version, in_tx, workdir, opt_in=()):
    with open(os.path.join(workdir, "case.sql"), "w") as f:
        f.write(sql)
    config = 'dialect = "postgres"\n'
    if version:
        config += f'target-version = "{version}"\n'
    if opt_in:
        config += "[rules]\n" + "".join(f'{rule} = "warning"\n' for rule in opt_in)
    if in_tx:
        config += '[transactions]\n"**/*.sql" = "wrapped"\n'
    with open(os.path.join(workdir, "lockstep.toml"), "w") as f:
        f.write(config)
    out = subprocess.run(
        [binary, "check", "--dialect", "postgres", "--format", "json", "--fail-on", "never",
         "--config", os.path.join(workdir, "lockstep.toml"), os.path.join(workdir, "case.sql")],
        capture_output=True, text=True,
    )
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr)
    report = json.loads(out.stdout)
    return [(f["rule"], f["severity"]) for f in report["findings"]]


def main():
    argv = sys.argv[1:]
    options = {}
    for name in ("--lockstep", "--leave-out"):
        if name in argv:
            at = argv.index(name)
            options[name] = argv[at + 1]
            del argv[at : at + 2]
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    gitdir = args[0]
    binary = options.get("--lockstep", "target/debug/lockstep")
    left_out = set(filter(None, options.get("--leave-out", "").split(",")))
    commit = git(gitdir, "rev-parse", "HEAD").strip()
    seen, per_rule = set(), {}
    with tempfile.TemporaryDirectory() as workdir:
        for rule_id, test, sql, version, in_tx in extract(gitdir):
            rule_id = alias(rule_id)
            if rule_id not in SAFE_RULES:
                if rule_id not in NOT_COUNTED:
                    raise ValueError(f"squawk rule {rule_id} is in neither list")
                continue
            key = (rule_id, sql.strip(), version, in_tx)
            if key in seen:
                continue
            seen.add(key)
            findings = [
                f
                for f in run_lockstep(binary, sql, version, in_tx, workdir, OPT_IN.get(rule_id, []))
                if f[0] not in left_out
            ]
            hit = any(sev in ("warning", "error") for _, sev in findings)
            # Whether a rule about the problem itself flags it, not only the lock-timeout
            # reminder that accompanies any strong lock.
            specific = any(
                sev in ("warning", "error")
                and (rule not in GENERIC or rule_id in OPT_IN)
                for rule, sev in findings
            )
            per_rule.setdefault(rule_id, []).append(
                (test, hit, findings, sql, version, in_tx, specific))

    show = "--cases" in sys.argv or "--misses" in sys.argv
    if show:
        for rule_id in sorted(per_rule):
            for test, hit, findings, sql, version, in_tx, _ in per_rule[rule_id]:
                if "--misses" in sys.argv and hit:
                    continue
                print(f"### {rule_id} {test} {'FLAGGED' if hit else 'MISSED'}"
                      f"{' pg ' + version if version else ''}{' in-transaction' if in_tx else ''}")
                print(sql.strip())
                print("-> " + (", ".join(f"{r} ({s})" for r, s in findings) or "nothing"))
                print()
        return

    print(f"squawk {commit[:12]}: cases its safety rules' tests flag, flagged by lockstep at warning or above\n")
    print("| group | squawk rule | flagged | by a rule about that problem | cases |")
    print("|---|---|---|---|---|")
    total_hit = total_specific = total = 0
    for group, rules in SAFETY.items():
        for rule_id in rules:
            rows = per_rule.get(rule_id, [])
            hits = sum(1 for r in rows if r[1])
            specific = sum(1 for r in rows if r[6])
            total_hit += hits
            total_specific += specific
            total += len(rows)
            print(f"| {group} | `{rule_id}` | {hits} | {specific} | {len(rows)} |")
    print(f"| | **total** | **{total_hit}** | **{total_specific}** | **{total}** |")


if __name__ == "__main__":
    main()
