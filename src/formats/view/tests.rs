//! Tests of the view mapping.
use super::*;
