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

/// The row versions each table `statement` changes has once it has run on `target`,
/// judged on `catalog` as it is before the statement.
pub fn after(statement: &Statement, catalog: &Catalog, target: &Target) -> Vec<(ObjectName, u32)> {
    if let StatementKind::Truncate { tables, .. } = &statement.kind {
        // TRUNCATE TABLE drops and recreates the table.
        return tables.iter().map(|t| (t.clone(), 0)).collect();
    }
    let Some(limit) = instant_row_versions(target) else {
        return Vec::new();
    };
    // Whether foreign keys are checked only decides INPLACE or COPY of ADD FOREIGN KEY,
    // never an instant change; checked is the server's default.
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
            let versions = if takes_row_version(&change, &verdict) {
                match (used < limit, change.pins.algorithm) {
                    (true, _) => used + 1,
                    // Refused: the statement fails and the table keeps what it had.
                    (false, Some(Algorithm::Instant)) => used,
                    // Unpinned past the limit: rebuilt in place.
                    (false, _) => 0,
                }
            } else if verdict.rebuilds {
                0
            } else {
                used
            };
            (versions != used).then_some((change.table, versions))
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
