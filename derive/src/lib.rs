//! `#[derive(Payload)]` for ipv8sim: py-ipv8's `@dataclass(msg_id=N)` payloads in Rust.
//!
//! ```ignore
//! #[derive(Payload)]
//! #[payload(msg_id = 1)]          // omit for nested payloads
//! struct Ping {
//!     #[wire(format = "I")]       // any of the 42 format names
//!     identifier: u32,
//!     text: String,               // default format from the type: varlenHutf8
//!     #[wire(with = MyFormat)]    // a custom `ipv8sim::wire::Format<T>` marker
//!     custom: Thing,
//! }
//! ```
//!
//! Generates `Serializable` (fields in declaration order), `Field` + `NestedPayload`
//! (so the struct can be nested as `payload` / `Vec<Self>` as `payload-list`), and
//! `Payload` with `MSG_ID` when `msg_id` is given.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitInt, LitStr, Path};

/// Derive `Serializable`, `Field`, `NestedPayload` and (with `msg_id`) `Payload`.
#[proc_macro_derive(Payload, attributes(payload, wire))]
pub fn derive_payload(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Marker type (in `ipv8sim::wire::formats`) for a py-ipv8 format name.
fn marker_for(name: &str) -> Option<TokenStream2> {
    let m = match name {
        "?" => "Bool",
        "B" => "B",
        "BBH" => "Bbh",
        "BH" => "Bh",
        "c" => "C",
        "f" => "F",
        "d" => "D",
        "H" => "H",
        "HH" => "Hh",
        "I" => "I",
        "l" => "L",
        "LL" => "Ll",
        "q" => "Q",
        "Q" => "UQ",
        "QH" => "Qh",
        "QL" => "Ql",
        "QQHHBH" => "Qqhhbh",
        "ccB" => "CcB",
        "4SH" => "FourSH",
        "20s" => "S20",
        "32s" => "S32",
        "64s" => "S64",
        "74s" => "S74",
        "c20s" => "C20s",
        "bits" => "Bits",
        "ipv4" => "Ipv4",
        "ip_address" => "IpAddress",
        "address" => "AddressFmt",
        "raw" => "Raw",
        "varlenH" => "VarlenH",
        "doublevarlenH" => "DoubleVarlenH",
        "varlenI" => "VarlenI",
        "varlenBx2" => "VarlenBx2",
        "varlenHx20" => "VarlenHx20",
        "varlenHutf8" => "VarlenHUtf8",
        "varlenIutf8" => "VarlenIUtf8",
        "varlenH-list" => "VarlenHList",
        "payload" => "PayloadFmt",
        "payload-list" => "PayloadList",
        "arrayH-?" => "ArrayHBool",
        "arrayH-q" => "ArrayHQ",
        "arrayH-d" => "ArrayHD",
        "node-list" => return Some(quote!(::ipv8sim::wire::dht::NodeList)),
        _ => return None,
    };
    let ident = syn::Ident::new(m, proc_macro2::Span::call_site());
    Some(quote!(::ipv8sim::wire::formats::#ident))
}

enum Codec {
    Default,
    Marker(TokenStream2, bool),
}

fn field_codec(field: &syn::Field) -> syn::Result<Codec> {
    let mut codec = Codec::Default;
    for attr in &field.attrs {
        if !attr.path().is_ident("wire") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("format") {
                let lit: LitStr = meta.value()?.parse()?;
                let name = lit.value();
                let marker = marker_for(&name).ok_or_else(|| {
                    syn::Error::new(lit.span(), format!("unknown wire format {name:?}"))
                })?;
                codec = Codec::Marker(marker, name == "raw");
                Ok(())
            } else if meta.path.is_ident("with") {
                let path: Path = meta.value()?.parse()?;
                codec = Codec::Marker(quote!(#path), false);
                Ok(())
            } else {
                Err(meta.error("expected `format = \"...\"` or `with = Path`"))
            }
        })?;
    }
    Ok(codec)
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();

    let mut msg_id: Option<LitInt> = None;
    for attr in &input.attrs {
        if attr.path().is_ident("payload") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("msg_id") {
                    let lit: LitInt = meta.value()?.parse()?;
                    lit.base10_parse::<u8>()?;
                    msg_id = Some(lit);
                    Ok(())
                } else {
                    Err(meta.error("expected `msg_id = N` (0..=255)"))
                }
            })?;
        }
    }

    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => f.named.iter().collect::<Vec<_>>(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(f) => {
                return Err(syn::Error::new(
                    f.span(),
                    "#[derive(Payload)] needs named fields (they are the payload's names)",
                ))
            }
        },
        _ => {
            return Err(syn::Error::new(
                input.span(),
                "#[derive(Payload)] works on structs only",
            ))
        }
    };

    let mut packs = Vec::new();
    let mut unpacks = Vec::new();
    let mut names = Vec::new();
    let count = fields.len();
    for (i, field) in fields.iter().enumerate() {
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new(field.span(), "unnamed field"))?;
        let ty = &field.ty;
        names.push(ident.clone());
        match field_codec(field)? {
            Codec::Default => {
                packs.push(quote_spanned!(ty.span()=>
                    <#ty as ::ipv8sim::wire::Field>::pack_field(&self.#ident, out);));
                unpacks.push(quote_spanned!(ty.span()=>
                    let #ident = <#ty as ::ipv8sim::wire::Field>::unpack_field(r)?;));
            }
            Codec::Marker(m, is_raw) => {
                if is_raw && i + 1 != count {
                    return Err(syn::Error::new(
                        field.span(),
                        "a `raw` field takes the rest of the message, so it must be the last field",
                    ));
                }
                packs.push(quote_spanned!(ty.span()=>
                    <#m as ::ipv8sim::wire::Format<#ty>>::pack(&self.#ident, out);));
                unpacks.push(quote_spanned!(ty.span()=>
                    let #ident = <#m as ::ipv8sim::wire::Format<#ty>>::unpack(r)?;));
            }
        }
    }

    let payload_impl = msg_id.map(|id| {
        quote! {
            impl #impl_g ::ipv8sim::wire::Payload for #name #ty_g #where_g {
                const MSG_ID: u8 = #id;
            }
        }
    });

    let r_ident = if count == 0 { quote!(_r) } else { quote!(r) };
    let out_ident = if count == 0 {
        quote!(_out)
    } else {
        quote!(out)
    };
    Ok(quote! {
        impl #impl_g ::ipv8sim::wire::Serializable for #name #ty_g #where_g {
            fn pack(&self, #out_ident: &mut ::std::vec::Vec<u8>) {
                #(#packs)*
            }
            fn unpack(#r_ident: &mut ::ipv8sim::wire::Reader<'_>)
                -> ::std::result::Result<Self, ::ipv8sim::wire::WireError>
            {
                #(#unpacks)*
                ::std::result::Result::Ok(Self { #(#names),* })
            }
        }

        impl #impl_g ::ipv8sim::wire::Field for #name #ty_g #where_g {
            fn pack_field(&self, out: &mut ::std::vec::Vec<u8>) {
                <::ipv8sim::wire::formats::PayloadFmt as ::ipv8sim::wire::Format<Self>>::pack(self, out)
            }
            fn unpack_field(r: &mut ::ipv8sim::wire::Reader<'_>)
                -> ::std::result::Result<Self, ::ipv8sim::wire::WireError>
            {
                <::ipv8sim::wire::formats::PayloadFmt as ::ipv8sim::wire::Format<Self>>::unpack(r)
            }
        }

        impl #impl_g ::ipv8sim::wire::NestedPayload for #name #ty_g #where_g {}

        #payload_impl
    })
}
