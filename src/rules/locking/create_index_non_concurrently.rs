use crate::declare_rule;
use crate::diagnostic::{Edit, Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::span::Span;
use crate::statement::{IndexDef, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE INDEX` without `CONCURRENTLY` on a table (or materialized view) that
    /// already exists.
    ///
    /// ## Why is this bad?
    /// A plain `CREATE INDEX` holds a SHARE lock on the table for the whole build: reads
    /// continue, but every INSERT, UPDATE and DELETE waits until the index is complete,
    /// which takes minutes on a large table. The table is scanned, not rewritten. This
    /// holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX users_name_idx ON users (name);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
    /// ```
    /// `CONCURRENTLY` takes a SHARE UPDATE EXCLUSIVE lock, which lets writes continue. It
    /// cannot run inside a transaction, so the migration must run without one. If the build
    /// fails it leaves an INVALID index: drop it with `DROP INDEX CONCURRENTLY` and retry.
    pub static RULE = Rule {
        id: "create-index-non-concurrently",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "CREATE INDEX without CONCURRENTLY blocks writes for the whole build",
        lock: Some(LockClaim { mode: LockMode::Share, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::CreateIndex(index) = &statement.kind else {
        return;
    };
    if index.concurrently || ctx.holds_no_rows(&index.table) {
        return;
    }
    let partitioned = ctx
        .catalog
        .table(&index.table)
        .is_some_and(|t| t.partitioned);
    if partitioned {
        if !index.only {
            ctx.report(on_partitioned_table(statement, index));
        }
        // ON ONLY a partitioned table: the parent's index alone, no rows to read.
        return;
    }
    let text = ctx.text(statement);
    let mut finding = Finding::new(
        &RULE,
        statement.span,
        format!("CREATE INDEX on `{}` without CONCURRENTLY blocks writes to it until the index is built", index.table),
    )
    .lock(&index.table, LockMode::Share, TableEffect::Scan);
    if let Some(at) = index_keyword_end(text) {
        let safe = format!("{} CONCURRENTLY{}", &text[..at], &text[at..]);
        let safe = safe.split_whitespace().collect::<Vec<_>>().join(" ");
        let edit = Edit {
            span: Span::new(
                statement.span.start as usize + at,
                statement.span.start as usize + at,
            ),
            replacement: " CONCURRENTLY".to_string(),
        };
        finding = finding
            .help(format!("build it without blocking writes, in a migration that runs outside a transaction: `{safe};`"))
            .fix("add CONCURRENTLY", vec![edit]);
    }
    ctx.report(finding);
}

/// On a partitioned table `CONCURRENTLY` is refused; the way is one index per partition.
fn on_partitioned_table(statement: &Statement, index: &IndexDef) -> Finding {
    let table = &index.table;
    let name = index
        .name
        .as_ref()
        .map_or_else(|| "<name>".to_string(), |n| n.value.clone());
    Finding::new(
        &RULE,
        statement.span,
        format!("CREATE INDEX on the partitioned table `{table}` builds the index on every partition, blocking writes to each until all are built"),
    )
    .lock(table, LockMode::Share, TableEffect::Scan)
    .help(format!(
        "PostgreSQL refuses CONCURRENTLY on a partitioned table: create `{name}` with `CREATE INDEX {name} ON ONLY {table} (...)` (no rows, a brief lock), build each partition's index with `CREATE INDEX CONCURRENTLY` in a migration of its own, then `ALTER INDEX {name} ATTACH PARTITION <partition index>` for each; `lockstep plan` writes these phases"
    ))
}

/// The byte offset just after the `INDEX` keyword of `CREATE [UNIQUE] INDEX`.
fn index_keyword_end(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut words = lower.split_ascii_whitespace();
    if words.next()? != "create" {
        return None;
    }
    let at = lower.find(" index").or_else(|| lower.find("\nindex"))?;
    Some(at + " index".len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn quiet_on_a_table_that_holds_no_rows_yet() {
        // A plain CREATE TABLE of a table an earlier file made fails unless it was gone:
        // after it the table is new (an alternative upgrade path re-creates it).
        let files = [
            ("V1__orders.sql", "CREATE TABLE orders (id bigint, note text);\n"),
            (
                "V2__recreate.sql",
                "CREATE TABLE orders (id bigint, note text);\nCREATE INDEX orders_note_idx ON orders (note);\n",
            ),
            (
                "V3__truncate.sql",
                "BEGIN;\nTRUNCATE orders;\nCREATE INDEX orders_id_idx ON orders (id);\nCOMMIT;\n",
            ),
        ];
        assert!(lint_folder(&files, &RULE).is_empty());
        // IF NOT EXISTS on a table that exists changes nothing, and a TRUNCATE committed
        // before the index leaves the table open to writes in between.
        let files = [
            ("V1__orders.sql", "CREATE TABLE orders (id bigint, note text);\n"),
            (
                "V2__again.sql",
                "CREATE TABLE IF NOT EXISTS orders (id bigint, note text);\nCREATE INDEX orders_note_idx ON orders (note);\n",
            ),
            (
                "V3__truncate.sql",
                "TRUNCATE orders;\nCOMMIT;\nCREATE INDEX orders_id_idx ON orders (id);\n",
            ),
        ];
        let found: Vec<String> = lint_folder(&files, &RULE)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(found, ["V2__again.sql", "V3__truncate.sql"]);
    }

    #[test]
    fn flags_an_index_on_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "CREATE UNIQUE INDEX users_email ON users (email);",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_concurrent_builds_and_new_tables() {
        lint_ok(
            "CREATE INDEX CONCURRENTLY users_email ON users (email);",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE users (id int, email text);\nCREATE INDEX users_email ON users (email);",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE app.\"Users\" (id int);\nCREATE INDEX users_id ON app.\"Users\" (id);",
            &RULE,
        );
    }

    #[test]
    fn a_partitioned_table_gets_the_partition_by_partition_advice_and_on_only_is_quiet() {
        let schema = "CREATE TABLE m (id bigint, v int) PARTITION BY RANGE (id);\n\
                      CREATE TABLE m_low PARTITION OF m FOR VALUES FROM (MINVALUE) TO (10);\n";
        let found = lint_folder(
            &[
                ("V1__m.sql", schema),
                ("V2__index.sql", "CREATE INDEX m_v ON m (v);\n"),
            ],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let text = format!("{:?}", found[0]);
        assert!(
            text.contains("ON ONLY m") && text.contains("ATTACH PARTITION"),
            "{text}"
        );
        assert!(
            !text.contains("add CONCURRENTLY"),
            "CONCURRENTLY fails here: {text}"
        );
        let quiet = lint_folder(
            &[
                ("V1__m.sql", schema),
                ("V2__index.sql", "CREATE INDEX m_v ON ONLY m (v);\n"),
            ],
            &RULE,
        );
        assert!(quiet.is_empty(), "{quiet:?}");
    }

    #[test]
    fn every_statement_of_a_goose_statement_block_is_checked() {
        let file = "-- +goose Up\n-- +goose StatementBegin\n\
                    ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT CURRENT_TIMESTAMP;\n\
                    CREATE INDEX users_seen_at ON users (seen_at);\n-- +goose StatementEnd\n";
        let found = lint_folder(&[("00006_seen.sql", file)], &RULE);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .span
                .text(file)
                .starts_with("CREATE INDEX users_seen_at"),
            "{found:?}"
        );
    }

    #[test]
    fn quoting_and_schema_decide_which_table_is_new() {
        lint_err(
            "CREATE TABLE \"Users\" (id int);\nCREATE INDEX users_id ON users (id);",
            &RULE,
        );
        lint_err(
            "CREATE TABLE app.users (id int);\nCREATE INDEX users_id ON users (id);",
            &RULE,
        );
    }
}
