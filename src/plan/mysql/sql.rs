//! MySQL text the recipes share: identifiers, the phase pieces every recipe uses (a pinned
//! ALTER, the batched backfill procedure), and the `information_schema` queries that verify
//! a phase on MySQL and MariaDB alike.

use super::super::phases::{BATCH_HOLD, BRIEF};
use super::super::sql::{descending, pause_seconds, qualified, quoted_with, Backfill};
use super::super::{PhaseLock, PlanOptions, Step};
use super::{Pin, LOCK_WAIT_TIMEOUT_SECS};
use crate::catalog::Column;
use crate::diagnostic::LockMode;
use crate::statement::{Ident, ObjectName};

/// An identifier as MySQL SQL: backquoted when it was written quoted.
pub fn ident(name: &Ident) -> String {
    quoted_with(name, '`')
}

/// A string literal; MySQL reads a backslash as an escape unless told otherwise.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// A possibly database-qualified table name.
pub fn object(name: &ObjectName) -> String {
    qualified(name, ident)
}

/// `ALTER TABLE t <change>, <pin>`: a metadata-locking step.
pub fn pinned_alter(table: &ObjectName, change: &str, pin: Pin) -> Step {
    Step::strong(format!(
        "ALTER TABLE {} {change}, {}",
        object(table),
        pin.clause()
    ))
}

/// The lock of a phase whose statements are online ALTERs and trigger changes: the
/// exclusive metadata lock they take for a moment, at start and end.
pub fn metadata_lock(table: &ObjectName, reason: &str) -> PhaseLock {
    PhaseLock {
        table: table.clone(),
        mode: LockMode::MysqlNone,
        max_hold: Some(BRIEF),
        reason: format!(
            "{reason}; an exclusive metadata lock for a moment at the start and end of each statement"
        ),
    }
}

/// A backfill holds the row locks of one batch until the batch commits.
pub fn batch_lock(table: &ObjectName, options: &PlanOptions) -> PhaseLock {
    PhaseLock {
        table: table.clone(),
        mode: LockMode::MysqlNone,
        max_hold: Some(BATCH_HOLD),
        reason: format!(
            "row locks on one batch of {} rows at a time: each batch commits, releasing them, then pauses {} ms",
            options.batch_rows(table),
            options.pause_ms
        ),
    }
}

/// `SET SESSION lock_wait_timeout`, which the renderer puts before the first DDL step.
pub fn lock_wait_timeout() -> String {
    format!("SET SESSION lock_wait_timeout = {LOCK_WAIT_TIMEOUT_SECS}")
}

/// Whether a statement has a body with semicolons of its own (`BEGIN ... END`).
pub fn is_compound(step: &Step) -> bool {
    let upper = step.sql.trim_start().to_ascii_uppercase();
    upper.starts_with("CREATE TRIGGER") || upper.starts_with("CREATE PROCEDURE")
}

/// A procedure run once by the file that creates it: `DROP ... IF EXISTS` first, so a run
/// that stopped part-way can simply run again.
pub fn run_procedure(name: &str, body: &str) -> Vec<Step> {
    vec![
        Step::new(format!("DROP PROCEDURE IF EXISTS {name}")),
        Step::new(format!("CREATE PROCEDURE {name}()\nBEGIN\n{body}END")),
        Step::new(format!("CALL {name}()")),
        Step::new(format!("DROP PROCEDURE {name}")),
    ]
}

/// The body of a procedure that walks the key in `LIMIT` batches (keyset pagination, any
/// number of key columns of any ordered type), commits each batch and pauses between them.
/// A batch runs from the first key not yet walked to the last of the next `LIMIT` keys;
/// `SELECT ... INTO` that finds no row ends the walk through the `NOT FOUND` handler.
pub fn backfill_body(backfill: &Backfill<&Column>, options: &PlanOptions) -> String {
    let table = object(backfill.table);
    let columns: Vec<String> = backfill.key.iter().map(|c| ident(&c.name)).collect();
    let vars = |prefix: &str| -> Vec<String> {
        (1..=columns.len())
            .map(|i| format!("{prefix}_{i}"))
            .collect()
    };
    let (start, end) = (vars("batch_start"), vars("batch_end"));
    let declarations: String = backfill
        .key
        .iter()
        .zip(start.iter().zip(&end))
        .map(|(column, (s, e))| {
            let key_type = &column.data_type.text;
            format!("  DECLARE {s} {key_type};\n  DECLARE {e} {key_type};\n")
        })
        .collect();
    let key = columns.join(", ");
    let (descending, pause) = (descending(&columns), pause_seconds(options));
    format!(
        "{declarations}  DECLARE rows_left BOOLEAN DEFAULT TRUE;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET rows_left = FALSE;
  SELECT {key} INTO {start_list} FROM {table} ORDER BY {key} LIMIT 1;
  WHILE rows_left DO
    SELECT {key} INTO {end_list}
      FROM (SELECT {key} FROM {table}
             WHERE {from_start}
             ORDER BY {key}
             LIMIT {limit}) AS batch
     ORDER BY {descending} LIMIT 1;
    UPDATE {table} SET {assignments}
     WHERE ({from_start}) AND ({to_end})
       AND ({pending});
    COMMIT;
    DO SLEEP({pause});
    SELECT {key} INTO {start_list} FROM {table} WHERE {past_end} ORDER BY {key} LIMIT 1;
  END WHILE;
",
        start_list = start.join(", "),
        end_list = end.join(", "),
        from_start = key_bound(&columns, &start, ">", true),
        to_end = key_bound(&columns, &end, "<", true),
        past_end = key_bound(&columns, &end, ">", false),
        limit = options.batch_rows(backfill.table),
        assignments = backfill.assignments,
        pending = backfill.pending,
    )
}

/// The keys after (`>`) or before (`<`) the key in `vars`, written as the OR of one range
/// per key prefix (`a > x OR (a = x AND b >= y)`), which the range optimizer reads off the
/// key's index, unlike a row comparison.
fn key_bound(columns: &[String], vars: &[String], direction: &str, inclusive: bool) -> String {
    let terms: Vec<String> = (0..columns.len())
        .map(|i| {
            let last = i + 1 == columns.len();
            let op = if last && inclusive {
                format!("{direction}=")
            } else {
                direction.to_string()
            };
            let mut parts: Vec<String> = (0..i)
                .map(|j| format!("{} = {}", columns[j], vars[j]))
                .collect();
            parts.push(format!("{} {op} {}", columns[i], vars[i]));
            parts.join(" AND ")
        })
        .collect();
    match terms.as_slice() {
        [single] => single.clone(),
        _ => terms
            .iter()
            .map(|t| format!("({t})"))
            .collect::<Vec<_>>()
            .join(" OR "),
    }
}

/// The name of a trigger, procedure or column the plan creates, cut to 64 characters.
pub fn derived(parts: &[&str]) -> String {
    super::super::sql::derived_ident(parts)
}

/// The conditions that pick one table of the current database in `information_schema`.
fn table_filter(schema_column: &str, table_column: &str, table: &ObjectName) -> String {
    let schema = match &table.schema {
        Some(schema) => literal(&schema.value),
        None => "DATABASE()".to_string(),
    };
    format!(
        "{schema_column} = {schema} AND {table_column} = {}",
        literal(&table.name.value)
    )
}

/// How many rows still need the backfill: `0` when it is done.
pub fn pending_rows(table: &ObjectName, pending: &str) -> String {
    format!("SELECT COUNT(*) FROM {} WHERE {pending}", object(table))
}

/// `1` when the column exists, `0` when it does not.
pub fn column_count(table: &ObjectName, column: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM information_schema.columns WHERE {} AND column_name = {}",
        table_filter("table_schema", "table_name", table),
        literal(column)
    )
}

/// `NO` when the column is `NOT NULL`.
pub fn column_nullable(table: &ObjectName, column: &str) -> String {
    format!(
        "SELECT is_nullable FROM information_schema.columns WHERE {} AND column_name = {}",
        table_filter("table_schema", "table_name", table),
        literal(column)
    )
}

/// How many of `triggers` exist on the table.
pub fn trigger_count(table: &ObjectName, triggers: &[&str]) -> String {
    let names: Vec<String> = triggers.iter().map(|t| literal(t)).collect();
    format!(
        "SELECT COUNT(*) FROM information_schema.triggers WHERE {} AND trigger_name IN ({})",
        table_filter("event_object_schema", "event_object_table", table),
        names.join(", ")
    )
}

/// `1` when the index exists.
pub fn index_count(table: &ObjectName, index: &str) -> String {
    format!(
        "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE {} AND index_name = {}",
        table_filter("table_schema", "table_name", table),
        literal(index)
    )
}

/// `1` when the foreign key exists.
pub fn foreign_key_count(table: &ObjectName, constraint: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM information_schema.referential_constraints WHERE {} AND constraint_name = {}",
        table_filter("constraint_schema", "table_name", table),
        literal(constraint)
    )
}

/// A statement that always fails with `message` (cut to the 128 characters MySQL allows).
pub fn refuse(message: &str) -> String {
    let text: String = message.chars().take(128).collect();
    format!(
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = {}",
        literal(&text)
    )
}

/// The online schema-change tools' commands for `alter` (the clauses after `ALTER TABLE t`):
/// both copy the table in the background while writes continue, then swap it in.
pub fn online_tools(table: &ObjectName, alter: &str) -> String {
    let database = table
        .schema
        .as_ref()
        .map_or("<database>".to_string(), |s| s.value.clone());
    let quoted = alter.replace('"', "\\\"");
    format!(
        "gh-ost (binlog-based; refuses tables with foreign keys or triggers): `gh-ost --host=<host> --user=<user> --ask-pass --database={database} --table={table} --alter=\"{quoted}\" --execute`; pt-online-schema-change (trigger-based; handles foreign keys): `pt-online-schema-change --alter \"{quoted}\" --alter-foreign-keys-method=auto D={database},t={table} --ask-pass --execute`",
        table = table.name.value
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composite_key_is_bounded_one_range_per_prefix() {
        let columns = ["tenant_id".to_string(), "line_no".to_string()];
        let vars = ["s_1".to_string(), "s_2".to_string()];
        assert_eq!(
            key_bound(&columns, &vars, ">", true),
            "(tenant_id > s_1) OR (tenant_id = s_1 AND line_no >= s_2)"
        );
        assert_eq!(
            key_bound(&columns, &vars, "<", false),
            "(tenant_id < s_1) OR (tenant_id = s_1 AND line_no < s_2)"
        );
        assert_eq!(
            key_bound(&columns[..1], &vars[..1], ">", true),
            "tenant_id >= s_1"
        );
    }
}
