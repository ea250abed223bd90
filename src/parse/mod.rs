pub mod fallback;
pub mod placeholders;
