//! `node`: one IPv8 instance, its configuration and its driver.
