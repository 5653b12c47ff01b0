//! Trust anchors: IANA root-anchors.xml (RFC 9718) and DS/DNSKEY presentation files.
