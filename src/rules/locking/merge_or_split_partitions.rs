use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ObjectName, Statement};

declare_rule! {
    /// ## What it does
    /// Flags PostgreSQL 19's `ALTER TABLE ... MERGE PARTITIONS` and `ALTER TABLE ... SPLIT
    /// PARTITION` on partitions that already hold rows.
    ///
    /// ## Why is this bad?
    /// Both hold an ACCESS EXCLUSIVE lock on the partitioned table for the whole operation:
    /// they create the new partitions, route every row of the old ones into them, and drop
    /// the old ones, while every read and write of the whole partitioned table waits. The
    /// time grows with the rows moved. PostgreSQL's documentation says as much: the commands
    /// are not meant for large partitions of a busy table.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events MERGE PARTITIONS (events_2024, events_2025) INTO events_2024_2025;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    /// ```
    /// Merge or split partitions only while they are empty or small: create partitions ahead
    /// of the data with the bounds you want. To reshape partitions that hold data, detach
    /// them `CONCURRENTLY`, build the new table beside them and copy the rows in batches,
    /// then attach it after a validated `CHECK` of its bound (see
    /// `attach-partition-without-check`), in a window where writes to those ranges can stop.
    /// Source: PostgreSQL 19 release notes and the ALTER TABLE reference page (no PostgreSQL
    /// 19 server is packaged for this project's tests yet; `tests/db_postgres_versions.rs`
    /// measures it when one is given).
    pub static RULE = Rule {
        id: "merge-or-split-partitions",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL 19+",
        summary: "MERGE PARTITIONS / SPLIT PARTITION move rows under ACCESS EXCLUSIVE on the partitioned table",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let (command, old): (&str, &[ObjectName]) = match action {
            AlterAction::MergePartitions { partitions, .. } => ("MERGE PARTITIONS", partitions),
            AlterAction::SplitPartition { partition, .. } => {
                ("SPLIT PARTITION", std::slice::from_ref(partition))
            }
            _ => continue,
        };
        let holding_rows: Vec<&ObjectName> = old.iter().filter(|p| !ctx.holds_no_rows(p)).collect();
        if holding_rows.is_empty() {
            continue;
        }
        let shown: Vec<String> = holding_rows.iter().map(|p| format!("`{p}`")).collect();
        let mut finding = Finding::new(
            &RULE,
            statement.span,
            format!(
                "{command} holds ACCESS EXCLUSIVE on `{table}` while it moves every row of {}: reads and writes of the whole partitioned table wait until it ends",
                shown.join(", ")
            ),
        )
        .lock(table, LockMode::AccessExclusive, TableEffect::None)
        .help("reshape partitions only while they are empty (create future partitions ahead of the data); for partitions with rows, detach them CONCURRENTLY, copy their rows into a new table in batches and attach it after a validated CHECK of its bound");
        for p in holding_rows {
            finding = finding.lock(p, LockMode::AccessExclusive, TableEffect::Rewrite);
        }
        ctx.report(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err_at, lint_ok_at};

    #[test]
    fn flags_merge_and_split_of_partitions_with_rows() {
        insta::assert_snapshot!(lint_err_at(
            "19",
            "ALTER TABLE events MERGE PARTITIONS (events_2024, events_2025) INTO events_2024_2025;",
            &RULE
        ));
        insta::assert_snapshot!(lint_err_at(
            "19",
            "ALTER TABLE events SPLIT PARTITION events_2024 INTO (\n  PARTITION events_2024_h1 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01'),\n  PARTITION events_2024_h2 FOR VALUES FROM ('2024-07-01') TO ('2025-01-01'));",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_partitions_created_in_the_same_change() {
        let sql = "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\n\
                   CREATE TABLE m_a PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');\n\
                   CREATE TABLE m_b PARTITION OF m FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');\n\
                   ALTER TABLE m MERGE PARTITIONS (m_a, m_b) INTO m_ab;\n\
                   ALTER TABLE m SPLIT PARTITION m_ab INTO (PARTITION m_a2 FOR VALUES FROM ('2024-01-01') TO ('2024-02-01'), PARTITION m_b2 FOR VALUES FROM ('2024-02-01') TO ('2024-03-01'));";
        lint_ok_at("19", sql, &RULE);
    }

    /// The replay keeps the rows: a partition merged from partitions that held rows holds
    /// them, so building an index on it is not work on a new, empty table.
    #[test]
    fn the_new_partitions_hold_the_old_ones_rows() {
        let index = &crate::rules::locking::create_index_non_concurrently::RULE;
        lint_err_at(
            "19",
            "ALTER TABLE events MERGE PARTITIONS (events_2024, events_2025) INTO events_all;\n\
             CREATE INDEX events_all_id ON events_all (id);",
            index,
        );
        lint_ok_at(
            "19",
            "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\n\
             CREATE TABLE m_a PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');\n\
             ALTER TABLE m SPLIT PARTITION m_a INTO (PARTITION m_a1 FOR VALUES FROM ('2024-01-01') TO ('2024-01-15'), PARTITION m_a2 FOR VALUES FROM ('2024-01-15') TO ('2024-02-01'));\n\
             CREATE INDEX m_a1_id ON m_a1 (id);",
            index,
        );
    }
}
