//! RFC 4034 §6: canonical form and ordering of an RRset, the data an RRSIG signs.
