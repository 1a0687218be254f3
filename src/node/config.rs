//! Configuration (py-ipv8's configuration model).
