//! Exports: one file per export (users, registrants, recordings).
