//! `#[derive(Payload)]` for ipv8sim (implemented in the wire issue).
use proc_macro::TokenStream;

/// Placeholder until the wire module lands.
#[proc_macro_derive(Payload, attributes(payload, wire))]
pub fn derive_payload(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
