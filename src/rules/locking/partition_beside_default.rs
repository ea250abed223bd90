use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Partitioning, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE TABLE ... PARTITION OF parent FOR VALUES ...` when the replayed
    /// migrations show that `parent` has a DEFAULT partition holding rows.
    ///
    /// ## Why is this bad?
    /// Rows of the new partition's range may sit in the DEFAULT partition, so PostgreSQL
    /// reads the whole DEFAULT partition to make sure none does, holding ACCESS EXCLUSIVE on
    /// it and on the partitioned table: every read and write of the whole table waits
    /// for the scan. A DEFAULT partition that collects many rows makes every new partition
    /// slower to add. Measured on PostgreSQL 14 to 18.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events ATTACH PARTITION events_2023 DEFAULT;
    /// CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE events_2026 (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
    /// ALTER TABLE events_2026 ADD CONSTRAINT events_2026_bound
    ///   CHECK (happened_at >= '2026-01-01' AND happened_at < '2027-01-01') NOT VALID;
    /// ALTER TABLE events_2026 VALIDATE CONSTRAINT events_2026_bound;
    /// ```
    /// Create partitions ahead of the data, before rows of their range can reach the
    /// DEFAULT partition, and keep the DEFAULT partition empty. The attach of such a table
    /// still reads the DEFAULT partition (see `attach-partition-without-check`): move the
    /// rows of the new range out of it first, in a window where a short scan is acceptable.
    pub static RULE = Rule {
        id: "partition-beside-default",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL 11+ (DEFAULT partitions)",
        summary: "a new partition scans the DEFAULT partition under ACCESS EXCLUSIVE on the partitioned table",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::CreateTable {
        partitioning: Partitioning::Of {
            parent,
            default: false,
        },
        ..
    } = &statement.kind
    else {
        return;
    };
    let Some(fallback) = ctx.catalog.default_partition(parent).cloned() else {
        return;
    };
    if ctx.holds_no_rows(&fallback) {
        return;
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("the new partition makes PostgreSQL read all of the DEFAULT partition `{fallback}` for rows of its range, holding ACCESS EXCLUSIVE on it and on `{parent}`: reads and writes of `{parent}` wait until the scan ends"),
        )
        .lock(parent, LockMode::AccessExclusive, TableEffect::None)
        .lock(&fallback, LockMode::AccessExclusive, TableEffect::Scan)
        .help(format!("create partitions of `{parent}` ahead of the data, before rows of their range reach `{fallback}`, and keep the DEFAULT partition empty")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    const NEW: &str =
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";

    #[test]
    fn flags_a_partition_beside_a_default_partition_with_rows() {
        insta::assert_snapshot!(lint_err(
            &format!("ALTER TABLE events ATTACH PARTITION events_rest DEFAULT;\n{NEW}"),
            &RULE
        ));
    }

    #[test]
    fn quiet_without_a_default_partition_or_with_an_empty_one() {
        lint_ok(NEW, &RULE);
        lint_ok(
            &format!("CREATE TABLE events_rest PARTITION OF events DEFAULT;\n{NEW}"),
            &RULE,
        );
        lint_ok(
            &format!("ALTER TABLE events ATTACH PARTITION events_rest DEFAULT;\nALTER TABLE events DETACH PARTITION events_rest;\n{NEW}"),
            &RULE,
        );
        lint_ok(
            "ALTER TABLE events ATTACH PARTITION events_rest DEFAULT;\nCREATE TABLE events_more PARTITION OF events DEFAULT;",
            &RULE,
        );
    }
}
