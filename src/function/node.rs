//! Local execution of a function's handler with the installed `node` (filled in below).
