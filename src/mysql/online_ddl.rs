//! The InnoDB online-DDL matrix as data, and the verdict it gives a whole ALTER TABLE.
//!
//! Facts follow the MySQL Reference Manual, "Online DDL Operations" (index, primary key,
//! column, generated column, foreign key, table and partitioning tables), with the version
//! gates of the INSTANT algorithm: 8.0.12 (INSTANT exists; ADD COLUMN only as the last
//! column; VIRTUAL columns added and dropped), 8.0.28 (RENAME COLUMN), 8.0.29 (ADD COLUMN
//! anywhere, DROP COLUMN, and the row-version limit). MySQL 5.7 has no INSTANT at all. The
//! 8.4 and 9.x manuals and release notes change one thing here: 9.1 raises the row-version
//! limit from 64 to 255 (`instant_row_versions`; counted per table by the replay,
//! `super::row_versions`). Where MariaDB differs, a second column says so; the differences
//! are proven against a real MariaDB server in `tests/db_mysql_rules.rs`.
//! <https://dev.mysql.com/doc/refman/8.4/en/innodb-online-ddl-operations.html>
//!
//! Some costs depend on the table's FULLTEXT and SPATIAL indexes (`TableTraits`).
//!
//! MySQL picks the cheapest algorithm every clause of a statement supports (INSTANT, then
//! INPLACE, then COPY), so one clause that needs a copy makes the whole statement copy, and an
//! instant ADD COLUMN next to an in-place ADD INDEX runs in place and rebuilds the table.

use crate::diagnostic::LockMode;
use crate::dialect::{MysqlFlavor, Target, Version};

/// How InnoDB carries out an ALTER TABLE, cheapest first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    /// Metadata only: no rows touched.
    Instant,
    /// Inside the storage engine, possibly rebuilding the table.
    Inplace,
    /// A new table is built row by row; writes wait for the whole copy.
    Copy,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Inplace => "INPLACE",
            Algorithm::Copy => "COPY",
        }
    }

    fn parse(word: &str) -> Option<Algorithm> {
        match word.trim().to_ascii_uppercase().as_str() {
            "INSTANT" => Some(Algorithm::Instant),
            // MariaDB's NOCOPY is INPLACE without a rebuild; it refuses where INPLACE would rebuild.
            "INPLACE" | "NOCOPY" => Some(Algorithm::Inplace),
            "COPY" => Some(Algorithm::Copy),
            _ => None,
        }
    }
}

/// One kind of ALTER TABLE clause, as the manual's tables list them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    AddColumnLast,
    AddColumnPositioned,
    AddVirtualColumn,
    AddStoredColumn,
    AddAutoIncrementColumn,
    DropColumn,
    /// DROP of a VIRTUAL generated column: no row holds its values.
    DropVirtualColumn,
    /// DROP of a STORED generated column.
    DropStoredColumn,
    RenameColumn,
    ReorderColumn,
    /// MODIFY ... FIRST/AFTER of a generated column, STORED or VIRTUAL.
    ReorderGeneratedColumn,
    SetDefault,
    ChangeColumnType,
    ChangeColumnCharset,
    ExtendVarchar,
    /// VARCHAR growth past 255 bytes: the length prefix grows from one byte to two.
    ExtendVarcharPastPrefix,
    ShrinkVarchar,
    MakeNullable,
    MakeNotNull,
    AppendEnumMembers,
    /// ENUM/SET members inserted, removed, reordered, or past a storage-size boundary.
    RewriteEnumMembers,
    AddIndex,
    AddFulltextIndex,
    AddSpatialIndex,
    DropIndex,
    RenameIndex,
    AddPrimaryKey,
    DropPrimaryKey,
    ReplacePrimaryKey,
    AddForeignKey,
    /// ADD FOREIGN KEY while `foreign_key_checks = 0`: existing rows are not checked.
    AddForeignKeyUnchecked,
    DropConstraint,
    AddCheckConstraint,
    RowFormat,
    KeyBlockSize,
    StatisticsOptions,
    TableDefaultCharset,
    ConvertCharset,
    Force,
    /// `ENGINE=InnoDB` on an InnoDB table.
    NullRebuild,
    OptimizeTable,
    RenameTable,
    AutoIncrementValue,
    PartitionBy,
    RemovePartitioning,
    AddPartition,
    DropPartition,
    /// COALESCE / REORGANIZE / REBUILD PARTITION.
    ReorganizePartition,
    TableEncryption,
}

/// What INPLACE costs for an operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Inplace {
    pub rebuilds: bool,
    pub concurrent_dml: bool,
}

const fn inplace(rebuilds: bool, concurrent_dml: bool) -> Option<Inplace> {
    Some(Inplace {
        rebuilds,
        concurrent_dml,
    })
}

/// One row of the matrix.
#[derive(Copy, Clone, Debug)]
pub struct Row {
    /// The SQL it stands for, for messages.
    pub label: &'static str,
    /// First MySQL version where INSTANT is possible; `None`: never.
    pub instant_since: Option<Version>,
    /// `None`: INPLACE is impossible and only COPY remains.
    pub inplace: Option<Inplace>,
    /// Where MariaDB (10.11, the tested server) differs: its INSTANT support and INPLACE.
    pub mariadb: Option<Mariadb>,
}

/// MariaDB's own facts for a row, where they differ from MySQL 8.0.
#[derive(Copy, Clone, Debug)]
pub struct Mariadb {
    pub instant: bool,
    pub inplace: Option<Inplace>,
}

const INSTANT_8_0_12: Option<Version> = Some(Version::new(8, 0, 12));
const INSTANT_8_0_28: Option<Version> = Some(Version::new(8, 0, 28));
const INSTANT_8_0_29: Option<Version> = Some(Version::new(8, 0, 29));
const NEVER: Option<Version> = None;
const COPY_ONLY: Option<Inplace> = None;

macro_rules! row {
    ($label:literal, $instant:expr, $inplace:expr) => {
        row!($label, $instant, $inplace, None)
    };
    ($label:literal, $instant:expr, $inplace:expr, $mariadb:expr) => {
        Row {
            label: $label,
            instant_since: $instant,
            inplace: $inplace,
            mariadb: $mariadb,
        }
    };
}

const MARIADB_INSTANT: Option<Mariadb> = Some(Mariadb {
    instant: true,
    inplace: inplace(false, true),
});

/// Every operation, in the manual's order.
pub const OPERATIONS: [Operation; 49] = [
    Operation::AddColumnLast,
    Operation::AddColumnPositioned,
    Operation::AddVirtualColumn,
    Operation::AddStoredColumn,
    Operation::AddAutoIncrementColumn,
    Operation::DropColumn,
    Operation::DropVirtualColumn,
    Operation::DropStoredColumn,
    Operation::RenameColumn,
    Operation::ReorderColumn,
    Operation::ReorderGeneratedColumn,
    Operation::SetDefault,
    Operation::ChangeColumnType,
    Operation::ChangeColumnCharset,
    Operation::ExtendVarchar,
    Operation::ExtendVarcharPastPrefix,
    Operation::ShrinkVarchar,
    Operation::MakeNullable,
    Operation::MakeNotNull,
    Operation::AppendEnumMembers,
    Operation::RewriteEnumMembers,
    Operation::AddIndex,
    Operation::AddFulltextIndex,
    Operation::AddSpatialIndex,
    Operation::DropIndex,
    Operation::RenameIndex,
    Operation::AddPrimaryKey,
    Operation::DropPrimaryKey,
    Operation::ReplacePrimaryKey,
    Operation::AddForeignKey,
    Operation::AddForeignKeyUnchecked,
    Operation::DropConstraint,
    Operation::AddCheckConstraint,
    Operation::RowFormat,
    Operation::KeyBlockSize,
    Operation::StatisticsOptions,
    Operation::TableDefaultCharset,
    Operation::ConvertCharset,
    Operation::Force,
    Operation::NullRebuild,
    Operation::OptimizeTable,
    Operation::RenameTable,
    Operation::AutoIncrementValue,
    Operation::PartitionBy,
    Operation::RemovePartitioning,
    Operation::AddPartition,
    Operation::DropPartition,
    Operation::ReorganizePartition,
    Operation::TableEncryption,
];

impl Operation {
    /// The operation's row of the matrix: `inplace(rebuilds, concurrent DML)`.
    pub fn row(self) -> Row {
        use Operation::*;
        match self {
            AddColumnLast => row!("ADD COLUMN", INSTANT_8_0_12, inplace(true, true)),
            AddColumnPositioned => row!(
                "ADD COLUMN ... FIRST/AFTER",
                INSTANT_8_0_29,
                inplace(true, true)
            ),
            AddVirtualColumn => row!(
                "ADD COLUMN ... VIRTUAL",
                INSTANT_8_0_12,
                inplace(false, true)
            ),
            AddStoredColumn => row!("ADD COLUMN ... STORED", NEVER, COPY_ONLY),
            AddAutoIncrementColumn => {
                row!("ADD COLUMN ... AUTO_INCREMENT", NEVER, inplace(true, false))
            }
            DropColumn => row!("DROP COLUMN", INSTANT_8_0_29, inplace(true, true)),
            // The manual's generated-column table: a VIRTUAL column drops instantly (one of
            // 8.0.12's first INSTANT operations, no row version); a STORED one never does,
            // even after 8.0.29, and its in-place drop rebuilds the table.
            DropVirtualColumn => row!(
                "DROP COLUMN ... VIRTUAL",
                INSTANT_8_0_12,
                inplace(false, true)
            ),
            DropStoredColumn => row!(
                "DROP COLUMN ... STORED",
                NEVER,
                inplace(true, true),
                MARIADB_INSTANT
            ),
            RenameColumn => row!("RENAME COLUMN", INSTANT_8_0_28, inplace(false, true)),
            // MariaDB 10.4+ reorders columns instantly.
            ReorderColumn => row!(
                "MODIFY ... FIRST/AFTER",
                NEVER,
                inplace(true, true),
                MARIADB_INSTANT
            ),
            // The manual's generated-column table: "Modifying STORED column order" and
            // "Modifying VIRTUAL column order" are not in place, so only COPY remains.
            ReorderGeneratedColumn => row!("MODIFY ... AS (...) FIRST/AFTER", NEVER, COPY_ONLY),
            SetDefault => row!("SET/DROP DEFAULT", INSTANT_8_0_12, inplace(false, true)),
            ChangeColumnType => row!("change of column type", NEVER, COPY_ONLY),
            ChangeColumnCharset => row!("change of column character set", NEVER, COPY_ONLY),
            // MariaDB 10.4+ extends a VARCHAR instantly while the length prefix stays the same.
            ExtendVarchar => row!(
                "VARCHAR extension",
                NEVER,
                inplace(false, true),
                MARIADB_INSTANT
            ),
            ExtendVarcharPastPrefix => row!("VARCHAR extension past 255 bytes", NEVER, COPY_ONLY),
            ShrinkVarchar => row!("VARCHAR shrink", NEVER, COPY_ONLY),
            MakeNullable => row!("NOT NULL -> NULL", NEVER, inplace(true, true)),
            MakeNotNull => row!("NULL -> NOT NULL", NEVER, inplace(true, true)),
            AppendEnumMembers => row!(
                "ENUM/SET members appended",
                INSTANT_8_0_12,
                inplace(false, true)
            ),
            RewriteEnumMembers => row!(
                "ENUM/SET members inserted, reordered or resized",
                NEVER,
                COPY_ONLY
            ),
            AddIndex => row!("ADD INDEX", NEVER, inplace(false, true)),
            // The first FULLTEXT index rebuilds the table to add its hidden FTS_DOC_ID column
            // (not when the table has an FTS_DOC_ID: `TableTraits`). Building one never lets
            // writes through (LOCK=SHARED at least).
            AddFulltextIndex => row!("ADD FULLTEXT INDEX", NEVER, inplace(true, false)),
            AddSpatialIndex => row!("ADD SPATIAL INDEX", NEVER, inplace(false, false)),
            DropIndex => row!("DROP INDEX", NEVER, inplace(false, true)),
            RenameIndex => row!("RENAME INDEX", NEVER, inplace(false, true), MARIADB_INSTANT),
            AddPrimaryKey => row!("ADD PRIMARY KEY", NEVER, inplace(true, true)),
            DropPrimaryKey => row!("DROP PRIMARY KEY", NEVER, COPY_ONLY),
            ReplacePrimaryKey => row!(
                "DROP PRIMARY KEY, ADD PRIMARY KEY",
                NEVER,
                inplace(true, true)
            ),
            AddForeignKey => row!("ADD FOREIGN KEY", NEVER, COPY_ONLY),
            AddForeignKeyUnchecked => row!(
                "ADD FOREIGN KEY (foreign_key_checks = 0)",
                NEVER,
                inplace(false, true),
                MARIADB_INSTANT
            ),
            DropConstraint => row!(
                "DROP FOREIGN KEY/CHECK/CONSTRAINT",
                NEVER,
                inplace(false, true),
                MARIADB_INSTANT
            ),
            AddCheckConstraint => row!("ADD CHECK", NEVER, COPY_ONLY),
            RowFormat => row!("ROW_FORMAT", NEVER, inplace(true, true)),
            KeyBlockSize => row!("KEY_BLOCK_SIZE", NEVER, inplace(true, true)),
            StatisticsOptions => row!(
                "STATS_* options",
                NEVER,
                inplace(false, true),
                MARIADB_INSTANT
            ),
            TableDefaultCharset => row!(
                "DEFAULT CHARACTER SET",
                NEVER,
                inplace(false, true),
                MARIADB_INSTANT
            ),
            ConvertCharset => row!("CONVERT TO CHARACTER SET", NEVER, COPY_ONLY),
            Force => row!("FORCE", NEVER, inplace(true, true)),
            NullRebuild => row!("ENGINE=InnoDB", NEVER, inplace(true, true)),
            OptimizeTable => row!("OPTIMIZE TABLE", NEVER, inplace(true, true)),
            RenameTable => row!("RENAME TO", INSTANT_8_0_12, inplace(false, true)),
            AutoIncrementValue => row!(
                "AUTO_INCREMENT =",
                NEVER,
                inplace(false, true),
                MARIADB_INSTANT
            ),
            PartitionBy => row!("PARTITION BY", NEVER, COPY_ONLY),
            RemovePartitioning => row!("REMOVE PARTITIONING", NEVER, COPY_ONLY),
            AddPartition => row!("ADD PARTITION", NEVER, inplace(false, true)),
            DropPartition => row!("DROP PARTITION", NEVER, inplace(false, true)),
            ReorganizePartition => row!(
                "COALESCE/REORGANIZE/REBUILD PARTITION",
                NEVER,
                inplace(false, false)
            ),
            TableEncryption => row!("ENCRYPTION", NEVER, COPY_ONLY),
        }
    }

    /// What the operation can do on `target` to a table with `traits`: INSTANT possible,
    /// and INPLACE's cost.
    pub fn capability(self, target: &Target, traits: &TableTraits) -> (bool, Option<Inplace>) {
        let row = self.row();
        let (instant, inplace) = if traits.fts() && self.changes_stored_columns() {
            // No INSTANT, and in place it rebuilds the table: MariaDB refuses NOCOPY too.
            (false, row.inplace)
        } else {
            self.capability_on_plain_table(target)
        };
        let inplace = match inplace {
            Some(cost) if self == Operation::AddFulltextIndex && traits.fts_doc_id() => {
                Some(Inplace {
                    rebuilds: false,
                    ..cost
                })
            }
            Some(cost) if cost.rebuilds && (traits.keeps_fulltext || traits.keeps_spatial) => {
                match target.flavor {
                    // ER_INNODB_FT_LIMIT: MySQL rebuilds a table that keeps a FULLTEXT index
                    // only by copying it (the manual's table operations: "ALGORITHM=INPLACE is
                    // not supported for tables with FULLTEXT indexes"; the source's
                    // `check_if_supported_inplace_alter`).
                    MysqlFlavor::Mysql if traits.keeps_fulltext => None,
                    // The indexes are rebuilt with the table, which needs LOCK=SHARED
                    // (MariaDB measured; MySQL for SPATIAL by the same source).
                    _ => Some(Inplace {
                        concurrent_dml: false,
                        ..cost
                    }),
                }
            }
            other => other,
        };
        (instant, inplace)
    }

    /// The capability on a table without FULLTEXT or SPATIAL indexes.
    fn capability_on_plain_table(self, target: &Target) -> (bool, Option<Inplace>) {
        let row = self.row();
        match (target.flavor, row.mariadb) {
            (MysqlFlavor::Mariadb, Some(m)) => (m.instant, m.inplace),
            // MariaDB's NOCOPY (in place, no rebuild) takes every INSTANT operation, so one
            // beside an in-place clause still leaves the rows alone (measured: DROP COLUMN of
            // an indexed column runs with ALGORITHM=NOCOPY, tests/db_mysql_rules.rs).
            (MysqlFlavor::Mariadb, None) if mariadb_instant(self) => (true, inplace(false, true)),
            (MysqlFlavor::Mariadb, None) => (false, row.inplace),
            (MysqlFlavor::Mysql, _) => (
                row.instant_since.is_some_and(|v| target.version >= v),
                row.inplace,
            ),
        }
    }

    /// ADD, DROP or move a column whose values are stored in the rows: done instantly only
    /// by a new record format, which InnoDB does not give a table with FULLTEXT state
    /// (`TableTraits::fts`).
    fn changes_stored_columns(self) -> bool {
        matches!(
            self,
            Operation::AddColumnLast
                | Operation::AddColumnPositioned
                | Operation::DropColumn
                | Operation::DropStoredColumn
                | Operation::ReorderColumn
        )
    }
}

/// What the table holds that changes what an operation on it costs.
///
/// - A FULLTEXT index, or the hidden `FTS_DOC_ID` column it leaves behind when dropped,
///   rules out INSTANT ADD/DROP/reordering of a stored column: MySQL's manual ("Online DDL
///   Operations", column operations: "Columns cannot be added to tables that use
///   ROW_FORMAT=COMPRESSED, tables with a FULLTEXT index, ..."; its source's
///   `dict_table_t::support_instant_add_drop` also tests the hidden column), measured on
///   MariaDB 10.11 in `tests/db_mysql_rules.rs`.
/// - With an `FTS_DOC_ID` column a FULLTEXT index is added without a rebuild (the manual's
///   index operations: "Adding the first FULLTEXT index rebuilds the table if there is no
///   user-defined FTS_DOC_ID column").
/// - A rebuild that keeps a FULLTEXT or SPATIAL index blocks writes (see `capability`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct TableTraits {
    /// The table has a FULLTEXT index before the statement.
    pub fulltext: bool,
    /// InnoDB's hidden `FTS_DOC_ID` column: from a FULLTEXT index, kept until a rebuild.
    pub hidden_fts_doc_id: bool,
    /// The table declares its own `FTS_DOC_ID` column.
    pub fts_doc_id_column: bool,
    /// A FULLTEXT index stays on the table through the statement.
    pub keeps_fulltext: bool,
    /// A SPATIAL index stays on the table through the statement.
    pub keeps_spatial: bool,
}

impl TableTraits {
    /// Full-text state that keeps stored columns from changing instantly.
    pub fn fts(&self) -> bool {
        self.fulltext || self.hidden_fts_doc_id
    }

    fn fts_doc_id(&self) -> bool {
        self.hidden_fts_doc_id || self.fts_doc_id_column
    }

    /// What on the table makes an operation costlier than on a plain table, for messages.
    fn costlier_because(&self) -> Option<&'static str> {
        if self.fulltext {
            Some("the table has a FULLTEXT index")
        } else if self.hidden_fts_doc_id {
            Some("the table keeps the hidden FTS_DOC_ID column of a dropped FULLTEXT index until it is rebuilt")
        } else if self.keeps_spatial {
            Some("the table has a SPATIAL index")
        } else {
            None
        }
    }
}

/// How many row versions a MySQL table has for INSTANT `ADD COLUMN` / `DROP COLUMN`
/// (each uses one until the table is rebuilt): 64 from 8.0.29, when INSTANT began to count
/// them, and 255 from 9.1. `None` where nothing counts them (older MySQL, MariaDB).
pub fn instant_row_versions(target: &Target) -> Option<u32> {
    match target.flavor {
        MysqlFlavor::Mariadb => None,
        MysqlFlavor::Mysql if target.at_least(9, 1, 0) => Some(255),
        MysqlFlavor::Mysql if target.at_least(8, 0, 29) => Some(64),
        MysqlFlavor::Mysql => None,
    }
}

/// MariaDB 10.4+ has INSTANT for the rows MySQL 8.0 has it, with no version gates: ADD
/// COLUMN anywhere and DROP COLUMN included.
fn mariadb_instant(operation: Operation) -> bool {
    operation.row().instant_since.is_some()
}

/// One clause of an ALTER TABLE: the operation and what it names, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    pub operation: Operation,
    /// e.g. "ADD COLUMN `nickname`", "MODIFY `email` varchar(100) -> varchar(300)".
    pub text: String,
}

/// The `ALGORITHM=` and `LOCK=` clauses of a statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pins {
    pub algorithm: Option<Algorithm>,
    pub lock: Option<LockPin>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockPin {
    None,
    Shared,
    Exclusive,
}

impl LockPin {
    pub fn name(self) -> &'static str {
        match self {
            LockPin::None => "NONE",
            LockPin::Shared => "SHARED",
            LockPin::Exclusive => "EXCLUSIVE",
        }
    }
}

impl Pins {
    /// Reads `ALGORITHM=` / `LOCK=` values; `DEFAULT` pins nothing.
    pub fn set(&mut self, algorithm: Option<&str>, lock: Option<&str>) {
        if let Some(a) = algorithm {
            self.algorithm = Algorithm::parse(a);
        }
        if let Some(l) = lock {
            self.lock = match l.trim().to_ascii_uppercase().as_str() {
                "NONE" => Some(LockPin::None),
                "SHARED" => Some(LockPin::Shared),
                "EXCLUSIVE" => Some(LockPin::Exclusive),
                _ => None,
            };
        }
    }
}

/// What the server does with a whole statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub algorithm: Algorithm,
    pub rebuilds: bool,
    pub concurrent_dml: bool,
    /// The table lock held while the rows are processed.
    pub lock: LockMode,
    /// Why the server refuses the statement's pin, when it does.
    pub refused: Option<String>,
    /// The clauses that decide the verdict (the worst ones).
    pub deciding: Vec<Clause>,
}

impl Verdict {
    /// Blocks writes (or reads and writes) for the length of the operation.
    pub fn blocks_dml(&self) -> bool {
        !self.concurrent_dml || self.lock != LockMode::MysqlNone
    }
}

struct Judged {
    /// The clause, its text saying why when the table makes it costlier.
    clause: Clause,
    instant: bool,
    inplace: Option<Inplace>,
}

/// Judges `clauses` (one statement on a table with `traits`) on `target` under `pins`.
/// `None` for no clauses.
pub fn judge(
    clauses: &[Clause],
    pins: &Pins,
    target: &Target,
    traits: &TableTraits,
) -> Option<Verdict> {
    if clauses.is_empty() {
        return None;
    }
    let judged: Vec<Judged> = clauses
        .iter()
        .map(|clause| {
            let (instant, inplace) = clause.operation.capability(target, traits);
            let plain = clause.operation.capability_on_plain_table(target);
            let costlier =
                (instant, inplace) != plain && clause.operation != Operation::AddFulltextIndex;
            let text = match traits.costlier_because() {
                Some(why) if costlier => format!("{} ({why})", clause.text),
                _ => clause.text.clone(),
            };
            Judged {
                clause: Clause {
                    operation: clause.operation,
                    text,
                },
                instant,
                inplace,
            }
        })
        .collect();
    let server = server_name(target);
    let (algorithm, mut refused) = choose_algorithm(&judged, pins.algorithm, &server);
    if let (MysqlFlavor::Mysql, Some(Algorithm::Instant), Some(lock)) =
        (target.flavor, pins.algorithm, pins.lock)
    {
        // MySQL's ALTER TABLE checks the pair before any clause (ER_WRONG_USAGE, 1221,
        // "Incorrect usage of ALGORITHM=INSTANT and LOCK=NONE/SHARED/EXCLUSIVE"): INSTANT
        // takes no lock to choose. MariaDB accepts the pair.
        refused.get_or_insert(format!(
            "ALGORITHM=INSTANT with LOCK={}: {server} takes no LOCK= clause beside INSTANT (error 1221)",
            lock.name()
        ));
    }
    let (rebuilds, concurrent_dml, deciding) = cost(&judged, algorithm);
    let lock = match pins.lock {
        Some(LockPin::Exclusive) => LockMode::MysqlExclusive,
        Some(LockPin::Shared) => LockMode::MysqlShared,
        _ if concurrent_dml => LockMode::MysqlNone,
        // COPY and the in-place builds without concurrent DML let reads through.
        _ => LockMode::MysqlShared,
    };
    if refused.is_none() && pins.lock == Some(LockPin::None) && !concurrent_dml {
        refused = Some(format!(
            "LOCK=NONE: {} does not allow concurrent writes with ALGORITHM={} on {server}",
            labels(&deciding),
            algorithm.name()
        ));
    }
    Some(Verdict {
        algorithm,
        rebuilds,
        concurrent_dml,
        lock,
        refused,
        deciding,
    })
}

/// The algorithm the server uses: the pin when every clause supports it, else the
/// cheapest every clause supports.
fn choose_algorithm(
    judged: &[Judged],
    pin: Option<Algorithm>,
    server: &str,
) -> (Algorithm, Option<String>) {
    let all_instant = judged.iter().all(|j| j.instant);
    let all_inplace = judged.iter().all(|j| j.instant || j.inplace.is_some());
    let cheapest = if all_instant {
        Algorithm::Instant
    } else if all_inplace {
        Algorithm::Inplace
    } else {
        Algorithm::Copy
    };
    let Some(pin) = pin else {
        return (cheapest, None);
    };
    if pin >= cheapest {
        return (pin, None);
    }
    let unable: Vec<Clause> = judged
        .iter()
        .filter(|j| match pin {
            Algorithm::Instant => !j.instant,
            _ => j.inplace.is_none() && !j.instant,
        })
        .map(|j| j.clause.clone())
        .collect();
    let why = format!(
        "ALGORITHM={}: {} cannot run {} on {server}",
        pin.name(),
        labels(&unable),
        pin.name()
    );
    (cheapest, Some(why))
}

/// Whether the statement rebuilds the table and lets writes continue under `algorithm`,
/// with the clauses responsible for the worst of it.
fn cost(judged: &[Judged], algorithm: Algorithm) -> (bool, bool, Vec<Clause>) {
    let all: Vec<Clause> = judged.iter().map(|j| j.clause.clone()).collect();
    match algorithm {
        Algorithm::Instant => (false, true, all),
        Algorithm::Copy => {
            let copy_only: Vec<Clause> = judged
                .iter()
                .filter(|j| !j.instant && j.inplace.is_none())
                .map(|j| j.clause.clone())
                .collect();
            (
                true,
                false,
                if copy_only.is_empty() { all } else { copy_only },
            )
        }
        Algorithm::Inplace => {
            // An instant-capable clause run in place costs what its INPLACE column says.
            let cost_of = |j: &Judged| {
                j.inplace.unwrap_or(Inplace {
                    rebuilds: false,
                    concurrent_dml: true,
                })
            };
            let blocking: Vec<Clause> = judged
                .iter()
                .filter(|j| !cost_of(j).concurrent_dml)
                .map(|j| j.clause.clone())
                .collect();
            let rebuilding: Vec<Clause> = judged
                .iter()
                .filter(|j| cost_of(j).rebuilds)
                .map(|j| j.clause.clone())
                .collect();
            let rebuilds = !rebuilding.is_empty();
            if !blocking.is_empty() {
                (rebuilds, false, blocking)
            } else if rebuilds {
                (true, true, rebuilding)
            } else {
                (false, true, all)
            }
        }
    }
}

/// `ADD COLUMN `a`, DROP INDEX `b``: the clauses as the messages name them.
pub fn labels(clauses: &[Clause]) -> String {
    clauses
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn server_name(target: &Target) -> String {
    match target.flavor {
        MysqlFlavor::Mysql => format!("MySQL {}", target.version),
        MysqlFlavor::Mariadb => "MariaDB".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;

    fn mysql(version: &str) -> Target {
        Target {
            version: version.parse().unwrap(),
            ..Target::new(Dialect::Mysql)
        }
    }

    /// The verdict on a table without FULLTEXT or SPATIAL indexes.
    fn judge_plain(clauses: &[Clause], pins: &Pins, target: &Target) -> Option<Verdict> {
        judge(clauses, pins, target, &TableTraits::default())
    }

    fn clause(operation: Operation) -> Clause {
        Clause {
            operation,
            text: operation.row().label.to_string(),
        }
    }

    #[test]
    fn operations_are_listed_once_with_distinct_labels() {
        let labels: std::collections::HashSet<&str> =
            OPERATIONS.iter().map(|o| o.row().label).collect();
        assert_eq!(labels.len(), OPERATIONS.len());
    }

    #[test]
    fn the_row_version_limit_rises_in_9_1() {
        assert_eq!(instant_row_versions(&mysql("8.0.28")), None);
        assert_eq!(instant_row_versions(&mysql("8.0.29")), Some(64));
        assert_eq!(instant_row_versions(&mysql("8.4")), Some(64));
        assert_eq!(instant_row_versions(&mysql("9.0")), Some(64));
        assert_eq!(instant_row_versions(&mysql("9.1")), Some(255));
        let mut mariadb = mysql("11.4");
        mariadb.flavor = MysqlFlavor::Mariadb;
        assert_eq!(instant_row_versions(&mariadb), None);
    }

    #[test]
    fn instant_gates_follow_the_version() {
        let add_after = [clause(Operation::AddColumnPositioned)];
        let judge_on = |v| judge_plain(&add_after, &Pins::default(), &mysql(v)).unwrap();
        assert_eq!(judge_on("8.0.28").algorithm, Algorithm::Inplace);
        assert!(judge_on("8.0.28").rebuilds);
        assert_eq!(judge_on("8.0.29").algorithm, Algorithm::Instant);
        let add_last = [clause(Operation::AddColumnLast)];
        let on = |v| {
            judge_plain(&add_last, &Pins::default(), &mysql(v))
                .unwrap()
                .algorithm
        };
        assert_eq!(on("5.7"), Algorithm::Inplace);
        assert_eq!(on("8.0.11"), Algorithm::Inplace);
        assert_eq!(on("8.0.12"), Algorithm::Instant);
        assert_eq!(on("8.4"), Algorithm::Instant);
    }

    #[test]
    fn the_worst_clause_decides() {
        let clauses = [
            clause(Operation::AddColumnLast),
            clause(Operation::AddIndex),
            clause(Operation::ChangeColumnType),
        ];
        let verdict = judge_plain(&clauses, &Pins::default(), &mysql("8.0.35")).unwrap();
        assert_eq!(verdict.algorithm, Algorithm::Copy);
        assert!(!verdict.concurrent_dml);
        assert_eq!(verdict.deciding, vec![clause(Operation::ChangeColumnType)]);
        // An instant ADD COLUMN beside an in-place ADD INDEX runs in place and rebuilds.
        let verdict = judge_plain(&clauses[..2], &Pins::default(), &mysql("8.0.35")).unwrap();
        assert_eq!(verdict.algorithm, Algorithm::Inplace);
        assert!(verdict.rebuilds && verdict.concurrent_dml);
        assert_eq!(verdict.deciding, vec![clause(Operation::AddColumnLast)]);
    }

    #[test]
    fn pins_the_operation_cannot_honour_are_refused() {
        let target = mysql("8.0.35");
        let mut pins = Pins::default();
        pins.set(Some("INSTANT"), None);
        let verdict = judge_plain(&[clause(Operation::AddIndex)], &pins, &target).unwrap();
        assert!(verdict.refused.unwrap().starts_with("ALGORITHM=INSTANT"));
        let mut pins = Pins::default();
        pins.set(Some("INPLACE"), Some("NONE"));
        let verdict = judge_plain(&[clause(Operation::AddFulltextIndex)], &pins, &target).unwrap();
        assert!(verdict.refused.unwrap().starts_with("LOCK=NONE"));
        let verdict = judge_plain(&[clause(Operation::AddIndex)], &pins, &target).unwrap();
        assert_eq!(verdict.refused, None);
        assert_eq!(verdict.lock, LockMode::MysqlNone);
    }

    /// MySQL refuses any LOCK= other than DEFAULT beside ALGORITHM=INSTANT, even for an
    /// instant clause (error 1221, the manual's "Online DDL Operations" INSTANT notes);
    /// MariaDB runs it (tests/db_mysql_rules.rs).
    #[test]
    fn mysql_refuses_a_lock_pin_beside_instant() {
        let mut pins = Pins::default();
        pins.set(Some("INSTANT"), Some("NONE"));
        let add = [clause(Operation::AddColumnLast)];
        let refused = judge_plain(&add, &pins, &mysql("8.4"))
            .unwrap()
            .refused
            .unwrap();
        assert!(refused.contains("LOCK=NONE"), "{refused}");
        let mariadb = Target {
            flavor: MysqlFlavor::Mariadb,
            ..mysql("8.4")
        };
        assert_eq!(judge_plain(&add, &pins, &mariadb).unwrap().refused, None);
        pins.set(None, Some("DEFAULT"));
        assert_eq!(
            judge_plain(&add, &pins, &mysql("8.4")).unwrap().refused,
            None
        );
    }

    #[test]
    fn a_stronger_lock_pin_blocks_even_an_online_operation() {
        let mut pins = Pins::default();
        pins.set(None, Some("EXCLUSIVE"));
        let verdict = judge_plain(&[clause(Operation::AddIndex)], &pins, &mysql("8.0.35")).unwrap();
        assert!(verdict.blocks_dml());
        assert_eq!(verdict.lock, LockMode::MysqlExclusive);
    }

    /// The manual's generated-column table (8.0, 8.4, 9.x alike): "Dropping a VIRTUAL
    /// column: Instant Yes, Rebuilds No"; "Dropping a STORED column: Instant No, In Place
    /// Yes, Rebuilds Yes" (INSTANT DROP COLUMN of 8.0.29 is for ordinary columns).
    #[test]
    fn generated_columns_drop_as_the_manual_says() {
        let on = |op, v| judge_plain(&[clause(op)], &Pins::default(), &mysql(v)).unwrap();
        let virtual_drop = on(Operation::DropVirtualColumn, "8.0.12");
        assert_eq!(virtual_drop.algorithm, Algorithm::Instant);
        assert!(!on(Operation::DropVirtualColumn, "8.0.11").rebuilds);
        let stored_drop = on(Operation::DropStoredColumn, "9.1");
        assert_eq!(stored_drop.algorithm, Algorithm::Inplace);
        assert!(stored_drop.rebuilds && stored_drop.concurrent_dml);
        // "Modifying STORED/VIRTUAL column order: In Place No".
        let reorder = on(Operation::ReorderGeneratedColumn, "9.1");
        assert_eq!(reorder.algorithm, Algorithm::Copy);
        assert!(!reorder.concurrent_dml);
    }

    #[test]
    fn mariadb_drops_and_reorders_columns_instantly() {
        let target = Target {
            flavor: MysqlFlavor::Mariadb,
            ..mysql("8.0.12")
        };
        for op in [Operation::DropColumn, Operation::ReorderColumn] {
            let verdict = judge_plain(&[clause(op)], &Pins::default(), &target).unwrap();
            assert_eq!(verdict.algorithm, Algorithm::Instant, "{op:?}");
        }
    }

    fn mariadb(version: &str) -> Target {
        Target {
            flavor: MysqlFlavor::Mariadb,
            ..mysql(version)
        }
    }

    /// (algorithm, rebuilds, concurrent DML) of `operation` alone on a table with `traits`.
    fn cost_on(
        operation: Operation,
        target: &Target,
        traits: &TableTraits,
    ) -> (Algorithm, bool, bool) {
        let verdict = judge(&[clause(operation)], &Pins::default(), target, traits).unwrap();
        (verdict.algorithm, verdict.rebuilds, verdict.concurrent_dml)
    }

    /// The manual's column operations ("Columns cannot be added to tables that use
    /// ROW_FORMAT=COMPRESSED, tables with a FULLTEXT index, ..."; the same for dropping) and
    /// its FORCE / null-rebuild notes ("ALGORITHM=INPLACE is not supported for tables with
    /// FULLTEXT indexes"): MySQL copies. MariaDB rebuilds in place under LOCK=SHARED
    /// (measured in tests/db_mysql_rules.rs).
    #[test]
    fn a_table_with_a_fulltext_index_changes_stored_columns_by_copy_on_mysql() {
        use Algorithm::*;
        let fulltext = TableTraits {
            fulltext: true,
            hidden_fts_doc_id: true,
            keeps_fulltext: true,
            ..TableTraits::default()
        };
        for operation in [
            Operation::AddColumnLast,
            Operation::DropColumn,
            Operation::Force,
        ] {
            assert_eq!(
                cost_on(operation, &mysql("8.4"), &fulltext),
                (Copy, true, false),
                "{operation:?}"
            );
            assert_eq!(
                cost_on(operation, &mariadb("10.11"), &fulltext),
                (Inplace, true, false),
                "{operation:?}"
            );
        }
        // Virtual columns and renames leave the rows as they are.
        for operation in [Operation::AddVirtualColumn, Operation::RenameColumn] {
            assert_eq!(cost_on(operation, &mysql("8.4"), &fulltext).0, Instant);
            assert_eq!(cost_on(operation, &mariadb("10.11"), &fulltext).0, Instant);
        }
    }

    /// `dict_table_t::support_instant_add_drop` tests InnoDB's flag for the hidden column,
    /// not only the FULLTEXT index; with no index left to keep, the rebuild lets writes
    /// through.
    #[test]
    fn the_hidden_fts_doc_id_alone_rules_out_instant_but_not_an_online_rebuild() {
        let hidden = TableTraits {
            hidden_fts_doc_id: true,
            ..TableTraits::default()
        };
        for target in [mysql("8.4"), mariadb("10.11")] {
            assert_eq!(
                cost_on(Operation::AddColumnLast, &target, &hidden),
                (Algorithm::Inplace, true, true),
                "{target:?}"
            );
        }
        let plain = TableTraits::default();
        assert_eq!(
            cost_on(Operation::AddColumnLast, &mysql("8.4"), &plain).0,
            Algorithm::Instant
        );
    }

    /// The manual's index operations: "Adding the first FULLTEXT index rebuilds the table if
    /// there is no user-defined FTS_DOC_ID column. Additional FULLTEXT indexes may be added
    /// without rebuilding the table." Neither lets writes through.
    #[test]
    fn a_fulltext_index_beside_an_fts_doc_id_needs_no_rebuild() {
        let add = Operation::AddFulltextIndex;
        let target = mysql("8.4");
        let first = cost_on(add, &target, &TableTraits::default());
        assert_eq!(first, (Algorithm::Inplace, true, false));
        for beside in [
            TableTraits {
                fulltext: true,
                hidden_fts_doc_id: true,
                keeps_fulltext: true,
                ..TableTraits::default()
            },
            TableTraits {
                fts_doc_id_column: true,
                ..TableTraits::default()
            },
        ] {
            assert_eq!(
                cost_on(add, &target, &beside),
                (Algorithm::Inplace, false, false),
                "{beside:?}"
            );
        }
    }

    #[test]
    fn a_rebuild_keeping_a_spatial_index_blocks_writes() {
        let spatial = TableTraits {
            keeps_spatial: true,
            ..TableTraits::default()
        };
        for target in [mysql("8.4"), mariadb("10.11")] {
            assert_eq!(
                cost_on(Operation::Force, &target, &spatial),
                (Algorithm::Inplace, true, false)
            );
            assert_eq!(
                cost_on(Operation::AddColumnLast, &target, &spatial).0,
                Algorithm::Instant
            );
        }
    }

    #[test]
    fn a_clause_the_table_makes_costlier_says_why() {
        let fulltext = TableTraits {
            fulltext: true,
            hidden_fts_doc_id: true,
            keeps_fulltext: true,
            ..TableTraits::default()
        };
        let clauses = [
            clause(Operation::AddColumnLast),
            clause(Operation::AddIndex),
        ];
        let verdict = judge(&clauses, &Pins::default(), &mysql("8.4"), &fulltext).unwrap();
        assert_eq!(
            labels(&verdict.deciding),
            "ADD COLUMN (the table has a FULLTEXT index)"
        );
        let refused = {
            let mut pins = Pins::default();
            pins.set(Some("INPLACE"), None);
            judge(&clauses, &pins, &mysql("8.4"), &fulltext)
                .unwrap()
                .refused
        };
        assert_eq!(
            refused.as_deref(),
            Some("ALGORITHM=INPLACE: ADD COLUMN (the table has a FULLTEXT index) cannot run INPLACE on MySQL 8.4")
        );
    }
}
