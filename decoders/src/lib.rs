//! decoders (being written)
