//! The answer-cache key: lowercased qname, qtype, qclass, DO, CD.
