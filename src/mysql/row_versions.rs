//! MySQL's INSTANT row versions. From 8.0.29 every ALTER TABLE that adds or drops a stored
//! column INSTANT writes a new row version into the table's metadata (rows keep the version
//! they were written with); a table allows 64 of them (255 from 9.1), and a rebuild starts
//! again from none. Past the limit an unpinned ALTER falls back to an in-place rebuild and
//! `ALGORITHM=INSTANT` is refused (ERROR 4092, "Maximum row versions reached"). MariaDB
//! keeps no such count.
//!
//! <https://dev.mysql.com/doc/refman/8.4/en/innodb-online-ddl-operations.html#online-ddl-column-operations>

use super::clauses::{table_changes, TableChange};
use super::online_ddl::{instant_row_versions, Algorithm, Operation, Verdict};
use crate::catalog::Catalog;
use crate::dialect::Target;
use crate::statement::{ObjectName, Statement, StatementKind};

/// The row versions an instant change would need beyond the table's limit: how many the
/// replay counts as used, and the limit. `None` when the change fits (or nothing counts).
pub fn exhausted(
    catalog: &Catalog,
    change: &TableChange,
    verdict: &Verdict,
    target: &Target,
) -> Option<(u32, u32)> {
    let limit = instant_row_versions(target)?;
    let used = catalog.table(&change.table)?.instant_row_versions;
    (takes_row_version(change, verdict) && used >= limit).then_some((used, limit))
}

/// Whether the change adds or drops a stored column INSTANT: one row version per
/// statement, however many columns it names (virtual columns leave rows as they are).
pub fn takes_row_version(change: &TableChange, verdict: &Verdict) -> bool {
    verdict.algorithm == Algorithm::Instant
        && change.clauses.iter().any(|c| {
            matches!(
                c.operation,
                Operation::AddColumnLast | Operation::AddColumnPositioned | Operation::DropColumn
            )
        })
}

/// What a statement leaves of a table's instant state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub table: ObjectName,
    /// The row versions the table has afterwards.
    pub row_versions: u32,
    /// The statement rebuilt (or copied) the table.
    pub rebuilt: bool,
}

/// What each table `statement` changes is left with once it has run on `target`, judged on
/// `catalog` as it is before the statement. Statements the server refuses leave nothing.
pub fn after(statement: &Statement, catalog: &Catalog, target: &Target) -> Vec<Outcome> {
    if let StatementKind::Truncate { tables, .. } = &statement.kind {
        // TRUNCATE TABLE drops and recreates the table from its definition: on MariaDB
        // 10.11 a hidden FTS_DOC_ID no FULLTEXT index needs is gone afterwards
        // (`INNODB_SYS_COLUMNS`, tests/db_mysql_rules.rs).
        return tables
            .iter()
            .map(|t| Outcome {
                table: t.clone(),
                row_versions: 0,
                rebuilt: true,
            })
            .collect();
    }
    let limit = instant_row_versions(target);
    // Whether foreign keys are checked only decides INPLACE or COPY of ADD FOREIGN KEY,
    // never an instant change or a rebuild; checked is the server's default.
    table_changes(statement, catalog, false)
        .into_iter()
        .filter_map(|change| {
            let verdict = change.verdict(target)?;
            if verdict.refused.is_some() {
                // The server refuses the pin: the statement fails and changes nothing.
                return None;
            }
            let used = catalog
                .table(&change.table)
                .map_or(0, |t| t.instant_row_versions);
            let instant = takes_row_version(&change, &verdict);
            let past_limit = limit.is_some_and(|limit| instant && used >= limit);
            if past_limit && change.pins.algorithm == Some(Algorithm::Instant) {
                // Refused: the statement fails and the table keeps what it had.
                return None;
            }
            // Unpinned past the limit, an instant change is rebuilt in place.
            let rebuilt = verdict.rebuilds || past_limit;
            let row_versions = match (rebuilt, instant && limit.is_some()) {
                (true, _) => 0,
                (false, true) => used + 1,
                (false, false) => used,
            };
            Some(Outcome {
                table: change.table,
                row_versions,
                rebuilt,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ChangeSet;
    use crate::dialect::{Dialect, MysqlFlavor};
    use crate::parse::parse_text;

    /// The row versions of `t` after `sql` on `target`.
    fn versions_after(sql: &str, target: Target) -> u32 {
        let mut catalog = Catalog::for_target(target);
        for statement in parse_text(sql, Dialect::Mysql).statements {
            catalog.apply(&statement, ChangeSet(0));
        }
        catalog
            .table(&ObjectName::bare("t"))
            .map_or(0, |t| t.instant_row_versions)
    }

    #[test]
    fn mariadb_counts_no_row_versions() {
        let sql = "CREATE TABLE t (a INT);\nALTER TABLE t ADD COLUMN b INT;\nALTER TABLE t DROP COLUMN b;";
        let mysql = Target::new(Dialect::Mysql);
        assert_eq!(versions_after(sql, mysql), 2);
        let mariadb = Target {
            flavor: MysqlFlavor::Mariadb,
            ..mysql
        };
        assert_eq!(versions_after(sql, mariadb), 0);
    }

    #[test]
    fn a_refused_pin_changes_nothing_and_an_unpinned_fallback_rebuilds() {
        let full: String = (0..64)
            .map(|i| format!("ALTER TABLE t ADD COLUMN c{i} INT;\n"))
            .collect();
        let mysql = Target::new(Dialect::Mysql);
        let pinned = format!("{full}ALTER TABLE t ADD COLUMN late INT, ALGORITHM=INSTANT;");
        assert_eq!(versions_after(&pinned, mysql), 64);
        let unpinned = format!("{full}ALTER TABLE t ADD COLUMN late INT;");
        assert_eq!(versions_after(&unpinned, mysql), 0);
        let refused =
            "ALTER TABLE t ADD COLUMN a INT;\nALTER TABLE t MODIFY a BIGINT, ALGORITHM=INPLACE;";
        assert_eq!(versions_after(refused, mysql), 1);
    }
}
