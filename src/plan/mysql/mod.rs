//! `lockstep plan --dialect mysql`: the phased replacement of a risky MySQL statement, in
//! MySQL's own terms.
//!
//! Rules every MySQL recipe follows:
//! - every ALTER TABLE carries the `ALGORITHM=` / `LOCK=` pin the online-DDL matrix gives
//!   for the target server, so a server that cannot run it online refuses it instead of
//!   copying the table under a write lock;
//! - every statement that takes a metadata lock runs after `SET SESSION lock_wait_timeout`:
//!   an ALTER waiting for its exclusive metadata lock queues every later query on the table
//!   behind it, so it must give up quickly;
//! - MySQL commits each DDL statement on its own: a phase is not atomic, and its rollback
//!   also undoes a phase that stopped part-way;
//! - dual writes are `BEFORE INSERT` / `BEFORE UPDATE` triggers that tell, with the
//!   NULL-safe `<=>`, which column the statement wrote;
//! - backfills are a stored procedure that walks the primary key in `LIMIT` batches,
//!   commits each batch, pauses, and only touches rows that still need it (a re-run
//!   resumes); MySQL has no anonymous block, so the file creates, calls and drops it.

mod add_column;
mod add_foreign_key;
mod add_index;
mod carried_index;
mod change_type;
mod rename_column;
pub mod render;
mod sql;

use super::{Plan, PlanError, PlanOptions};
use crate::catalog::Catalog;
use crate::dialect::{MysqlFlavor, Target};
use crate::mysql::clauses::table_traits;
use crate::mysql::online_ddl::{judge, Algorithm, Clause, Operation, Pins, TableTraits};
use crate::statement::{AlterAction, ConstraintKind, ObjectName, Statement, StatementKind};

/// MySQL refuses a name longer than this (it never truncates one).
pub const MAX_IDENT_CHARS: usize = 64;

/// How long a DDL statement may wait for its metadata lock, in seconds.
pub const LOCK_WAIT_TIMEOUT_SECS: u32 = 5;

/// The plan for a MySQL `statement`, or `None` when no recipe covers it.
pub fn plan_statement(
    statement: &Statement,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    recipe(statement, catalog, options).map(|plan| plan.and_then(|plan| supported(plan, options)))
}

/// The plans swap columns with `RENAME COLUMN`, which MySQL has from 8.0 on (MariaDB from
/// 10.5; the flavor has no version gate of its own here).
fn supported(plan: Plan, options: &PlanOptions) -> Result<Plan, PlanError> {
    if options.target.flavor == MysqlFlavor::Mysql && !options.target.at_least(8, 0, 0) {
        return Err(PlanError(format!(
            "lockstep plan writes MySQL plans for MySQL 8.0 and later (the target is {}): they rely on RENAME COLUMN and INSTANT column changes",
            options.target.version
        )));
    }
    Ok(plan)
}

fn recipe(
    statement: &Statement,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    match &statement.kind {
        StatementKind::CreateIndex(index) => Some(add_index::plan(index, catalog, options)),
        StatementKind::AlterTable { name, actions, .. } => {
            // The plan writes its own pins in place of any the statement had.
            let changes: Vec<&AlterAction> = actions
                .iter()
                .filter(|a| !matches!(a, AlterAction::Algorithm(_) | AlterAction::Lock(_)))
                .collect();
            let [action] = changes.as_slice() else {
                return None;
            };
            match action {
                AlterAction::RenameColumn { from, to } => Some(
                    columns_change_instantly(name, catalog)
                        .and_then(|()| rename_column::plan(name, from, to, catalog, options)),
                ),
                AlterAction::AddColumn { column, .. } => add_column::plan(name, column, options)
                    .map(|plan| columns_change_instantly(name, catalog).and(plan)),
                AlterAction::RedefineColumn { old, column, .. }
                    if old.key() != column.name.key() =>
                {
                    Some(columns_change_instantly(name, catalog).and_then(|()| {
                        rename_column::plan_change(name, old, column, catalog, options)
                    }))
                }
                AlterAction::RedefineColumn { old, column, .. } => {
                    change_type::plan(statement, name, old, column, catalog, options)
                }
                AlterAction::AddIndex(index) => Some(add_index::plan(index, catalog, options)),
                AlterAction::AddConstraint(constraint) => match &constraint.kind {
                    ConstraintKind::ForeignKey { columns, target } => Some(add_foreign_key::plan(
                        &add_foreign_key::ForeignKey {
                            table: name,
                            name: constraint.name.as_ref(),
                            columns,
                            references: &target.references,
                            referred_columns: &target.referred_columns,
                            clauses: &target.clauses,
                        },
                        catalog,
                        options,
                    )),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// The column recipes add and drop columns with `ALGORITHM=INSTANT`, which the server
/// refuses on a table with a FULLTEXT index, or with the hidden FTS_DOC_ID column of a
/// dropped one (`TableTraits::fts`).
fn columns_change_instantly(table: &ObjectName, catalog: &Catalog) -> Result<(), PlanError> {
    let traits = table_traits(catalog, table, &[]);
    if traits.fulltext {
        Err(PlanError(format!(
            "`{table}` has a FULLTEXT index, so no column of it is added or dropped instantly: each such ALTER rebuilds it with writes blocked (MySQL copies it); copy the table with an online schema-change tool instead (gh-ost, pt-online-schema-change)"
        )))
    } else if traits.hidden_fts_doc_id {
        Err(PlanError(format!(
            "`{table}` keeps the hidden FTS_DOC_ID column of a dropped FULLTEXT index, so no column of it is added or dropped instantly: rebuild it first with `ALTER TABLE {} FORCE, ALGORITHM=INPLACE, LOCK=NONE` (writes continue), then plan again",
            sql::object(table)
        )))
    } else {
        Ok(())
    }
}

/// The `ALGORITHM=` / `LOCK=` clause that makes the server run an operation online or
/// refuse it, from the online-DDL matrix for the target server.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    pub algorithm: Algorithm,
    /// The table is rebuilt in place (writes continue; hours of I/O on a big table).
    pub rebuilds: bool,
}

impl Pin {
    /// The clause to append to the ALTER TABLE, e.g. `ALGORITHM=INPLACE, LOCK=NONE`.
    pub fn clause(self) -> &'static str {
        match self.algorithm {
            Algorithm::Instant => "ALGORITHM=INSTANT",
            _ => "ALGORITHM=INPLACE, LOCK=NONE",
        }
    }

    /// What the pinned statement costs, for the phase header.
    pub fn cost(self) -> &'static str {
        match (self.algorithm, self.rebuilds) {
            (Algorithm::Instant, _) => "metadata only (ALGORITHM=INSTANT): no rows touched",
            (_, false) => "in place without a rebuild (ALGORITHM=INPLACE, LOCK=NONE): reads and writes continue",
            (_, true) => "rebuilds the table in place (ALGORITHM=INPLACE, LOCK=NONE): reads and writes continue, but it takes I/O for the whole table and replicas lag behind it",
        }
    }
}

/// The pin for `operation` on `target`, or why the server can only copy the table.
pub fn pin(operation: Operation, target: &Target) -> Result<Pin, PlanError> {
    let clause = Clause {
        operation,
        text: operation.row().label.to_string(),
    };
    let server = crate::mysql::online_ddl::server_name(target);
    // The plans add, drop and rename indexes. Of those, the table's FULLTEXT state changes
    // only whether a FULLTEXT index rebuilds it, and that blocks writes either way.
    let traits = TableTraits::default();
    let verdict = judge(
        std::slice::from_ref(&clause),
        &Pins::default(),
        target,
        &traits,
    )
    .ok_or_else(|| PlanError(format!("{} has no verdict", clause.text)))?;
    match verdict.algorithm {
        Algorithm::Instant => Ok(Pin {
            algorithm: Algorithm::Instant,
            rebuilds: false,
        }),
        Algorithm::Inplace if verdict.concurrent_dml => Ok(Pin {
            algorithm: Algorithm::Inplace,
            rebuilds: verdict.rebuilds,
        }),
        _ => Err(PlanError(format!(
            "{} cannot run with concurrent writes on {server}: only a copy of the table will do",
            clause.text
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{Dialect, Version};

    fn target(version: Version, flavor: MysqlFlavor) -> Target {
        Target {
            version,
            flavor,
            ..Target::new(Dialect::Mysql)
        }
    }

    #[test]
    fn pins_follow_the_matrix_for_the_target() {
        let mysql =
            |major, minor, patch| target(Version::new(major, minor, patch), MysqlFlavor::Mysql);
        let add = |t: &Target| pin(Operation::AddColumnLast, t).map(Pin::clause);
        assert_eq!(add(&mysql(8, 0, 35)), Ok("ALGORITHM=INSTANT"));
        assert_eq!(add(&mysql(8, 0, 11)), Ok("ALGORITHM=INPLACE, LOCK=NONE"));
        let drop = pin(Operation::DropColumn, &mysql(8, 0, 28));
        assert_eq!(drop.map(|p| p.rebuilds), Ok(true));
        let mariadb = target(Version::new(8, 0, 35), MysqlFlavor::Mariadb);
        let unchecked = |t: &Target| pin(Operation::AddForeignKeyUnchecked, t).map(Pin::clause);
        assert_eq!(unchecked(&mariadb), Ok("ALGORITHM=INSTANT"));
        assert_eq!(
            unchecked(&mysql(8, 0, 35)),
            Ok("ALGORITHM=INPLACE, LOCK=NONE")
        );
    }

    #[test]
    fn operations_that_only_copy_or_block_writes_get_no_pin() {
        let default = Target::new(Dialect::Mysql);
        for operation in [
            Operation::AddForeignKey,
            Operation::ChangeColumnType,
            Operation::AddFulltextIndex,
        ] {
            assert!(pin(operation, &default).is_err(), "{operation:?}");
        }
    }

    /// The plan error for the last statement of `sql` after replaying the others, or `None`
    /// when it plans.
    fn plan_error(sql: &str) -> Option<String> {
        let parsed = crate::parse::parse_text(sql, Dialect::Mysql);
        let mut catalog = Catalog::new(Dialect::Mysql);
        let (last, earlier) = parsed.statements.split_last().unwrap();
        for statement in earlier {
            catalog.apply(statement, crate::catalog::ChangeSet(0));
        }
        let options = PlanOptions {
            target: Target::new(Dialect::Mysql),
            batch_size: None,
            pause_ms: 100,
            stats: None,
        };
        plan_statement(last, &catalog, &options)?.err().map(|e| e.0)
    }

    #[test]
    fn column_swaps_are_not_planned_on_a_table_with_fulltext_state() {
        let table = "CREATE TABLE posts (id INT PRIMARY KEY, title VARCHAR(60), body TEXT, \
            FULLTEXT KEY posts_body_ft (body));\n";
        let rename = "ALTER TABLE posts RENAME COLUMN title TO headline;";
        let fulltext = plan_error(&format!("{table}{rename}")).expect("refused");
        assert!(fulltext.contains("has a FULLTEXT index"), "{fulltext}");
        let dropped = format!("{table}DROP INDEX posts_body_ft ON posts;\n");
        let hidden = plan_error(&format!("{dropped}{rename}")).expect("refused");
        assert!(
            hidden.contains(
                "rebuild it first with `ALTER TABLE posts FORCE, ALGORITHM=INPLACE, LOCK=NONE`"
            ),
            "{hidden}"
        );
        let rebuilt = format!("{dropped}ALTER TABLE posts FORCE;\n{rename}");
        assert_eq!(plan_error(&rebuilt), None);
    }

    /// The server refuses to drop a column of the partitioning function, which the rename
    /// and the copying type change do to the old column in their contract phase; the
    /// refusal comes before the primary key's, which must hold the column anyway.
    #[test]
    fn a_partitioning_column_is_not_swapped() {
        let ranged = "CREATE TABLE events (id INT, at DATE, body TEXT, PRIMARY KEY (id, at)) \
            PARTITION BY RANGE COLUMNS (at) (PARTITION p0 VALUES LESS THAN (MAXVALUE));\n";
        let keyless = "CREATE TABLE events (id INT, at INT, body TEXT) PARTITION BY HASH (at) PARTITIONS 2;\n";
        // `KEY ()` partitions by the primary key, or the first unique key without one.
        let by_primary_key = "CREATE TABLE events (at INT, body TEXT, PRIMARY KEY (at)) \
            PARTITION BY KEY () PARTITIONS 2;\n";
        let by_unique_key = "CREATE TABLE events (at INT NOT NULL, body TEXT, UNIQUE KEY (at)) \
            PARTITION BY LINEAR KEY ALGORITHM=2 () PARTITIONS 2;\n";
        let repartitioned =
            "CREATE TABLE events (id INT, at INT, body TEXT, PRIMARY KEY (id, at));\n\
            ALTER TABLE events ENGINE=InnoDB PARTITION BY RANGE COLUMNS (at) \
            (PARTITION p0 VALUES LESS THAN (MAXVALUE));\n";
        for sql in [
            format!("{by_primary_key}ALTER TABLE events MODIFY at BIGINT;"),
            format!("{by_unique_key}ALTER TABLE events MODIFY at BIGINT;"),
            format!("{repartitioned}ALTER TABLE events RENAME COLUMN at TO happened;"),
            format!("{ranged}ALTER TABLE events RENAME COLUMN at TO happened;"),
            format!("{ranged}ALTER TABLE events CHANGE at happened DATE;"),
            format!("{ranged}ALTER TABLE events MODIFY at DATETIME;"),
            format!("{keyless}ALTER TABLE events MODIFY at BIGINT;"),
        ] {
            let refused = plan_error(&sql).expect("refused");
            assert!(
                refused.starts_with("`at` is in the partitioning function of `events`")
                    && refused.contains("(MariaDB: `Key column 'at' doesn't exist in table`"),
                "{sql}: {refused}"
            );
        }
        // Unpartitioned again, only the primary key still holds the column.
        let removed = plan_error(&format!(
            "{repartitioned}ALTER TABLE events REMOVE PARTITIONING;\n\
             ALTER TABLE events RENAME COLUMN at TO happened;"
        ))
        .expect("refused");
        assert!(removed.contains("uses `at`, and the contract phase would drop it with the old column: the primary key. A plan does not rebuild a primary key: keep the key column as it is, or change it by hand"), "{removed}");
        // Another column of the table still plans, and so does a change made in place.
        assert_eq!(
            plan_error(&format!(
                "{ranged}ALTER TABLE events RENAME COLUMN body TO note;"
            )),
            None
        );
        let coded = "CREATE TABLE codes (id INT, code VARCHAR(10), PRIMARY KEY (id, code)) \
            PARTITION BY KEY (code) PARTITIONS 2;\n";
        assert_eq!(
            plan_error(&format!(
                "{coded}ALTER TABLE codes MODIFY code VARCHAR(20);"
            )),
            None
        );
    }
}
