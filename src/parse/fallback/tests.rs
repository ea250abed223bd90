//! Recogniser tests: one per statement form, with the fields asserted exactly.

use super::*;
use crate::parse::placeholders::mask;
use crate::statement::{
    AlterAction, ColumnDef, ColumnPosition, Constraint, ConstraintKind, DataType, Expr, Generated,
    Ident, IndexDef, Volatility,
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
    ColumnDef {
        name: id(column_name),
        data_type: parse_data_type(data_type),
        not_null: false,
        default: None,
        generated: None,
        primary_key: false,
        unique: false,
        references: None,
        check: None,
    }
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
    identity.generated = Some(Generated::Identity);
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
    let mut virtual_column = column("full_name", "varchar(200)");
    virtual_column.generated = Some(Generated::Virtual);
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
    assert_eq!(
        one_action("ALTER TABLE t RENAME INDEX a TO b", MY),
        AlterAction::Other("RENAME INDEX".into())
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
    assert_eq!(
        one_action("ALTER TABLE t ALTER COLUMN c SET STATISTICS 500", PG),
        AlterAction::Other("ALTER COLUMN SET STATISTICS".into())
    );
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
                references: name("s.p"),
                referred_columns: vec![id("x"), id("y")],
            },
            not_valid: true,
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
                using_index: Some(id("t_id_idx"))
            },
            not_valid: false,
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
        AlterAction::AttachPartition
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
    changed.generated = Some(Generated::Identity);
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
            columns: vec!["email".into(), "tenant_id".into()],
            unique: true,
            concurrently: false,
            if_not_exists: false,
            method: None,
        })
    );
    assert_eq!(
        one_action("ALTER TABLE t ADD FULLTEXT KEY ft (body)", MY),
        AlterAction::AddIndex(IndexDef {
            name: Some(id("ft")),
            table: name("t"),
            columns: vec!["body".into()],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: Some("fulltext".into()),
        })
    );
    assert_eq!(
        one_action("ALTER TABLE t ADD INDEX (a) USING BTREE", MY),
        AlterAction::AddIndex(IndexDef {
            name: None,
            table: name("t"),
            columns: vec!["a".into()],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: Some("btree".into()),
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
            columns: vec!["lower(email)".into(), "tags".into()],
            unique: true,
            concurrently: true,
            if_not_exists: true,
            method: Some("gin".into()),
        }))
    );
    assert_eq!(
        recognise("CREATE INDEX ON t (a) STORING (b, c)", PG),
        Some(StatementKind::CreateIndex(IndexDef {
            name: None,
            table: name("t"),
            columns: vec!["a".into()],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: None,
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
            columns: vec!["title".into(), "body".into()],
            unique: false,
            concurrently: false,
            if_not_exists: false,
            method: Some("fulltext".into()),
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
            has_where: true
        })
    );
    assert_eq!(
        recognise(
            "UPDATE ONLY t SET x = (SELECT y FROM u WHERE u.id = t.id)",
            PG
        ),
        Some(StatementKind::Update {
            table: name("t"),
            has_where: false
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
        Some(StatementKind::Insert { table: name("t") })
    );
    assert_eq!(
        recognise("REPLACE INTO t VALUES (1)", MY),
        Some(StatementKind::Insert { table: name("t") })
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
fn plainly_harmless_statements() {
    for (sql, keyword) in [
        (
            "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql COST 100 AS $$ SELECT 1 $$",
            "CREATE FUNCTION",
        ),
        (
            "CREATE MATERIALIZED VIEW mv AS SELECT 1",
            "CREATE MATERIALIZED VIEW",
        ),
        (
            "CREATE EXTENSION IF NOT EXISTS pgcrypto",
            "CREATE EXTENSION",
        ),
        ("CREATE TYPE mood AS ENUM ('a')", "CREATE TYPE"),
        ("CREATE SEQUENCE s", "CREATE SEQUENCE"),
        ("ALTER SEQUENCE s RESTART", "ALTER SEQUENCE"),
        (
            "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r",
            "ALTER DEFAULT PRIVILEGES",
        ),
        ("DROP FUNCTION IF EXISTS f()", "DROP FUNCTION"),
        ("COMMENT ON COLUMN t.c IS 'x'", "COMMENT ON"),
        ("GRANT SELECT ON t TO r", "GRANT"),
        ("REVOKE ALL ON t FROM r", "REVOKE"),
    ] {
        assert_eq!(recognise(sql, PG), Some(other(keyword)), "{sql}");
    }
    assert_eq!(
        recognise("ALTER DATABASE d COLLATE utf8mb4_bin", MY),
        Some(other("ALTER DATABASE"))
    );
    assert_eq!(
        recognise(
            "CREATE DEFINER=`a`@`%` SQL SECURITY DEFINER VIEW v AS SELECT 1",
            MY
        ),
        Some(other("CREATE VIEW"))
    );
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
            }],
            if_not_exists: true,
            from_query: false,
        })
    );
    let mut mysql_id = column("id", "int(11) unsigned");
    mysql_id.not_null = true;
    mysql_id.generated = Some(Generated::Identity);
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
            }],
            if_not_exists: false,
            from_query: false,
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
            columns: vec!["email".into()],
            unique: false,
            concurrently: false,
            if_not_exists: true,
            method: None,
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
        vec![AlterAction::Other("ALTER COLUMN SET STATISTICS".into())]
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
            columns: vec!["A".into()],
            unique: true,
            concurrently: true,
            if_not_exists: false,
            method: None,
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
