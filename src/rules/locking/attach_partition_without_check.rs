use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ConstraintKind, ObjectName, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... ATTACH PARTITION` of a table that holds rows and has no
    /// validated CHECK constraint, and any attach to a partitioned table that has a DEFAULT
    /// partition.
    ///
    /// ## Why is this bad?
    /// PostgreSQL proves that every row of the attached table fits the partition bound by
    /// reading the whole table under ACCESS EXCLUSIVE, unless a validated CHECK constraint
    /// on it already implies the bound. When the partitioned table has a DEFAULT partition,
    /// it also reads the default partition, under ACCESS EXCLUSIVE, for rows that would now
    /// belong to the new partition: every query on those rows waits for the scan. The
    /// partitioned table itself is held SHARE UPDATE EXCLUSIVE (12+).
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events ATTACH PARTITION events_2023
    ///     FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE events_2023 ADD CONSTRAINT events_2023_bound
    ///     CHECK (happened_at >= '2023-01-01' AND happened_at < '2024-01-01') NOT VALID;
    /// -- in a later transaction: reads the rows without blocking writes
    /// ALTER TABLE events_2023 VALIDATE CONSTRAINT events_2023_bound;
    /// -- no scan now: the validated check implies the bound
    /// ALTER TABLE events ATTACH PARTITION events_2023
    ///     FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    /// ALTER TABLE events_2023 DROP CONSTRAINT events_2023_bound;
    /// ```
    /// The default partition is skipped the same way: a validated CHECK on it that
    /// excludes the new range.
    pub static RULE = Rule {
        id: "attach-partition-without-check",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL 11+ (ATTACH PARTITION, DEFAULT partitions)",
        summary: "ATTACH PARTITION reads the attached table, and any default partition, under ACCESS EXCLUSIVE unless a validated CHECK proves the bound",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let AlterAction::AttachPartition { partition, default } = action else {
            continue;
        };
        // A table created in this change holds no rows yet; a validated CHECK is taken to
        // imply the bound (PostgreSQL checks that it does, and scans when it does not).
        let scanned = partition
            .as_ref()
            .filter(|p| !ctx.is_new_table(p) && !has_validated_check(ctx, p));
        let fallback = if *default {
            None
        } else {
            ctx.catalog
                .default_partition(table)
                .filter(|d| !ctx.is_new_table(d) && !has_validated_check(ctx, d))
        };
        let read: Vec<&ObjectName> = scanned.into_iter().chain(fallback).collect();
        if read.is_empty() {
            continue;
        }
        let shown: Vec<String> = read.iter().map(|t| format!("`{t}`")).collect();
        let mut finding = Finding::new(
            &RULE,
            statement.span,
            format!(
                "attaching a partition to `{table}` reads every row of {} under ACCESS EXCLUSIVE to check the partition bound",
                shown.join(" and ")
            ),
        )
        .help("prove the bound first: on each table read, `ADD CONSTRAINT ... CHECK (<the bound, or for the default partition its complement>) NOT VALID`, then `VALIDATE CONSTRAINT` in its own transaction (no write is blocked); the attach then reads nothing");
        for t in read {
            finding = finding.lock(t, LockMode::AccessExclusive, TableEffect::Scan);
        }
        ctx.report(finding);
    }
}

fn has_validated_check(ctx: &Ctx, table: &ObjectName) -> bool {
    ctx.catalog.table(table).is_some_and(|t| {
        t.constraints
            .iter()
            .any(|c| c.validated && matches!(c.kind, ConstraintKind::Check { .. }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_an_attach_that_reads_the_attached_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');",
            &RULE
        ));
    }

    #[test]
    fn quiet_when_a_validated_check_proves_the_bound_or_the_table_is_new() {
        let schema = "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n\
                      CREATE TABLE events_2023 (id bigint, at date);\n";
        let proven = lint_folder(
            &[
                ("V1__schema.sql", schema),
                (
                    "V2__check.sql",
                    "ALTER TABLE events_2023 ADD CONSTRAINT bound CHECK (at >= '2023-01-01' AND at < '2024-01-01');\n",
                ),
                (
                    "V3__attach.sql",
                    "ALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n",
                ),
            ],
            &RULE,
        );
        assert!(proven.is_empty(), "{proven:?}");
        lint_ok(
            "CREATE TABLE events_2023 (id bigint, at date);\n\
             ALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');",
            &RULE,
        );
    }

    #[test]
    fn the_default_partition_is_read_too() {
        let found = lint_folder(
            &[
                (
                    "V1__schema.sql",
                    "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n\
                     CREATE TABLE events_rest PARTITION OF events DEFAULT;\n",
                ),
                (
                    "V2__attach.sql",
                    "CREATE TABLE events_2023 (id bigint, at date);\n\
                     ALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n",
                ),
            ],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.message.contains("`events_rest`")
                && !found[0].1.message.contains("`events_2023`"),
            "{}",
            found[0].1.message
        );
    }
}
