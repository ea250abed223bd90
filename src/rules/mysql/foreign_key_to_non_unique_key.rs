use crate::catalog::Catalog;
use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::dialect::MysqlFlavor;
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::{
    AlterAction, Constraint, ConstraintKind, ForeignTarget, Ident, ObjectName, Statement,
    StatementKind,
};

declare_rule! {
    /// ## What it does
    /// Flags a MySQL foreign key whose referenced columns are not the whole PRIMARY KEY or
    /// a whole UNIQUE key of the referenced table, when the replayed schema shows every key
    /// of that table (it was created in the migrations).
    ///
    /// ## Why is this bad?
    /// InnoDB has long accepted a foreign key to any indexed columns, even a non-unique
    /// index or the leading part of one, where "the parent row" is not one row. MySQL 8.4
    /// refuses such a key by default (`restrict_fk_on_non_standard_key` is ON): the
    /// migration that worked on 8.0 fails on 8.4, and so does a fresh install of the schema.
    /// On 8.0 it is deprecated. MariaDB still accepts it.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TABLE teams (id INT PRIMARY KEY, code VARCHAR(20), KEY teams_code (code));
    /// CREATE TABLE players (id INT PRIMARY KEY, team_code VARCHAR(20),
    ///   FOREIGN KEY (team_code) REFERENCES teams (code));
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE teams (id INT PRIMARY KEY, code VARCHAR(20), UNIQUE KEY teams_code (code));
    /// CREATE TABLE players (id INT PRIMARY KEY, team_code VARCHAR(20),
    ///   FOREIGN KEY (team_code) REFERENCES teams (code));
    /// ```
    /// Reference the primary key or a UNIQUE key, made of exactly the referenced columns.
    /// If the values are not unique, the relation is not a foreign key: model it another way.
    /// Source: MySQL 8.4 release notes and the `restrict_fk_on_non_standard_key` variable
    /// (MariaDB, the MySQL server the tests run, behaves as 8.0 here).
    pub static RULE = Rule {
        id: "mysql-foreign-key-to-non-unique-key",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "MySQL 8.4+ refuses it; deprecated in 8.0; MariaDB accepts it",
        summary: "a foreign key to columns that are not a whole PRIMARY KEY or UNIQUE key fails on MySQL 8.4",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    if ctx.target.flavor == MysqlFlavor::Mariadb {
        return;
    }
    let (table, created, constraints): (&ObjectName, Option<&[Constraint]>, Vec<&Constraint>) =
        match &statement.kind {
            StatementKind::CreateTable {
                name, constraints, ..
            } => (name, Some(constraints), constraints.iter().collect()),
            StatementKind::AlterTable { name, actions, .. } => (
                name,
                None,
                actions
                    .iter()
                    .filter_map(|a| match a {
                        AlterAction::AddConstraint(c) => Some(c),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => return,
        };
    for constraint in constraints {
        let ConstraintKind::ForeignKey { target, .. } = &constraint.kind else {
            continue;
        };
        let ForeignTarget {
            references,
            referred_columns,
            ..
        } = &**target;
        if referred_columns.is_empty() {
            continue;
        }
        let self_reference = ctx.catalog.key(references) == ctx.catalog.key(table);
        let keys = match (self_reference, created, &statement.kind) {
            (true, Some(own), StatementKind::CreateTable { columns, .. }) => {
                let mut keys: Vec<Vec<String>> =
                    own.iter().filter_map(|c| unique_columns(&c.kind)).collect();
                keys.extend(
                    columns
                        .iter()
                        .filter(|c| c.primary_key || c.unique)
                        .map(|c| vec![c.name.key().to_lowercase()]),
                );
                keys
            }
            _ => match known_keys(ctx.catalog, references) {
                Some(keys) => keys,
                None => continue,
            },
        };
        let wanted: Vec<String> = referred_columns.iter().map(column_key).collect();
        if keys.contains(&wanted) {
            continue;
        }
        let columns = referred_columns
            .iter()
            .map(Ident::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let refused = ctx.target.at_least(8, 4, 0);
        let message = if refused {
            format!("MySQL {} refuses this foreign key: ({columns}) is not the PRIMARY KEY or a UNIQUE key of `{references}` (restrict_fk_on_non_standard_key is ON by default from 8.4)", ctx.target.version)
        } else {
            format!("this foreign key references ({columns}), which is not the PRIMARY KEY or a UNIQUE key of `{references}`: MySQL {} accepts it, but it is deprecated and MySQL 8.4 refuses it by default, so the upgrade breaks this migration", ctx.target.version)
        };
        let finding = Finding::new(&RULE, statement.span, message).help(format!(
            "reference the PRIMARY KEY or a UNIQUE key of `{references}` made of exactly these columns (add `UNIQUE ({columns})` to it first if the values are unique)"
        ));
        ctx.report(if refused {
            finding
        } else {
            finding.severity(Severity::Warning)
        });
    }
}

/// Every whole unique key (primary key, UNIQUE constraint, unique index) of `table`, as
/// lower-cased column lists; `None` when the replay did not see the table created, and so
/// cannot know its keys.
fn known_keys(catalog: &Catalog, table: &ObjectName) -> Option<Vec<Vec<String>>> {
    let known = catalog.table(table)?;
    known.created_in?;
    let mut keys: Vec<Vec<String>> = known
        .constraints
        .iter()
        .filter_map(|c| unique_columns(&c.kind))
        .collect();
    keys.extend(
        catalog
            .indexes_on(table)
            .into_iter()
            .filter(|(_, index)| index.unique)
            .map(|(_, index)| index.columns.iter().map(column_key).collect()),
    );
    Some(keys)
}

/// The columns of a PRIMARY KEY or UNIQUE constraint, as MySQL compares them.
fn unique_columns(kind: &ConstraintKind) -> Option<Vec<String>> {
    match kind {
        ConstraintKind::PrimaryKey { columns, .. } | ConstraintKind::Unique { columns, .. } => {
            Some(columns.iter().map(column_key).collect())
        }
        _ => None,
    }
}

/// MySQL column names compare without regard to case.
fn column_key(column: &Ident) -> String {
    column.value.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_err_in_at, lint_ok_in};

    const TEAMS: &str = "CREATE TABLE teams (id INT PRIMARY KEY, code VARCHAR(20), region INT, \
                         KEY teams_code (code), UNIQUE KEY teams_region_code (region, code));\n";

    #[test]
    fn flags_a_key_to_columns_that_are_not_a_whole_unique_key() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            &format!("{TEAMS}CREATE TABLE players (id INT PRIMARY KEY, team_code VARCHAR(20), FOREIGN KEY (team_code) REFERENCES teams (code));"),
            &RULE
        ));
        // The leading part of a unique key is not a unique key.
        lint_err_in(
            Mysql,
            &format!("{TEAMS}ALTER TABLE teams ADD COLUMN parent_region INT, ADD CONSTRAINT fk_region FOREIGN KEY (parent_region) REFERENCES teams (region);"),
            &RULE,
        );
        insta::assert_snapshot!(lint_err_in_at(
            Mysql,
            "8.0.35",
            &format!("{TEAMS}ALTER TABLE teams ADD CONSTRAINT fk_self FOREIGN KEY (region) REFERENCES teams (code);"),
            &RULE
        ));
    }

    #[test]
    fn quiet_on_whole_keys_unknown_tables_and_mariadb() {
        let quiet = [
            "CREATE TABLE players (id INT, team_id INT, FOREIGN KEY (team_id) REFERENCES teams (id));",
            "CREATE TABLE players (id INT, r INT, c VARCHAR(20), FOREIGN KEY (r, c) REFERENCES teams (REGION, code));",
            "ALTER TABLE teams ADD UNIQUE INDEX teams_code_key (code);\nCREATE TABLE p (c VARCHAR(20), FOREIGN KEY (c) REFERENCES teams (code));",
            "CREATE TABLE p (id INT PRIMARY KEY, parent INT, FOREIGN KEY (parent) REFERENCES p (id));",
            "CREATE TABLE p (id INT, tag VARCHAR(9) UNIQUE, parent VARCHAR(9), FOREIGN KEY (parent) REFERENCES p (tag));",
        ];
        for sql in quiet {
            lint_ok_in(Mysql, &format!("{TEAMS}{sql}"), &RULE);
        }
        // A table created outside the migrations: its keys are unknown.
        lint_ok_in(
            Mysql,
            "ALTER TABLE players ADD CONSTRAINT fk FOREIGN KEY (team_code) REFERENCES legacy_teams (code);",
            &RULE,
        );
    }
}
