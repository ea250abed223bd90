//! The names PostgreSQL gives objects it names itself, as identifiers that print as SQL
//! naming exactly them. Rules quote them in advice and plans write them into phases.

use crate::statement::Ident;

/// PostgreSQL truncates identifiers to 63 bytes.
pub const MAX_IDENT_BYTES: usize = 63;

/// The name PostgreSQL gives an object it names itself (`makeObjectName`): `name1`, then
/// `name2` when there is one, then `label`, joined by `_`; when that is longer than 63
/// bytes, the longer of the two names is cut first, byte by byte, until it fits (never in
/// the middle of a character). `<table>_pkey`, `<table>_<column>_key`, `<table>_<column>_check`,
/// `<table>_<column>_seq` and, from PostgreSQL 18, `<table>_<column>_not_null`.
pub fn postgres_name(name1: &str, name2: Option<&str>, label: &str) -> Ident {
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let available = MAX_IDENT_BYTES.saturating_sub(overhead);
    let (mut len1, mut len2) = (name1.len(), name2.map_or(0, str::len));
    while len1 + len2 > available {
        if len1 > len2 {
            len1 -= 1;
        } else {
            len2 -= 1;
        }
    }
    let clip = |name: &str, mut len: usize| {
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        name[..len].to_string()
    };
    let mut name = clip(name1, len1);
    if let Some(name2) = name2 {
        name.push('_');
        name.push_str(&clip(name2, len2));
    }
    name.push('_');
    name.push_str(label);
    named(name)
}

/// An identifier for a name that must be exactly `value`: quoted unless PostgreSQL reads
/// it back unchanged without quotes.
pub fn named(value: String) -> Ident {
    let plain = value.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    Ident {
        quote: (!plain).then_some('"'),
        value,
    }
}

/// The column part PostgreSQL puts in a key's or foreign key's name: the columns as
/// stored, joined by `_`.
pub fn column_list_name(columns: &[Ident]) -> String {
    columns.iter().map(Ident::key).collect::<Vec<_>>().join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_the_ones_postgres_chooses() {
        let name = postgres_name("orders", Some("score"), "check");
        assert_eq!(
            (name.value.as_str(), name.is_quoted()),
            ("orders_score_check", false)
        );
        let name = postgres_name("Orders", Some("Note"), "key");
        assert_eq!(
            (name.value.as_str(), name.is_quoted()),
            ("Orders_Note_key", true)
        );
        assert_eq!(postgres_name("orders", None, "pkey").value, "orders_pkey");
        // The longer name is cut first, until the whole fits in 63 bytes (PostgreSQL 15).
        let table = "shipment_carbon_emission_measurements_by_region_and_day";
        assert_eq!(
            postgres_name(table, Some("note"), "key").value,
            "shipment_carbon_emission_measurements_by_region_and_da_note_key"
        );
        assert_eq!(
            postgres_name(
                table,
                Some("measurement_identifier_within_region"),
                "not_null"
            )
            .value,
            "shipment_carbon_emission_me_measurement_identifier_wit_not_null"
        );
        let cut = postgres_name(&"é".repeat(40), None, "pkey");
        assert!(cut.value.len() <= MAX_IDENT_BYTES && cut.value.ends_with("_pkey"));
    }
}
