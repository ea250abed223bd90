//! Recogniser tests: one per statement form, fields asserted exactly.

use super::*;
