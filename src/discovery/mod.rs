//! `discovery`: the `Network` peer store, walkers and the `DiscoveryCommunity`.
