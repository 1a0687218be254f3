//! `wire`: py-ipv8's Serializer formats, the `Payload` trait (+ derive), the packet
//! prefix and the signed/unsigned envelopes, `WireError`.
