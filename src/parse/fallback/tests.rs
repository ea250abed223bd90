//! Recogniser tests: one per statement form, with the fields asserted exactly.

use super::*;
use crate::parse::placeholders::mask;
use crate::statement::{
    AlterAction, ColumnDef, ColumnPosition, Constraint, ConstraintKind, DataType, Expr,
    ForeignTarget, Generated, Ident, IdentityChange, IndexDef, Partitioning, ViewQuery, Volatility,
};
use proptest::prelude::*;

const PG: Dialect = Dialect::Postgres;
const MY: Dialect = Dialect::Mysql;

fn name(text: &str) -> ObjectName {
    match text.split_once('.') {
        Some((schema, table)) => ObjectName {
            schema: Some(Ident::new(schema)),
            name: Ident::new(table),
        },
        None => ObjectName::bare(text),
    }
}

fn id(value: &str) -> Ident {
    Ident::new(value)
}

fn column(column_name: &str, data_type: &str) -> ColumnDef {
    ColumnDef::new(id(column_name), parse_data_type(data_type))
}

fn expr(text: &str, volatility: Volatility) -> Option<Expr> {
    Some(Expr {
        text: text.to_string(),
        volatility,
    })
}

/// The actions of an `ALTER TABLE` on `table`.
fn actions(sql: &str, dialect: Dialect, table: &str) -> Vec<AlterAction> {
    match recognise(sql, dialect) {
        Some(StatementKind::AlterTable {
            name: found,
            actions,
            ..
        }) => {
            assert_eq!(found, name(table), "{sql}");
            actions
        }
        other => panic!("{sql}: {other:?}"),
    }
}

fn one_action(sql: &str, dialect: Dialect) -> AlterAction {
    let mut all = actions(sql, dialect, "t");
    assert_eq!(all.len(), 1, "{sql}: {all:?}");
    all.remove(0)
}

#[test]
fn alter_table_header_flags() {
    assert_eq!(
        recognise("ALTER TABLE IF EXISTS ONLY public.t DROP COLUMN c;", PG),
        Some(StatementKind::AlterTable {
            name: name("public.t"),
            if_exists: true,
            actions: vec![AlterAction::DropColumn {
                column: id("c"),
                if_exists: false,
                cascade: false
            }],
        })
    );
    assert_eq!(
        recognise("alter table \"Users\" drop x", PG),
        Some(StatementKind::AlterTable {
            name: ObjectName {
                schema: None,
                name: Ident::quoted("Users")
            },
            if_exists: false,
            actions: vec![AlterAction::DropColumn {
                column: id("x"),
                if_exists: false,
                cascade: false
            }],
        })
    );
    assert_eq!(recognise("ALTER TABLE t", PG), None);
}

#[test]
fn add_column_with_options() {
    let mut expected = column("c", "int");
    expected.not_null = true;
    expected.default = expr("0", Volatility::Stable);
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS c integer NOT NULL DEFAULT 0",
            PG
        ),
        AlterAction::AddColumn {
            column: expected.clone(),
            if_not_exists: true,
            position: None
        }
    );
    // Options in another order, and no COLUMN keyword.
    assert_eq!(
        one_action("ALTER TABLE t ADD c int4 DEFAULT 0 NOT NULL", PG),
        AlterAction::AddColumn {
            column: expected,
            if_not_exists: false,
            position: None
        }
    );
}

#[test]
fn add_column_volatile_default_and_references() {
    let mut expected = column("id", "uuid");
    expected.default = expr("gen_random_uuid()", Volatility::Volatile);
    expected.primary_key = true;
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid() PRIMARY KEY",
            PG
        ),
        AlterAction::AddColumn {
            column: expected,
            if_not_exists: false,
            position: None
        }
    );
    let mut expected = column("org_id", "bigint");
    expected.references = Some(name("orgs"));
    expected.referred_columns = vec![Ident::new("id")];
    expected.unique = true;
    expected.check = Some("org_id > 0".into());
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD org_id int8 REFERENCES orgs (id) ON DELETE SET NULL UNIQUE CHECK (org_id > 0)",
            PG
        ),
        AlterAction::AddColumn {
            column: expected,
            if_not_exists: false,
            position: None
        }
    );
}

#[test]
fn add_generated_columns() {
    let mut stored = column("total", "numeric(10,2)");
    stored.generated = Some(Generated::Stored);
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD COLUMN total numeric(10, 2) GENERATED ALWAYS AS (price * qty) STORED",
            PG
        ),
        AlterAction::AddColumn {
            column: stored,
            if_not_exists: false,
            position: None
        }
    );
    let mut identity = column("id", "bigint");
    identity.generated = Some(Generated::Identity { always: false });
    identity.not_null = true;
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD COLUMN id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY (START WITH 10)",
            PG
        ),
        AlterAction::AddColumn {
            column: identity,
            if_not_exists: false,
            position: None
        }
    );
    // No keyword: virtual on MySQL, read as such by the lock model.
    let mut virtual_column = column("full_name", "varchar(200)");
    virtual_column.generated = Some(Generated::Unspecified);
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD full_name varchar(200) AS (concat(first, ' ', last))",
            MY
        ),
        AlterAction::AddColumn {
            column: virtual_column,
            if_not_exists: false,
            position: None
        }
    );
}

#[test]
fn drop_column_forms() {
    assert_eq!(
        one_action("ALTER TABLE t DROP COLUMN IF EXISTS c CASCADE", PG),
        AlterAction::DropColumn {
            column: id("c"),
            if_exists: true,
            cascade: true
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t DROP `c`", MY),
        AlterAction::DropColumn {
            column: Ident::quoted("c"),
            if_exists: false,
            cascade: false
        }
    );
}

#[test]
fn rename_forms() {
    assert_eq!(
        one_action("ALTER TABLE t RENAME COLUMN a TO b", PG),
        AlterAction::RenameColumn {
            from: id("a"),
            to: id("b")
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t RENAME a TO b", PG),
        AlterAction::RenameColumn {
            from: id("a"),
            to: id("b")
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t RENAME TO s.u", PG),
        AlterAction::RenameTable { to: name("s.u") }
    );
    assert_eq!(
        one_action("ALTER TABLE t RENAME CONSTRAINT a TO b", PG),
        AlterAction::RenameConstraint {
            from: id("a"),
            to: id("b")
        }
    );
    for sql in [
        "ALTER TABLE t RENAME INDEX a TO b",
        "ALTER TABLE t RENAME KEY a TO b",
    ] {
        assert_eq!(
            one_action(sql, MY),
            AlterAction::RenameIndex {
                from: id("a"),
                to: id("b")
            }
        );
    }
    assert_eq!(
        recognise(
            "ALTER INDEX IF EXISTS s.users_email_idx RENAME TO users_email_key",
            PG
        ),
        Some(StatementKind::RenameIndex {
            name: name("s.users_email_idx"),
            to: id("users_email_key")
        })
    );
    assert_eq!(
        recognise("ALTER INDEX users_email_idx SET TABLESPACE fast", PG),
        Some(StatementKind::Other {
            keyword: "ALTER INDEX".into()
        })
    );
    // PostgreSQL has no RENAME INDEX in ALTER TABLE: this renames the column `key`.
    assert_eq!(
        one_action("ALTER TABLE t RENAME key TO b", PG),
        AlterAction::RenameColumn {
            from: id("key"),
            to: id("b")
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t SET SCHEMA archive", PG),
        AlterAction::SetSchema {
            schema: id("archive")
        }
    );
}

#[test]
fn alter_column_forms() {
    assert_eq!(
        one_action(
            "ALTER TABLE t ALTER COLUMN c SET DATA TYPE character varying(20) USING c::varchar",
            PG
        ),
        AlterAction::AlterColumnType {
            column: id("c"),
            data_type: DataType {
                text: "varchar(20)".into(),
                base: "varchar".into(),
                args: vec![20],
                array: false
            },
            using: Some("c::varchar".into()),
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t ALTER c TYPE bigint", PG),
        AlterAction::AlterColumnType {
            column: id("c"),
            data_type: parse_data_type("bigint"),
            using: None
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t ALTER COLUMN c SET NOT NULL", PG),
        AlterAction::SetNotNull { column: id("c") }
    );
    // PostgreSQL 18: NOT NULL as a named constraint, NOT VALID or not.
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD CONSTRAINT t_c_not_null NOT NULL c NOT VALID",
            PG
        ),
        AlterAction::AddConstraint(Constraint {
            name: Some(id("t_c_not_null")),
            kind: ConstraintKind::NotNull { column: id("c") },
            not_valid: true,
            not_enforced: false,
        })
    );
    assert_eq!(
        one_action("ALTER TABLE t ADD NOT NULL c", PG)
            .validates_not_null()
            .cloned(),
        Some(id("c"))
    );
    assert_eq!(
        one_action("ALTER TABLE t ALTER COLUMN c DROP NOT NULL", PG),
        AlterAction::DropNotNull { column: id("c") }
    );
    assert_eq!(
        one_action("ALTER TABLE t ALTER COLUMN c SET DEFAULT now()", PG),
        AlterAction::SetDefault {
            column: id("c"),
            default: Expr {
                text: "now()".into(),
                volatility: Volatility::Stable
            }
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t ALTER c DROP DEFAULT", MY),
        AlterAction::DropDefault { column: id("c") }
    );
    let setting = AlterAction::TableSetting {
        user_catalog_table: false,
    };
    assert_eq!(
        one_action("ALTER TABLE t ALTER COLUMN c SET STATISTICS 500", PG),
        setting
    );
    assert_eq!(
        one_action("ALTER TABLE t ALTER COLUMN c SET (n_distinct = 100)", PG),
        setting
    );
    assert_eq!(
        one_action("ALTER TABLE t ALTER COLUMN c RESET (n_distinct)", PG),
        setting
    );
    assert_eq!(one_action("ALTER TABLE t CLUSTER ON t_pkey", PG), setting);
    assert_eq!(one_action("ALTER TABLE t SET WITHOUT CLUSTER", PG), setting);
    assert_eq!(
        one_action("ALTER TABLE t RESET (user_catalog_table)", PG),
        AlterAction::TableSetting {
            user_catalog_table: true
        }
    );
}

/// PostgreSQL 18 and MySQL `NOT ENFORCED`: recorded, never checked.
#[test]
fn not_enforced_constraints() {
    for sql in [
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT ENFORCED",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id) NOT ENFORCED",
    ] {
        let AlterAction::AddConstraint(constraint) = one_action(sql, PG) else {
            panic!("{sql}");
        };
        assert!(
            constraint.not_enforced && !constraint.checks_existing_rows(),
            "{sql}"
        );
    }
    let AlterAction::AddConstraint(enforced) =
        one_action("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) ENFORCED", PG)
    else {
        panic!("a constraint");
    };
    assert!(enforced.checks_existing_rows());
}

#[test]
fn add_table_constraints() {
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a, b) REFERENCES s.p (x, y) ON DELETE CASCADE NOT VALID",
            PG
        ),
        AlterAction::AddConstraint(Constraint {
            name: Some(id("fk")),
            kind: ConstraintKind::ForeignKey {
                columns: vec![id("a"), id("b")],
                target: Box::new(ForeignTarget {
                    references: name("s.p"),
                    referred_columns: vec![id("x"), id("y")],
                    clauses: "ON DELETE CASCADE".to_string(),
                }),
            },
            not_valid: true,
            not_enforced: false,
        })
    );
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx",
            PG
        ),
        AlterAction::AddConstraint(Constraint {
            name: Some(id("t_pkey")),
            kind: ConstraintKind::PrimaryKey {
                columns: vec![],
                using_index: Some(Box::new(id("t_id_idx")))
            },
            not_valid: false,
            not_enforced: false,
        })
    );
    assert_eq!(
        one_action("ALTER TABLE t ADD UNIQUE (email)", PG),
        AlterAction::AddConstraint(Constraint {
            name: None,
            kind: ConstraintKind::Unique {
                columns: vec![id("email")],
                using_index: None
            },
            not_valid: false,
            not_enforced: false,
        })
    );
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD CONSTRAINT positive CHECK (amount > 0) NOT VALID",
            PG
        ),
        AlterAction::AddConstraint(Constraint {
            name: Some(id("positive")),
            kind: ConstraintKind::Check {
                expr: "amount > 0".into()
            },
            not_valid: true,
            not_enforced: false,
        })
    );
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)",
            PG
        ),
        AlterAction::AddConstraint(Constraint {
            name: Some(id("no_overlap")),
            kind: ConstraintKind::Exclude,
            not_valid: false,
            not_enforced: false,
        })
    );
    assert_eq!(
        one_action("ALTER TABLE t ADD PRIMARY KEY (id)", MY),
        AlterAction::AddConstraint(Constraint {
            name: None,
            kind: ConstraintKind::PrimaryKey {
                columns: vec![id("id")],
                using_index: None
            },
            not_valid: false,
            not_enforced: false,
        })
    );
}

#[test]
fn constraint_maintenance() {
    assert_eq!(
        one_action("ALTER TABLE t VALIDATE CONSTRAINT fk", PG),
        AlterAction::ValidateConstraint { name: id("fk") }
    );
    assert_eq!(
        one_action("ALTER TABLE t DROP CONSTRAINT IF EXISTS fk CASCADE", PG),
        AlterAction::DropConstraint {
            name: id("fk"),
            if_exists: true,
            cascade: true
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t DROP FOREIGN KEY fk", MY),
        AlterAction::DropConstraint {
            name: id("fk"),
            if_exists: false,
            cascade: false
        }
    );
}

#[test]
fn table_level_postgres_actions() {
    let all = actions(
        "ALTER TABLE t SET LOGGED, SET UNLOGGED, SET TABLESPACE fast, ENABLE TRIGGER trg, \
         DISABLE TRIGGER ALL, ENABLE ROW LEVEL SECURITY, OWNER TO bob",
        PG,
        "t",
    );
    assert_eq!(
        all,
        vec![
            AlterAction::SetLogged,
            AlterAction::SetUnlogged,
            AlterAction::SetTablespace,
            AlterAction::EnableTrigger,
            AlterAction::DisableTrigger,
            AlterAction::Other("ENABLE ROW LEVEL SECURITY".into()),
            AlterAction::Other("OWNER TO".into()),
        ]
    );
    assert_eq!(
        one_action(
            "ALTER TABLE t ATTACH PARTITION t_2024 FOR VALUES IN (2024)",
            PG
        ),
        AlterAction::AttachPartition {
            partition: Some(name("t_2024")),
            default: false,
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t ATTACH PARTITION t_other DEFAULT", PG),
        AlterAction::AttachPartition {
            partition: Some(name("t_other")),
            default: true,
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t DETACH PARTITION t_2023 CONCURRENTLY", PG),
        AlterAction::DetachPartition {
            partition: Some(name("t_2023")),
            concurrently: true
        }
    );
    assert_eq!(
        one_action("ALTER TABLE t DETACH PARTITION t_2023", PG),
        AlterAction::DetachPartition {
            partition: Some(name("t_2023")),
            concurrently: false
        }
    );
}

#[test]
fn mysql_modify_and_change() {
    let mut modified = column("name", "varchar(255) character set utf8mb4");
    modified.not_null = true;
    assert_eq!(
        one_action(
            "ALTER TABLE t MODIFY COLUMN name VARCHAR(255) CHARACTER SET utf8mb4 NOT NULL AFTER id",
            MY
        ),
        AlterAction::RedefineColumn {
            old: id("name"),
            column: modified,
            position: Some(ColumnPosition::After(id("id"))),
        }
    );
    let mut changed = column("new_name", "int unsigned");
    changed.generated = Some(Generated::Identity { always: false });
    assert_eq!(
        one_action(
            "ALTER TABLE t CHANGE old_name new_name INT UNSIGNED AUTO_INCREMENT FIRST",
            MY
        ),
        AlterAction::RedefineColumn {
            old: id("old_name"),
            column: changed,
            position: Some(ColumnPosition::First),
        }
    );
    let mut binary = column("token", "varbinary(255) binary");
    binary.default = expr("''", Volatility::Stable);
    assert_eq!(
        one_action(
            "ALTER TABLE t MODIFY token VARBINARY(255) BINARY DEFAULT '' COMMENT 'x'",
            MY
        ),
        AlterAction::RedefineColumn {
            old: id("token"),
            column: binary,
            position: None,
        }
    );
}

#[test]
fn mysql_on_update_is_not_a_default() {
    let mut expected = column("updated_at", "timestamp");
    expected.not_null = true;
    expected.default = expr("CURRENT_TIMESTAMP", Volatility::Stable);
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
            MY
        ),
        AlterAction::AddColumn {
            column: expected,
            if_not_exists: false,
            position: None
        }
    );
}

#[test]
fn mysql_indexes_and_keys() {
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD UNIQUE INDEX uk_email (email(100), tenant_id DESC)",
            MY
        ),
        AlterAction::AddIndex(IndexDef {
            name: Some(id("uk_email")),
            table: name("t"),
            columns: vec![Ident::new("email"), Ident::new("tenant_id")],
            unique: true,
            concurrently: false,
            if_not_exists: false,
            method: None,
            only: false,
        })
    );
    assert_eq!(
        one_action("ALTER TABLE t ADD FULLTEXT KEY ft (body)", MY),
        AlterAction::AddIndex(IndexDef {
            name: Some(id("ft")),
            table: name("t"),
            columns: vec![Ident::new("body")],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: Some("fulltext".into()),
            only: false,
        })
    );
    assert_eq!(
        one_action("ALTER TABLE t ADD INDEX (a) USING BTREE", MY),
        AlterAction::AddIndex(IndexDef {
            name: None,
            table: name("t"),
            columns: vec![Ident::new("a")],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: Some("btree".into()),
            only: false,
        })
    );
    assert_eq!(
        actions(
            "ALTER TABLE t DROP INDEX idx_a, DROP KEY idx_b, DROP PRIMARY KEY",
            MY,
            "t"
        ),
        vec![
            AlterAction::DropIndex { name: id("idx_a") },
            AlterAction::DropIndex { name: id("idx_b") },
            AlterAction::DropPrimaryKey,
        ]
    );
}

#[test]
fn mysql_algorithm_lock_and_table_options() {
    let all = actions(
        "ALTER TABLE t ADD COLUMN c int, ALGORITHM=INPLACE, LOCK = none",
        MY,
        "t",
    );
    assert_eq!(all.len(), 3);
    assert_eq!(all[1], AlterAction::Algorithm("INPLACE".into()));
    assert_eq!(all[2], AlterAction::Lock("NONE".into()));
    let options = actions(
        "ALTER TABLE t ENGINE=InnoDB, COLLATE utf8mb4_bin, CONVERT TO CHARACTER SET utf8mb4, \
         ROW_FORMAT=DYNAMIC, FORCE, DEFAULT CHARSET=utf8mb4",
        MY,
        "t",
    );
    assert_eq!(
        options,
        vec![
            AlterAction::Other("ENGINE".into()),
            AlterAction::Other("COLLATE".into()),
            AlterAction::Other("CONVERT TO CHARACTER SET".into()),
            AlterAction::Other("ROW_FORMAT".into()),
            AlterAction::Other("FORCE".into()),
            AlterAction::Other("DEFAULT CHARSET".into()),
        ]
    );
}

#[test]
fn mysql_partition_options_follow_the_last_action_without_a_comma() {
    let repartition = |sql: &str| actions(sql, MY, "t");
    assert_eq!(
        repartition(
            "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, at) PARTITION BY RANGE (at) \
             (PARTITION p0 VALUES LESS THAN (100), PARTITION p1 VALUES LESS THAN MAXVALUE)"
        ),
        vec![
            AlterAction::DropPrimaryKey,
            AlterAction::AddConstraint(Constraint {
                name: None,
                kind: ConstraintKind::PrimaryKey {
                    columns: vec![id("id"), id("at")],
                    using_index: None,
                },
                not_valid: false,
                not_enforced: false,
            }),
            AlterAction::Repartition {
                key: Some(vec![id("at")]),
            },
        ]
    );
    assert_eq!(
        repartition("ALTER TABLE t PARTITION BY LINEAR KEY ALGORITHM=2 () PARTITIONS 4"),
        vec![AlterAction::Repartition { key: Some(vec![]) }]
    );
    assert_eq!(
        repartition("ALTER TABLE t ENGINE=InnoDB REMOVE PARTITIONING"),
        vec![
            AlterAction::Other("ENGINE".into()),
            AlterAction::Repartition { key: None },
        ]
    );
    // Partition maintenance is not a new partitioning; PostgreSQL has no such clause.
    assert_eq!(
        repartition("ALTER TABLE t ADD PARTITION (PARTITION p2 VALUES LESS THAN (200))"),
        vec![AlterAction::Other("ADD PARTITION".into())]
    );
    assert!(!actions("ALTER TABLE t PARTITION BY RANGE (at)", PG, "t")
        .iter()
        .any(|a| matches!(a, AlterAction::Repartition { .. })));
}

#[test]
fn actions_split_on_top_level_commas_only() {
    let all = actions(
        "ALTER TABLE t ALTER COLUMN p TYPE numeric(12, 4), ADD CONSTRAINT c CHECK (p IN (1, 2)), \
         FROBNICATE everything, DROP COLUMN q",
        PG,
        "t",
    );
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(
        matches!(&all[0], AlterAction::AlterColumnType { data_type, .. } if data_type.args == [12, 4])
    );
    assert!(
        matches!(&all[1], AlterAction::AddConstraint(Constraint { kind: ConstraintKind::Check { expr }, .. }) if expr == "p IN (1, 2)")
    );
    assert_eq!(all[2], AlterAction::Other("FROBNICATE".into()));
    assert!(matches!(&all[3], AlterAction::DropColumn { column, .. } if *column == id("q")));
}

#[test]
fn create_index_postgres() {
    assert_eq!(
        recognise(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON ONLY s.t USING gin (lower(email), tags jsonb_path_ops) WHERE deleted_at IS NULL",
            PG
        ),
        Some(StatementKind::CreateIndex(IndexDef {
            name: Some(id("idx")),
            table: name("s.t"),
            columns: vec![Ident::new("lower(email)"), Ident::new("tags")],
            unique: true,
            concurrently: true,
            if_not_exists: true,
            method: Some("gin".into()),
            only: true,
        }))
    );
    assert_eq!(
        recognise("CREATE INDEX ON t (a) STORING (b, c)", PG),
        Some(StatementKind::CreateIndex(IndexDef {
            name: None,
            table: name("t"),
            columns: vec![Ident::new("a")],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: None,
            only: false,
        }))
    );
}

#[test]
fn create_index_mysql() {
    assert_eq!(
        recognise(
            "CREATE FULLTEXT INDEX ft ON posts (title, body) ALGORITHM=INPLACE LOCK=NONE",
            MY
        ),
        Some(StatementKind::CreateIndex(IndexDef {
            name: Some(id("ft")),
            table: name("posts"),
            columns: vec![Ident::new("title"), Ident::new("body")],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: Some("fulltext".into()),
            only: false,
        }))
    );
}

#[test]
fn drop_index_forms() {
    assert_eq!(
        recognise(
            "DROP INDEX CONCURRENTLY IF EXISTS idx_a, s.idx_b CASCADE",
            PG
        ),
        Some(StatementKind::DropIndex {
            names: vec![name("idx_a"), name("s.idx_b")],
            table: None,
            concurrently: true,
            if_exists: true,
        })
    );
    assert_eq!(
        recognise("DROP INDEX idx ON t ALGORITHM=INPLACE", MY),
        Some(StatementKind::DropIndex {
            names: vec![name("idx")],
            table: Some(name("t")),
            concurrently: false,
            if_exists: false,
        })
    );
    assert_eq!(
        recognise("DROP INDEX IF EXISTS t@idx", PG),
        Some(StatementKind::DropIndex {
            names: vec![name("idx")],
            table: Some(name("t")),
            concurrently: false,
            if_exists: true,
        })
    );
}

#[test]
fn drop_table_schema_database() {
    assert_eq!(
        recognise("DROP TABLE IF EXISTS a, s.b CASCADE", PG),
        Some(StatementKind::DropTable {
            names: vec![name("a"), name("s.b")],
            if_exists: true,
            cascade: true
        })
    );
    assert_eq!(
        recognise("DROP TEMPORARY TABLE tmp", MY),
        Some(StatementKind::DropTable {
            names: vec![name("tmp")],
            if_exists: false,
            cascade: false
        })
    );
    assert_eq!(
        recognise("DROP SCHEMA IF EXISTS a, b CASCADE", PG),
        Some(StatementKind::DropSchema {
            names: vec![id("a"), id("b")],
            cascade: true
        })
    );
    assert_eq!(
        recognise("DROP SCHEMA legacy", MY),
        Some(StatementKind::DropDatabase { name: id("legacy") })
    );
    assert_eq!(
        recognise("DROP DATABASE IF EXISTS legacy", PG),
        Some(StatementKind::DropDatabase { name: id("legacy") })
    );
    assert_eq!(
        recognise("DROP EVENT TRIGGER IF EXISTS audit", PG),
        Some(other("DROP EVENT TRIGGER"))
    );
}

#[test]
fn truncate_and_renames() {
    assert_eq!(
        recognise("TRUNCATE TABLE ONLY a, b RESTART IDENTITY CASCADE", PG),
        Some(StatementKind::Truncate {
            tables: vec![name("a"), name("b")],
            cascade: true
        })
    );
    assert_eq!(
        recognise("TRUNCATE a", MY),
        Some(StatementKind::Truncate {
            tables: vec![name("a")],
            cascade: false
        })
    );
    assert_eq!(
        recognise("RENAME TABLE a TO a_old, a_new TO db.a", MY),
        Some(StatementKind::RenameTables {
            pairs: vec![(name("a"), name("a_old")), (name("a_new"), name("db.a"))]
        })
    );
    assert_eq!(
        recognise("ALTER SCHEMA old RENAME TO new", PG),
        Some(StatementKind::AlterSchemaRename {
            from: id("old"),
            to: id("new")
        })
    );
}

#[test]
fn maintenance_statements() {
    assert_eq!(
        recognise("REINDEX (VERBOSE) TABLE CONCURRENTLY s.t", PG),
        Some(StatementKind::Reindex {
            concurrently: true,
            scope: ReindexScope::Table,
            target: Some(name("s.t"))
        })
    );
    assert_eq!(
        recognise("REINDEX (CONCURRENTLY) INDEX idx", PG),
        Some(StatementKind::Reindex {
            concurrently: true,
            scope: ReindexScope::Index,
            target: Some(name("idx"))
        })
    );
    assert_eq!(
        recognise("REINDEX DATABASE app", PG),
        Some(StatementKind::Reindex {
            concurrently: false,
            scope: ReindexScope::Many,
            target: Some(name("app"))
        })
    );
    assert_eq!(
        recognise("VACUUM FULL ANALYZE t (a, b), u", PG),
        Some(StatementKind::Vacuum {
            full: true,
            tables: vec![name("t"), name("u")]
        })
    );
    assert_eq!(
        recognise("VACUUM (FULL, ANALYZE) t", PG),
        Some(StatementKind::Vacuum {
            full: true,
            tables: vec![name("t")]
        })
    );
    assert_eq!(
        recognise("VACUUM (FULL false) t", PG),
        Some(StatementKind::Vacuum {
            full: false,
            tables: vec![name("t")]
        })
    );
    assert_eq!(
        recognise("CLUSTER t USING idx", PG),
        Some(StatementKind::Cluster {
            table: Some(name("t"))
        })
    );
    assert_eq!(
        recognise("CLUSTER idx ON t", PG),
        Some(StatementKind::Cluster {
            table: Some(name("t"))
        })
    );
    assert_eq!(
        recognise("CLUSTER", PG),
        Some(StatementKind::Cluster { table: None })
    );
    assert_eq!(
        recognise("OPTIMIZE TABLE a, b", MY),
        Some(StatementKind::OptimizeTable {
            tables: vec![name("a"), name("b")]
        })
    );
}

/// PostgreSQL 19's REPACK, which `sqlparser` does not know, with its options and index.
#[test]
fn repack_statements() {
    let repack = |table: Option<&str>, concurrently: bool| {
        Some(StatementKind::Repack {
            table: table.map(name),
            concurrently,
        })
    };
    assert_eq!(recognise("REPACK t", PG), repack(Some("t"), false));
    assert_eq!(
        recognise("REPACK (CONCURRENTLY) t USING INDEX t_pkey", PG),
        repack(Some("t"), true)
    );
    assert_eq!(
        recognise("REPACK (VERBOSE, CONCURRENTLY true, ANALYZE) t (a, b)", PG),
        repack(Some("t"), true)
    );
    assert_eq!(
        recognise("REPACK (CONCURRENTLY off) t", PG),
        repack(Some("t"), false)
    );
    assert_eq!(recognise("REPACK", PG), repack(None, false));
    assert_eq!(recognise("REPACK USING INDEX", PG), repack(None, false));
    assert_eq!(recognise("REPACK t garbage here", PG), None);
}

/// PostgreSQL 19's MERGE PARTITIONS and SPLIT PARTITION.
#[test]
fn merge_and_split_partitions() {
    assert_eq!(
        one_action("ALTER TABLE t MERGE PARTITIONS (a, s.b) INTO ab", PG),
        AlterAction::MergePartitions {
            partitions: vec![name("a"), name("s.b")],
            into: name("ab"),
        }
    );
    assert_eq!(
        one_action(
            "ALTER TABLE t SPLIT PARTITION ab INTO (PARTITION a FOR VALUES FROM (1) TO (5), PARTITION rest DEFAULT)",
            PG
        ),
        AlterAction::SplitPartition {
            partition: name("ab"),
            into: vec![(name("a"), false), (name("rest"), true)],
        }
    );
    assert!(matches!(
        one_action("ALTER TABLE t MERGE PARTITIONS INTO ab", PG),
        AlterAction::Other(_)
    ));
}

#[test]
fn lock_statements() {
    assert_eq!(
        recognise("LOCK TABLE a, b IN SHARE ROW EXCLUSIVE MODE NOWAIT", PG),
        Some(StatementKind::LockTable {
            tables: vec![name("a"), name("b")],
            mode: "SHARE ROW EXCLUSIVE".into()
        })
    );
    assert_eq!(
        recognise("LOCK a", PG),
        Some(StatementKind::LockTable {
            tables: vec![name("a")],
            mode: "ACCESS EXCLUSIVE".into()
        })
    );
    assert_eq!(
        recognise("LOCK TABLES a READ, b AS x WRITE", MY),
        Some(StatementKind::LockTable {
            tables: vec![name("a"), name("b")],
            mode: "WRITE".into()
        })
    );
}

#[test]
fn refresh_trigger_and_type() {
    assert_eq!(
        recognise("REFRESH MATERIALIZED VIEW CONCURRENTLY s.mv WITH DATA", PG),
        Some(StatementKind::RefreshMaterializedView {
            name: name("s.mv"),
            concurrently: true
        })
    );
    assert_eq!(
        recognise(
            "CREATE OR REPLACE CONSTRAINT TRIGGER trg AFTER UPDATE OF a, b ON s.t FOR EACH ROW EXECUTE FUNCTION f()",
            PG
        ),
        Some(StatementKind::CreateTrigger { table: name("s.t") })
    );
    assert_eq!(
        recognise(
            "CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
            MY
        ),
        Some(StatementKind::CreateTrigger { table: name("t") })
    );
    assert_eq!(
        recognise("DROP TRIGGER IF EXISTS tr ON s.t CASCADE", PG),
        Some(StatementKind::DropTrigger { table: name("s.t") })
    );
    assert!(matches!(
        recognise("DROP TRIGGER tr", MY),
        Some(StatementKind::Other { .. })
    ));
    assert_eq!(
        recognise(
            "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok'",
            PG
        ),
        Some(StatementKind::AlterType {
            name: name("mood"),
            action: AlterTypeAction::AddValue
        })
    );
    assert_eq!(
        recognise("ALTER TYPE s.mood RENAME VALUE 'a' TO 'b'", PG),
        Some(StatementKind::AlterType {
            name: name("s.mood"),
            action: AlterTypeAction::RenameValue
        })
    );
    assert_eq!(
        recognise("ALTER TYPE mood OWNER TO bob", PG),
        Some(StatementKind::AlterType {
            name: name("mood"),
            action: AlterTypeAction::Other
        })
    );
}

#[test]
fn data_changes() {
    assert_eq!(
        recognise(
            "UPDATE t1 a JOIN t2 b ON a.id = b.id SET a.x = b.x WHERE b.y = 1",
            MY
        ),
        Some(StatementKind::Update {
            table: name("t1"),
            has_where: true,
            copies: Vec::new(),
        })
    );
    assert_eq!(
        recognise(
            "UPDATE ONLY t SET x = (SELECT y FROM u WHERE u.id = t.id)",
            PG
        ),
        Some(StatementKind::Update {
            table: name("t"),
            has_where: false,
            copies: Vec::new(),
        })
    );
    assert_eq!(
        recognise("DELETE FROM s.t WHERE id < 10", PG),
        Some(StatementKind::Delete {
            table: name("s.t"),
            has_where: true
        })
    );
    assert_eq!(
        recognise("DELETE LOW_PRIORITY FROM t", MY),
        Some(StatementKind::Delete {
            table: name("t"),
            has_where: false
        })
    );
    assert_eq!(
        recognise("INSERT IGNORE INTO t (a) VALUES (1)", MY),
        Some(StatementKind::Insert {
            table: name("t"),
            from: None
        })
    );
    assert_eq!(
        recognise("REPLACE INTO t VALUES (1)", MY),
        Some(StatementKind::Insert {
            table: name("t"),
            from: None
        })
    );
}

#[test]
fn transactions() {
    for (sql, expected) in [
        ("BEGIN", StatementKind::Begin),
        (
            "begin transaction isolation level serializable",
            StatementKind::Begin,
        ),
        ("START TRANSACTION", StatementKind::Begin),
        ("COMMIT", StatementKind::Commit),
        ("END", StatementKind::Commit),
        ("ROLLBACK WORK", StatementKind::Rollback),
        ("ROLLBACK TO SAVEPOINT sp", other("ROLLBACK TO SAVEPOINT")),
    ] {
        assert_eq!(recognise(sql, PG), Some(expected.clone()), "{sql}");
    }
    assert_eq!(recognise("START", PG), None);
}

#[test]
fn set_statements() {
    let set = |name: &str, value: &str, local: bool| StatementKind::Set {
        name: name.into(),
        value: value.into(),
        local,
    };
    assert_eq!(
        recognise("SET lock_timeout = '5s'", PG),
        Some(set("lock_timeout", "5s", false))
    );
    assert_eq!(
        recognise("SET LOCAL Statement_Timeout TO 0", PG),
        Some(set("statement_timeout", "0", true))
    );
    assert_eq!(
        recognise("SET SESSION search_path TO public, \"$user\"", PG),
        Some(set("search_path", "public, $user", false))
    );
    assert_eq!(
        recognise("SET TIME ZONE 'UTC'", PG),
        Some(set("timezone", "utc", false))
    );
    assert_eq!(
        recognise("SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0", MY),
        Some(set("foreign_key_checks", "0", false))
    );
    assert_eq!(
        recognise("SET NAMES utf8mb4", MY),
        Some(set("names", "utf8mb4", false))
    );
    assert_eq!(recognise("SET", PG), None);
}

#[test]
fn signal_is_a_statement_that_changes_no_schema() {
    let sql = "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'irreversible: x'";
    assert_eq!(recognise(sql, MY), Some(other("SIGNAL")));
}

#[test]
fn do_blocks() {
    let sql = "DO $body$ BEGIN ALTER TABLE t ADD c int; END $body$";
    assert_eq!(recognise(sql, PG), Some(other("DO")));
    let (start, end) = do_block_body(sql).unwrap();
    assert_eq!(&sql[start..end], " BEGIN ALTER TABLE t ADD c int; END ");
    let sql = "do language plpgsql $$\nBEGIN\n  IF NOT EXISTS (SELECT 1) THEN ALTER TABLE é ADD c int; END IF;\nEND\n$$";
    let (start, end) = do_block_body(sql).unwrap();
    assert_eq!(
        &sql[start..end],
        "\nBEGIN\n  IF NOT EXISTS (SELECT 1) THEN ALTER TABLE é ADD c int; END IF;\nEND\n"
    );
    assert_eq!(do_block_body("DO 'BEGIN END'"), None);
    assert_eq!(do_block_body("SELECT $$x$$"), None);
    assert_eq!(recognise("DO nothing", PG), None);
}

#[test]
fn a_materialized_view_is_recognised_by_its_name() {
    for sql in [
        "CREATE MATERIALIZED VIEW s.mv AS SELECT 1",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS s.mv AS SELECT 1 WITH NO DATA",
    ] {
        let Some(StatementKind::CreateMaterializedView { name, .. }) = recognise(sql, PG) else {
            panic!("{sql}");
        };
        assert_eq!(name.to_string(), "s.mv", "{sql}");
    }
}

#[test]
fn an_insert_names_the_one_table_it_copies_every_row_of() {
    let from = |sql: &str| match recognise(sql, PG) {
        Some(StatementKind::Insert { from, .. }) => from.map(|f| f.to_string()),
        other => panic!("{sql}: {other:?}"),
    };
    assert_eq!(
        from("INSERT INTO t (a, b) SELECT a, b FROM s.src x").as_deref(),
        Some("s.src")
    );
    assert_eq!(from("INSERT INTO t SELECT * FROM src WHERE a > 1"), None);
    assert_eq!(from("INSERT INTO t SELECT * FROM a, b"), None);
    assert_eq!(
        from("INSERT INTO t SELECT * FROM a JOIN b ON a.id = b.id"),
        None
    );
    assert_eq!(from("INSERT INTO t VALUES (1)"), None);
}

#[test]
fn plainly_harmless_statements() {
    for (sql, keyword) in [
        (
            "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r",
            "ALTER DEFAULT PRIVILEGES",
        ),
        ("COMMENT ON COLUMN t.c IS 'x'", "COMMENT ON"),
        ("GRANT SELECT ON t TO r", "GRANT"),
        ("REVOKE ALL ON t FROM r", "REVOKE"),
        ("CREATE POLICY p ON t USING (true)", "CREATE POLICY"),
    ] {
        assert_eq!(recognise(sql, PG), Some(other(keyword)), "{sql}");
    }
    assert_eq!(
        recognise("ALTER DATABASE d COLLATE utf8mb4_bin", MY),
        Some(other("ALTER DATABASE"))
    );
}

/// Views, functions, types, sequences, domains and extensions: what is created, dropped or
/// renamed, by name.
#[test]
fn named_objects() {
    let create = |kind, n: &str| {
        Some(StatementKind::CreateObject {
            kind,
            name: name(n),
            or_replace: false,
            view: None,
        })
    };
    for (sql, dialect, expected) in [
        (
            "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql COST 100 AS $$ SELECT 1 $$",
            PG,
            Some(StatementKind::CreateObject {
                kind: ObjectKind::Function,
                name: name("f"),
                or_replace: true,
                view: None,
            }),
        ),
        (
            "CREATE EXTENSION IF NOT EXISTS pgcrypto",
            PG,
            create(ObjectKind::Extension, "pgcrypto"),
        ),
        (
            "CREATE FUNCTION s.sync() RETURNS TRIGGER LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            PG,
            create(ObjectKind::TriggerFunction, "s.sync"),
        ),
        (
            "CREATE TYPE mood AS ENUM ('a')",
            PG,
            create(ObjectKind::Type, "mood"),
        ),
        (
            "CREATE SEQUENCE s.seq",
            PG,
            create(ObjectKind::Sequence, "s.seq"),
        ),
        (
            "CREATE DEFINER=`a`@`%` SQL SECURITY DEFINER VIEW v AS SELECT 1",
            MY,
            Some(StatementKind::CreateObject {
                kind: ObjectKind::View,
                name: name("v"),
                or_replace: false,
                view: Some(ViewQuery::default()),
            }),
        ),
        (
            "DROP FUNCTION IF EXISTS f(int, text), g() CASCADE",
            PG,
            Some(StatementKind::DropObject {
                kind: ObjectKind::Function,
                names: vec![name("f"), name("g")],
                cascade: true,
            }),
        ),
        (
            "DROP MATERIALIZED VIEW m",
            PG,
            Some(StatementKind::DropObject {
                kind: ObjectKind::MaterializedView,
                names: vec![name("m")],
                cascade: false,
            }),
        ),
        (
            "ALTER VIEW IF EXISTS v RENAME TO w",
            PG,
            Some(StatementKind::AlterObject {
                kind: ObjectKind::View,
                name: name("v"),
                change: ObjectChange::RenameTo(id("w")),
            }),
        ),
        (
            "ALTER VIEW v RENAME COLUMN a TO b",
            PG,
            Some(StatementKind::AlterObject {
                kind: ObjectKind::View,
                name: name("v"),
                change: ObjectChange::RenameColumn {
                    from: id("a"),
                    to: id("b"),
                },
            }),
        ),
        (
            "ALTER FUNCTION f(int) SET SCHEMA archive",
            PG,
            Some(StatementKind::AlterObject {
                kind: ObjectKind::Function,
                name: name("f"),
                change: ObjectChange::SetSchema(id("archive")),
            }),
        ),
        (
            "ALTER SEQUENCE s RESTART",
            PG,
            Some(StatementKind::AlterObject {
                kind: ObjectKind::Sequence,
                name: name("s"),
                change: ObjectChange::Other,
            }),
        ),
        (
            "ALTER TYPE mood RENAME TO feeling",
            PG,
            Some(StatementKind::AlterObject {
                kind: ObjectKind::Type,
                name: name("mood"),
                change: ObjectChange::RenameTo(id("feeling")),
            }),
        ),
        (
            "ALTER DOMAIN amount RENAME TO money",
            PG,
            Some(StatementKind::AlterObject {
                kind: ObjectKind::Domain,
                name: name("amount"),
                change: ObjectChange::RenameTo(id("money")),
            }),
        ),
        (
            "ALTER DOMAIN amount SET NOT NULL",
            PG,
            Some(StatementKind::AlterDomain {
                name: name("amount"),
                change: DomainChange::SetNotNull,
            }),
        ),
    ] {
        assert_eq!(recognise(sql, dialect), expected, "{sql}");
    }
}

#[test]
fn garbage_is_not_recognised() {
    for sql in [
        "",
        "   -- only a comment",
        "hello world",
        "CREATE banana",
        "ALTER nonsense",
        "DROP",
        "UPDATE",
        "SELECT 'unterminated",
        "CREATE INDEX idx t (a)",
    ] {
        assert_eq!(recognise(sql, PG), None, "{sql}");
    }
}

#[test]
fn create_table() {
    let mut id_column = column("id", "bigserial");
    id_column.primary_key = true;
    let mut email = column("email", "varchar(255)");
    email.not_null = true;
    assert_eq!(
        recognise(
            "CREATE TABLE IF NOT EXISTS s.users (id bigserial PRIMARY KEY, email varchar(255) NOT NULL, \
             CONSTRAINT users_email_key UNIQUE (email))",
            PG
        ),
        Some(StatementKind::CreateTable {
            name: name("s.users"),
            columns: vec![id_column, email.clone()],
            constraints: vec![Constraint {
                name: Some(id("users_email_key")),
                kind: ConstraintKind::Unique {
                    columns: vec![id("email")],
                    using_index: None
                },
                not_valid: false,
                not_enforced: false,
            }],
            if_not_exists: true,
            from_query: false,
            like: None,
            charset: None,
            partitioning: Partitioning::None,
            search_indexes: vec![],
        })
    );
    let mut mysql_id = column("id", "int(11) unsigned");
    mysql_id.not_null = true;
    mysql_id.generated = Some(Generated::Identity { always: false });
    assert_eq!(
        recognise(
            "CREATE TABLE `users` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT, \
             KEY idx_a (id), PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
            MY
        ),
        Some(StatementKind::CreateTable {
            name: ObjectName {
                schema: None,
                name: Ident::quoted("users")
            },
            columns: vec![ColumnDef {
                name: Ident::quoted("id"),
                ..mysql_id
            }],
            constraints: vec![Constraint {
                name: None,
                kind: ConstraintKind::PrimaryKey {
                    columns: vec![Ident::quoted("id")],
                    using_index: None
                },
                not_valid: false,
                not_enforced: false,
            }],
            if_not_exists: false,
            from_query: false,
            like: None,
            charset: Some("utf8mb4".into()),
            partitioning: Partitioning::None,
            search_indexes: vec![],
        })
    );
    assert_eq!(
        recognise("CREATE TABLE t2 AS SELECT * FROM t", PG),
        Some(StatementKind::CreateTable {
            name: name("t2"),
            columns: vec![],
            constraints: vec![],
            if_not_exists: false,
            from_query: true,
            like: None,
            charset: None,
            partitioning: Partitioning::None,
            search_indexes: vec![],
        })
    );
}

/// The shapes listed in the sqlparser-gaps reference, masked first as the caller will.
#[test]
fn sqlparser_gap_examples() {
    let sql = r#"CREATE INDEX IF NOT EXISTS idx ON {{ index .Options "Namespace" }}.users (email)"#;
    let masked = mask(sql).unwrap();
    assert_eq!(
        recognise(&masked, PG),
        Some(StatementKind::CreateIndex(IndexDef {
            name: Some(id("idx")),
            table: name("x__index__Options__Namespace____.users"),
            columns: vec![Ident::new("email")],
            unique: false,
            concurrently: false,
            if_not_exists: true,
            method: None,
            only: false,
        }))
    );
    let masked = mask("ALTER TABLE {$NAMESPACE}_user.user ADD c int").unwrap();
    assert_eq!(
        actions(&masked, MY, "x_NAMESPACE__user.user"),
        vec![AlterAction::AddColumn {
            column: column("c", "int"),
            if_not_exists: false,
            position: None
        }]
    );
    assert_eq!(
        one_action("ALTER TABLE t COLLATE utf8mb4_bin", MY),
        AlterAction::Other("COLLATE".into())
    );
    assert!(matches!(
        recognise("UPDATE t1 a JOIN t2 b ON a.id = b.id SET a.x = 1", MY),
        Some(StatementKind::Update {
            has_where: false,
            ..
        })
    ));
    assert!(matches!(
        recognise("INSERT IGNORE INTO t VALUES (1)", MY),
        Some(StatementKind::Insert { .. })
    ));
    assert!(matches!(
        one_action("ALTER TABLE t MODIFY c VARBINARY(255) BINARY NOT NULL", MY),
        AlterAction::RedefineColumn { column, .. } if column.not_null && column.data_type.base == "varbinary"
    ));
    let masked = mask("ALTER TABLE ONLY ${schema}.t ALTER COLUMN c SET STATISTICS 100").unwrap();
    assert_eq!(
        actions(&masked, PG, "x_schema_.t"),
        vec![AlterAction::TableSetting {
            user_catalog_table: false
        }]
    );
    assert!(matches!(
        recognise("DROP INDEX CONCURRENTLY IF EXISTS idx_name", PG),
        Some(StatementKind::DropIndex {
            concurrently: true,
            if_exists: true,
            ..
        })
    ));
    assert_eq!(
        recognise(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN ALTER TABLE t ADD c int; END IF; END $$;",
            PG
        ),
        Some(other("DO"))
    );
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = recognise(&text, PG);
        let _ = recognise(&text, MY);
        let _ = do_block_body(&text);
    }

    #[test]
    fn never_panics_on_sql_shaped_text(
        words in proptest::collection::vec(
            prop_oneof![
                Just("ALTER"), Just("TABLE"), Just("ADD"), Just("DROP"), Just("COLUMN"),
                Just("CREATE"), Just("INDEX"), Just("ON"), Just("("), Just(")"), Just(","),
                Just("t"), Just("."), Just("NOT"), Just("NULL"), Just("DEFAULT"), Just("SET"),
                Just("="), Just("TO"), Just("IF"), Just("EXISTS"), Just("USING"), Just("@"),
                Just("CONSTRAINT"), Just("PRIMARY"), Just("KEY"), Just("UNIQUE"), Just("'x'"),
                Just("$$"), Just("DO"), Just("{{"), Just("}}"), Just("MODIFY"), Just("CHANGE"),
            ],
            0..24,
        )
    ) {
        let text = words.join(" ");
        let masked = mask(&text).unwrap_or_else(|| text.clone());
        let _ = recognise(&masked, PG);
        let _ = recognise(&masked, MY);
        let _ = do_block_body(&masked);
    }
}

#[test]
fn deeply_nested_input_does_not_overflow() {
    let sql = format!(
        "ALTER TABLE t ADD c int DEFAULT {}1{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(matches!(
        recognise(&sql, PG),
        Some(StatementKind::AlterTable { .. })
    ));
    let unbalanced = format!("CREATE INDEX i ON t {}", "(".repeat(10_000));
    let _ = recognise(&unbalanced, PG);
}

#[test]
fn quoted_names_collations_and_positions() {
    assert_eq!(
        recognise(
            "CREATE UNIQUE INDEX CONCURRENTLY \"Idx\" ON \"public\".\"T\" (\"A\");",
            PG
        ),
        Some(StatementKind::CreateIndex(IndexDef {
            name: Some(Ident::quoted("Idx")),
            table: ObjectName {
                schema: Some(Ident::quoted("public")),
                name: Ident::quoted("T")
            },
            columns: vec![Ident::quoted("A")],
            unique: true,
            concurrently: true,
            if_not_exists: false,
            method: None,
            only: false,
        }))
    );
    assert_eq!(
        one_action(
            "ALTER TABLE t ALTER COLUMN c TYPE varchar(20) COLLATE \"C\" USING trim(c)",
            PG
        ),
        AlterAction::AlterColumnType {
            column: id("c"),
            data_type: parse_data_type("varchar(20)"),
            using: Some("trim(c)".into()),
        }
    );
    let mut collated = column("c", "text");
    collated.not_null = true;
    assert_eq!(
        one_action(
            "ALTER TABLE t ADD COLUMN c text COLLATE \"C\" NOT NULL -- why\n",
            PG
        ),
        AlterAction::AddColumn {
            column: collated,
            if_not_exists: false,
            position: None
        }
    );
    let mut placed = column("c", "int");
    placed.not_null = true;
    placed.default = expr("0", Volatility::Stable);
    assert_eq!(
        actions(
            "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0 AFTER b, ALGORITHM=INSTANT",
            MY,
            "t"
        ),
        vec![
            AlterAction::AddColumn {
                column: placed,
                if_not_exists: false,
                position: Some(ColumnPosition::After(id("b")))
            },
            AlterAction::Algorithm("INSTANT".into()),
        ]
    );
}

#[test]
fn partitioned_tables_and_their_partitions() {
    let kind = |sql: &str| match recognise(sql, PG) {
        Some(StatementKind::CreateTable { partitioning, .. }) => partitioning,
        other => panic!("{sql}: {other:?}"),
    };
    assert_eq!(
        kind("CREATE TABLE m (id bigint, at date) PARTITION BY RANGE (at)"),
        Partitioning::Parent {
            key: vec![Ident::new("at")]
        }
    );
    // An expression key mentions every word in it; `sqlparser` cannot read an operator
    // class, so this one is the fallback's alone.
    assert_eq!(
        kind("CREATE TABLE m (id bigint, \"At\" date, r text) PARTITION BY HASH (\"At\", lower(r) text_ops)"),
        Partitioning::Parent {
            key: ["At", "lower", "r", "text_ops"]
                .iter()
                .map(|w| if *w == "At" { Ident::quoted(*w) } else { Ident::new(*w) })
                .collect()
        }
    );
    // MySQL's words between the method and the key.
    for mysql in [
        "CREATE TABLE m (id INT, at DATE) PARTITION BY RANGE COLUMNS (at) (PARTITION p0 VALUES LESS THAN (MAXVALUE))",
        "CREATE TABLE m (id INT, at DATE) PARTITION BY LINEAR KEY ALGORITHM=2 (at) PARTITIONS 4",
    ] {
        match recognise(mysql, MY) {
            Some(StatementKind::CreateTable { partitioning, .. }) => assert_eq!(
                partitioning,
                Partitioning::Parent {
                    key: vec![Ident::new("at")]
                },
                "{mysql}"
            ),
            other => panic!("{mysql}: {other:?}"),
        }
    }
    assert_eq!(
        kind("CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"),
        Partitioning::Of {
            parent: name("m"),
            default: false
        }
    );
    assert_eq!(
        kind("CREATE TABLE m_rest PARTITION OF m DEFAULT"),
        Partitioning::Of {
            parent: name("m"),
            default: true
        }
    );
    assert_eq!(kind("CREATE TABLE plain (id int)"), Partitioning::None);
}

#[test]
fn identity_changes() {
    let change = |sql: &str| match one_action(sql, PG) {
        AlterAction::ChangeIdentity { column, change } if column == id("id") => change,
        other => panic!("{sql}: {other:?}"),
    };
    assert_eq!(
        change("ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH 10)"),
        IdentityChange::Add { always: true }
    );
    assert_eq!(
        change("ALTER TABLE t ALTER id ADD GENERATED BY DEFAULT AS IDENTITY"),
        IdentityChange::Add { always: false }
    );
    assert_eq!(
        change("ALTER TABLE t ALTER COLUMN id SET GENERATED ALWAYS SET INCREMENT BY 2"),
        IdentityChange::Set { always: true }
    );
    assert_eq!(
        change("ALTER TABLE t ALTER COLUMN id SET GENERATED BY DEFAULT"),
        IdentityChange::Set { always: false }
    );
    assert_eq!(
        change("ALTER TABLE t ALTER COLUMN id DROP IDENTITY IF EXISTS"),
        IdentityChange::Drop
    );
}
