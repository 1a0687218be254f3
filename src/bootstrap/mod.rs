//! `bootstrap`: bootstrappers and the bootstrap server (tracker).
