//! The rule registry, the rule declaration macro, and the context a rule checks a
//! statement in.
//!
//! Each rule lives in its own file under a group folder, declared once with
//! [`declare_rule!`]: its id, group, severity, dialects, versions, lock claim and
//! documentation sit beside its check function. `lockstep explain`, `lockstep rules`, SARIF
//! `rules[].help` and the README table all read [`ALL`].

use crate::catalog::{Catalog, ChangeSet, KeyParts};
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableLock};
use crate::dialect::{Dialect, Target};
use crate::layout::Direction;
use crate::locks::statement_locks;
use crate::session::Session;
use crate::statement::{Ident, ObjectName, Statement, StatementKind};
use serde::Serialize;
use std::cell::RefCell;

pub mod compatibility;
pub mod data_loss;
pub mod locking;
pub mod meta;
pub mod mysql;
pub mod style;
pub mod transaction;

/// Groups let configuration turn related rules on or off at once.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// Locks that block reads or writes, rewrites and scans.
    Locking,
    /// Changes that break the application version still running.
    Compatibility,
    /// Changes that destroy data.
    DataLoss,
    /// Transaction and session hazards.
    Transaction,
    /// Type and naming advice (off by default).
    Style,
    /// Findings about the input itself: unparsed statements, unused ignores.
    Meta,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Locking,
        Group::Compatibility,
        Group::DataLoss,
        Group::Transaction,
        Group::Style,
        Group::Meta,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Group::Locking => "locking",
            Group::Compatibility => "compatibility",
            Group::DataLoss => "data-loss",
            Group::Transaction => "transaction",
            Group::Style => "style",
            Group::Meta => "meta",
        }
    }
}

/// A rule's metadata and its check. Declared once per rule with [`declare_rule!`].
pub struct Rule {
    /// Kebab-case id, the name users write in config and ignore comments.
    pub id: &'static str,
    pub group: Group,
    pub default_severity: Severity,
    pub enabled_by_default: bool,
    pub dialects: &'static [Dialect],
    /// The server versions the verdict holds for, in words (`"PostgreSQL 11+"`).
    pub versions: &'static str,
    /// One line: what the rule flags.
    pub summary: &'static str,
    /// The lock the flagged statement takes and its effect on rows, when it takes one.
    pub lock: Option<LockClaim>,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`, `## Example`,
    /// `## Use instead`, written as the `///` comments on the declaration.
    pub docs: &'static str,
    /// `None` for rules the engine reports itself (input problems, unused ignores).
    pub check: Option<fn(&mut Ctx, &Statement)>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl Rule {
    /// The documentation with the one leading space of each `///` line removed.
    pub fn documentation(&self) -> String {
        self.docs
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The body of one `## Heading` section of the documentation.
    pub fn section(&self, heading: &str) -> Option<String> {
        let docs = self.documentation();
        let marker = format!("## {heading}\n");
        let start = docs.find(&marker)? + marker.len();
        let rest = &docs[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }

    /// The SQL inside the first fenced block of a section.
    pub fn section_sql(&self, heading: &str) -> Option<String> {
        let body = self.section(heading)?;
        let start = body.find("```sql\n")? + "```sql\n".len();
        let end = body[start..].find("```")? + start;
        Some(body[start..end].to_string())
    }

    pub fn applies_to(&self, dialect: Dialect) -> bool {
        self.dialects.contains(&dialect)
    }

    /// Whether the rule's claims hold on PostgreSQL `major`, as its `versions` says:
    /// `PostgreSQL N+` (REPACK exists from 19) or `PostgreSQL before N` (a rewrite that 19
    /// no longer does); any other wording covers every major.
    pub fn holds_on_postgres(&self, major: u32) -> bool {
        let Some(rest) = self.versions.strip_prefix("PostgreSQL ") else {
            return true;
        };
        let number = |text: &str| text.split(['.', ' ', ';', ',']).next()?.parse::<u32>().ok();
        if let Some(before) = rest.strip_prefix("before ").and_then(number) {
            return major < before;
        }
        match rest
            .split_whitespace()
            .next()
            .and_then(|w| w.strip_suffix('+'))
        {
            Some(first) => number(first).is_none_or(|first| major >= first),
            None => true,
        }
    }
}

/// Declares a rule: `///` documentation, then `pub static NAME = Rule { .. }` without
/// the `docs` field, which the macro fills from the documentation.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub static $name:ident = Rule { $($field:ident : $value:expr),* $(,)? };
    ) => {
        $(#[doc = $doc])*
        pub static $name: $crate::rules::Rule = $crate::rules::Rule {
            docs: concat!($($doc, "\n"),*),
            $($field: $value),*
        };
    };
}

pub const POSTGRES: &[Dialect] = &[Dialect::Postgres];
pub const MYSQL: &[Dialect] = &[Dialect::Mysql];
pub const BOTH: &[Dialect] = &[Dialect::Postgres, Dialect::Mysql];

/// Every rule, sorted by id.
pub static ALL: &[&Rule] = &[
    &locking::add_check_without_not_valid::RULE,
    &locking::add_column_constrained_domain::RULE,
    &locking::add_column_volatile_default::RULE,
    &locking::add_exclusion_constraint::RULE,
    &locking::add_foreign_key_without_not_valid::RULE,
    &compatibility::add_not_null_column_without_default::RULE,
    &locking::add_serial_or_generated_column::RULE,
    &locking::add_unique_constraint_without_index::RULE,
    &compatibility::alter_enum_value::RULE,
    &compatibility::alter_identity::RULE,
    &locking::attach_partition_without_check::RULE,
    &locking::change_column_type::RULE,
    &locking::cluster::RULE,
    &locking::combinable_alter_table::RULE,
    &transaction::concurrently_in_transaction::RULE,
    &meta::contract_with_expand::RULE,
    &locking::create_index_non_concurrently::RULE,
    &transaction::data_change_in_ddl_transaction::RULE,
    &transaction::data_change_without_where::RULE,
    &locking::detach_partition_non_concurrently::RULE,
    &locking::domain_constraint_without_not_valid::RULE,
    &data_loss::drop_column::RULE,
    &data_loss::drop_database::RULE,
    &compatibility::drop_default::RULE,
    &locking::drop_index_non_concurrently::RULE,
    &compatibility::drop_not_null::RULE,
    &compatibility::drop_object::RULE,
    &data_loss::drop_schema::RULE,
    &data_loss::drop_table::RULE,
    &meta::edited_applied_migration::RULE,
    &style::identifier_too_long::RULE,
    &meta::input_encoding::RULE,
    &locking::lock_table::RULE,
    &locking::merge_or_split_partitions::RULE,
    &locking::missing_lock_timeout::RULE,
    &locking::missing_statement_timeout::RULE,
    &mysql::alter_blocks_writes::RULE,
    &mysql::alter_exceeds_row_versions::RULE,
    &mysql::alter_pin_refused::RULE,
    &mysql::alter_rebuilds_table::RULE,
    &mysql::alter_unpinned_instant::RULE,
    &mysql::drop_table::RULE,
    &mysql::foreign_key_to_non_unique_key::RULE,
    &mysql::missing_lock_wait_timeout::RULE,
    &mysql::rename_table::RULE,
    &mysql::truncate_table::RULE,
    &mysql::whole_table_dml::RULE,
    &meta::other_dialect_file::RULE,
    &locking::partition_beside_default::RULE,
    &style::prefer_bigint::RULE,
    &style::prefer_identity::RULE,
    &style::prefer_jsonb::RULE,
    &style::prefer_text::RULE,
    &style::prefer_timestamptz::RULE,
    &meta::psql_meta_command::RULE,
    &locking::refresh_materialized_view_non_concurrently::RULE,
    &locking::reindex_non_concurrently::RULE,
    &compatibility::rename_column::RULE,
    &compatibility::rename_constraint::RULE,
    &compatibility::rename_object::RULE,
    &compatibility::rename_schema::RULE,
    &compatibility::rename_table::RULE,
    &locking::repack_non_concurrently::RULE,
    &locking::set_generated_expression::RULE,
    &locking::set_logged_unlogged_or_tablespace::RULE,
    &locking::set_not_null_without_check::RULE,
    &compatibility::set_schema::RULE,
    &locking::statement_after_access_exclusive::RULE,
    &locking::trigger_on_existing_table::RULE,
    &data_loss::truncate_table::RULE,
    &transaction::unbalanced_transaction::RULE,
    &meta::unparsed_statement::RULE,
    &meta::unterminated_literal::RULE,
    &meta::unused_ignore::RULE,
    &locking::vacuum_full::RULE,
    &transaction::validate_in_same_transaction::RULE,
];

pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}

/// `" (did you mean `x`?)"` for an id that is no rule but close to one, else nothing.
pub fn did_you_mean(id: &str) -> String {
    crate::suggest::hint(id, ALL.iter().map(|r| r.id))
}

/// Facts about the file the statement belongs to.
#[derive(Clone, Debug)]
pub struct FileFacts {
    pub direction: Direction,
    pub change_set: ChangeSet,
}

/// What a rule sees: the statement's context before it runs, and a place to report.
/// Where a later statement runs relative to the transaction open now ([`Ctx::follows`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Follows {
    /// In the same transaction: it commits together with the statement being judged.
    InTransaction,
    /// After the statement being judged has committed.
    AfterCommit,
    NotInFile,
}

/// A file's text and its statements, in order.
#[derive(Clone, Copy)]
pub struct FileSource<'a> {
    pub text: &'a str,
    pub statements: &'a [Statement],
}

pub struct Ctx<'a> {
    pub target: Target,
    /// The schema as it stands just before this statement.
    pub catalog: &'a Catalog,
    /// The session's transaction and timeout state just before this statement.
    pub session: &'a Session,
    pub file: &'a FileFacts,
    /// The whole file's text; statement spans index it.
    pub source: &'a str,
    /// Every statement of the file, in order: what comes before or after a statement is
    /// read here, never parsed again (a rule re-parsing the rest of the file on each
    /// statement made the check quadratic in the file's length).
    statements: &'a [Statement],
    findings: &'a mut Vec<Finding>,
    /// The ids of the rules that have reported their one finding in this file: a handful at
    /// most, and asked of every rule for every statement, so a list (hashing the ids took
    /// an eighth of a run's instructions).
    reported_once: &'a mut Vec<&'static str>,
    /// [`Ctx::holds_no_rows`] of the tables asked about so far for this statement: eleven
    /// locking rules ask it of every ALTER TABLE's table.
    holds_no_rows: RefCell<Vec<(ObjectName, bool)>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        target: Target,
        catalog: &'a Catalog,
        session: &'a Session,
        file: &'a FileFacts,
        source: FileSource<'a>,
        findings: &'a mut Vec<Finding>,
        reported_once: &'a mut Vec<&'static str>,
    ) -> Ctx<'a> {
        Ctx {
            target,
            catalog,
            session,
            file,
            source: source.text,
            statements: source.statements,
            findings,
            reported_once,
            holds_no_rows: RefCell::new(Vec::new()),
        }
    }

    /// The file's statements that start after `statement`, in order.
    pub fn statements_after(&self, statement: &Statement) -> &'a [Statement] {
        let from = self
            .statements
            .partition_point(|s| s.span.start <= statement.span.start);
        &self.statements[from..]
    }

    /// Where the first later statement of the file that `wanted` accepts runs: in the
    /// transaction open at `statement`, after a transaction boundary, or nowhere.
    pub fn follows(&self, statement: &Statement, wanted: impl Fn(&Statement) -> bool) -> Follows {
        let mut same_transaction = self.session.in_transaction();
        for later in self.statements_after(statement) {
            match &later.kind {
                StatementKind::Commit | StatementKind::Rollback | StatementKind::Begin => {
                    same_transaction = false;
                }
                _ if wanted(later) => {
                    return if same_transaction {
                        Follows::InTransaction
                    } else {
                        Follows::AfterCommit
                    };
                }
                _ => {}
            }
        }
        Follows::NotInFile
    }

    /// The file's statements that start before `statement`, in order.
    pub fn statements_before(&self, statement: &Statement) -> &'a [Statement] {
        let to = self
            .statements
            .partition_point(|s| s.span.start < statement.span.start);
        &self.statements[..to]
    }

    pub fn report(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Whether `rule` has reported its one finding of this file ([`Ctx::report_once_per_file`]).
    pub fn reported_in_file(&self, rule: &Rule) -> bool {
        self.reported_once.contains(&rule.id)
    }

    /// Reports only the first finding of `rule` in this file. Once it has, the engine does
    /// not check the rule again in this file: every later statement would build a finding
    /// (its locks, its message) only to drop it. So a rule that reports this way reports
    /// only this way.
    pub fn report_once_per_file(&mut self, finding: Finding) {
        if !self.reported_once.contains(&finding.rule.id) {
            self.reported_once.push(finding.rule.id);
            self.findings.push(finding);
        }
    }

    /// Whether the table was created in this change set, so it holds no rows yet and no
    /// running application reads it.
    pub fn is_new_table(&self, name: &ObjectName) -> bool {
        self.catalog.created_in(name, self.file.change_set)
    }

    /// Whether the replay saw `table.column` added in this change set: no running
    /// application uses it yet.
    pub fn is_new_column(&self, table: &ObjectName, column: &Ident) -> bool {
        self.catalog
            .column(table, column)
            .is_some_and(|c| c.added_in == Some(self.file.change_set))
    }

    /// Whether the table holds no rows when the statement runs: created in this change set,
    /// or emptied by a `TRUNCATE` earlier in the open transaction. A rewrite, scan or index
    /// build then has nothing to do.
    pub fn holds_no_rows(&self, name: &ObjectName) -> bool {
        if let Some((_, known)) = self.holds_no_rows.borrow().iter().find(|(n, _)| n == name) {
            return *known;
        }
        let empty = self.is_new_table(name) || {
            let key = self.catalog.borrowed_key(name);
            self.session
                .emptied_in_transaction
                .iter()
                .any(|emptied| self.catalog.borrowed_key(emptied).parts() == key.parts())
        };
        self.holds_no_rows.borrow_mut().push((name.clone(), empty));
        empty
    }

    /// The table lock of renaming or dropping a column: ACCESS EXCLUSIVE on PostgreSQL
    /// (brief, no rewrite); on MySQL both run online (instant or in place) with reads and
    /// writes going on, so `LOCK=NONE`.
    pub fn column_change_lock(&self) -> LockMode {
        match self.target.dialect {
            Dialect::Postgres => LockMode::AccessExclusive,
            Dialect::Mysql => LockMode::MysqlNone,
        }
    }

    /// The table locks `statement` takes, from the lock model.
    pub fn locks(&self, statement: &Statement) -> Vec<TableLock> {
        statement_locks(statement, self.catalog, &self.target)
    }

    /// Whether `lock` is on a table created in this change set, which nobody waits for.
    pub fn locks_new_table(&self, lock: &TableLock) -> bool {
        lock.object.as_ref().is_some_and(|t| self.is_new_table(t))
    }

    pub fn is_rollback(&self) -> bool {
        self.file.direction == Direction::Down
    }

    pub fn text(&self, statement: &Statement) -> &'a str {
        statement.span.text(self.source)
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_says_which_postgres_majors_its_claims_hold_on() {
        let repack = find("repack-non-concurrently").unwrap();
        assert!(!repack.holds_on_postgres(18) && repack.holds_on_postgres(19));
        let domain = find("add-column-constrained-domain").unwrap();
        assert!(domain.holds_on_postgres(18) && !domain.holds_on_postgres(19));
        for id in [
            "vacuum-full",
            "attach-partition-without-check",
            "drop-table",
        ] {
            let rule = find(id).unwrap();
            assert!(
                rule.holds_on_postgres(14) && rule.holds_on_postgres(19),
                "{id}"
            );
        }
    }
}
