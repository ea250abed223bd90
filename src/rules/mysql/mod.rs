//! MySQL rules: the online-DDL verdicts of `crate::mysql`, and MySQL's own compatibility and
//! data-loss hazards. Shared here: which statements the verdict rules judge, and the
//! online schema-change command lines for changes only a copy can make.

pub mod alter_blocks_writes;
pub mod alter_exceeds_row_versions;
pub mod alter_pin_refused;
pub mod alter_rebuilds_table;
pub mod alter_unpinned_instant;
pub mod drop_table;
pub mod foreign_key_to_non_unique_key;
pub mod missing_lock_wait_timeout;
pub mod rename_table;
pub mod truncate_table;
pub mod whole_table_dml;

use crate::mysql::clauses::{table_changes, TableChange};
use crate::mysql::online_ddl::Verdict;
use crate::rules::Ctx;
use crate::shell::shell_word;
use crate::statement::{ConstraintKind, ObjectName, Statement};

/// The online-DDL changes of `statement` with their verdicts on the target server.
pub fn judged_changes(ctx: &Ctx, statement: &Statement) -> Vec<(TableChange, Verdict)> {
    table_changes(statement, ctx.catalog, ctx.session.foreign_key_checks_off)
        .into_iter()
        .filter_map(|change| {
            let verdict = change.verdict(&ctx.target)?;
            Some((change, verdict))
        })
        .collect()
}

/// The clauses of an `ALTER TABLE t ...` statement after the table name, without
/// `ALGORITHM=` / `LOCK=` pins (the tools run their own ALTER on a shadow table).
pub fn alter_clauses(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let words: Vec<(usize, &str)> = word_spans(&lower).take(5).collect();
    let (_, first) = words.first()?;
    if *first != "alter" {
        return None;
    }
    // ALTER [ONLINE] [IGNORE] TABLE name: the clauses start after the name.
    let table_at = words.iter().position(|(_, w)| *w == "table")?;
    let (name_start, name) = words.get(table_at + 1)?;
    let rest = &text[name_start + name.len()..];
    let kept: Vec<&str> = top_level_pieces(rest)
        .into_iter()
        .map(str::trim)
        .filter(|p| {
            let p = p.to_ascii_lowercase();
            !p.is_empty() && !p.starts_with("algorithm") && !p.starts_with("lock")
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// Whitespace-separated words with their byte offsets.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace()
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// `text` split at commas outside parentheses and quotes.
fn top_level_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                pieces.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&text[start..]);
    pieces
}

/// Help naming gh-ost and pt-online-schema-change with the command for this change.
pub fn copy_tools_help(ctx: &Ctx, statement: &Statement, table: &ObjectName) -> String {
    let database = table
        .schema
        .as_ref()
        .map_or("<database>".to_string(), |s| s.value.clone());
    let name = &table.name.value;
    let Some(alter) = alter_clauses(ctx.text(statement)) else {
        return format!(
            "run it with an online schema-change tool that copies `{name}` in chunks while writes continue: pt-online-schema-change (triggers; handles foreign keys) or gh-ost (binlog; no foreign keys)"
        );
    };
    // Names and clauses come from the migration: in single quotes the shell expands
    // nothing (a backquoted name inside double quotes would run as a command).
    let gh_ost = format!(
        "gh-ost --database={} --table={} --alter={} --execute",
        shell_word(&database),
        shell_word(name),
        shell_word(&alter)
    );
    let pt_osc = format!(
        "pt-online-schema-change --alter {} --alter-foreign-keys-method=auto {} --execute",
        shell_word(&alter),
        shell_word(&format!("D={database},t={name}"))
    );
    if has_foreign_keys(ctx, table) {
        format!(
            "copy `{name}` online with pt-online-schema-change, which mirrors writes with triggers and handles its foreign keys: `{pt_osc}` (gh-ost refuses tables with foreign keys)"
        )
    } else {
        format!(
            "copy `{name}` online while writes continue: `{gh_ost}` (gh-ost, binlog-based, no foreign keys) or `{pt_osc}` (pt-online-schema-change, triggers, handles foreign keys)"
        )
    }
}

/// Whether the replay saw a foreign key on `table` (as the referencing side).
fn has_foreign_keys(ctx: &Ctx, table: &ObjectName) -> bool {
    ctx.catalog.table(table).is_some_and(|t| {
        t.constraints
            .iter()
            .any(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_clauses_reach_the_shell_as_one_inert_word() {
        assert_eq!(shell_word("orders"), "orders");
        assert_eq!(shell_word("D=shop,t=orders"), "D=shop,t=orders");
        assert_eq!(shell_word("<database>"), "'<database>'");
        assert_eq!(
            shell_word("ADD COLUMN `x` INT DEFAULT 'a'"),
            "'ADD COLUMN `x` INT DEFAULT '\\''a'\\'''"
        );
        assert_eq!(shell_word("$(id)"), "'$(id)'");
    }

    #[test]
    fn alter_clauses_drop_the_pins_and_keep_nested_commas() {
        assert_eq!(
            alter_clauses(
                "ALTER TABLE `users` MODIFY price DECIMAL(10,2), ALGORITHM=COPY, LOCK=SHARED"
            ),
            Some("MODIFY price DECIMAL(10,2)".to_string())
        );
        assert_eq!(
            alter_clauses("alter table db.t add column c enum('a,b'), lock = none"),
            Some("add column c enum('a,b')".to_string())
        );
        assert_eq!(alter_clauses("OPTIMIZE TABLE t"), None);
    }
}
