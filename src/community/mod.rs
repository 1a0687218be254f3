//! `community`: the overlay framework (handlers, `ez_send`, introductions, punctures).

pub mod payload;
