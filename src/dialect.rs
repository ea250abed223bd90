//! The SQL dialect and server version the migrations will run on.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Mysql,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::Mysql => "MySQL",
        }
    }

    pub fn default_version(self) -> Version {
        match self {
            Dialect::Postgres => Version::new(15, 0, 0),
            Dialect::Mysql => Version::new(8, 4, 0),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        })
    }
}

/// A server version such as `15`, `8.0.35` or `5.7`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Version, String> {
        let mut parts = s.trim().split('.');
        let mut next = |what: &str| -> Result<u32, String> {
            match parts.next() {
                None => Ok(0),
                Some(p) => p
                    .parse()
                    .map_err(|_| format!("`{s}` is not a version: bad {what} number `{p}`")),
            }
        };
        let v = Version::new(next("major")?, next("minor")?, next("patch")?);
        if parts.next().is_some() {
            return Err(format!(
                "`{s}` is not a version: expected at most three numbers"
            ));
        }
        Ok(v)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch != 0 {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        } else if self.minor != 0 || self.major < 10 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}", self.major)
        }
    }
}

/// Which MySQL-family server runs the migrations, where MariaDB and MySQL differ.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MysqlFlavor {
    #[default]
    Mysql,
    Mariadb,
}

/// The server the migrations will run on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub dialect: Dialect,
    pub version: Version,
    pub flavor: MysqlFlavor,
}

impl Target {
    pub fn new(dialect: Dialect) -> Target {
        Target {
            dialect,
            version: dialect.default_version(),
            flavor: MysqlFlavor::default(),
        }
    }

    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.version >= Version::new(major, minor, patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_numerically() {
        let v: Version = "8.0.35".parse().unwrap();
        assert_eq!(v, Version::new(8, 0, 35));
        assert!("8.0.9".parse::<Version>().unwrap() < "8.0.10".parse().unwrap());
        assert!("15".parse::<Version>().unwrap() > "9.6".parse().unwrap());
        assert!("x".parse::<Version>().is_err());
        assert!("1.2.3.4".parse::<Version>().is_err());
        assert_eq!(Version::new(15, 0, 0).to_string(), "15");
        assert_eq!(Version::new(5, 7, 0).to_string(), "5.7");
    }
}
