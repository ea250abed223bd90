//! Facts about column types that decide whether a type change rewrites the table.

use crate::statement::DataType;

/// Whether PostgreSQL can change a column from `old` to `new` without rewriting or
/// scanning the table: the stored bytes stay valid and no new limit needs checking.
pub fn binary_coercible(old: &DataType, new: &DataType) -> bool {
    if old.array != new.array {
        return false;
    }
    if old.base == new.base && old.args == new.args {
        return true;
    }
    match (old.base.as_str(), new.base.as_str()) {
        // Raising or removing a length limit keeps every stored value valid.
        // Raising the fractional-second precision keeps every stored value as it is.
        ("varchar", "varchar")
        | ("varbit", "varbit")
        | ("timestamp", "timestamp")
        | ("timestamptz", "timestamptz") => widened(&old.args, &new.args),
        ("varchar", "text") | ("text", "varchar") => new.args.is_empty(),
        // Only a higher precision at the same scale, or dropping the limit.
        ("numeric", "numeric") => match (old.args.as_slice(), new.args.as_slice()) {
            (_, []) => true,
            ([p1], [p2]) => p2 >= p1,
            ([p1, s1], [p2, s2]) => s1 == s2 && p2 >= p1,
            ([p1], [p2, 0]) | ([p1, 0], [p2]) => p2 >= p1,
            _ => false,
        },
        ("cidr", "inet") => true,
        _ => false,
    }
}

/// `timestamp` to `timestamptz` or back: PostgreSQL 12+ keeps the rows when the session
/// time zone is UTC, and rewrites them otherwise.
pub fn timestamp_time_zone_swap(old: &DataType, new: &DataType) -> bool {
    let zoned = |t: &DataType| match t.base.as_str() {
        "timestamptz" => Some(true),
        "timestamp" => Some(false),
        _ => None,
    };
    old.array == new.array
        && old.args == new.args
        && matches!((zoned(old), zoned(new)), (Some(a), Some(b)) if a != b)
}

fn widened(old: &[u32], new: &[u32]) -> bool {
    match (old, new) {
        (_, []) => true,
        ([o], [n]) => n >= o,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(base: &str, args: &[u32]) -> DataType {
        DataType {
            text: base.to_string(),
            base: base.to_string(),
            args: args.to_vec(),
            array: false,
        }
    }

    #[test]
    fn widening_is_coercible_and_narrowing_is_not() {
        assert!(binary_coercible(
            &ty("varchar", &[10]),
            &ty("varchar", &[20])
        ));
        assert!(binary_coercible(&ty("varchar", &[10]), &ty("varchar", &[])));
        assert!(binary_coercible(&ty("varchar", &[10]), &ty("text", &[])));
        assert!(!binary_coercible(
            &ty("varchar", &[20]),
            &ty("varchar", &[10])
        ));
        assert!(!binary_coercible(&ty("text", &[]), &ty("varchar", &[10])));
        assert!(binary_coercible(
            &ty("numeric", &[10, 2]),
            &ty("numeric", &[12, 2])
        ));
        assert!(!binary_coercible(
            &ty("numeric", &[10, 2]),
            &ty("numeric", &[12, 3])
        ));
        assert!(binary_coercible(&ty("cidr", &[]), &ty("inet", &[])));
        assert!(!binary_coercible(&ty("int", &[]), &ty("bigint", &[])));
        assert!(!binary_coercible(
            &ty("timestamp", &[]),
            &ty("timestamptz", &[])
        ));
        assert!(binary_coercible(
            &ty("timestamptz", &[3]),
            &ty("timestamptz", &[6])
        ));
        assert!(!binary_coercible(
            &ty("timestamptz", &[6]),
            &ty("timestamptz", &[3])
        ));
    }

    #[test]
    fn timestamp_zone_swaps_are_recognised_both_ways() {
        assert!(timestamp_time_zone_swap(
            &ty("timestamp", &[]),
            &ty("timestamptz", &[])
        ));
        assert!(timestamp_time_zone_swap(
            &ty("timestamptz", &[]),
            &ty("timestamp", &[])
        ));
        assert!(!timestamp_time_zone_swap(
            &ty("timestamp", &[]),
            &ty("timestamp", &[])
        ));
        assert!(!timestamp_time_zone_swap(
            &ty("date", &[]),
            &ty("timestamptz", &[])
        ));
    }
}
