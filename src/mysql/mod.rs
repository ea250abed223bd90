//! MySQL and MariaDB (InnoDB): the online-DDL matrix, how the clauses of an ALTER TABLE map
//! onto it, and the metadata and table locks that follow.

pub mod clauses;
pub mod online_ddl;
pub mod row_versions;
